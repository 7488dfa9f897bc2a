// SPDX-License-Identifier: GPL-2.0-only
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/xrelay.yaml */
/* YNL-GEN kernel */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

/* Integer value ranges */
static struct netlink_range_validation xrelay_bits_per_second_range = {
	.min = 8,
	.max = 100000000000000,
};

static struct netlink_range_validation xrelay_idle_timeout_range = {
	.min = 1,
	.max = 604800,
};

static struct netlink_range_validation xrelay_lifetime_range = {
	.min = 1,
	.max = 604800,
};

static struct netlink_range_validation xrelay_packets_per_second_range = {
	.min = 1,
	.max = 1000000000,
};

static struct netlink_range_validation xrelay_relearn_timeout_range = {
	.min = 1,
	.max = 604800,
};

/* Common nested types */
const struct nla_policy xrelay_prefix_nl_policy[XRELAY_A_PREFIX_MAX + 1] = {
	[XRELAY_A_PREFIX_IPV4] = { .type = NLA_BE32, },
	[XRELAY_A_PREFIX_IPV6] = NLA_POLICY_EXACT_LEN(16),
	[XRELAY_A_PREFIX_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
};

const struct nla_policy xrelay_admission_nl_policy[XRELAY_A_ADMISSION_MAX + 1] = {
	[XRELAY_A_ADMISSION_ALLOW] = NLA_POLICY_NESTED(xrelay_prefix_nl_policy),
	[XRELAY_A_ADMISSION_DENY] = NLA_POLICY_NESTED(xrelay_prefix_nl_policy),
};

const struct nla_policy xrelay_stats_nl_policy[XRELAY_A_STATS_MAX + 1] = {
	[XRELAY_A_STATS_PACKETS] = { .type = NLA_U64, },
	[XRELAY_A_STATS_BYTES] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_NO_SESSION] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_UNKNOWN_SOURCE] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_NOT_PAIRED] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_EXPIRED] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_DENIED] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_NO_ROUTE] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_BAD_SOURCE] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_MALFORMED] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_PROTOCOL] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_RATE_LIMIT] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_QUOTA] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_ACL] = { .type = NLA_U64, },
	[XRELAY_A_STATS_PACKETS_XDP] = { .type = NLA_U64, },
	[XRELAY_A_STATS_DROP_HOP_LIMIT] = { .type = NLA_U64, },
};

const struct nla_policy xrelay_side_nl_policy[XRELAY_A_SIDE_MAX + 1] = {
	[XRELAY_A_SIDE_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[XRELAY_A_SIDE_PEER_IPV4] = { .type = NLA_BE32, },
	[XRELAY_A_SIDE_PEER_IPV6] = NLA_POLICY_EXACT_LEN(16),
	[XRELAY_A_SIDE_PEER_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[XRELAY_A_SIDE_ALLOW_IPV4] = { .type = NLA_BE32, },
	[XRELAY_A_SIDE_ALLOW_IPV6] = NLA_POLICY_EXACT_LEN(16),
	[XRELAY_A_SIDE_ALLOW_PREFIX_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[XRELAY_A_SIDE_RELEARN_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &xrelay_relearn_timeout_range),
	[XRELAY_A_SIDE_ADMISSION] = NLA_POLICY_NESTED(xrelay_admission_nl_policy),
	[XRELAY_A_SIDE_STATE] = NLA_POLICY_MAX(NLA_U8, 2),
	[XRELAY_A_SIDE_IDLE_MSECS] = { .type = NLA_U64, },
	[XRELAY_A_SIDE_STATS] = NLA_POLICY_NESTED(xrelay_stats_nl_policy),
};

const struct nla_policy xrelay_rate_nl_policy[XRELAY_A_RATE_MAX + 1] = {
	[XRELAY_A_RATE_PACKETS_PER_SECOND] = NLA_POLICY_FULL_RANGE(NLA_U64, &xrelay_packets_per_second_range),
	[XRELAY_A_RATE_BURST_PACKETS] = NLA_POLICY_MIN(NLA_U64, 1),
	[XRELAY_A_RATE_BITS_PER_SECOND] = NLA_POLICY_FULL_RANGE(NLA_U64, &xrelay_bits_per_second_range),
	[XRELAY_A_RATE_BURST_BYTES] = NLA_POLICY_MIN(NLA_U64, 1),
};

const struct nla_policy xrelay_hub_group_nl_policy[XRELAY_A_HUB_GROUP_MAX + 1] = {
	[XRELAY_A_HUB_GROUP_NAME] = { .type = NLA_NUL_STRING, .len = 63, },
	[XRELAY_A_HUB_GROUP_MEMBER] = NLA_POLICY_NESTED(xrelay_prefix_nl_policy),
};

const struct nla_policy xrelay_hub_rule_nl_policy[XRELAY_A_HUB_RULE_MAX + 1] = {
	[XRELAY_A_HUB_RULE_ACTION] = NLA_POLICY_MAX(NLA_U8, 1),
	[XRELAY_A_HUB_RULE_FROM_GROUP] = { .type = NLA_NUL_STRING, .len = 63, },
	[XRELAY_A_HUB_RULE_FROM_PREFIX] = NLA_POLICY_NESTED(xrelay_prefix_nl_policy),
	[XRELAY_A_HUB_RULE_TO_GROUP] = { .type = NLA_NUL_STRING, .len = 63, },
	[XRELAY_A_HUB_RULE_TO_PREFIX] = NLA_POLICY_NESTED(xrelay_prefix_nl_policy),
	[XRELAY_A_HUB_RULE_PROTOCOL] = NLA_POLICY_MIN(NLA_U8, 1),
	[XRELAY_A_HUB_RULE_PORT_MIN] = NLA_POLICY_MIN(NLA_U16, 1),
	[XRELAY_A_HUB_RULE_PORT_MAX] = NLA_POLICY_MIN(NLA_U16, 1),
	[XRELAY_A_HUB_RULE_HITS] = { .type = NLA_U64, },
};

const struct nla_policy xrelay_hub_nl_policy[XRELAY_A_HUB_MAX + 1] = {
	[XRELAY_A_HUB_INTERFACE] = { .type = NLA_NUL_STRING, .len = 15, },
	[XRELAY_A_HUB_DEFAULT] = NLA_POLICY_MAX(NLA_U8, 1),
	[XRELAY_A_HUB_GROUP] = NLA_POLICY_NESTED(xrelay_hub_group_nl_policy),
	[XRELAY_A_HUB_RULE] = NLA_POLICY_NESTED(xrelay_hub_rule_nl_policy),
	[XRELAY_A_HUB_DEFAULT_HITS] = { .type = NLA_U64, },
};

const struct nla_policy xrelay_session_nl_policy[XRELAY_A_SESSION_MAX + 1] = {
	[XRELAY_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_INSTANCE] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_NETWORK] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_IDLE_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &xrelay_idle_timeout_range),
	[XRELAY_A_SESSION_LIFETIME] = NLA_POLICY_FULL_RANGE(NLA_U32, &xrelay_lifetime_range),
	[XRELAY_A_SESSION_SIDE_A] = NLA_POLICY_NESTED(xrelay_side_nl_policy),
	[XRELAY_A_SESSION_SIDE_B] = NLA_POLICY_NESTED(xrelay_side_nl_policy),
	[XRELAY_A_SESSION_AGE_MSECS] = { .type = NLA_U64, },
	[XRELAY_A_SESSION_EXPIRE_REASON] = NLA_POLICY_MAX(NLA_U8, 1),
	[XRELAY_A_SESSION_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[XRELAY_A_SESSION_RATE_LIMIT] = NLA_POLICY_NESTED(xrelay_rate_nl_policy),
	[XRELAY_A_SESSION_QUOTA] = NLA_POLICY_MIN(NLA_U64, 1),
	[XRELAY_A_SESSION_PROTOCOL] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* XRELAY_CMD_INSTANCE_NEW - do */
static const struct nla_policy xrelay_instance_new_nl_policy[7] = {
	[XRELAY_A_INSTANCE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_INSTANCE_NETWORK] = { .type = NLA_U32, },
	[XRELAY_A_INSTANCE_LOCAL_IPV4] = { .type = NLA_BE32, },
	[XRELAY_A_INSTANCE_LOCAL_IPV6] = NLA_POLICY_EXACT_LEN(16),
	[XRELAY_A_INSTANCE_PORT_MIN] = NLA_POLICY_MIN(NLA_U16, 1),
	[XRELAY_A_INSTANCE_PORT_MAX] = NLA_POLICY_MIN(NLA_U16, 1),
};

/* XRELAY_CMD_INSTANCE_DEL - do */
static const struct nla_policy xrelay_instance_del_nl_policy[2] = {
	[XRELAY_A_INSTANCE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* XRELAY_CMD_INSTANCE_GET - do/dump */
static const struct nla_policy xrelay_instance_get_nl_policy[2] = {
	[XRELAY_A_INSTANCE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* XRELAY_CMD_SESSION_NEW - do */
static const struct nla_policy xrelay_session_new_nl_policy[14] = {
	[XRELAY_A_SESSION_INSTANCE] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_NETWORK] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_IDLE_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &xrelay_idle_timeout_range),
	[XRELAY_A_SESSION_LIFETIME] = NLA_POLICY_FULL_RANGE(NLA_U32, &xrelay_lifetime_range),
	[XRELAY_A_SESSION_SIDE_A] = NLA_POLICY_NESTED(xrelay_side_nl_policy),
	[XRELAY_A_SESSION_SIDE_B] = NLA_POLICY_NESTED(xrelay_side_nl_policy),
	[XRELAY_A_SESSION_RATE_LIMIT] = NLA_POLICY_NESTED(xrelay_rate_nl_policy),
	[XRELAY_A_SESSION_QUOTA] = NLA_POLICY_MIN(NLA_U64, 1),
	[XRELAY_A_SESSION_PROTOCOL] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* XRELAY_CMD_SESSION_DEL - do */
static const struct nla_policy xrelay_session_del_nl_policy[11] = {
	[XRELAY_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_INSTANCE] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

/* XRELAY_CMD_SESSION_GET - do/dump */
static const struct nla_policy xrelay_session_get_nl_policy[11] = {
	[XRELAY_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_INSTANCE] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_NETWORK] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

/* XRELAY_CMD_SESSION_FLUSH - do */
static const struct nla_policy xrelay_session_flush_nl_policy[4] = {
	[XRELAY_A_SESSION_INSTANCE] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_SESSION_NETWORK] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* XRELAY_CMD_NETNS_SET - do */
static const struct nla_policy xrelay_netns_set_nl_policy[2] = {
	[XRELAY_A_NETNS_SESSION_LIMIT] = { .type = NLA_U32, },
};

/* XRELAY_CMD_NETWORK_NEW - do */
static const struct nla_policy xrelay_network_new_nl_policy[9] = {
	[XRELAY_A_NETWORK_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_NETWORK_ADMISSION] = NLA_POLICY_NESTED(xrelay_admission_nl_policy),
	[XRELAY_A_NETWORK_RATE_LIMIT] = NLA_POLICY_NESTED(xrelay_rate_nl_policy),
	[XRELAY_A_NETWORK_SESSION_RATE_LIMIT] = NLA_POLICY_NESTED(xrelay_rate_nl_policy),
	[XRELAY_A_NETWORK_SESSION_QUOTA] = NLA_POLICY_MIN(NLA_U64, 1),
	[XRELAY_A_NETWORK_MAX_SESSIONS] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_NETWORK_PROTOCOL] = NLA_POLICY_MAX(NLA_U8, 1),
	[XRELAY_A_NETWORK_HUB] = NLA_POLICY_NESTED(xrelay_hub_nl_policy),
};

/* XRELAY_CMD_NETWORK_SET - do */
static const struct nla_policy xrelay_network_set_nl_policy[9] = {
	[XRELAY_A_NETWORK_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_NETWORK_ADMISSION] = NLA_POLICY_NESTED(xrelay_admission_nl_policy),
	[XRELAY_A_NETWORK_RATE_LIMIT] = NLA_POLICY_NESTED(xrelay_rate_nl_policy),
	[XRELAY_A_NETWORK_SESSION_RATE_LIMIT] = NLA_POLICY_NESTED(xrelay_rate_nl_policy),
	[XRELAY_A_NETWORK_SESSION_QUOTA] = NLA_POLICY_MIN(NLA_U64, 1),
	[XRELAY_A_NETWORK_MAX_SESSIONS] = NLA_POLICY_MIN(NLA_U32, 1),
	[XRELAY_A_NETWORK_PROTOCOL] = NLA_POLICY_MAX(NLA_U8, 1),
	[XRELAY_A_NETWORK_HUB] = NLA_POLICY_NESTED(xrelay_hub_nl_policy),
};

/* XRELAY_CMD_NETWORK_DEL - do */
static const struct nla_policy xrelay_network_del_nl_policy[2] = {
	[XRELAY_A_NETWORK_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* XRELAY_CMD_NETWORK_GET - do/dump */
static const struct nla_policy xrelay_network_get_nl_policy[2] = {
	[XRELAY_A_NETWORK_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* XRELAY_CMD_SESSION_NEW_BATCH - do */
static const struct nla_policy xrelay_session_new_batch_nl_policy[2] = {
	[XRELAY_A_SESSION_BATCH_SESSION] = NLA_POLICY_NESTED(xrelay_session_nl_policy),
};

/* XRELAY_CMD_INSTANCE_GET - dump: what only the do takes */
static const char * const xrelay_instance_get_dump_refused[XRELAY_A_INSTANCE_ID + 1] = {
	[XRELAY_A_INSTANCE_ID] = KBUILD_MODNAME ": instance-get dump does not take id; it takes no attribute",
};

static int xrelay_nl_instance_get_start(struct netlink_callback *cb)
{
	return xrelay_nl_dump_start(cb, xrelay_instance_get_dump_refused,
				    ARRAY_SIZE(xrelay_instance_get_dump_refused));
}

/* XRELAY_CMD_SESSION_GET - dump: what only the do takes */
static const char * const xrelay_session_get_dump_refused[XRELAY_A_SESSION_PORT + 1] = {
	[XRELAY_A_SESSION_ID] = KBUILD_MODNAME ": session-get dump does not take id; it takes instance, network",
	[XRELAY_A_SESSION_PORT] = KBUILD_MODNAME ": session-get dump does not take port; it takes instance, network",
};

static int xrelay_nl_session_get_start(struct netlink_callback *cb)
{
	return xrelay_nl_dump_start(cb, xrelay_session_get_dump_refused,
				    ARRAY_SIZE(xrelay_session_get_dump_refused));
}

/* XRELAY_CMD_NETWORK_GET - dump: what only the do takes */
static const char * const xrelay_network_get_dump_refused[XRELAY_A_NETWORK_ID + 1] = {
	[XRELAY_A_NETWORK_ID] = KBUILD_MODNAME ": network-get dump does not take id; it takes no attribute",
};

static int xrelay_nl_network_get_start(struct netlink_callback *cb)
{
	return xrelay_nl_dump_start(cb, xrelay_network_get_dump_refused,
				    ARRAY_SIZE(xrelay_network_get_dump_refused));
}

/* Ops table for xrelay */
const struct genl_ops xrelay_nl_ops[14] = {
	{
		.cmd		= XRELAY_CMD_INSTANCE_NEW,
		.doit		= xrelay_nl_instance_new_doit,
		.policy		= xrelay_instance_new_nl_policy,
		.maxattr	= 6,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_INSTANCE_DEL,
		.doit		= xrelay_nl_instance_del_doit,
		.policy		= xrelay_instance_del_nl_policy,
		.maxattr	= 1,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_INSTANCE_GET,
		.doit		= xrelay_nl_instance_get_doit,
		.start		= xrelay_nl_instance_get_start,
		.dumpit		= xrelay_nl_instance_get_dumpit,
		.policy		= xrelay_instance_get_nl_policy,
		.maxattr	= 1,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_SESSION_NEW,
		.doit		= xrelay_nl_session_new_doit,
		.policy		= xrelay_session_new_nl_policy,
		.maxattr	= 13,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_SESSION_DEL,
		.doit		= xrelay_nl_session_del_doit,
		.policy		= xrelay_session_del_nl_policy,
		.maxattr	= 10,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_SESSION_GET,
		.doit		= xrelay_nl_session_get_doit,
		.start		= xrelay_nl_session_get_start,
		.dumpit		= xrelay_nl_session_get_dumpit,
		.policy		= xrelay_session_get_nl_policy,
		.maxattr	= 10,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_SESSION_FLUSH,
		.doit		= xrelay_nl_session_flush_doit,
		.policy		= xrelay_session_flush_nl_policy,
		.maxattr	= 3,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_NETNS_GET,
		.doit		= xrelay_nl_netns_get_doit,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_NETNS_SET,
		.doit		= xrelay_nl_netns_set_doit,
		.policy		= xrelay_netns_set_nl_policy,
		.maxattr	= 1,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_NETWORK_NEW,
		.doit		= xrelay_nl_network_new_doit,
		.policy		= xrelay_network_new_nl_policy,
		.maxattr	= 8,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_NETWORK_SET,
		.doit		= xrelay_nl_network_set_doit,
		.policy		= xrelay_network_set_nl_policy,
		.maxattr	= 8,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_NETWORK_DEL,
		.doit		= xrelay_nl_network_del_doit,
		.policy		= xrelay_network_del_nl_policy,
		.maxattr	= 1,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_NETWORK_GET,
		.doit		= xrelay_nl_network_get_doit,
		.start		= xrelay_nl_network_get_start,
		.dumpit		= xrelay_nl_network_get_dumpit,
		.policy		= xrelay_network_get_nl_policy,
		.maxattr	= 1,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= XRELAY_CMD_SESSION_NEW_BATCH,
		.doit		= xrelay_nl_session_new_batch_doit,
		.policy		= xrelay_session_new_batch_nl_policy,
		.maxattr	= 1,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
};

const struct genl_multicast_group xrelay_nl_mcgrps[2] = {
	[XRELAY_NLGRP_EVENTS] = { .name = XRELAY_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN, },
	[XRELAY_NLGRP_DATAPATH] = { .name = XRELAY_MCGRP_DATAPATH, .flags = GENL_MCAST_CAP_NET_ADMIN, },
};
