// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which peers the relay refuses to talk to.
 */

#include <linux/inetdevice.h>
#include <net/addrconf.h>
#include <net/route.h>

#include "addr.h"

#define XRELAY_PEER_MSG(what)	KBUILD_MODNAME ": peer address is " what

/**
 * xrelay_addr_forbidden() - tell whether an address may never be a peer
 * @net: namespace whose own addresses count as forbidden
 * @addr: peer address, v4-mapped for IPv4
 *
 * Forwarding to these would loop back into the relay or fan out to many
 * hosts, so pinned peers with them are refused and learned ones dropped.
 *
 * Context: any; callers in the datapath hold rcu_read_lock().
 * Return: a static message saying what is wrong with @addr, fit for an
 * extack, or NULL if @addr may be a peer.
 */
const char *xrelay_addr_forbidden(struct net *net, const struct in6_addr *addr)
{
	if (xrelay_addr_is_v4(addr)) {
		__be32 v4 = addr->s6_addr32[3];

		if (ipv4_is_zeronet(v4))
			return XRELAY_PEER_MSG("unspecified");
		if (ipv4_is_loopback(v4))
			return XRELAY_PEER_MSG("loopback");
		if (ipv4_is_multicast(v4))
			return XRELAY_PEER_MSG("multicast");
		if (ipv4_is_lbcast(v4))
			return XRELAY_PEER_MSG("broadcast");
		switch (inet_addr_type(net, v4)) {
		case RTN_LOCAL:
			return XRELAY_PEER_MSG("one of the relay's own addresses");
		case RTN_BROADCAST:
			return XRELAY_PEER_MSG("broadcast");
		case RTN_MULTICAST:
			return XRELAY_PEER_MSG("multicast");
		}
		return NULL;
	}

	if (ipv6_addr_any(addr))
		return XRELAY_PEER_MSG("unspecified");
	if (ipv6_addr_loopback(addr))
		return XRELAY_PEER_MSG("loopback");
	if (ipv6_addr_is_multicast(addr))
		return XRELAY_PEER_MSG("multicast");
	if (ipv6_chk_addr(net, addr, NULL, 0))
		return XRELAY_PEER_MSG("one of the relay's own addresses");
	return NULL;
}
