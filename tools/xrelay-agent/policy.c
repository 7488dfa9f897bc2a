// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/xrelay.h>
#include <netlink/genl/genl.h>

#include "policy.h"
#include "util.h"
#include "xrelay-attr.h"
#include "xrelay-parse.h"

/* A nest holds 64 KiB at most: long lists go in several, as the kernel's. */
#define CHUNK_BYTES		(32 * 1024)
/* The kernel's default burst: a tenth of a second, at least this. */
#define MIN_BURST_BYTES		1500

static const struct {
	const char *name;
	uint8_t number;
} protocols[] = {
	{ "any", 0 }, { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "icmpv6", 58 },
};

/* ---- building blocks ------------------------------------------------------ */

static void strs_add(struct ag_strs *s, const char *str)
{
	s->v = ag_realloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = ag_strdup(str);
}

static void strs_free(struct ag_strs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted and without duplicates: lists are sets to the kernel. */
static void strs_normalize(struct ag_strs *s)
{
	size_t i, kept = 0;

	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (i = 0; i < s->n; i++) {
		if (kept && !strcmp(s->v[kept - 1], s->v[i])) {
			free(s->v[i]);
			continue;
		}
		s->v[kept++] = s->v[i];
	}
	s->n = kept;
}

/* ADDR/LEN as xr_prefix_format() writes it, or NULL if @text is no prefix. */
static char *prefix_canon(const char *text)
{
	struct xr_prefix p;
	char buf[XR_PREFIX_STRLEN];

	if (xr_prefix_parse(text, &p))
		return NULL;
	return ag_strdup(xr_prefix_format(&p, buf));
}

static void rate_normalize(struct ag_rate *r)
{
	if (r->pps && !r->burst_packets)
		r->burst_packets = r->pps / 10 ? r->pps / 10 : 1;
	if (!r->pps)
		r->burst_packets = 0;
	if (r->bps && !r->burst_bytes)
		r->burst_bytes = r->bps / 80 > MIN_BURST_BYTES ? r->bps / 80 : MIN_BURST_BYTES;
	if (!r->bps)
		r->burst_bytes = 0;
}

static void hub_free(struct ag_hub *h)
{
	size_t i;

	strs_free(&h->interfaces);
	for (i = 0; i < h->n_groups; i++) {
		free(h->groups[i].name);
		strs_free(&h->groups[i].members);
	}
	for (i = 0; i < h->n_rules; i++) {
		free(h->rules[i].from.group);
		free(h->rules[i].from.prefix);
		free(h->rules[i].to.group);
		free(h->rules[i].to.prefix);
	}
	free(h->groups);
	free(h->rules);
	memset(h, 0, sizeof(*h));
}

void ag_policy_free(struct ag_policy *p)
{
	free(p->name);
	strs_free(&p->allow);
	strs_free(&p->deny);
	hub_free(&p->hub);
	memset(p, 0, sizeof(*p));
}

void ag_session_policy_free(struct ag_session_policy *sp)
{
	int i;

	for (i = 0; i < 2; i++) {
		strs_free(&sp->allow[i]);
		strs_free(&sp->deny[i]);
	}
}

static int cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct ag_hub_group *)a)->name,
		      ((const struct ag_hub_group *)b)->name);
}

/* Rules keep their order: the first match decides. */
static void policy_normalize(struct ag_policy *p)
{
	size_t i;

	strs_normalize(&p->allow);
	strs_normalize(&p->deny);
	rate_normalize(&p->rate);
	rate_normalize(&p->session_rate);
	strs_normalize(&p->hub.interfaces);
	for (i = 0; i < p->hub.n_groups; i++)
		strs_normalize(&p->hub.groups[i].members);
	qsort(p->hub.groups, p->hub.n_groups, sizeof(*p->hub.groups), cmp_group);
}

/* ---- from the state document ----------------------------------------------- */

static bool read_u64(struct ag_json *j, uint64_t max, uint64_t *v)
{
	return ag_json_uint(j, max, v);
}

/* A list of prefixes, each kept in canonical form. */
static bool read_prefixes(struct ag_json *j, struct ag_strs *out)
{
	bool first = true;
	const char *s;
	char *canon;

	if (!ag_json_array(j))
		return false;
	while (ag_json_element(j, &first)) {
		if (!ag_json_string(j, &s))
			return false;
		canon = prefix_canon(s);
		if (!canon)
			return ag_json_fail(j, "not a prefix");
		out->v = ag_realloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = canon;
	}
	return !j->err[0];
}

static bool read_strings(struct ag_json *j, struct ag_strs *out)
{
	bool first = true;
	const char *s;

	if (!ag_json_array(j))
		return false;
	while (ag_json_element(j, &first)) {
		if (!ag_json_string(j, &s))
			return false;
		strs_add(out, s);
	}
	return !j->err[0];
}

static bool read_admission(struct ag_json *j, struct ag_policy *p)
{
	bool first = true, ok;
	const char *key;

	if (!ag_json_object(j))
		return false;
	while (ag_json_member(j, &first, &key)) {
		if (!strcmp(key, "allow"))
			ok = read_prefixes(j, &p->allow);
		else if (!strcmp(key, "deny"))
			ok = read_prefixes(j, &p->deny);
		else
			ok = ag_json_skip(j);
		if (!ok)
			return false;
	}
	return !j->err[0];
}

static bool read_rate(struct ag_json *j, struct ag_rate *r)
{
	bool first = true, ok;
	const char *key;

	if (!ag_json_object(j))
		return false;
	while (ag_json_member(j, &first, &key)) {
		if (!strcmp(key, "packets_per_second"))
			ok = read_u64(j, UINT64_MAX, &r->pps);
		else if (!strcmp(key, "burst_packets"))
			ok = read_u64(j, UINT64_MAX, &r->burst_packets);
		else if (!strcmp(key, "bits_per_second"))
			ok = read_u64(j, UINT64_MAX, &r->bps);
		else if (!strcmp(key, "burst_bytes"))
			ok = read_u64(j, UINT64_MAX, &r->burst_bytes);
		else
			ok = ag_json_skip(j);
		if (!ok)
			return false;
	}
	return !j->err[0];
}

static bool protocol_number(const char *name, uint8_t *number)
{
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		if (!strcmp(protocols[i].name, name)) {
			*number = protocols[i].number;
			return true;
		}
	}
	return false;
}

static bool read_group(struct ag_json *j, struct ag_hub_group *g)
{
	bool first = true, ok;
	const char *key, *s;

	if (!ag_json_object(j))
		return false;
	while (ag_json_member(j, &first, &key)) {
		if (!strcmp(key, "name")) {
			ok = ag_json_string(j, &s);
			if (ok) {
				free(g->name);
				g->name = ag_strdup(s);
			}
		} else if (!strcmp(key, "members")) {
			ok = read_prefixes(j, &g->members);
		} else {
			ok = ag_json_skip(j);
		}
		if (!ok)
			return false;
	}
	if (!j->err[0] && !g->name)
		return ag_json_fail(j, "a hub group needs a name");
	return !j->err[0];
}

/* The end's text until the groups are known: see resolve_end(). */
static bool read_end(struct ag_json *j, struct ag_hub_end *end)
{
	const char *s;

	if (!ag_json_string(j, &s))
		return false;
	end->group = ag_strdup(s);
	return true;
}

static bool read_rule(struct ag_json *j, struct ag_hub_rule *r)
{
	bool first = true, ok;
	const char *key, *s;
	uint64_t v;

	r->allow = true;
	if (!ag_json_object(j))
		return false;
	while (ag_json_member(j, &first, &key)) {
		if (!strcmp(key, "action")) {
			ok = ag_json_string(j, &s);
			if (ok && strcmp(s, "allow") && strcmp(s, "deny"))
				ok = ag_json_fail(j, "action is allow or deny");
			r->allow = ok && !strcmp(s, "allow");
		} else if (!strcmp(key, "from")) {
			ok = read_end(j, &r->from);
		} else if (!strcmp(key, "to")) {
			ok = read_end(j, &r->to);
		} else if (!strcmp(key, "protocol")) {
			ok = ag_json_string(j, &s);
			if (ok && !protocol_number(s, &r->protocol))
				ok = ag_json_fail(j, "unknown protocol");
		} else if (!strcmp(key, "port_min")) {
			ok = read_u64(j, 65535, &v);
			r->port_min = v;
		} else if (!strcmp(key, "port_max")) {
			ok = read_u64(j, 65535, &v);
			r->port_max = v;
		} else {
			ok = ag_json_skip(j);
		}
		if (!ok)
			return false;
	}
	return !j->err[0];
}

/* "any", a group of the hub, or a prefix. */
static bool resolve_end(struct ag_json *j, const struct ag_hub *h, struct ag_hub_end *end)
{
	char *text = end->group;
	size_t i;

	if (!text)
		return true;
	for (i = 0; i < h->n_groups; i++)
		if (!strcmp(h->groups[i].name, text))
			return true;
	end->group = NULL;
	if (strcmp(text, "any")) {
		end->prefix = prefix_canon(text);
		if (!end->prefix) {
			free(text);
			return ag_json_fail(j, "a hub rule names neither a group nor a prefix");
		}
	}
	free(text);
	return true;
}

static bool read_hub(struct ag_json *j, struct ag_hub *h)
{
	bool first = true, inner, ok;
	const char *key, *s;
	size_t i;

	h->present = true;
	if (!ag_json_object(j))
		return false;
	while (ag_json_member(j, &first, &key)) {
		inner = true;
		if (!strcmp(key, "default")) {
			ok = ag_json_string(j, &s);
			h->locked = ok && !strcmp(s, "locked");
		} else if (!strcmp(key, "interfaces")) {
			ok = read_strings(j, &h->interfaces);
		} else if (!strcmp(key, "groups")) {
			ok = ag_json_array(j);
			while (ok && ag_json_element(j, &inner)) {
				h->groups = ag_realloc(h->groups, (h->n_groups + 1) * sizeof(*h->groups));
				memset(&h->groups[h->n_groups], 0, sizeof(*h->groups));
				ok = read_group(j, &h->groups[h->n_groups++]);
			}
			ok = ok && !j->err[0];
		} else if (!strcmp(key, "rules")) {
			ok = ag_json_array(j);
			while (ok && ag_json_element(j, &inner)) {
				h->rules = ag_realloc(h->rules, (h->n_rules + 1) * sizeof(*h->rules));
				memset(&h->rules[h->n_rules], 0, sizeof(*h->rules));
				ok = read_rule(j, &h->rules[h->n_rules++]);
			}
			ok = ok && !j->err[0];
		} else {
			ok = ag_json_skip(j);
		}
		if (!ok)
			return false;
	}
	for (i = 0; !j->err[0] && i < h->n_rules; i++)
		if (!resolve_end(j, h, &h->rules[i].from) || !resolve_end(j, h, &h->rules[i].to))
			return false;
	return !j->err[0];
}

bool ag_policy_read(struct ag_json *j, struct ag_policy *p)
{
	bool first = true, ok;
	const char *key, *s;
	uint64_t v;

	if (!ag_json_object(j))
		return false;
	while (ag_json_member(j, &first, &key)) {
		if (!strcmp(key, "name")) {
			ok = ag_json_string(j, &s);
			if (ok) {
				free(p->name);
				p->name = ag_strdup(s);
			}
		} else if (!strcmp(key, "admission")) {
			ok = read_admission(j, p);
		} else if (!strcmp(key, "rate_limit")) {
			ok = read_rate(j, &p->rate);
		} else if (!strcmp(key, "session_rate_limit")) {
			ok = read_rate(j, &p->session_rate);
		} else if (!strcmp(key, "session_quota_bytes")) {
			ok = read_u64(j, UINT64_MAX, &p->session_quota);
		} else if (!strcmp(key, "max_sessions")) {
			ok = read_u64(j, UINT32_MAX, &v);
			p->max_sessions = v;
		} else if (!strcmp(key, "protocol")) {
			ok = ag_json_string(j, &s);
			if (ok && strcmp(s, "any") && strcmp(s, "wireguard"))
				ok = ag_json_fail(j, "protocol is any or wireguard");
			p->has_protocol = true;
			p->protocol = ok && !strcmp(s, "wireguard") ? XRELAY_PROTOCOL_WIREGUARD :
								      XRELAY_PROTOCOL_ANY;
		} else if (!strcmp(key, "hub")) {
			ok = read_hub(j, &p->hub);
		} else {
			ok = ag_json_skip(j);
		}
		if (!ok)
			return false;
	}
	if (!j->err[0] && !p->name)
		return ag_json_fail(j, "a policy needs a name");
	if (!j->err[0])
		policy_normalize(p);
	return !j->err[0];
}

/* ---- from the kernel ----------------------------------------------------------- */

static int prefix_of(struct nlattr *nest, struct ag_strs *out)
{
	struct nlattr *tb[XRELAY_A_PREFIX_MAX + 1];
	char buf[XR_PREFIX_STRLEN];
	struct xr_prefix p;

	if (xr_attr_parse_nested(nest, XRELAY_A_PREFIX_MAX, xr_prefix_policy, tb) ||
	    xr_attr_get_addr(tb[XRELAY_A_PREFIX_IPV4], tb[XRELAY_A_PREFIX_IPV6], &p.addr))
		return -1;
	p.len = xr_attr_u8(tb[XRELAY_A_PREFIX_LEN]);
	strs_add(out, xr_prefix_format(&p, buf));
	return 0;
}

/* The allow and deny entries of one admission nest. */
static int admission_of(struct nlattr *nest, struct ag_strs *allow, struct ag_strs *deny)
{
	struct nlattr *attr;
	int rem;

	nla_for_each_nested(attr, nest, rem) {
		if (nla_type(attr) == XRELAY_A_ADMISSION_ALLOW && prefix_of(attr, allow))
			return -1;
		if (nla_type(attr) == XRELAY_A_ADMISSION_DENY && prefix_of(attr, deny))
			return -1;
	}
	return 0;
}

static int rate_of(struct nlattr *nest, struct ag_rate *r)
{
	struct nlattr *tb[XRELAY_A_RATE_MAX + 1];

	memset(r, 0, sizeof(*r));
	if (!nest)
		return 0;
	if (xr_attr_parse_nested(nest, XRELAY_A_RATE_MAX, xr_rate_policy, tb))
		return -1;
	r->pps = xr_attr_u64(tb[XRELAY_A_RATE_PACKETS_PER_SECOND]);
	r->burst_packets = xr_attr_u64(tb[XRELAY_A_RATE_BURST_PACKETS]);
	r->bps = xr_attr_u64(tb[XRELAY_A_RATE_BITS_PER_SECOND]);
	r->burst_bytes = xr_attr_u64(tb[XRELAY_A_RATE_BURST_BYTES]);
	return 0;
}

static int end_of(struct nlattr *group, struct nlattr *prefix, struct ag_hub_end *end)
{
	struct ag_strs one = { 0 };

	if (group) {
		end->group = ag_strdup(nla_get_string(group));
		return 0;
	}
	if (!prefix)
		return 0;
	if (prefix_of(prefix, &one))
		return -1;
	end->prefix = one.v[0];
	free(one.v);
	return 0;
}

static int hub_entry(struct nlattr *attr, struct ag_hub *h)
{
	struct nlattr *tb[XRELAY_A_HUB_RULE_MAX + 1], *m;
	struct ag_hub_group *g;
	struct ag_hub_rule *r;
	int rem;

	switch (nla_type(attr)) {
	case XRELAY_A_HUB_INTERFACE:
		strs_add(&h->interfaces, nla_get_string(attr));
		return 0;
	case XRELAY_A_HUB_DEFAULT:
		h->locked = nla_get_u8(attr) == XRELAY_HUB_DEFAULT_LOCKED;
		return 0;
	case XRELAY_A_HUB_GROUP:
		if (xr_attr_parse_nested(attr, XRELAY_A_HUB_GROUP_MAX, xr_hub_group_policy, tb) ||
		    !tb[XRELAY_A_HUB_GROUP_NAME])
			return -1;
		h->groups = ag_realloc(h->groups, (h->n_groups + 1) * sizeof(*h->groups));
		g = &h->groups[h->n_groups++];
		memset(g, 0, sizeof(*g));
		g->name = ag_strdup(nla_get_string(tb[XRELAY_A_HUB_GROUP_NAME]));
		nla_for_each_nested(m, attr, rem)
			if (nla_type(m) == XRELAY_A_HUB_GROUP_MEMBER && prefix_of(m, &g->members))
				return -1;
		return 0;
	case XRELAY_A_HUB_RULE:
		if (xr_attr_parse_nested(attr, XRELAY_A_HUB_RULE_MAX, xr_hub_rule_policy, tb))
			return -1;
		h->rules = ag_realloc(h->rules, (h->n_rules + 1) * sizeof(*h->rules));
		r = &h->rules[h->n_rules++];
		memset(r, 0, sizeof(*r));
		r->allow = xr_attr_u8(tb[XRELAY_A_HUB_RULE_ACTION]) == XRELAY_ACL_ACTION_ALLOW;
		r->protocol = xr_attr_u8(tb[XRELAY_A_HUB_RULE_PROTOCOL]);
		r->port_min = xr_attr_u16(tb[XRELAY_A_HUB_RULE_PORT_MIN]);
		r->port_max = xr_attr_u16(tb[XRELAY_A_HUB_RULE_PORT_MAX]);
		return end_of(tb[XRELAY_A_HUB_RULE_FROM_GROUP], tb[XRELAY_A_HUB_RULE_FROM_PREFIX],
			      &r->from) ||
		       end_of(tb[XRELAY_A_HUB_RULE_TO_GROUP], tb[XRELAY_A_HUB_RULE_TO_PREFIX],
			      &r->to) ? -1 : 0;
	}
	return 0;
}

int ag_policy_from_network(struct nlmsghdr *nlh, uint32_t *id, struct ag_policy *p)
{
	struct nlattr *tb[XRELAY_A_NETWORK_MAX + 1], *attr, *entry;
	int rem, entry_rem;

	memset(p, 0, sizeof(*p));
	if (xr_attr_parse(nlh, XRELAY_A_NETWORK_MAX, xr_network_policy, tb) ||
	    !tb[XRELAY_A_NETWORK_ID] ||
	    rate_of(tb[XRELAY_A_NETWORK_RATE_LIMIT], &p->rate) ||
	    rate_of(tb[XRELAY_A_NETWORK_SESSION_RATE_LIMIT], &p->session_rate))
		return -1;
	*id = nla_get_u32(tb[XRELAY_A_NETWORK_ID]);
	p->session_quota = xr_attr_u64(tb[XRELAY_A_NETWORK_SESSION_QUOTA]);
	p->max_sessions = xr_attr_u32(tb[XRELAY_A_NETWORK_MAX_SESSIONS]);
	p->has_protocol = tb[XRELAY_A_NETWORK_PROTOCOL] != NULL;
	p->protocol = xr_attr_u8(tb[XRELAY_A_NETWORK_PROTOCOL]);
	/* Admission and hub may each come as several attributes. */
	nla_for_each_attr(attr, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		if (nla_type(attr) == XRELAY_A_NETWORK_ADMISSION &&
		    admission_of(attr, &p->allow, &p->deny))
			return -1;
		if (nla_type(attr) != XRELAY_A_NETWORK_HUB)
			continue;
		p->hub.present = true;
		nla_for_each_nested(entry, attr, entry_rem)
			if (hub_entry(entry, &p->hub))
				return -1;
	}
	policy_normalize(p);
	return 0;
}

int ag_policy_from_session(struct nlattr **tb, struct ag_session_policy *sp)
{
	static const int sides[] = { XRELAY_A_SESSION_SIDE_A, XRELAY_A_SESSION_SIDE_B };
	struct nlattr *attr;
	int i, rem;

	memset(sp, 0, sizeof(*sp));
	if (rate_of(tb[XRELAY_A_SESSION_RATE_LIMIT], &sp->rate))
		return -1;
	sp->quota = xr_attr_u64(tb[XRELAY_A_SESSION_QUOTA]);
	sp->has_protocol = tb[XRELAY_A_SESSION_PROTOCOL] != NULL;
	sp->protocol = xr_attr_u8(tb[XRELAY_A_SESSION_PROTOCOL]);
	for (i = 0; i < 2; i++) {
		if (!tb[sides[i]])
			continue;
		nla_for_each_nested(attr, tb[sides[i]], rem)
			if (nla_type(attr) == XRELAY_A_SIDE_ADMISSION &&
			    admission_of(attr, &sp->allow[i], &sp->deny[i]))
				return -1;
		strs_normalize(&sp->allow[i]);
		strs_normalize(&sp->deny[i]);
	}
	rate_normalize(&sp->rate);
	return 0;
}

static void strs_copy(struct ag_strs *to, const struct ag_strs *from)
{
	size_t i;

	for (i = 0; i < from->n; i++)
		strs_add(to, from->v[i]);
}

void ag_session_policy_of(const struct ag_policy *p, struct ag_session_policy *sp)
{
	int i;

	memset(sp, 0, sizeof(*sp));
	if (!p)
		return;
	sp->rate = p->session_rate;
	sp->quota = p->session_quota;
	sp->has_protocol = p->has_protocol;
	sp->protocol = p->protocol;
	for (i = 0; i < 2; i++) {
		strs_copy(&sp->allow[i], &p->allow);
		strs_copy(&sp->deny[i], &p->deny);
	}
}

/* ---- canonical texts ----------------------------------------------------------- */

struct text {
	char *p;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (t->len + n < t->cap)
			break;
		t->cap = (t->len + n + 1) * 2;
		t->p = ag_realloc(t->p, t->cap);
	}
	t->len += n;
}

static void put_strs(struct text *t, const char *label, const struct ag_strs *s)
{
	size_t i;

	put(t, "%s=", label);
	for (i = 0; i < s->n; i++)
		put(t, "%s%s", i ? "," : "", s->v[i]);
	put(t, ";");
}

static void put_rate(struct text *t, const char *label, const struct ag_rate *r)
{
	if (r->pps || r->bps)
		put(t, "%s=%lu/%lu,%lu/%lu;", label, (unsigned long)r->pps,
		    (unsigned long)r->burst_packets, (unsigned long)r->bps,
		    (unsigned long)r->burst_bytes);
}

static void put_end(struct text *t, const struct ag_hub_end *e)
{
	if (e->group)
		put(t, "g:%s", e->group);
	else if (e->prefix)
		put(t, "p:%s", e->prefix);
	else
		put(t, "any");
}

static char *finish(struct text *t)
{
	if (!t->p)
		return ag_strdup("");
	return t->p;
}

char *ag_policy_canon(const struct ag_policy *p)
{
	struct text t = { 0 };
	size_t i;

	if (p->allow.n)
		put_strs(&t, "allow", &p->allow);
	if (p->deny.n)
		put_strs(&t, "deny", &p->deny);
	put_rate(&t, "rate", &p->rate);
	put_rate(&t, "session-rate", &p->session_rate);
	if (p->session_quota)
		put(&t, "quota=%lu;", (unsigned long)p->session_quota);
	if (p->max_sessions)
		put(&t, "max=%u;", p->max_sessions);
	if (p->has_protocol)
		put(&t, "protocol=%u;", p->protocol);
	if (!p->hub.present)
		return finish(&t);
	put(&t, "hub=%s;", p->hub.locked ? "locked" : "open");
	put_strs(&t, "interfaces", &p->hub.interfaces);
	for (i = 0; i < p->hub.n_groups; i++) {
		put(&t, "group %s ", p->hub.groups[i].name);
		put_strs(&t, "members", &p->hub.groups[i].members);
	}
	for (i = 0; i < p->hub.n_rules; i++) {
		const struct ag_hub_rule *r = &p->hub.rules[i];

		put(&t, "rule %s ", r->allow ? "allow" : "deny");
		put_end(&t, &r->from);
		put(&t, " ");
		put_end(&t, &r->to);
		put(&t, " %u %u-%u;", r->protocol, r->port_min, r->port_max);
	}
	return finish(&t);
}

char *ag_session_policy_canon(const struct ag_session_policy *sp)
{
	struct text t = { 0 };
	int i;

	put_rate(&t, "rate", &sp->rate);
	if (sp->quota)
		put(&t, "quota=%lu;", (unsigned long)sp->quota);
	if (sp->has_protocol)
		put(&t, "protocol=%u;", sp->protocol);
	for (i = 0; i < 2; i++) {
		if (sp->allow[i].n)
			put_strs(&t, i ? "b-allow" : "a-allow", &sp->allow[i]);
		if (sp->deny[i].n)
			put_strs(&t, i ? "b-deny" : "a-deny", &sp->deny[i]);
	}
	return finish(&t);
}

/* ---- requests ----------------------------------------------------------------- */

/* A nest of @type, a new one once the current is past CHUNK_BYTES. */
struct chunks {
	struct nl_msg *msg;
	int type;
	struct nlattr *nest;
};

static int chunk(struct chunks *c)
{
	if (c->nest && (char *)nlmsg_tail(nlmsg_hdr(c->msg)) - (char *)c->nest < CHUNK_BYTES)
		return 0;
	if (c->nest)
		nla_nest_end(c->msg, c->nest);
	c->nest = nla_nest_start(c->msg, c->type);
	return c->nest ? 0 : -1;
}

static int chunks_end(struct chunks *c)
{
	return c->nest ? nla_nest_end(c->msg, c->nest) : 0;
}

static int put_prefix(struct nl_msg *msg, int type, const char *text)
{
	struct nlattr *nest = nla_nest_start(msg, type);
	struct xr_prefix p;

	if (!nest || xr_prefix_parse(text, &p))
		return -1;
	return xr_attr_put_addr(msg, XRELAY_A_PREFIX_IPV4, XRELAY_A_PREFIX_IPV6, &p.addr) |
	       nla_put_u8(msg, XRELAY_A_PREFIX_LEN, p.len) | nla_nest_end(msg, nest);
}

static int put_admission(struct nl_msg *msg, int type, const struct ag_strs *allow,
			 const struct ag_strs *deny)
{
	struct chunks c = { .msg = msg, .type = type };
	size_t i;

	for (i = 0; i < allow->n; i++)
		if (chunk(&c) || put_prefix(msg, XRELAY_A_ADMISSION_ALLOW, allow->v[i]))
			return -1;
	for (i = 0; i < deny->n; i++)
		if (chunk(&c) || put_prefix(msg, XRELAY_A_ADMISSION_DENY, deny->v[i]))
			return -1;
	return chunks_end(&c);
}

static int put_rate_attr(struct nl_msg *msg, int type, const struct ag_rate *r)
{
	struct nlattr *nest;
	int err = 0;

	if (!r->pps && !r->bps)
		return 0;
	nest = nla_nest_start(msg, type);
	if (!nest)
		return -1;
	if (r->pps)
		err |= nla_put_u64(msg, XRELAY_A_RATE_PACKETS_PER_SECOND, r->pps) |
		       nla_put_u64(msg, XRELAY_A_RATE_BURST_PACKETS, r->burst_packets);
	if (r->bps)
		err |= nla_put_u64(msg, XRELAY_A_RATE_BITS_PER_SECOND, r->bps) |
		       nla_put_u64(msg, XRELAY_A_RATE_BURST_BYTES, r->burst_bytes);
	return err | nla_nest_end(msg, nest);
}

static int put_end_attr(struct nl_msg *msg, int group_type, int prefix_type,
			const struct ag_hub_end *e)
{
	if (e->group)
		return nla_put_string(msg, group_type, e->group);
	if (e->prefix)
		return put_prefix(msg, prefix_type, e->prefix);
	return 0;
}

static int put_rule(struct nl_msg *msg, const struct ag_hub_rule *r)
{
	struct nlattr *nest = nla_nest_start(msg, XRELAY_A_HUB_RULE);
	int err;

	if (!nest)
		return -1;
	err = nla_put_u8(msg, XRELAY_A_HUB_RULE_ACTION,
			 r->allow ? XRELAY_ACL_ACTION_ALLOW : XRELAY_ACL_ACTION_DENY) |
	      put_end_attr(msg, XRELAY_A_HUB_RULE_FROM_GROUP, XRELAY_A_HUB_RULE_FROM_PREFIX,
			   &r->from) |
	      put_end_attr(msg, XRELAY_A_HUB_RULE_TO_GROUP, XRELAY_A_HUB_RULE_TO_PREFIX, &r->to);
	if (r->protocol)
		err |= nla_put_u8(msg, XRELAY_A_HUB_RULE_PROTOCOL, r->protocol);
	if (r->port_min)
		err |= nla_put_u16(msg, XRELAY_A_HUB_RULE_PORT_MIN, r->port_min) |
		       nla_put_u16(msg, XRELAY_A_HUB_RULE_PORT_MAX, r->port_max);
	return err | nla_nest_end(msg, nest);
}

static int put_hub(struct nl_msg *msg, const struct ag_hub *h)
{
	struct chunks c = { .msg = msg, .type = XRELAY_A_NETWORK_HUB };
	size_t i, j;

	if (!h->present)
		return 0;
	if (chunk(&c) || nla_put_u8(msg, XRELAY_A_HUB_DEFAULT, h->locked ?
				    XRELAY_HUB_DEFAULT_LOCKED : XRELAY_HUB_DEFAULT_OPEN))
		return -1;
	for (i = 0; i < h->interfaces.n; i++)
		if (chunk(&c) || nla_put_string(msg, XRELAY_A_HUB_INTERFACE, h->interfaces.v[i]))
			return -1;
	for (i = 0; i < h->n_groups; i++) {
		struct nlattr *nest;

		if (chunk(&c))
			return -1;
		nest = nla_nest_start(msg, XRELAY_A_HUB_GROUP);
		if (!nest || nla_put_string(msg, XRELAY_A_HUB_GROUP_NAME, h->groups[i].name))
			return -1;
		for (j = 0; j < h->groups[i].members.n; j++)
			if (put_prefix(msg, XRELAY_A_HUB_GROUP_MEMBER, h->groups[i].members.v[j]))
				return -1;
		nla_nest_end(msg, nest);
	}
	for (i = 0; i < h->n_rules; i++)
		if (chunk(&c) || put_rule(msg, &h->rules[i]))
			return -1;
	return chunks_end(&c);
}

/* Generous: about 40 bytes a prefix, 100 a rule or interface. */
static size_t network_msg_size(const struct ag_policy *p)
{
	size_t size = 4096, i;

	if (!p)
		return size;
	size += 40 * (p->allow.n + p->deny.n) + 100 * (p->hub.interfaces.n + p->hub.n_rules);
	for (i = 0; i < p->hub.n_groups; i++)
		size += 100 + 40 * p->hub.groups[i].members.n;
	return size;
}

struct nl_msg *ag_policy_network_msg(int family, uint8_t cmd, uint32_t id,
				     const struct ag_policy *p)
{
	struct nl_msg *msg = nlmsg_alloc_size(network_msg_size(p));
	int err;

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, cmd,
				 XRELAY_FAMILY_VERSION))
		goto fail;
	err = nla_put_u32(msg, XRELAY_A_NETWORK_ID, id);
	if (p)
		err |= put_admission(msg, XRELAY_A_NETWORK_ADMISSION, &p->allow, &p->deny) |
		       put_rate_attr(msg, XRELAY_A_NETWORK_RATE_LIMIT, &p->rate) |
		       put_rate_attr(msg, XRELAY_A_NETWORK_SESSION_RATE_LIMIT, &p->session_rate) |
		       (p->session_quota ? nla_put_u64(msg, XRELAY_A_NETWORK_SESSION_QUOTA,
						       p->session_quota) : 0) |
		       (p->max_sessions ? nla_put_u32(msg, XRELAY_A_NETWORK_MAX_SESSIONS,
						      p->max_sessions) : 0) |
		       (p->has_protocol ? nla_put_u8(msg, XRELAY_A_NETWORK_PROTOCOL,
						     p->protocol) : 0) |
		       put_hub(msg, &p->hub);
	if (!err)
		return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

int ag_policy_put_session(struct nl_msg *msg, const struct ag_policy *p)
{
	int err;

	if (!p)
		return 0;
	err = put_rate_attr(msg, XRELAY_A_SESSION_RATE_LIMIT, &p->session_rate);
	if (p->session_quota)
		err |= nla_put_u64(msg, XRELAY_A_SESSION_QUOTA, p->session_quota);
	if (p->has_protocol)
		err |= nla_put_u8(msg, XRELAY_A_SESSION_PROTOCOL, p->protocol);
	return err;
}

int ag_policy_put_side(struct nl_msg *msg, const struct ag_policy *p)
{
	if (!p || (!p->allow.n && !p->deny.n))
		return 0;
	return put_admission(msg, XRELAY_A_SIDE_ADMISSION, &p->allow, &p->deny);
}
