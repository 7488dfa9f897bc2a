// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which peers the relay refuses to talk to.
 */

#include <linux/inetdevice.h>
#include <net/addrconf.h>
#include <net/route.h>

#include "addr.h"

#define XRELAY_PEER_MSG(what)	KBUILD_MODNAME ": peer address is " what

static const char *xrelay_addr4_forbidden(struct net *net, __be32 v4)
{
	/* 0/8 ("this network"), not only 0.0.0.0 as ipv4_is_zeronet() checks. */
	if (!(v4 & htonl(0xff000000)))
		return XRELAY_PEER_MSG("unspecified or in 0.0.0.0/8");
	if (ipv4_is_loopback(v4))
		return XRELAY_PEER_MSG("loopback");
	if (ipv4_is_multicast(v4))
		return XRELAY_PEER_MSG("multicast");
	if (ipv4_is_lbcast(v4))
		return XRELAY_PEER_MSG("broadcast");
	if ((v4 & htonl(0xf0000000)) == htonl(0xf0000000))
		return XRELAY_PEER_MSG("reserved (240.0.0.0/4)");
	/* Which link would it be on? A relay has no say in that. */
	if (ipv4_is_linklocal_169(v4))
		return XRELAY_PEER_MSG("link-local");
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

/*
 * The IPv4 address an IPv6 one reaches through a translator or a tunnel
 * (NAT64 well-known prefix, 6to4), which is then what must be a peer.
 */
static bool xrelay_addr6_embeds_v4(const struct in6_addr *addr, __be32 *v4)
{
	static const struct in6_addr nat64 = { { { 0, 0x64, 0xff, 0x9b } } };

	if (ipv6_prefix_equal(addr, &nat64, 96)) {
		*v4 = addr->s6_addr32[3];
		return true;
	}
	if (addr->s6_addr16[0] == htons(0x2002)) {
		memcpy(v4, &addr->s6_addr[2], sizeof(*v4));
		return true;
	}
	return false;
}

/**
 * xrelay_addr_forbidden() - tell whether an address may never be a peer
 * @net: namespace whose own addresses count as forbidden
 * @addr: peer address, v4-mapped for IPv4
 *
 * Forwarding to these would loop back into the relay, fan out to many
 * hosts, or leave by a link nobody chose, so pinned peers with them are
 * refused and learned ones dropped. An IPv6 address that stands for an
 * IPv4 one (NAT64, 6to4) is judged by the IPv4 address too.
 *
 * Context: any; callers in the datapath hold rcu_read_lock().
 * Return: a static message saying what is wrong with @addr, fit for an
 * extack, or NULL if @addr may be a peer.
 */
const char *xrelay_addr_forbidden(struct net *net, const struct in6_addr *addr)
{
	__be32 v4;

	if (xrelay_addr_is_v4(addr))
		return xrelay_addr4_forbidden(net, addr->s6_addr32[3]);

	if (ipv6_addr_any(addr))
		return XRELAY_PEER_MSG("unspecified");
	if (ipv6_addr_loopback(addr))
		return XRELAY_PEER_MSG("loopback");
	if (ipv6_addr_is_multicast(addr))
		return XRELAY_PEER_MSG("multicast");
	if (ipv6_addr_type(addr) & IPV6_ADDR_LINKLOCAL)
		return XRELAY_PEER_MSG("link-local");
	/* ::a.b.c.d, deprecated IPv4-compatible: nothing routes it on purpose. */
	if (ipv6_addr_type(addr) & IPV6_ADDR_COMPATv4)
		return XRELAY_PEER_MSG("IPv4-compatible (::/96)");
	if (xrelay_addr6_embeds_v4(addr, &v4) && xrelay_addr4_forbidden(net, v4))
		return XRELAY_PEER_MSG("a translation of a forbidden IPv4 address");
	if (ipv6_chk_addr(net, addr, NULL, 0))
		return XRELAY_PEER_MSG("one of the relay's own addresses");
	return NULL;
}
