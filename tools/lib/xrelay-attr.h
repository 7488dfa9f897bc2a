/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Attributes of the xrelay family: validation policies for parsing what
 * the kernel sends, counters, and addresses split over IPv4/IPv6 pairs.
 */
#ifndef XRELAY_ATTR_H
#define XRELAY_ATTR_H

#include <stdint.h>
#include <netlink/attr.h>
#include <linux/xrelay.h>

#include "xrelay-parse.h"

extern const struct nla_policy xr_stats_policy[XRELAY_A_STATS_MAX + 1];
extern const struct nla_policy xr_instance_policy[XRELAY_A_INSTANCE_MAX + 1];
extern const struct nla_policy xr_side_policy[XRELAY_A_SIDE_MAX + 1];
extern const struct nla_policy xr_session_policy[XRELAY_A_SESSION_MAX + 1];
extern const struct nla_policy xr_netns_policy[XRELAY_A_NETNS_MAX + 1];
extern const struct nla_policy xr_prefix_policy[XRELAY_A_PREFIX_MAX + 1];
extern const struct nla_policy xr_rate_policy[XRELAY_A_RATE_MAX + 1];
extern const struct nla_policy xr_network_policy[XRELAY_A_NETWORK_MAX + 1];
extern const struct nla_policy xr_policy_drop_policy[XRELAY_A_POLICY_DROP_MAX + 1];
extern const struct nla_policy xr_hub_policy[XRELAY_A_HUB_MAX + 1];
extern const struct nla_policy xr_hub_group_policy[XRELAY_A_HUB_GROUP_MAX + 1];
extern const struct nla_policy xr_hub_rule_policy[XRELAY_A_HUB_RULE_MAX + 1];

/* Counters indexed by their attribute type, XRELAY_A_STATS_*. */
struct xr_stats {
	uint64_t counter[XRELAY_A_STATS_MAX + 1];
};

/*
 * Parse the attributes of a message or nest into @tb. Return 0, or
 * -EPROTO when an attribute is malformed.
 */
int xr_attr_parse(struct nlmsghdr *nlh, int maxtype, const struct nla_policy *policy,
		  struct nlattr **tb);
int xr_attr_parse_nested(struct nlattr *nest, int maxtype, const struct nla_policy *policy,
			 struct nlattr **tb);

/* Absent counters read as zero; a NULL @nest gives all zeros. */
int xr_stats_get(struct nlattr *nest, struct xr_stats *stats);

/* Values of optional attributes, zero when absent. */
uint8_t xr_attr_u8(struct nlattr *attr);
uint16_t xr_attr_u16(struct nlattr *attr);
uint32_t xr_attr_u32(struct nlattr *attr);
uint64_t xr_attr_u64(struct nlattr *attr);

/* Reads whichever of @v4 and @v6 is present; -ENOENT when neither is. */
int xr_attr_get_addr(struct nlattr *v4, struct nlattr *v6, struct xr_addr *addr);
/* Puts @addr as attribute @type_v4 or @type_v6 according to its family. */
int xr_attr_put_addr(struct nl_msg *msg, int type_v4, int type_v6,
		     const struct xr_addr *addr);

#endif /* XRELAY_ATTR_H */
