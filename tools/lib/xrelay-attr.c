// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/genl/genl.h>

#include "xrelay-attr.h"

#define IPV6_ATTR { .minlen = 16, .maxlen = 16 }

const struct nla_policy xr_stats_policy[XRELAY_A_STATS_MAX + 1] = {
	[XRELAY_A_STATS_PACKETS ... XRELAY_A_STATS_MAX] = { .type = NLA_U64 },
};

const struct nla_policy xr_instance_policy[XRELAY_A_INSTANCE_MAX + 1] = {
	[XRELAY_A_INSTANCE_ID] = { .type = NLA_U32 },
	[XRELAY_A_INSTANCE_NETWORK] = { .type = NLA_U32 },
	[XRELAY_A_INSTANCE_LOCAL_IPV4] = { .type = NLA_U32 },
	[XRELAY_A_INSTANCE_LOCAL_IPV6] = IPV6_ATTR,
	[XRELAY_A_INSTANCE_PORT_MIN] = { .type = NLA_U16 },
	[XRELAY_A_INSTANCE_PORT_MAX] = { .type = NLA_U16 },
	[XRELAY_A_INSTANCE_SESSIONS] = { .type = NLA_U32 },
	[XRELAY_A_INSTANCE_STATS] = { .type = NLA_NESTED },
};

const struct nla_policy xr_side_policy[XRELAY_A_SIDE_MAX + 1] = {
	[XRELAY_A_SIDE_PORT] = { .type = NLA_U16 },
	[XRELAY_A_SIDE_PEER_IPV4] = { .type = NLA_U32 },
	[XRELAY_A_SIDE_PEER_IPV6] = IPV6_ATTR,
	[XRELAY_A_SIDE_PEER_PORT] = { .type = NLA_U16 },
	[XRELAY_A_SIDE_ALLOW_IPV4] = { .type = NLA_U32 },
	[XRELAY_A_SIDE_ALLOW_IPV6] = IPV6_ATTR,
	[XRELAY_A_SIDE_ALLOW_PREFIX_LEN] = { .type = NLA_U8 },
	[XRELAY_A_SIDE_RELEARN_TIMEOUT] = { .type = NLA_U32 },
	[XRELAY_A_SIDE_ADMISSION] = { .type = NLA_NESTED },
	[XRELAY_A_SIDE_STATE] = { .type = NLA_U8 },
	[XRELAY_A_SIDE_IDLE_MSECS] = { .type = NLA_U64 },
	[XRELAY_A_SIDE_STATS] = { .type = NLA_NESTED },
};

const struct nla_policy xr_session_policy[XRELAY_A_SESSION_MAX + 1] = {
	[XRELAY_A_SESSION_ID] = { .type = NLA_U32 },
	[XRELAY_A_SESSION_INSTANCE] = { .type = NLA_U32 },
	[XRELAY_A_SESSION_NETWORK] = { .type = NLA_U32 },
	[XRELAY_A_SESSION_IDLE_TIMEOUT] = { .type = NLA_U32 },
	[XRELAY_A_SESSION_LIFETIME] = { .type = NLA_U32 },
	[XRELAY_A_SESSION_SIDE_A] = { .type = NLA_NESTED },
	[XRELAY_A_SESSION_SIDE_B] = { .type = NLA_NESTED },
	[XRELAY_A_SESSION_AGE_MSECS] = { .type = NLA_U64 },
	[XRELAY_A_SESSION_EXPIRE_REASON] = { .type = NLA_U8 },
	[XRELAY_A_SESSION_PORT] = { .type = NLA_U16 },
	[XRELAY_A_SESSION_RATE_LIMIT] = { .type = NLA_NESTED },
	[XRELAY_A_SESSION_QUOTA] = { .type = NLA_U64 },
	[XRELAY_A_SESSION_PROTOCOL] = { .type = NLA_U8 },
};

const struct nla_policy xr_netns_policy[XRELAY_A_NETNS_MAX + 1] = {
	[XRELAY_A_NETNS_SESSION_LIMIT] = { .type = NLA_U32 },
	[XRELAY_A_NETNS_SESSIONS] = { .type = NLA_U32 },
	[XRELAY_A_NETNS_INSTANCES] = { .type = NLA_U32 },
	[XRELAY_A_NETNS_NETWORKS] = { .type = NLA_U32 },
	[XRELAY_A_NETNS_STATS] = { .type = NLA_NESTED },
};

const struct nla_policy xr_prefix_policy[XRELAY_A_PREFIX_MAX + 1] = {
	[XRELAY_A_PREFIX_IPV4] = { .type = NLA_U32 },
	[XRELAY_A_PREFIX_IPV6] = IPV6_ATTR,
	[XRELAY_A_PREFIX_LEN] = { .type = NLA_U8 },
};

const struct nla_policy xr_rate_policy[XRELAY_A_RATE_MAX + 1] = {
	[XRELAY_A_RATE_PACKETS_PER_SECOND ... XRELAY_A_RATE_MAX] = { .type = NLA_U64 },
};

/* The admission nests are walked, not parsed: their allow and deny repeat. */
const struct nla_policy xr_network_policy[XRELAY_A_NETWORK_MAX + 1] = {
	[XRELAY_A_NETWORK_ID] = { .type = NLA_U32 },
	[XRELAY_A_NETWORK_ADMISSION] = { .type = NLA_NESTED },
	[XRELAY_A_NETWORK_RATE_LIMIT] = { .type = NLA_NESTED },
	[XRELAY_A_NETWORK_SESSION_RATE_LIMIT] = { .type = NLA_NESTED },
	[XRELAY_A_NETWORK_SESSION_QUOTA] = { .type = NLA_U64 },
	[XRELAY_A_NETWORK_MAX_SESSIONS] = { .type = NLA_U32 },
	[XRELAY_A_NETWORK_PROTOCOL] = { .type = NLA_U8 },
	[XRELAY_A_NETWORK_HUB] = { .type = NLA_NESTED },
	[XRELAY_A_NETWORK_SESSIONS] = { .type = NLA_U32 },
	[XRELAY_A_NETWORK_STATS] = { .type = NLA_NESTED },
};

const struct nla_policy xr_policy_drop_policy[XRELAY_A_POLICY_DROP_MAX + 1] = {
	[XRELAY_A_POLICY_DROP_SESSION] = { .type = NLA_U32 },
	[XRELAY_A_POLICY_DROP_NETWORK] = { .type = NLA_U32 },
	[XRELAY_A_POLICY_DROP_SIDE] = { .type = NLA_U8 },
	[XRELAY_A_POLICY_DROP_REASON] = { .type = NLA_U8 },
	[XRELAY_A_POLICY_DROP_SOURCE_IPV4] = { .type = NLA_U32 },
	[XRELAY_A_POLICY_DROP_SOURCE_IPV6] = IPV6_ATTR,
	[XRELAY_A_POLICY_DROP_SOURCE_PORT] = { .type = NLA_U16 },
	[XRELAY_A_POLICY_DROP_DESTINATION_IPV4] = { .type = NLA_U32 },
	[XRELAY_A_POLICY_DROP_DESTINATION_IPV6] = IPV6_ATTR,
	[XRELAY_A_POLICY_DROP_DESTINATION_PORT] = { .type = NLA_U16 },
	[XRELAY_A_POLICY_DROP_PROTOCOL] = { .type = NLA_U8 },
	[XRELAY_A_POLICY_DROP_RULE] = { .type = NLA_U32 },
};

/* A hub's interfaces, groups and rules repeat: walk them, a parse keeps the last. */
const struct nla_policy xr_hub_policy[XRELAY_A_HUB_MAX + 1] = {
	[XRELAY_A_HUB_INTERFACE] = { .type = NLA_STRING },
	[XRELAY_A_HUB_DEFAULT] = { .type = NLA_U8 },
	[XRELAY_A_HUB_GROUP] = { .type = NLA_NESTED },
	[XRELAY_A_HUB_RULE] = { .type = NLA_NESTED },
	[XRELAY_A_HUB_DEFAULT_HITS] = { .type = NLA_U64 },
};

const struct nla_policy xr_hub_group_policy[XRELAY_A_HUB_GROUP_MAX + 1] = {
	[XRELAY_A_HUB_GROUP_NAME] = { .type = NLA_STRING },
	[XRELAY_A_HUB_GROUP_MEMBER] = { .type = NLA_NESTED },
};

const struct nla_policy xr_hub_rule_policy[XRELAY_A_HUB_RULE_MAX + 1] = {
	[XRELAY_A_HUB_RULE_ACTION] = { .type = NLA_U8 },
	[XRELAY_A_HUB_RULE_FROM_GROUP] = { .type = NLA_STRING },
	[XRELAY_A_HUB_RULE_FROM_PREFIX] = { .type = NLA_NESTED },
	[XRELAY_A_HUB_RULE_TO_GROUP] = { .type = NLA_STRING },
	[XRELAY_A_HUB_RULE_TO_PREFIX] = { .type = NLA_NESTED },
	[XRELAY_A_HUB_RULE_PROTOCOL] = { .type = NLA_U8 },
	[XRELAY_A_HUB_RULE_PORT_MIN] = { .type = NLA_U16 },
	[XRELAY_A_HUB_RULE_PORT_MAX] = { .type = NLA_U16 },
	[XRELAY_A_HUB_RULE_HITS] = { .type = NLA_U64 },
};

int xr_attr_parse(struct nlmsghdr *nlh, int maxtype, const struct nla_policy *policy,
		  struct nlattr **tb)
{
	return genlmsg_parse(nlh, 0, tb, maxtype, policy) ? -EPROTO : 0;
}

int xr_attr_parse_nested(struct nlattr *nest, int maxtype, const struct nla_policy *policy,
			 struct nlattr **tb)
{
	return nla_parse_nested(tb, maxtype, nest, policy) ? -EPROTO : 0;
}

int xr_stats_get(struct nlattr *nest, struct xr_stats *stats)
{
	struct nlattr *tb[XRELAY_A_STATS_MAX + 1];
	int i;

	memset(stats, 0, sizeof(*stats));
	if (!nest)
		return 0;
	if (xr_attr_parse_nested(nest, XRELAY_A_STATS_MAX, xr_stats_policy, tb))
		return -EPROTO;
	for (i = 1; i <= XRELAY_A_STATS_MAX; i++)
		stats->counter[i] = xr_attr_u64(tb[i]);
	return 0;
}

uint8_t xr_attr_u8(struct nlattr *attr)
{
	return attr ? nla_get_u8(attr) : 0;
}

uint16_t xr_attr_u16(struct nlattr *attr)
{
	return attr ? nla_get_u16(attr) : 0;
}

uint32_t xr_attr_u32(struct nlattr *attr)
{
	return attr ? nla_get_u32(attr) : 0;
}

uint64_t xr_attr_u64(struct nlattr *attr)
{
	return attr ? nla_get_u64(attr) : 0;
}

int xr_attr_get_addr(struct nlattr *v4, struct nlattr *v6, struct xr_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (v4) {
		addr->family = AF_INET;
		memcpy(&addr->v4, nla_data(v4), sizeof(addr->v4));
	} else if (v6) {
		addr->family = AF_INET6;
		memcpy(&addr->v6, nla_data(v6), sizeof(addr->v6));
	} else {
		return -ENOENT;
	}
	return 0;
}

int xr_attr_put_addr(struct nl_msg *msg, int type_v4, int type_v6,
		     const struct xr_addr *addr)
{
	if (addr->family == AF_INET)
		return nla_put(msg, type_v4, sizeof(addr->v4), &addr->v4);
	return nla_put(msg, type_v6, sizeof(addr->v6), &addr->v6);
}
