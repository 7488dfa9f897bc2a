// SPDX-License-Identifier: GPL-2.0-only
/*
 * A network's hub, as network show reports it: the overlay interfaces the
 * relay forwards for, its groups, and its rules with their hit counters,
 * in the words of the ruleset file (see ruleset.c).
 */
#include <errno.h>
#include <stdio.h>
#include <netlink/genl/genl.h>

#include "xrelayctl.h"

const char *ip_protocol_name(uint8_t protocol, char *buf)
{
	static const char *const names[256] = {
		[1] = "icmp", [6] = "tcp", [17] = "udp", [58] = "ipv6-icmp",
		[132] = "sctp", [136] = "udplite",
	};

	if (names[protocol])
		return names[protocol];
	snprintf(buf, 4, "%u", protocol);
	return buf;
}

/* "    group admins 192.0.2.0/24 192.0.2.128/25" */
static int group_print(struct nlattr *nest)
{
	struct nlattr *tb[XRELAY_A_HUB_GROUP_MAX + 1];
	char text[XR_PREFIX_STRLEN];
	struct xr_prefix member;
	struct nlattr *attr;
	int rem;

	if (xr_attr_parse_nested(nest, XRELAY_A_HUB_GROUP_MAX, xr_hub_group_policy, tb) ||
	    !tb[XRELAY_A_HUB_GROUP_NAME])
		return -EPROTO;
	out_obj_open(NULL);
	out_str("name", "    group %s", nla_get_string(tb[XRELAY_A_HUB_GROUP_NAME]));
	out_arr_open("members");
	nla_for_each_nested(attr, nest, rem) {
		if (nla_type(attr) != XRELAY_A_HUB_GROUP_MEMBER)
			continue;
		if (prefix_get(attr, &member))
			return -EPROTO;
		out_elem_str(" %s", xr_prefix_format(&member, text));
	}
	out_arr_close();
	out_text("\n");
	out_obj_close();
	return 0;
}

/* " from admins", " from 10.0.0.0/8" or " from any" */
static int rule_end_print(struct nlattr *group, struct nlattr *prefix_nest,
			  const char *group_key, const char *prefix_key, const char *fmt)
{
	char text[XR_PREFIX_STRLEN];
	struct xr_prefix prefix;

	if (group) {
		out_str(group_key, fmt, nla_get_string(group));
	} else if (prefix_nest) {
		if (prefix_get(prefix_nest, &prefix))
			return -EPROTO;
		out_str(prefix_key, fmt, xr_prefix_format(&prefix, text));
	} else {
		out_text(fmt, "any");
	}
	return 0;
}

/* "    rule 1: allow from admins to any proto tcp port 22 (5 hits)" */
static int rule_print(struct nlattr *nest, unsigned int number)
{
	struct nlattr *tb[XRELAY_A_HUB_RULE_MAX + 1];
	char protocol_text[4];
	uint16_t port_min, port_max;
	uint8_t protocol;

	if (xr_attr_parse_nested(nest, XRELAY_A_HUB_RULE_MAX, xr_hub_rule_policy, tb))
		return -EPROTO;
	out_obj_open(NULL);
	out_text("    rule %u: ", number);
	out_str("action", "%s", xr_attr_u8(tb[XRELAY_A_HUB_RULE_ACTION]) == XRELAY_ACL_ACTION_DENY ?
		"deny" : "allow");
	if (rule_end_print(tb[XRELAY_A_HUB_RULE_FROM_GROUP], tb[XRELAY_A_HUB_RULE_FROM_PREFIX],
			   "from_group", "from_prefix", " from %s") ||
	    rule_end_print(tb[XRELAY_A_HUB_RULE_TO_GROUP], tb[XRELAY_A_HUB_RULE_TO_PREFIX],
			   "to_group", "to_prefix", " to %s"))
		return -EPROTO;
	if (tb[XRELAY_A_HUB_RULE_PROTOCOL]) {
		protocol = nla_get_u8(tb[XRELAY_A_HUB_RULE_PROTOCOL]);
		out_uint("protocol", NULL, protocol);
		out_text(" proto %s", ip_protocol_name(protocol, protocol_text));
	}
	if (tb[XRELAY_A_HUB_RULE_PORT_MIN]) {
		port_min = nla_get_u16(tb[XRELAY_A_HUB_RULE_PORT_MIN]);
		port_max = xr_attr_u16(tb[XRELAY_A_HUB_RULE_PORT_MAX]);
		out_uint("port_min", " port %llu", port_min);
		out_uint("port_max", port_max != port_min ? "-%llu" : NULL, port_max);
	}
	out_uint("hits", " (%llu hits)\n", xr_attr_u64(tb[XRELAY_A_HUB_RULE_HITS]));
	out_obj_close();
	return 0;
}

/*
 * The entries of @type in every hub nest of the network reply @nlh: a long
 * ruleset comes in several.
 */
#define hub_for_each_entry(attr, type, nest, nlh, rem, nest_rem)			\
	nla_for_each_attr(nest, genlmsg_attrdata(nlmsg_data(nlh), 0),			\
			  genlmsg_attrlen(nlmsg_data(nlh), 0), nest_rem)		\
		if (nla_type(nest) == XRELAY_A_NETWORK_HUB)				\
			nla_for_each_nested(attr, nest, rem)				\
				if (nla_type(attr) == (type))

/*
 * "  hub: interfaces wg-corp,wg-site default locked (3 hits)", then a line
 * per group and per rule, rules numbered from 1 as drop events name them.
 */
int hub_print(struct nlmsghdr *nlh)
{
	struct nlattr *tb[XRELAY_A_HUB_MAX + 1];
	struct nlattr *def = NULL, *def_hits = NULL;
	const char *sep = " ";
	unsigned int rules = 0;
	struct nlattr *nest, *attr;
	int rem, nest_rem;
	bool has_hub = false;

	/* Checks every nest; the default and its hits are in one of them. */
	nla_for_each_attr(nest, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), nest_rem) {
		if (nla_type(nest) != XRELAY_A_NETWORK_HUB)
			continue;
		if (xr_attr_parse_nested(nest, XRELAY_A_HUB_MAX, xr_hub_policy, tb))
			return -EPROTO;
		has_hub = true;
		def = tb[XRELAY_A_HUB_DEFAULT] ?: def;
		def_hits = tb[XRELAY_A_HUB_DEFAULT_HITS] ?: def_hits;
	}
	if (!has_hub)
		return 0;
	out_obj_open("hub");
	out_text("  hub: interfaces");
	out_arr_open("interfaces");
	hub_for_each_entry(attr, XRELAY_A_HUB_INTERFACE, nest, nlh, rem, nest_rem) {
		out_text("%s", sep);
		out_elem_str("%s", nla_get_string(attr));
		sep = ",";
	}
	out_arr_close();
	out_str("default", " default %s",
		xr_attr_u8(def) == XRELAY_HUB_DEFAULT_LOCKED ? "locked" : "open");
	out_uint("default_hits", " (%llu hits)\n", xr_attr_u64(def_hits));
	out_arr_open("groups");
	hub_for_each_entry(attr, XRELAY_A_HUB_GROUP, nest, nlh, rem, nest_rem)
		if (group_print(attr))
			return -EPROTO;
	out_arr_close();
	out_arr_open("rules");
	hub_for_each_entry(attr, XRELAY_A_HUB_RULE, nest, nlh, rem, nest_rem)
		if (rule_print(attr, ++rules))
			return -EPROTO;
	out_arr_close();
	out_obj_close();
	return 0;
}
