/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_NETLINK_H
#define _XRELAY_NETLINK_H

#include <linux/sizes.h>
#include <net/genetlink.h>

#include "addr.h"
#include "stats.h"

struct xrelay_admission;
struct xrelay_flow;
struct xrelay_net;
struct xrelay_policy;
struct xrelay_session;
struct xrelay_side;

int xrelay_nl_init(void);
void xrelay_nl_uninit(void);

void xrelay_nl_notify_learned(struct xrelay_net *xn, const struct xrelay_side *side);
void xrelay_nl_notify_expired(struct xrelay_net *xn, const struct xrelay_session *s, int reason);
void xrelay_nl_notify_limit(struct xrelay_net *xn);
void xrelay_nl_notify_policy_drop(struct xrelay_net *xn, const struct xrelay_side *side,
				  enum xrelay_drop reason, const struct xrelay_flow *flow);
void xrelay_nl_notify_hub_drop(struct xrelay_net *xn, u32 network, const struct in6_addr *saddr,
			       const struct in6_addr *daddr, u8 protocol, u16 sport, u16 dport,
			       u32 rule);

/*
 * Every object a dump lists, hence every session, fits one message of
 * 8 KiB, the buffer libmnl's readers use: dumps ask for that room
 * (min_dump_alloc) and session-new refuses a session that would not fit.
 */
#define XRELAY_NL_MAX_DUMP_MSG		8192
/*
 * A network's policy, read back whole by network-get, fits the largest
 * buffer the kernel allocates for one message (4 MiB, with room for the
 * skb's shared info); network-new and network-set refuse a larger one.
 */
#define XRELAY_NL_MAX_NETWORK_MSG	(SZ_4M - SZ_4K)

/* Where xrelay_nl_dump_start() notes the message refusing an attribute. */
#define XRELAY_NL_DUMP_REFUSED		1

/* Bytes of a message whose attributes take @payload bytes. */
static inline size_t xrelay_nl_msg_size(size_t payload)
{
	return nlmsg_total_size(genlmsg_total_size(payload));
}

/* Shared by the handlers in netlink.c and netlink-policy.c. */
#define XRELAY_ERR(info, attr, msg) \
	NL_SET_ERR_MSG_ATTR((info)->extack, (attr), KBUILD_MODNAME ": " msg)

extern struct genl_family xrelay_nl_family;

int xrelay_nl_get_addr(struct genl_info *info, struct nlattr *v4, struct nlattr *v6,
		       struct in6_addr *addr);
int xrelay_nl_put_addr(struct sk_buff *skb, int v4_type, int v6_type,
		       const struct in6_addr *addr);
int xrelay_nl_put_stats(struct sk_buff *skb, int type, const struct xrelay_stats *st);
void xrelay_stats_add(struct xrelay_stats *sum, const struct xrelay_stats *st);
int xrelay_nl_prefix_len(struct genl_info *info, struct nlattr *addr_attr,
			 struct nlattr *len_attr, struct xrelay_prefix *prefix);
int xrelay_nl_get_session_policy(struct genl_info *info, struct xrelay_policy **policy);
int xrelay_nl_put_session_policy(struct sk_buff *skb, const struct xrelay_session *s);
int xrelay_nl_put_side_admission(struct sk_buff *skb, const struct xrelay_side *side);
int xrelay_nl_dump_refused(struct netlink_callback *cb);
size_t xrelay_nl_stats_size(void);
size_t xrelay_nl_session_size(const struct xrelay_policy *policy);
size_t xrelay_nl_session_policy_size(const struct xrelay_policy *policy);
size_t xrelay_nl_admission_size(const struct xrelay_admission *adm);

#endif /* _XRELAY_NETLINK_H */
