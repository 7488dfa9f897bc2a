// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hub rulesets, the file "hub-file FILE" names: read and checked whole, each
 * mistake reported with its file and line before the kernel is asked, then
 * put into the network request as hub nests. One statement per line:
 *
 *	interface IFNAME [IFNAME...]
 *	default open|locked
 *	group NAME PREFIX [PREFIX...]
 *	allow|deny [from GROUP|PREFIX|any] [to GROUP|PREFIX|any]
 *		   [proto PROTOCOL] [port N[-M]]
 */
#define _GNU_SOURCE		/* tdestroy() */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netlink/genl/genl.h>

#include "xrelayctl.h"

/* The kernel's limit on group names, the NUL excluded. */
#define GROUP_NAME_MAX		63

/*
 * An attribute's length is 16 bits, so a long ruleset goes out as several
 * hub nests, the next one started when an entry would not fit.
 */
#define NEST_MAX		UINT16_MAX

/*
 * Its name comes first: the tree of groups is searched by name, and a
 * pointer to a group is one to its name.
 */
struct hub_group {
	char name[GROUP_NAME_MAX + 1];
	unsigned long line;	/* where it is defined */
	struct prefix_list members;
};

/* A rule's source or destination: a group, its own prefix, or neither: any. */
struct hub_end {
	const struct hub_group *group;
	bool has_prefix;
	struct xr_prefix prefix;
};

struct hub_rule {
	bool allow;
	struct hub_end from, to;
	uint8_t protocol;		/* 0: any */
	uint16_t port_min, port_max;	/* 0: any */
};

struct ruleset {
	const char *path;
	unsigned long line;		/* the statement being read */
	unsigned long default_line;	/* 0 until "default" */
	bool locked;
	char (*interfaces)[IF_NAMESIZE];
	size_t n_interfaces, interfaces_allocated;
	struct hub_group **groups;
	size_t n_groups, groups_allocated;
	void *by_name;			/* tsearch() tree of the groups */
	struct hub_rule *rules;
	size_t n_rules, rules_allocated;
};

#define ruleset_error(rs, fmt, ...) \
	usage_error("%s:%lu: " fmt, (rs)->path, (rs)->line, ##__VA_ARGS__)

/* Room for element @n of *@array, which holds *@allocated of @size bytes. */
static void *grow(void *array, size_t n, size_t *allocated, size_t size)
{
	if (n < *allocated)
		return array;
	*allocated = *allocated ? 2 * *allocated : 16;
	array = reallocarray(array, *allocated, size);
	if (!array)
		out_of_memory();
	return array;
}

static int group_name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* interface IFNAME [IFNAME...] */
static void interface_read(struct ruleset *rs, char **words, size_t n)
{
	size_t i, j;

	if (n < 2)
		ruleset_error(rs, "\"interface\" needs an interface name");
	for (i = 1; i < n; i++) {
		const char *name = words[i];

		if (strlen(name) >= IF_NAMESIZE || strpbrk(name, "/:") ||
		    !strcmp(name, ".") || !strcmp(name, ".."))
			ruleset_error(rs, "bad interface name \"%s\": 1 to %d characters, "
				      "none of them '/' or ':'", name, IF_NAMESIZE - 1);
		for (j = 0; j < rs->n_interfaces; j++)
			if (!strcmp(rs->interfaces[j], name))
				ruleset_error(rs, "interface \"%s\" is listed twice", name);
		if (rs->n_interfaces == XRELAY_MAX_HUB_INTERFACES)
			ruleset_error(rs, "more than %d interfaces", XRELAY_MAX_HUB_INTERFACES);
		rs->interfaces = grow(rs->interfaces, rs->n_interfaces, &rs->interfaces_allocated,
				      sizeof(*rs->interfaces));
		strcpy(rs->interfaces[rs->n_interfaces++], name);
	}
}

/* default open|locked */
static void default_read(struct ruleset *rs, char **words, size_t n)
{
	if (rs->default_line)
		ruleset_error(rs, "\"default\" given twice (first on line %lu)", rs->default_line);
	if (n != 2 || (strcmp(words[1], "open") && strcmp(words[1], "locked")))
		ruleset_error(rs, "\"default\" takes one word: open or locked");
	rs->default_line = rs->line;
	rs->locked = !strcmp(words[1], "locked");
}

/*
 * A word of digits and dots, or with ':' or '/', is an address or prefix;
 * any other names a group.
 */
static bool looks_like_prefix(const char *word)
{
	return strpbrk(word, ":/") || !word[strspn(word, "0123456789.")];
}

static void group_name_check(struct ruleset *rs, const char *name)
{
	size_t len = strlen(name);

	if (len > GROUP_NAME_MAX ||
	    name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789_.-")])
		ruleset_error(rs, "bad group name \"%s\": up to %d letters, digits, '_', '.' "
			      "and '-'", name, GROUP_NAME_MAX);
	if (!strcmp(name, "any"))
		ruleset_error(rs, "\"any\" cannot name a group: in a rule it means every host");
	if (looks_like_prefix(name))
		ruleset_error(rs, "bad group name \"%s\": it reads as an address", name);
}

/* group NAME PREFIX [PREFIX...] */
static void group_read(struct ruleset *rs, char **words, size_t n)
{
	struct hub_group *group, **found;
	struct xr_prefix prefix;
	const char *why;
	size_t i;

	if (n < 2)
		ruleset_error(rs, "\"group\" needs a name and its prefixes");
	group_name_check(rs, words[1]);
	if (n < 3)
		ruleset_error(rs, "group \"%s\" needs at least one prefix", words[1]);
	if (n - 2 > XRELAY_MAX_GROUP_MEMBERS)
		ruleset_error(rs, "group \"%s\" has %zu prefixes, more than %d",
			      words[1], n - 2, XRELAY_MAX_GROUP_MEMBERS);
	if (rs->n_groups == XRELAY_MAX_HUB_GROUPS)
		ruleset_error(rs, "more than %d groups", XRELAY_MAX_HUB_GROUPS);
	group = calloc(1, sizeof(*group));
	if (!group)
		out_of_memory();
	strcpy(group->name, words[1]);
	group->line = rs->line;
	found = tsearch(group, &rs->by_name, group_name_cmp);
	if (!found)
		out_of_memory();
	if (*found != group)
		ruleset_error(rs, "group \"%s\" is defined twice (first on line %lu)",
			      group->name, (*found)->line);
	rs->groups = grow(rs->groups, rs->n_groups, &rs->groups_allocated, sizeof(*rs->groups));
	rs->groups[rs->n_groups++] = group;
	for (i = 2; i < n; i++) {
		why = xr_prefix_parse(words[i], &prefix);
		if (why)
			ruleset_error(rs, "bad prefix \"%s\" in group \"%s\": %s",
				      words[i], group->name, why);
		prefix_list_add(&group->members, &prefix);
	}
}

/* GROUP|PREFIX|any after "from" or "to" */
static void end_read(struct ruleset *rs, const char *keyword, const char *word,
		     struct hub_end *end)
{
	struct hub_group **found;
	const char *why;

	if (!strcmp(word, "any"))
		return;
	if (looks_like_prefix(word)) {
		why = xr_prefix_parse(word, &end->prefix);
		if (why)
			ruleset_error(rs, "bad prefix \"%s\" after \"%s\": %s", word, keyword, why);
		end->has_prefix = true;
		return;
	}
	found = tfind(word, &rs->by_name, group_name_cmp);
	if (!found)
		ruleset_error(rs, "unknown group \"%s\" after \"%s\": no \"group\" line "
			      "above defines it", word, keyword);
	end->group = *found;
}

/* A name such as tcp, or a number from 1 to 255. */
static uint8_t protocol_read(struct ruleset *rs, const char *word)
{
	char text[4];
	uint64_t v;

	if (!xr_uint_parse(word, 1, 255, &v))
		return v;
	for (v = 1; v <= 255; v++)
		if (!strcmp(word, ip_protocol_name(v, text)))
			return v;
	ruleset_error(rs, "bad value \"%s\" for \"proto\": tcp, udp, udplite, sctp, icmp, "
		      "ipv6-icmp or a number from 1 to 255", word);
}

static bool protocol_has_ports(uint8_t protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP ||
	       protocol == IPPROTO_UDPLITE || protocol == IPPROTO_SCTP;
}

/* allow|deny [from END] [to END] [proto PROTOCOL] [port N[-M]], in any order */
static void rule_read(struct ruleset *rs, char **words, size_t n)
{
	enum { FROM, TO, PROTO, PORT, N_KEYWORDS };
	static const char *const keywords[N_KEYWORDS] = {
		[FROM] = "from", [TO] = "to", [PROTO] = "proto", [PORT] = "port",
	};
	struct hub_rule rule = { .allow = !strcmp(words[0], "allow") };
	bool seen[N_KEYWORDS] = {};
	const char *word, *why;
	size_t i, k;

	for (i = 1; i < n; i += 2) {
		for (k = 0; k < N_KEYWORDS && strcmp(words[i], keywords[k]); k++)
			;
		if (k == N_KEYWORDS)
			ruleset_error(rs, "unexpected \"%s\" in a rule: from, to, proto or port",
				      words[i]);
		if (seen[k])
			ruleset_error(rs, "\"%s\" given twice in a rule", keywords[k]);
		seen[k] = true;
		if (i + 1 == n)
			ruleset_error(rs, "missing value after \"%s\"", keywords[k]);
		word = words[i + 1];
		switch (k) {
		case FROM:
			end_read(rs, keywords[k], word, &rule.from);
			break;
		case TO:
			end_read(rs, keywords[k], word, &rule.to);
			break;
		case PROTO:
			rule.protocol = protocol_read(rs, word);
			break;
		case PORT:
			if (strchr(word, '-')) {
				why = xr_port_range_parse(word, &rule.port_min, &rule.port_max);
			} else {
				why = xr_port_parse(word, &rule.port_min);
				rule.port_max = rule.port_min;
			}
			if (why)
				ruleset_error(rs, "bad value \"%s\" for \"port\": %s", word, why);
		}
	}
	if (rule.port_min && !protocol_has_ports(rule.protocol))
		ruleset_error(rs, "\"port\" needs \"proto\" tcp, udp, udplite or sctp");
	if (rs->n_rules == XRELAY_MAX_HUB_RULES)
		ruleset_error(rs, "more than %d rules", XRELAY_MAX_HUB_RULES);
	rs->rules = grow(rs->rules, rs->n_rules, &rs->rules_allocated, sizeof(*rs->rules));
	rs->rules[rs->n_rules++] = rule;
}

static void statement_read(struct ruleset *rs, char **words, size_t n)
{
	if (!strcmp(words[0], "interface"))
		interface_read(rs, words, n);
	else if (!strcmp(words[0], "default"))
		default_read(rs, words, n);
	else if (!strcmp(words[0], "group"))
		group_read(rs, words, n);
	else if (!strcmp(words[0], "allow") || !strcmp(words[0], "deny"))
		rule_read(rs, words, n);
	else
		ruleset_error(rs, "unknown keyword \"%s\": interface, default, group, allow "
			      "or deny", words[0]);
}

struct ruleset *ruleset_read(const char *path)
{
	static const char blanks[] = " \t\r\n\v\f";
	struct ruleset *rs = calloc(1, sizeof(*rs));
	size_t n, size = 0, allocated = 0;
	char **words = NULL, *line = NULL, *word, *save;
	FILE *f;

	if (!rs)
		out_of_memory();
	rs->path = path;
	f = fopen(path, "r");
	if (!f)
		usage_error("cannot read \"%s\" for \"hub-file\": %s", path, strerror(errno));
	while (getline(&line, &size, f) >= 0) {
		rs->line++;
		line[strcspn(line, "#")] = '\0';
		n = 0;
		for (word = strtok_r(line, blanks, &save); word; word = strtok_r(NULL, blanks, &save)) {
			words = grow(words, n, &allocated, sizeof(*words));
			words[n++] = word;
		}
		if (n)
			statement_read(rs, words, n);
	}
	if (ferror(f))
		usage_error("cannot read \"%s\" for \"hub-file\": %s", path, strerror(errno));
	fclose(f);
	free(line);
	free(words);
	if (!rs->n_interfaces)
		usage_error("%s: no \"interface\" line: a hub needs at least one interface", path);
	return rs;
}

static size_t string_size(const char *s)
{
	return nla_total_size(strlen(s) + 1);
}

static size_t group_size(const struct hub_group *group)
{
	size_t size = nla_total_size(0) + string_size(group->name);
	size_t i;

	for (i = 0; i < group->members.n; i++)
		size += prefix_size(&group->members.prefixes[i]);
	return size;
}

static size_t end_size(const struct hub_end *end)
{
	if (end->group)
		return string_size(end->group->name);
	return end->has_prefix ? prefix_size(&end->prefix) : 0;
}

static size_t rule_size(const struct hub_rule *rule)
{
	return nla_total_size(0) + nla_total_size(1) + end_size(&rule->from) +
	       end_size(&rule->to) + (rule->protocol ? nla_total_size(1) : 0) +
	       (rule->port_min ? 2 * nla_total_size(2) : 0);
}

size_t ruleset_size(const struct ruleset *rs)
{
	size_t size = nla_total_size(1);
	size_t i;

	for (i = 0; i < rs->n_interfaces; i++)
		size += string_size(rs->interfaces[i]);
	for (i = 0; i < rs->n_groups; i++)
		size += group_size(rs->groups[i]);
	for (i = 0; i < rs->n_rules; i++)
		size += rule_size(&rs->rules[i]);
	/*
	 * A nest is closed only when the next entry, 17 KiB at most (a group
	 * of IPv6 prefixes), does not fit: each but the last holds over 32 KiB.
	 */
	return size + (size / 32768 + 1) * nla_total_size(0);
}

/* The hub nests of a request, filled one entry at a time. */
struct hub_nests {
	struct nl_msg *msg;
	struct nlattr *nest;
};

/* Makes room for an entry of @size bytes in the current nest, or starts a new one. */
static int hub_nests_room(struct hub_nests *h, size_t size)
{
	char *tail = (char *)nlmsg_tail(nlmsg_hdr(h->msg));

	if (h->nest && tail - (char *)h->nest + size <= NEST_MAX)
		return 0;
	if (h->nest && nla_nest_end(h->msg, h->nest))
		return -NLE_NOMEM;
	h->nest = nla_nest_start(h->msg, XRELAY_A_NETWORK_HUB);
	return h->nest ? 0 : -NLE_NOMEM;
}

static int group_put(struct nl_msg *msg, const struct hub_group *group)
{
	struct nlattr *nest = nla_nest_start(msg, XRELAY_A_HUB_GROUP);
	int err;
	size_t i;

	if (!nest)
		return -NLE_NOMEM;
	err = nla_put_string(msg, XRELAY_A_HUB_GROUP_NAME, group->name);
	for (i = 0; i < group->members.n; i++)
		err |= prefix_put(msg, XRELAY_A_HUB_GROUP_MEMBER, &group->members.prefixes[i]);
	return err | nla_nest_end(msg, nest);
}

static int end_put(struct nl_msg *msg, int group_type, int prefix_type,
		   const struct hub_end *end)
{
	if (end->group)
		return nla_put_string(msg, group_type, end->group->name);
	return end->has_prefix ? prefix_put(msg, prefix_type, &end->prefix) : 0;
}

static int rule_put(struct nl_msg *msg, const struct hub_rule *rule)
{
	struct nlattr *nest = nla_nest_start(msg, XRELAY_A_HUB_RULE);
	int err;

	if (!nest)
		return -NLE_NOMEM;
	err = nla_put_u8(msg, XRELAY_A_HUB_RULE_ACTION,
			 rule->allow ? XRELAY_ACL_ACTION_ALLOW : XRELAY_ACL_ACTION_DENY);
	err |= end_put(msg, XRELAY_A_HUB_RULE_FROM_GROUP, XRELAY_A_HUB_RULE_FROM_PREFIX,
		       &rule->from);
	err |= end_put(msg, XRELAY_A_HUB_RULE_TO_GROUP, XRELAY_A_HUB_RULE_TO_PREFIX, &rule->to);
	if (rule->protocol)
		err |= nla_put_u8(msg, XRELAY_A_HUB_RULE_PROTOCOL, rule->protocol);
	if (rule->port_min) {
		err |= nla_put_u16(msg, XRELAY_A_HUB_RULE_PORT_MIN, rule->port_min);
		err |= nla_put_u16(msg, XRELAY_A_HUB_RULE_PORT_MAX, rule->port_max);
	}
	return err | nla_nest_end(msg, nest);
}

/* The kernel takes the hub nests together; rules keep the file's order. */
int ruleset_put(struct nl_msg *msg, const struct ruleset *rs)
{
	struct hub_nests h = { .msg = msg };
	int err;
	size_t i;

	err = hub_nests_room(&h, nla_total_size(1)) ||
	      nla_put_u8(msg, XRELAY_A_HUB_DEFAULT,
			 rs->locked ? XRELAY_HUB_DEFAULT_LOCKED : XRELAY_HUB_DEFAULT_OPEN);
	for (i = 0; !err && i < rs->n_interfaces; i++)
		err = hub_nests_room(&h, string_size(rs->interfaces[i])) ||
		      nla_put_string(msg, XRELAY_A_HUB_INTERFACE, rs->interfaces[i]);
	for (i = 0; !err && i < rs->n_groups; i++)
		err = hub_nests_room(&h, group_size(rs->groups[i])) ||
		      group_put(msg, rs->groups[i]);
	for (i = 0; !err && i < rs->n_rules; i++)
		err = hub_nests_room(&h, rule_size(&rs->rules[i])) ||
		      rule_put(msg, &rs->rules[i]);
	if (!err)
		err = nla_nest_end(msg, h.nest);
	return err ? -NLE_NOMEM : 0;
}

static void group_free(void *group)
{
	free(((struct hub_group *)group)->members.prefixes);
	free(group);
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	tdestroy(rs->by_name, group_free);
	free(rs->interfaces);
	free(rs->groups);
	free(rs->rules);
	free(rs);
}
