/* SPDX-License-Identifier: GPL-2.0-only */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/xrelay.yaml */
/* YNL-GEN kernel */

#ifndef _LINUX_XRELAY_GEN_H
#define _LINUX_XRELAY_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include "uapi/linux/xrelay.h"

extern const struct nla_policy xrelay_prefix_nl_policy[XRELAY_A_PREFIX_MAX + 1];
extern const struct nla_policy xrelay_admission_nl_policy[XRELAY_A_ADMISSION_MAX + 1];
extern const struct nla_policy xrelay_stats_nl_policy[XRELAY_A_STATS_MAX + 1];
extern const struct nla_policy xrelay_side_nl_policy[XRELAY_A_SIDE_MAX + 1];
extern const struct nla_policy xrelay_rate_nl_policy[XRELAY_A_RATE_MAX + 1];
extern const struct nla_policy xrelay_hub_group_nl_policy[XRELAY_A_HUB_GROUP_MAX + 1];
extern const struct nla_policy xrelay_hub_rule_nl_policy[XRELAY_A_HUB_RULE_MAX + 1];
extern const struct nla_policy xrelay_hub_nl_policy[XRELAY_A_HUB_MAX + 1];
extern const struct nla_policy xrelay_session_nl_policy[XRELAY_A_SESSION_MAX + 1];

int xrelay_nl_instance_new_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_instance_del_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_instance_get_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_instance_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int xrelay_nl_session_new_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_session_del_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_session_get_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_session_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int xrelay_nl_session_flush_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_netns_get_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_netns_set_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_network_new_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_network_set_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_network_del_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_network_get_doit(struct sk_buff *skb, struct genl_info *info);
int xrelay_nl_network_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int xrelay_nl_session_new_batch_doit(struct sk_buff *skb, struct genl_info *info);

int xrelay_nl_dump_start(struct netlink_callback *cb, const char * const *refused,
			 unsigned int n_refused);

extern const struct genl_ops xrelay_nl_ops[14];
extern const struct genl_multicast_group xrelay_nl_mcgrps[2];

#define XRELAY_NLGRP_EVENTS	0
#define XRELAY_NLGRP_DATAPATH	1

#endif /* _LINUX_XRELAY_GEN_H */
