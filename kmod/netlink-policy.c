// SPDX-License-Identifier: GPL-2.0-only
/*
 * The overlay-policy half of the netlink family: network objects, and the
 * admission lists, rate limits, quotas and protocol guards that networks
 * and sessions carry, parsed from requests and reported back.
 */

#include <linux/bsearch.h>
#include <linux/netdevice.h>
#include <linux/sort.h>
#include <net/genetlink.h>

#include "datapath.h"
#include "netlink-gen.h"
#include "netlink.h"
#include "netns.h"
#include "network.h"
#include "session.h"

/**
 * xrelay_nl_prefix_len() - complete a prefix from its length attribute
 * @info: the request, for the error message
 * @addr_attr: the attribute holding the prefix's address
 * @len_attr: the prefix length, counted on the address as given
 * @prefix: its address already set; gets the length of the mapped form
 *
 * Return: 0, -ERANGE for a length past the family's width, or -EINVAL for
 * a prefix with host bits set.
 */
int xrelay_nl_prefix_len(struct genl_info *info, struct nlattr *addr_attr,
			 struct nlattr *len_attr, struct xrelay_prefix *prefix)
{
	unsigned int len = nla_get_u8(len_attr);
	unsigned int max = xrelay_addr_is_v4(&prefix->addr) ? 32 : 128;
	struct in6_addr masked;

	if (len > max) {
		XRELAY_ERR(info, len_attr, "prefix length exceeds 32 for an IPv4 prefix");
		return -ERANGE;
	}
	prefix->len = len + 128 - max;
	ipv6_addr_prefix(&masked, &prefix->addr, prefix->len);
	if (!ipv6_addr_equal(&masked, &prefix->addr)) {
		XRELAY_ERR(info, addr_attr, "prefix has host bits set");
		return -EINVAL;
	}
	return 0;
}

static int xrelay_nl_get_prefix_nest(struct genl_info *info, struct nlattr *nest,
				     struct xrelay_prefix *prefix)
{
	struct nlattr *tb[XRELAY_A_PREFIX_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, XRELAY_A_PREFIX_MAX, nest, xrelay_prefix_nl_policy,
			       info->extack);
	if (ret)
		return ret;
	ret = xrelay_nl_get_addr(info, tb[XRELAY_A_PREFIX_IPV4], tb[XRELAY_A_PREFIX_IPV6],
				 &prefix->addr);
	if (ret == -ENOENT) {
		XRELAY_ERR(info, nest, "prefix needs ipv4 or ipv6");
		return -EINVAL;
	}
	if (ret == -EINVAL) {
		XRELAY_ERR(info, nest, "give only one of ipv4 and ipv6 in a prefix");
		return ret;
	}
	if (ret)
		return ret;
	if (!tb[XRELAY_A_PREFIX_LEN]) {
		XRELAY_ERR(info, nest, "prefix needs len");
		return -EINVAL;
	}
	return xrelay_nl_prefix_len(info, tb[XRELAY_A_PREFIX_IPV4] ?: tb[XRELAY_A_PREFIX_IPV6],
				    tb[XRELAY_A_PREFIX_LEN], prefix);
}

/* From @*nest on, the first nest of @type holding an entry: its first entry, or NULL. */
static struct nlattr *xrelay_nl_entry_from(struct nlattr **nest, int *nest_rem, int *rem,
					   int type)
{
	for (; nla_ok(*nest, *nest_rem); *nest = nla_next(*nest, nest_rem)) {
		*rem = nla_len(*nest);
		if (nla_type(*nest) == type && nla_ok(nla_data(*nest), *rem))
			return nla_data(*nest);
	}
	return NULL;
}

static struct nlattr *xrelay_nl_entry_next(struct nlattr *entry, struct nlattr **nest,
					   int *nest_rem, int *rem, int type)
{
	entry = nla_next(entry, rem);
	if (nla_ok(entry, *rem))
		return entry;
	*nest = nla_next(*nest, nest_rem);
	return xrelay_nl_entry_from(nest, nest_rem, rem, type);
}

/*
 * One attribute holds at most 64 KiB, so long lists come as several
 * attributes of the same type, taken together: iterate over the nests of
 * @type among the attributes at @head (@len bytes), and the entries in them.
 * One loop, with no if in the macro to take an else that follows it.
 */
#define xrelay_nl_for_each_entry(entry, nest, head, len, type, rem, nest_rem)		\
	for (nest = (head), nest_rem = (len),						\
	     entry = xrelay_nl_entry_from(&nest, &nest_rem, &rem, type);			\
	     entry; entry = xrelay_nl_entry_next(entry, &nest, &nest_rem, &rem, type))

/*
 * The admission nests of @type at @head into compiled lists of at most @max
 * prefixes each; *@adm stays NULL when both lists are empty.
 */
static int xrelay_nl_get_admission(struct genl_info *info, struct nlattr *head, int len,
				   int type, u32 max, struct xrelay_admission **adm)
{
	u32 count[2] = {}, next[2];
	struct nlattr *nest, *attr;
	int rem, nest_rem, ret;
	bool deny;

	*adm = NULL;
	xrelay_nl_for_each_entry(attr, nest, head, len, type, rem, nest_rem) {
		deny = nla_type(attr) == XRELAY_A_ADMISSION_DENY;
		if (++count[deny] > max) {
			XRELAY_ERR(info, attr, "too many prefixes in an admission list");
			return -E2BIG;
		}
	}
	if (!count[0] && !count[1])
		return 0;
	*adm = xrelay_admission_alloc(count[0], count[1]);
	if (!*adm)
		return -ENOMEM;
	next[0] = 0;
	next[1] = count[0];
	xrelay_nl_for_each_entry(attr, nest, head, len, type, rem, nest_rem) {
		deny = nla_type(attr) == XRELAY_A_ADMISSION_DENY;
		ret = xrelay_nl_get_prefix_nest(info, attr, &(*adm)->prefixes[next[deny]++]);
		if (ret)
			goto err;
	}
	ret = xrelay_admission_build(*adm);
	if (!ret)
		return 0;
err:
	xrelay_admission_free(*adm);
	*adm = NULL;
	return ret;
}

static int xrelay_nl_get_hub_group(struct genl_info *info, struct nlattr *nest,
				   struct xrelay_hub_group *group)
{
	struct nlattr *tb[XRELAY_A_HUB_GROUP_MAX + 1];
	struct nlattr *attr;
	u32 n = 0, i = 0;
	int rem, ret;

	ret = nla_parse_nested(tb, XRELAY_A_HUB_GROUP_MAX, nest, xrelay_hub_group_nl_policy,
			       info->extack);
	if (ret)
		return ret;
	if (!tb[XRELAY_A_HUB_GROUP_NAME] || !nla_len(tb[XRELAY_A_HUB_GROUP_NAME]) ||
	    !*(char *)nla_data(tb[XRELAY_A_HUB_GROUP_NAME])) {
		XRELAY_ERR(info, nest, "hub group needs a name");
		return -EINVAL;
	}
	nla_strscpy(group->name, tb[XRELAY_A_HUB_GROUP_NAME], sizeof(group->name));
	nla_for_each_nested(attr, nest, rem)
		n += nla_type(attr) == XRELAY_A_HUB_GROUP_MEMBER;
	if (!n) {
		XRELAY_ERR(info, nest, "hub group needs at least one member");
		return -EINVAL;
	}
	if (n > XRELAY_MAX_GROUP_MEMBERS) {
		XRELAY_ERR(info, nest, "too many members in a hub group");
		return -E2BIG;
	}
	group->members = xrelay_admission_alloc(n, 0);
	if (!group->members)
		return -ENOMEM;
	nla_for_each_nested(attr, nest, rem) {
		if (nla_type(attr) != XRELAY_A_HUB_GROUP_MEMBER)
			continue;
		ret = xrelay_nl_get_prefix_nest(info, attr, &group->members->prefixes[i++]);
		if (ret)
			return ret;
	}
	return xrelay_admission_build(group->members);
}

/* A rule's own prefix, as an unnamed group of one. */
static int xrelay_nl_get_hub_prefix(struct genl_info *info, struct nlattr *nest,
				    struct xrelay_hub_group *group)
{
	int ret;

	group->members = xrelay_admission_alloc(1, 0);
	if (!group->members)
		return -ENOMEM;
	ret = xrelay_nl_get_prefix_nest(info, nest, &group->members->prefixes[0]);
	return ret ?: xrelay_admission_build(group->members);
}

static int xrelay_hub_group_cmp(const void *a, const void *b)
{
	const struct xrelay_hub_group *x = *(const struct xrelay_hub_group **)a;
	const struct xrelay_hub_group *y = *(const struct xrelay_hub_group **)b;

	return strcmp(x->name, y->name);
}

static int xrelay_hub_group_key_cmp(const void *key, const void *elt)
{
	return strcmp(key, (*(const struct xrelay_hub_group **)elt)->name);
}

/* Resolve a rule's source or destination: a named group, its own prefix, or any. */
static int xrelay_nl_get_hub_end(struct genl_info *info, struct nlattr *name,
				 struct nlattr *prefix, struct xrelay_hub *hub,
				 struct xrelay_hub_group **by_name, u32 n_named, u32 *next_group,
				 s32 *end)
{
	struct xrelay_hub_group **found;
	int ret;

	*end = -1;
	if (name && prefix) {
		XRELAY_ERR(info, prefix, "give a rule's group or its prefix, not both");
		return -EINVAL;
	}
	if (prefix) {
		ret = xrelay_nl_get_hub_prefix(info, prefix, &hub->groups[*next_group]);
		if (ret)
			return ret;
		*end = (*next_group)++;
	} else if (name) {
		found = bsearch(nla_data(name), by_name, n_named, sizeof(*by_name),
				xrelay_hub_group_key_cmp);
		if (!found) {
			XRELAY_ERR(info, name, "rule names a group the hub does not have");
			return -EINVAL;
		}
		*end = *found - hub->groups;
	}
	return 0;
}

static bool xrelay_hub_ports_protocol(u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP ||
	       protocol == IPPROTO_UDPLITE || protocol == IPPROTO_SCTP;
}

static int xrelay_nl_get_hub_rule(struct genl_info *info, struct nlattr *nest,
				  struct xrelay_hub *hub, struct xrelay_hub_group **by_name,
				  u32 n_named, u32 *next_group, struct xrelay_hub_rule *rule)
{
	struct nlattr *tb[XRELAY_A_HUB_RULE_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, XRELAY_A_HUB_RULE_MAX, nest, xrelay_hub_rule_nl_policy,
			       info->extack);
	if (ret)
		return ret;
	if (tb[XRELAY_A_HUB_RULE_HITS]) {
		XRELAY_ERR(info, tb[XRELAY_A_HUB_RULE_HITS], "rule hits are read-only");
		return -EINVAL;
	}
	if (!tb[XRELAY_A_HUB_RULE_ACTION]) {
		XRELAY_ERR(info, nest, "rule needs an action");
		return -EINVAL;
	}
	rule->allow = nla_get_u8(tb[XRELAY_A_HUB_RULE_ACTION]) == XRELAY_ACL_ACTION_ALLOW;
	if (tb[XRELAY_A_HUB_RULE_PROTOCOL])
		rule->protocol = nla_get_u8(tb[XRELAY_A_HUB_RULE_PROTOCOL]);
	if (tb[XRELAY_A_HUB_RULE_PORT_MAX] && !tb[XRELAY_A_HUB_RULE_PORT_MIN]) {
		XRELAY_ERR(info, tb[XRELAY_A_HUB_RULE_PORT_MAX], "port-max needs port-min");
		return -EINVAL;
	}
	if (tb[XRELAY_A_HUB_RULE_PORT_MIN]) {
		if (!xrelay_hub_ports_protocol(rule->protocol)) {
			XRELAY_ERR(info, tb[XRELAY_A_HUB_RULE_PORT_MIN],
				   "ports need protocol tcp, udp, udplite or sctp");
			return -EINVAL;
		}
		rule->port_min = nla_get_u16(tb[XRELAY_A_HUB_RULE_PORT_MIN]);
		rule->port_max = tb[XRELAY_A_HUB_RULE_PORT_MAX] ?
				 nla_get_u16(tb[XRELAY_A_HUB_RULE_PORT_MAX]) : rule->port_min;
		if (rule->port_max < rule->port_min) {
			XRELAY_ERR(info, tb[XRELAY_A_HUB_RULE_PORT_MAX],
				   "port-max is below port-min");
			return -EINVAL;
		}
	}
	ret = xrelay_nl_get_hub_end(info, tb[XRELAY_A_HUB_RULE_FROM_GROUP],
				    tb[XRELAY_A_HUB_RULE_FROM_PREFIX], hub, by_name, n_named,
				    next_group, &rule->from);
	return ret ?: xrelay_nl_get_hub_end(info, tb[XRELAY_A_HUB_RULE_TO_GROUP],
					    tb[XRELAY_A_HUB_RULE_TO_PREFIX], hub, by_name,
					    n_named, next_group, &rule->to);
}

static int xrelay_nl_get_hub_interface(struct genl_info *info, struct nlattr *attr,
				       struct xrelay_hub *hub, u32 i)
{
	nla_strscpy(hub->interfaces[i], attr, IFNAMSIZ);
	/* A name no interface can have would govern nothing: a typo, or worse. */
	if (!dev_valid_name(hub->interfaces[i])) {
		XRELAY_ERR(info, attr, "hub interface name is not one an interface can have");
		return -EINVAL;
	}
	return 0;
}

/* A request's hub attributes, taken together: a long ruleset needs several. */
#define xrelay_nl_for_each_hub_entry(entry, nest, info, rem, nest_rem)			\
	xrelay_nl_for_each_entry(entry, nest, nlmsg_attrdata((info)->nlhdr, GENL_HDRLEN),	\
				 nlmsg_attrlen((info)->nlhdr, GENL_HDRLEN),			\
				 XRELAY_A_NETWORK_HUB, rem, nest_rem)

/* The @i-th interface attribute of a request's hub. */
static struct nlattr *xrelay_nl_hub_interface_attr(struct genl_info *info, u32 i)
{
	struct nlattr *nest, *attr;
	int rem, nest_rem;

	xrelay_nl_for_each_hub_entry(attr, nest, info, rem, nest_rem)
		if (nla_type(attr) == XRELAY_A_HUB_INTERFACE && !i--)
			return attr;
	return NULL;
}

/* Counts a hub's entries of each kind, the rules' own prefixes among the groups. */
static int xrelay_nl_count_hub(struct genl_info *info, u32 *interfaces, u32 *named,
			       u32 *groups, u32 *rules)
{
	struct nlattr *nest, *attr;
	int rem, nest_rem;

	*interfaces = *named = *groups = *rules = 0;
	xrelay_nl_for_each_hub_entry(attr, nest, info, rem, nest_rem) {
		switch (nla_type(attr)) {
		case XRELAY_A_HUB_INTERFACE:
			if (++*interfaces > XRELAY_MAX_HUB_INTERFACES) {
				XRELAY_ERR(info, attr, "too many interfaces in a hub");
				return -E2BIG;
			}
			break;
		case XRELAY_A_HUB_GROUP:
			if (++*named > XRELAY_MAX_HUB_GROUPS) {
				XRELAY_ERR(info, attr, "too many groups in a hub");
				return -E2BIG;
			}
			++*groups;
			break;
		case XRELAY_A_HUB_RULE:
			/* Every packet may meet every rule: their number is its cost. */
			if (++*rules > XRELAY_MAX_HUB_RULES) {
				XRELAY_ERR(info, attr, "too many rules in a hub");
				return -E2BIG;
			}
			*groups += !!nla_find_nested(attr, XRELAY_A_HUB_RULE_FROM_PREFIX) +
				   !!nla_find_nested(attr, XRELAY_A_HUB_RULE_TO_PREFIX);
			break;
		}
	}
	if (!*interfaces) {
		XRELAY_ERR(info, info->attrs[XRELAY_A_NETWORK_HUB],
			   "hub needs at least one interface");
		return -EINVAL;
	}
	return 0;
}

static int xrelay_nl_get_hub(struct genl_info *info, struct xrelay_hub **hubp)
{
	u32 n_interfaces, n_named, n_groups, n_rules, i = 0, g = 0, r = 0;
	struct xrelay_hub_group **by_name = NULL;
	struct nlattr *nest, *attr;
	struct xrelay_hub *hub;
	int rem, nest_rem, ret, dup;

	*hubp = NULL;
	ret = xrelay_nl_count_hub(info, &n_interfaces, &n_named, &n_groups, &n_rules);
	if (ret)
		return ret;
	hub = xrelay_hub_alloc(n_interfaces, n_groups, n_rules);
	by_name = kvmalloc_array(n_named, sizeof(*by_name), GFP_KERNEL);
	if (!hub || !by_name) {
		ret = -ENOMEM;
		goto err;
	}
	xrelay_nl_for_each_hub_entry(attr, nest, info, rem, nest_rem) {
		switch (nla_type(attr)) {
		case XRELAY_A_HUB_DEFAULT:
			hub->locked = nla_get_u8(attr) == XRELAY_HUB_DEFAULT_LOCKED;
			break;
		case XRELAY_A_HUB_INTERFACE:
			ret = xrelay_nl_get_hub_interface(info, attr, hub, i++);
			break;
		case XRELAY_A_HUB_GROUP:
			ret = xrelay_nl_get_hub_group(info, attr, &hub->groups[g++]);
			break;
		case XRELAY_A_HUB_DEFAULT_HITS:
			XRELAY_ERR(info, attr, "hub default-hits is read-only");
			ret = -EINVAL;
			break;
		}
		if (ret)
			goto err;
	}
	dup = xrelay_hub_sort_interfaces(hub);
	if (dup >= 0) {
		XRELAY_ERR(info, xrelay_nl_hub_interface_attr(info, dup),
			   "hub lists an interface twice");
		ret = -EINVAL;
		goto err;
	}
	for (i = 0; i < n_named; i++)
		by_name[i] = &hub->groups[i];
	sort(by_name, n_named, sizeof(*by_name), xrelay_hub_group_cmp, NULL);
	for (i = 1; i < n_named; i++) {
		if (!strcmp(by_name[i - 1]->name, by_name[i]->name)) {
			XRELAY_ERR(info, info->attrs[XRELAY_A_NETWORK_HUB],
				   "hub has two groups of the same name");
			ret = -EINVAL;
			goto err;
		}
	}
	xrelay_nl_for_each_hub_entry(attr, nest, info, rem, nest_rem) {
		if (nla_type(attr) != XRELAY_A_HUB_RULE)
			continue;
		ret = xrelay_nl_get_hub_rule(info, attr, hub, by_name, n_named, &g,
					     &hub->rules[r++]);
		if (ret)
			goto err;
	}
	kvfree(by_name);
	*hubp = hub;
	return 0;
err:
	kvfree(by_name);
	xrelay_hub_free(hub);
	return ret;
}

static int xrelay_nl_get_rate(struct genl_info *info, struct nlattr *nest,
			      struct xrelay_rate *rate)
{
	struct nlattr *tb[XRELAY_A_RATE_MAX + 1];
	int ret;

	memset(rate, 0, sizeof(*rate));
	if (!nest)
		return 0;
	ret = nla_parse_nested(tb, XRELAY_A_RATE_MAX, nest, xrelay_rate_nl_policy, info->extack);
	if (ret)
		return ret;
	if (tb[XRELAY_A_RATE_BURST_PACKETS] && !tb[XRELAY_A_RATE_PACKETS_PER_SECOND]) {
		XRELAY_ERR(info, tb[XRELAY_A_RATE_BURST_PACKETS],
			   "burst-packets needs packets-per-second");
		return -EINVAL;
	}
	if (tb[XRELAY_A_RATE_BURST_BYTES] && !tb[XRELAY_A_RATE_BITS_PER_SECOND]) {
		XRELAY_ERR(info, tb[XRELAY_A_RATE_BURST_BYTES], "burst-bytes needs bits-per-second");
		return -EINVAL;
	}
	if (!tb[XRELAY_A_RATE_PACKETS_PER_SECOND] && !tb[XRELAY_A_RATE_BITS_PER_SECOND]) {
		XRELAY_ERR(info, nest, "rate limit needs packets-per-second or bits-per-second");
		return -EINVAL;
	}
	if (tb[XRELAY_A_RATE_PACKETS_PER_SECOND])
		rate->packets_per_second = nla_get_u64(tb[XRELAY_A_RATE_PACKETS_PER_SECOND]);
	if (tb[XRELAY_A_RATE_BURST_PACKETS])
		rate->burst_packets = nla_get_u64(tb[XRELAY_A_RATE_BURST_PACKETS]);
	if (tb[XRELAY_A_RATE_BITS_PER_SECOND])
		rate->bits_per_second = nla_get_u64(tb[XRELAY_A_RATE_BITS_PER_SECOND]);
	if (tb[XRELAY_A_RATE_BURST_BYTES])
		rate->burst_bytes = nla_get_u64(tb[XRELAY_A_RATE_BURST_BYTES]);
	xrelay_rate_init(rate);
	return 0;
}

/*
 * The attributes networks and sessions share; @rate_type is where each
 * session's rate limit is: the network's default or the session's own.
 */
static int xrelay_nl_get_policy_common(struct genl_info *info, struct xrelay_policy *policy,
				       int rate_type, int quota_type, int protocol_type)
{
	struct nlattr **attrs = info->attrs;

	if (attrs[quota_type])
		policy->session_quota = nla_get_u64(attrs[quota_type]);
	if (attrs[protocol_type]) {
		policy->protocol = nla_get_u8(attrs[protocol_type]);
		policy->has_protocol = true;
	}
	return xrelay_nl_get_rate(info, attrs[rate_type], &policy->session_rate);
}

static struct xrelay_policy *xrelay_nl_get_network_policy(struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct xrelay_policy *policy;
	int ret;

	policy = kzalloc(sizeof(*policy), GFP_KERNEL_ACCOUNT);
	if (!policy)
		return ERR_PTR(-ENOMEM);
	ret = xrelay_nl_get_policy_common(info, policy, XRELAY_A_NETWORK_SESSION_RATE_LIMIT,
					  XRELAY_A_NETWORK_SESSION_QUOTA,
					  XRELAY_A_NETWORK_PROTOCOL);
	if (!ret)
		ret = xrelay_nl_get_rate(info, attrs[XRELAY_A_NETWORK_RATE_LIMIT], &policy->rate);
	if (!ret)
		ret = xrelay_nl_get_admission(info, nlmsg_attrdata(info->nlhdr, GENL_HDRLEN),
					      nlmsg_attrlen(info->nlhdr, GENL_HDRLEN),
					      XRELAY_A_NETWORK_ADMISSION, XRELAY_MAX_PREFIXES,
					      &policy->admission[0]);
	if (!ret && attrs[XRELAY_A_NETWORK_HUB])
		ret = xrelay_nl_get_hub(info, &policy->hub);
	if (ret) {
		xrelay_policy_free(policy);
		return ERR_PTR(ret);
	}
	if (attrs[XRELAY_A_NETWORK_MAX_SESSIONS])
		policy->max_sessions = nla_get_u32(attrs[XRELAY_A_NETWORK_MAX_SESSIONS]);
	return policy;
}

/**
 * xrelay_nl_get_session_policy() - a session-new request's own policy
 * @info: the request, its side nests already validated
 * @policy: set to the policy, or NULL when the request sets none
 *
 * Return: 0 or a negative errno, with the message set.
 */
int xrelay_nl_get_session_policy(struct genl_info *info, struct xrelay_policy **policy)
{
	static const int sides[2] = { XRELAY_A_SESSION_SIDE_A, XRELAY_A_SESSION_SIDE_B };
	struct nlattr **attrs = info->attrs;
	struct xrelay_policy *p;
	int i, ret;

	*policy = NULL;
	/* Most sessions have no policy of their own: spare them the work. */
	if (!attrs[XRELAY_A_SESSION_RATE_LIMIT] && !attrs[XRELAY_A_SESSION_QUOTA] &&
	    !attrs[XRELAY_A_SESSION_PROTOCOL] &&
	    !nla_find_nested(attrs[sides[0]], XRELAY_A_SIDE_ADMISSION) &&
	    !nla_find_nested(attrs[sides[1]], XRELAY_A_SIDE_ADMISSION))
		return 0;
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	ret = xrelay_nl_get_policy_common(info, p, XRELAY_A_SESSION_RATE_LIMIT,
					  XRELAY_A_SESSION_QUOTA, XRELAY_A_SESSION_PROTOCOL);
	for (i = 0; !ret && i < 2; i++)
		ret = xrelay_nl_get_admission(info, nla_data(attrs[sides[i]]),
					      nla_len(attrs[sides[i]]), XRELAY_A_SIDE_ADMISSION,
					      XRELAY_MAX_SIDE_PREFIXES, &p->admission[i]);
	if (!ret && xrelay_nl_msg_size(xrelay_nl_session_size(p)) > XRELAY_NL_MAX_DUMP_MSG) {
		XRELAY_ERR(info, NULL,
			   "session too large to be read back in 8 KiB: fewer side admission prefixes");
		ret = -E2BIG;
	}
	if (ret || (!p->admission[0] && !p->admission[1] && !p->has_protocol &&
		    !p->session_quota && !xrelay_rate_set(&p->session_rate))) {
		xrelay_policy_free(p);
		return ret;
	}
	*policy = p;
	return 0;
}

static int xrelay_nl_put_prefix(struct sk_buff *skb, int type, const struct xrelay_prefix *p)
{
	struct nlattr *nest = nla_nest_start(skb, type);
	bool v4 = xrelay_addr_is_v4(&p->addr);

	if (!nest)
		return -EMSGSIZE;
	if (xrelay_nl_put_addr(skb, XRELAY_A_PREFIX_IPV4, XRELAY_A_PREFIX_IPV6, &p->addr) ||
	    nla_put_u8(skb, XRELAY_A_PREFIX_LEN, p->len - (v4 ? 96 : 0))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static size_t xrelay_nl_prefix_size(const struct xrelay_prefix *p)
{
	size_t addr = xrelay_addr_is_v4(&p->addr) ? sizeof(__be32) : sizeof(struct in6_addr);

	return nla_total_size(0) + nla_total_size(addr) + nla_total_size(sizeof(u8));
}

/*
 * Long lists go out as several nests of one type, a new one whenever the
 * current one has grown past XRELAY_NL_CHUNK: an attribute holds 64 KiB at
 * most, and the largest entry, a hub group of IPv6 prefixes, about 16 KiB.
 */
#define XRELAY_NL_CHUNK		(32 * 1024)

struct xrelay_nl_chunks {
	struct sk_buff *skb;
	int type;
	struct nlattr *nest;
};

/* Makes room for the next entry. */
static int xrelay_nl_chunk(struct xrelay_nl_chunks *c)
{
	if (c->nest && skb_tail_pointer(c->skb) - (unsigned char *)c->nest < XRELAY_NL_CHUNK)
		return 0;
	if (c->nest)
		nla_nest_end(c->skb, c->nest);
	c->nest = nla_nest_start(c->skb, c->type);
	return c->nest ? 0 : -EMSGSIZE;
}

static void xrelay_nl_chunks_end(struct xrelay_nl_chunks *c)
{
	if (c->nest)
		nla_nest_end(c->skb, c->nest);
}

/*
 * Entries of @size bytes in all, written in chunks: each nest but the last
 * holds XRELAY_NL_CHUNK bytes or more, its header included.
 */
static size_t xrelay_nl_chunks_size(size_t size)
{
	if (!size)
		return 0;
	return size + (size / (XRELAY_NL_CHUNK - NLA_HDRLEN) + 1) * nla_total_size(0);
}

/**
 * xrelay_nl_admission_size() - room for an admission's lists in a reply
 * @adm: the lists, or NULL
 *
 * Return: bytes of the nests xrelay_nl_put_admission() writes.
 */
size_t xrelay_nl_admission_size(const struct xrelay_admission *adm)
{
	size_t size = 0;
	u32 i;

	for (i = 0; adm && i < adm->n_allow + adm->n_deny; i++)
		size += xrelay_nl_prefix_size(&adm->prefixes[i]);
	return xrelay_nl_chunks_size(size);
}

/* On failure the caller cancels the whole message. */
static int xrelay_nl_put_admission(struct sk_buff *skb, int type,
				   const struct xrelay_admission *adm)
{
	struct xrelay_nl_chunks chunks = { .skb = skb, .type = type };
	u32 i;

	for (i = 0; adm && i < adm->n_allow + adm->n_deny; i++) {
		if (xrelay_nl_chunk(&chunks) ||
		    xrelay_nl_put_prefix(skb, i < adm->n_allow ? XRELAY_A_ADMISSION_ALLOW :
								  XRELAY_A_ADMISSION_DENY,
					 &adm->prefixes[i]))
			return -EMSGSIZE;
	}
	xrelay_nl_chunks_end(&chunks);
	return 0;
}

static int xrelay_nl_put_rate(struct sk_buff *skb, int type, const struct xrelay_rate *rate)
{
	struct nlattr *nest;

	if (!xrelay_rate_set(rate))
		return 0;
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if ((rate->packets_per_second &&
	     (nla_put_u64_64bit(skb, XRELAY_A_RATE_PACKETS_PER_SECOND,
				rate->packets_per_second, XRELAY_A_RATE_PAD) ||
	      nla_put_u64_64bit(skb, XRELAY_A_RATE_BURST_PACKETS, rate->burst_packets,
				XRELAY_A_RATE_PAD))) ||
	    (rate->bits_per_second &&
	     (nla_put_u64_64bit(skb, XRELAY_A_RATE_BITS_PER_SECOND, rate->bits_per_second,
				XRELAY_A_RATE_PAD) ||
	      nla_put_u64_64bit(skb, XRELAY_A_RATE_BURST_BYTES, rate->burst_bytes,
				XRELAY_A_RATE_PAD)))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int xrelay_nl_put_hub_end(struct sk_buff *skb, int group_type, int prefix_type,
				 const struct xrelay_hub *hub, s32 end)
{
	const struct xrelay_hub_group *group;

	if (end < 0)
		return 0;
	group = &hub->groups[end];
	if (group->name[0])
		return nla_put_string(skb, group_type, group->name);
	return xrelay_nl_put_prefix(skb, prefix_type, &group->members->prefixes[0]);
}

static int xrelay_nl_put_hub_rule(struct sk_buff *skb, const struct xrelay_hub *hub, u32 i)
{
	const struct xrelay_hub_rule *rule = &hub->rules[i];
	struct nlattr *nest = nla_nest_start(skb, XRELAY_A_HUB_RULE);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, XRELAY_A_HUB_RULE_ACTION,
		       rule->allow ? XRELAY_ACL_ACTION_ALLOW : XRELAY_ACL_ACTION_DENY) ||
	    xrelay_nl_put_hub_end(skb, XRELAY_A_HUB_RULE_FROM_GROUP, XRELAY_A_HUB_RULE_FROM_PREFIX,
				  hub, rule->from) ||
	    xrelay_nl_put_hub_end(skb, XRELAY_A_HUB_RULE_TO_GROUP, XRELAY_A_HUB_RULE_TO_PREFIX,
				  hub, rule->to) ||
	    (rule->protocol && nla_put_u8(skb, XRELAY_A_HUB_RULE_PROTOCOL, rule->protocol)) ||
	    (rule->port_min &&
	     (nla_put_u16(skb, XRELAY_A_HUB_RULE_PORT_MIN, rule->port_min) ||
	      nla_put_u16(skb, XRELAY_A_HUB_RULE_PORT_MAX, rule->port_max))) ||
	    nla_put_u64_64bit(skb, XRELAY_A_HUB_RULE_HITS, xrelay_hub_hits(hub, i),
			      XRELAY_A_HUB_RULE_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int xrelay_nl_put_hub_group(struct sk_buff *skb, const struct xrelay_hub_group *group)
{
	const struct xrelay_admission *members = group->members;
	struct nlattr *nest = nla_nest_start(skb, XRELAY_A_HUB_GROUP);
	u32 i;

	if (!nest || nla_put_string(skb, XRELAY_A_HUB_GROUP_NAME, group->name))
		goto cancel;
	for (i = 0; i < members->n_allow; i++)
		if (xrelay_nl_put_prefix(skb, XRELAY_A_HUB_GROUP_MEMBER, &members->prefixes[i]))
			goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* On failure the caller cancels the whole message. */
static int xrelay_nl_put_hub(struct sk_buff *skb, const struct xrelay_hub *hub)
{
	struct xrelay_nl_chunks chunks = { .skb = skb, .type = XRELAY_A_NETWORK_HUB };
	u32 i;

	if (!hub)
		return 0;
	if (xrelay_nl_chunk(&chunks) ||
	    nla_put_u8(skb, XRELAY_A_HUB_DEFAULT,
		       hub->locked ? XRELAY_HUB_DEFAULT_LOCKED : XRELAY_HUB_DEFAULT_OPEN) ||
	    nla_put_u64_64bit(skb, XRELAY_A_HUB_DEFAULT_HITS,
			      xrelay_hub_hits(hub, hub->n_rules), XRELAY_A_HUB_PAD))
		return -EMSGSIZE;
	for (i = 0; i < hub->n_interfaces; i++)
		if (xrelay_nl_chunk(&chunks) ||
		    nla_put_string(skb, XRELAY_A_HUB_INTERFACE, hub->interfaces[i]))
			return -EMSGSIZE;
	for (i = 0; i < hub->n_groups; i++)
		if (hub->groups[i].name[0] &&
		    (xrelay_nl_chunk(&chunks) || xrelay_nl_put_hub_group(skb, &hub->groups[i])))
			return -EMSGSIZE;
	for (i = 0; i < hub->n_rules; i++)
		if (xrelay_nl_chunk(&chunks) || xrelay_nl_put_hub_rule(skb, hub, i))
			return -EMSGSIZE;
	xrelay_nl_chunks_end(&chunks);
	return 0;
}

/* Room for a rate nest: xrelay_nl_put_rate() writes all four values or none. */
static size_t xrelay_nl_rate_size(void)
{
	return nla_total_size(0) + 4 * nla_total_size_64bit(sizeof(u64));
}

/* @pad_type: the pad attribute of the set holding @quota_type */
static int xrelay_nl_put_policy_common(struct sk_buff *skb, const struct xrelay_policy *policy,
				       int rate_type, int quota_type, int protocol_type,
				       int pad_type)
{
	if (xrelay_nl_put_rate(skb, rate_type, &policy->session_rate) ||
	    (policy->session_quota &&
	     nla_put_u64_64bit(skb, quota_type, policy->session_quota, pad_type)) ||
	    (policy->has_protocol && nla_put_u8(skb, protocol_type, policy->protocol)))
		return -EMSGSIZE;
	return 0;
}

int xrelay_nl_put_session_policy(struct sk_buff *skb, const struct xrelay_session *s)
{
	if (!s->policy)
		return 0;
	return xrelay_nl_put_policy_common(skb, s->policy, XRELAY_A_SESSION_RATE_LIMIT,
					   XRELAY_A_SESSION_QUOTA, XRELAY_A_SESSION_PROTOCOL,
					   XRELAY_A_SESSION_PAD);
}

/**
 * xrelay_nl_session_policy_size() - room for a session's own rate, quota and protocol
 * @policy: the session's own policy, or NULL
 *
 * Return: bytes xrelay_nl_put_session_policy() writes at most.
 */
size_t xrelay_nl_session_policy_size(const struct xrelay_policy *policy)
{
	if (!policy)
		return 0;
	return xrelay_nl_rate_size() + nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(sizeof(u8));
}

int xrelay_nl_put_side_admission(struct sk_buff *skb, const struct xrelay_side *side)
{
	const struct xrelay_policy *policy = side->session->policy;

	if (!policy)
		return 0;
	return xrelay_nl_put_admission(skb, XRELAY_A_SIDE_ADMISSION,
				       policy->admission[xrelay_side_index(side)]);
}

/* Room for a hub's entries; its rules at their largest: ends named, a protocol, ports. */
static size_t xrelay_nl_hub_size(const struct xrelay_hub *hub)
{
	size_t name = nla_total_size(sizeof(hub->groups[0].name));
	size_t size;
	u32 i, j;

	if (!hub)
		return 0;
	size = nla_total_size(sizeof(u8)) + nla_total_size_64bit(sizeof(u64)) +
	       hub->n_interfaces * nla_total_size(IFNAMSIZ);
	for (i = 0; i < hub->n_groups; i++) {
		const struct xrelay_hub_group *group = &hub->groups[i];

		/* A rule's own prefix is a group without a name, written in the rule. */
		if (!group->name[0])
			continue;
		size += nla_total_size(0) + nla_total_size(strlen(group->name) + 1);
		for (j = 0; j < group->members->n_allow; j++)
			size += xrelay_nl_prefix_size(&group->members->prefixes[j]);
	}
	size += (size_t)hub->n_rules *
		(nla_total_size(0) + 2 * nla_total_size(sizeof(u8)) + 2 * name +
		 2 * nla_total_size(sizeof(u16)) + nla_total_size_64bit(sizeof(u64)));
	return xrelay_nl_chunks_size(size);
}

/* Room for what xrelay_nl_fill_network() writes, exact but for the hub's rules. */
static size_t xrelay_nl_network_size(const struct xrelay_policy *policy, bool lists)
{
	size_t size = 3 * nla_total_size(sizeof(u32)) + 2 * xrelay_nl_rate_size() +
		      nla_total_size_64bit(sizeof(u64)) + nla_total_size(sizeof(u8)) +
		      xrelay_nl_stats_size();

	if (!lists)
		return size;
	return size + xrelay_nl_admission_size(policy->admission[0]) +
	       xrelay_nl_hub_size(policy->hub);
}

/* @lists: only a reply about one network has room for admission lists and hubs. */
static int xrelay_nl_fill_network(struct sk_buff *skb, struct xrelay_net *xn,
				  const struct xrelay_network *nw, u32 portid, u32 seq,
				  int flags, bool lists)
{
	const struct xrelay_policy *policy;
	struct xrelay_stats st;
	void *hdr;

	policy = rcu_dereference_protected(nw->policy, lockdep_is_held(&xn->lock));
	xrelay_pcpu_stats_sum(nw->stats, &st);
	hdr = genlmsg_put(skb, portid, seq, &xrelay_nl_family, flags, XRELAY_CMD_NETWORK_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, XRELAY_A_NETWORK_ID, nw->id) ||
	    nla_put_u32(skb, XRELAY_A_NETWORK_SESSIONS, nw->sessions) ||
	    (lists && (xrelay_nl_put_admission(skb, XRELAY_A_NETWORK_ADMISSION,
					       policy->admission[0]) ||
		       xrelay_nl_put_hub(skb, policy->hub))) ||
	    xrelay_nl_put_rate(skb, XRELAY_A_NETWORK_RATE_LIMIT, &policy->rate) ||
	    xrelay_nl_put_policy_common(skb, policy, XRELAY_A_NETWORK_SESSION_RATE_LIMIT,
					XRELAY_A_NETWORK_SESSION_QUOTA,
					XRELAY_A_NETWORK_PROTOCOL, XRELAY_A_NETWORK_PAD) ||
	    (policy->max_sessions &&
	     nla_put_u32(skb, XRELAY_A_NETWORK_MAX_SESSIONS, policy->max_sessions)) ||
	    xrelay_nl_put_stats(skb, XRELAY_A_NETWORK_STATS, &st)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int xrelay_nl_network_change(struct genl_info *info, bool create)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	struct xrelay_policy *policy;
	u32 id;
	int ret;

	if (!info->attrs[XRELAY_A_NETWORK_ID]) {
		XRELAY_ERR(info, NULL, "missing network id");
		return -EINVAL;
	}
	id = nla_get_u32(info->attrs[XRELAY_A_NETWORK_ID]);
	policy = xrelay_nl_get_network_policy(info);
	if (IS_ERR(policy))
		return PTR_ERR(policy);
	if (xrelay_nl_msg_size(xrelay_nl_network_size(policy, true)) > XRELAY_NL_MAX_NETWORK_MSG) {
		XRELAY_ERR(info, NULL,
			   "network policy too large to be read back: its reply would pass 4 MiB");
		xrelay_policy_free(policy);
		return -E2BIG;
	}
	mutex_lock(&xn->lock);
	if (create)
		ret = xrelay_network_create(xn, id, policy, info->extack);
	else
		ret = xrelay_network_replace(xn, id, policy, info->extack);
	mutex_unlock(&xn->lock);
	return ret;
}

int xrelay_nl_network_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	return xrelay_nl_network_change(info, true);
}

int xrelay_nl_network_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return xrelay_nl_network_change(info, false);
}

int xrelay_nl_network_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	int ret;

	if (!info->attrs[XRELAY_A_NETWORK_ID]) {
		XRELAY_ERR(info, NULL, "missing network id");
		return -EINVAL;
	}
	mutex_lock(&xn->lock);
	ret = xrelay_network_delete(xn, nla_get_u32(info->attrs[XRELAY_A_NETWORK_ID]),
				    info->extack);
	mutex_unlock(&xn->lock);
	return ret;
}

int xrelay_nl_network_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	const struct xrelay_policy *policy;
	struct xrelay_network *nw;
	struct sk_buff *msg;
	int ret;

	if (!info->attrs[XRELAY_A_NETWORK_ID]) {
		XRELAY_ERR(info, NULL, "missing network id");
		return -EINVAL;
	}
	mutex_lock(&xn->lock);
	nw = xa_load(&xn->networks, nla_get_u32(info->attrs[XRELAY_A_NETWORK_ID]));
	if (!nw) {
		mutex_unlock(&xn->lock);
		XRELAY_ERR(info, info->attrs[XRELAY_A_NETWORK_ID], "no network with this id");
		return -ENOENT;
	}
	policy = rcu_dereference_protected(nw->policy, lockdep_is_held(&xn->lock));
	msg = genlmsg_new(xrelay_nl_network_size(policy, true), GFP_KERNEL);
	ret = msg ? xrelay_nl_fill_network(msg, xn, nw, info->snd_portid, info->snd_seq, 0,
					   true) : -ENOMEM;
	mutex_unlock(&xn->lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

int xrelay_nl_network_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct xrelay_net *xn = xrelay_net(sock_net(skb->sk));
	struct xrelay_network *nw;
	unsigned long id;
	int ret;

	ret = xrelay_nl_dump_refused(cb);
	if (ret)
		return ret;
	mutex_lock(&xn->lock);
	xa_for_each_start(&xn->networks, id, nw, cb->args[0]) {
		ret = xrelay_nl_fill_network(skb, xn, nw, NETLINK_CB(cb->skb).portid,
					     cb->nlh->nlmsg_seq, NLM_F_MULTI, false);
		if (ret)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&xn->lock);
	/* As xrelay_nl_instance_get_dumpit(): an error rather than a short dump. */
	return ret && !skb->len ? ret : skb->len;
}
