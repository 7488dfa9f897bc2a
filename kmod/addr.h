/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_ADDR_H
#define _XRELAY_ADDR_H

#include <linux/in6.h>
#include <linux/netlink.h>
#include <net/ipv6.h>

/*
 * Addresses of both families are kept as IPv6, IPv4 ones v4-mapped, so that
 * one table, one key and one code path serve both.
 */
struct xrelay_endpoint {
	struct in6_addr addr;
	__be16 port;
};

/* @len counts bits of the mapped form: an IPv4 /24 is stored as 96 + 24. */
struct xrelay_prefix {
	struct in6_addr addr;
	u8 len;
};

static inline bool xrelay_addr_is_v4(const struct in6_addr *addr)
{
	return ipv6_addr_v4mapped(addr);
}

static inline bool xrelay_endpoint_equal(const struct xrelay_endpoint *e,
					 const struct in6_addr *addr, __be16 port)
{
	return e->port == port && ipv6_addr_equal(&e->addr, addr);
}

static inline bool xrelay_prefix_match(const struct xrelay_prefix *p,
				       const struct in6_addr *addr)
{
	return ipv6_prefix_equal(&p->addr, addr, p->len);
}

const char *xrelay_addr_forbidden(struct net *net, const struct in6_addr *addr);

/* Like NL_SET_ERR_MSG() for a message chosen at run time among static ones. */
static inline void xrelay_extack_set(struct netlink_ext_ack *extack, const char *msg)
{
	if (extack)
		extack->_msg = msg;
}

#endif /* _XRELAY_ADDR_H */
