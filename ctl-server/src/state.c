// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "state.h"

void state_init(struct state *st, uint64_t first_generation)
{
	memset(st, 0, sizeof(*st));
	hm_init_str(&st->by_name);
	hm_init_str(&st->allocs);
	hm_init_str(&st->orphans);
	st->next_generation = first_generation;
}

struct relay_state *state_relay(const struct state *st, const char *name)
{
	return hm_get_str(&st->by_name, name);
}

size_t relay_load(const struct relay_state *rs)
{
	return rs->n_statics + rs->n_allocs;
}

void alloc_free(struct alloc *a)
{
	if (!a)
		return;
	free(a->owner);
	free(a->idem);
	free(a->network);
	free(a->relay);
	free(a);
}

void state_attach_alloc(struct state *st, struct relay_state *rs, struct alloc *a)
{
	a->rs = rs;
	TAILQ_INSERT_TAIL(&rs->allocs, a, link);
	rs->n_allocs++;
	port_set(rs, a->port_a, true);
	port_set(rs, a->port_b, true);
	hm_put_str(&st->allocs, a->id, a);
	st->n_allocs++;
}

static void alloc_name(const struct alloc *a, char name[ALLOC_ID_LEN + 8])
{
	snprintf(name, ALLOC_ID_LEN + 8, "alloc-%s", a->id);
}

/* A shown allocation leaves the next document: its name is looked up then. */
static void note_gone(struct relay_state *rs, const struct alloc *a)
{
	char name[ALLOC_ID_LEN + 8];

	if (!a->text)
		return;
	if (rs->n_gone == rs->cap_gone) {
		rs->cap_gone = rs->cap_gone ? rs->cap_gone * 2 : 8;
		rs->gone = xrealloc(rs->gone, rs->cap_gone * sizeof(*rs->gone));
	}
	alloc_name(a, name);
	rs->gone[rs->n_gone++] = xstrdup(name);
}

void state_detach_alloc(struct state *st, struct alloc *a)
{
	struct relay_state *rs = a->rs;

	note_gone(rs, a);
	TAILQ_REMOVE(&rs->allocs, a, link);
	rs->n_allocs--;
	port_set(rs, a->port_a, false);
	port_set(rs, a->port_b, false);
	hm_del_str(&st->allocs, a->id);
	st->n_allocs--;
	a->rs = NULL;
}

static json_t *prefix_json(const struct prefix *p)
{
	char buf[NETADDR_STRLEN];

	prefix_format(p, buf);
	return json_string(buf);
}

static json_t *prefixes_json(const struct prefix *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, prefix_json(&v[i]));
	return a;
}

static json_t *rate_json(const struct rate_limit *rl)
{
	json_t *o = json_object();

	if (rl->packets_per_second) {
		json_object_set_new(o, "packets_per_second", json_integer(rl->packets_per_second));
		json_object_set_new(o, "burst_packets", json_integer(rl->burst_packets));
	}
	if (rl->bits_per_second) {
		json_object_set_new(o, "bits_per_second", json_integer(rl->bits_per_second));
		json_object_set_new(o, "burst_bytes", json_integer(rl->burst_bytes));
	}
	return o;
}

static json_t *match_json(const struct acl_match *m)
{
	if (m->any)
		return json_string("any");
	if (m->group)
		return json_string(m->group);
	return prefix_json(&m->prefix);
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmpv6";
	default: return "any";
	}
}

static json_t *hub_json(const struct hub *h)
{
	json_t *o = json_object(), *ifs = json_array(), *groups = json_array();
	json_t *rules = json_array();
	size_t i;

	json_object_set_new(o, "default", json_string(h->locked ? "locked" : "open"));
	for (i = 0; i < h->n_interfaces; i++)
		json_array_append_new(ifs, json_string(h->interfaces[i]));
	json_object_set_new(o, "interfaces", ifs);
	for (i = 0; i < h->n_groups; i++)
		json_array_append_new(groups, json_pack("{s:s, s:o}", "name", h->groups[i].name,
			"members", prefixes_json(h->groups[i].members, h->groups[i].n_members)));
	json_object_set_new(o, "groups", groups);
	for (i = 0; i < h->n_rules; i++) {
		const struct acl_rule *r = &h->rules[i];
		json_t *rule = json_pack("{s:s, s:o, s:o, s:s}",
					 "action", r->allow ? "allow" : "deny",
					 "from", match_json(&r->from), "to", match_json(&r->to),
					 "protocol", proto_name(r->proto));

		if (r->port_min) {
			json_object_set_new(rule, "port_min", json_integer(r->port_min));
			json_object_set_new(rule, "port_max", json_integer(r->port_max));
		}
		json_array_append_new(rules, rule);
	}
	json_object_set_new(o, "rules", rules);
	return o;
}

json_t *policy_json(const struct policy *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(p->name));
	if (p->n_allow || p->n_deny)
		json_object_set_new(o, "admission", json_pack("{s:o, s:o}",
			"allow", prefixes_json(p->allow, p->n_allow),
			"deny", prefixes_json(p->deny, p->n_deny)));
	if (p->network_rate.present)
		json_object_set_new(o, "rate_limit", rate_json(&p->network_rate));
	if (p->session_rate.present)
		json_object_set_new(o, "session_rate_limit", rate_json(&p->session_rate));
	if (p->session_quota_bytes)
		json_object_set_new(o, "session_quota_bytes", json_integer(p->session_quota_bytes));
	if (p->max_sessions)
		json_object_set_new(o, "max_sessions", json_integer(p->max_sessions));
	json_object_set_new(o, "protocol",
			    json_string(p->protocol == GUARD_WIREGUARD ? "wireguard" : "any"));
	if (p->hub.present)
		json_object_set_new(o, "hub", hub_json(&p->hub));
	return o;
}

static uint32_t instance_id(const struct relay *r, size_t addr_index, size_t pool_index)
{
	return (uint32_t)(addr_index * r->n_pools + pool_index + 1);
}

static json_t *side_json(const struct side *s)
{
	json_t *o = json_pack("{s:i}", "port", s->port);
	char buf[NETADDR_STRLEN];

	if (s->pinned) {
		endpoint_format(&s->peer, buf);
		json_object_set_new(o, "peer", json_string(buf));
		return o;
	}
	if (s->has_allow)
		json_object_set_new(o, "allow", prefix_json(&s->allow));
	json_object_set_new(o, "relearn_timeout", json_integer(s->relearn_timeout));
	return o;
}

static char *dump(json_t *j)
{
	char *out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	if (!out)
		die_oom();
	json_decref(j);
	return out;
}

static json_t *network_json(const struct network *n)
{
	json_t *o = json_pack("{s:i, s:s, s:o}", "id", (json_int_t)n->id, "name", n->name,
			      "subnet", prefix_json(&n->subnet));

	if (n->policy)
		json_object_set_new(o, "policy", json_string(n->policy->name));
	return o;
}

static void free_texts(struct state *st)
{
	size_t i;

	for (i = 0; st->cfg && i < st->cfg->n_networks; i++)
		free(st->network_text[i]);
	for (i = 0; st->cfg && i < st->cfg->n_policies; i++)
		free(st->policy_text[i]);
	free(st->network_text);
	free(st->policy_text);
	free(st->network_used);
	free(st->policy_used);
	free(st->network_order);
	free(st->policy_order);
}

static void make_texts(struct state *st)
{
	const struct config *cfg = st->cfg;
	size_t i, nn = cfg->n_networks ? cfg->n_networks : 1;
	size_t np = cfg->n_policies ? cfg->n_policies : 1;

	st->network_text = xcalloc(nn, sizeof(*st->network_text));
	st->policy_text = xcalloc(np, sizeof(*st->policy_text));
	st->network_used = xcalloc(nn, sizeof(*st->network_used));
	st->policy_used = xcalloc(np, sizeof(*st->policy_used));
	st->network_order = xcalloc(nn, sizeof(*st->network_order));
	st->policy_order = xcalloc(np, sizeof(*st->policy_order));
	for (i = 0; i < cfg->n_networks; i++)
		st->network_text[i] = dump(network_json(&cfg->networks[i]));
	for (i = 0; i < cfg->n_policies; i++)
		st->policy_text[i] = dump(policy_json(&cfg->policies[i]));
}

/* The networks and policies one document uses, in order of first use. */
struct render {
	struct state *st;
	size_t n_networks, n_policies;
};

static void use_policy(struct render *rd, const struct policy *p)
{
	struct state *st = rd->st;
	size_t i;

	if (!p)
		return;
	i = p - st->cfg->policies;
	if (st->policy_used[i] == st->render_stamp)
		return;
	st->policy_used[i] = st->render_stamp;
	st->policy_order[rd->n_policies++] = i;
}

static void use_network(struct render *rd, const struct network *n)
{
	struct state *st = rd->st;
	size_t i = n - st->cfg->networks;

	if (st->network_used[i] == st->render_stamp)
		return;
	st->network_used[i] = st->render_stamp;
	st->network_order[rd->n_networks++] = i;
	use_policy(rd, n->policy);
}

static json_t *static_session_json(struct render *rd, const struct session *s)
{
	const struct relay *r = s->relay;
	json_t *o;

	use_network(rd, s->network);
	o = json_pack("{s:s, s:i, s:i, s:i}", "name", s->name,
		      "instance", (json_int_t)instance_id(r, s->addr_index, s->pool_index),
		      "network", (json_int_t)s->network->id,
		      "idle_timeout", (json_int_t)s->idle_timeout);
	if (s->lifetime)
		json_object_set_new(o, "lifetime", json_integer(s->lifetime));
	if (s->policy) {
		json_object_set_new(o, "policy", json_string(s->policy->name));
		use_policy(rd, s->policy);
	}
	json_object_set_new(o, "a", side_json(&s->a));
	json_object_set_new(o, "b", side_json(&s->b));
	return o;
}

static json_t *alloc_side_json(uint16_t port, bool has_allow, const struct prefix *allow)
{
	json_t *o = json_pack("{s:i}", "port", port);

	if (has_allow)
		json_object_set_new(o, "allow", prefix_json(allow));
	json_object_set_new(o, "relearn_timeout", json_integer(DEFAULT_RELEARN_TIMEOUT));
	return o;
}

static json_t *alloc_session_json(struct render *rd, const struct config *cfg,
				  const struct relay *r, const struct alloc *a)
{
	const struct network *net = config_network(cfg, a->network);
	const struct pool *pool = relay_pool_for(r, a->port_a);
	char name[ALLOC_ID_LEN + 8];
	size_t ai;
	json_t *o;

	for (ai = 0; ai < r->n_addrs && !prefix_equal(&r->addrs[ai], &a->addr); ai++)
		;
	use_network(rd, net);
	alloc_name(a, name);
	o = json_pack("{s:s, s:s, s:i, s:i, s:i}", "name", name, "allocation", a->id,
		      "instance", (json_int_t)instance_id(r, ai, pool - r->pools),
		      "network", (json_int_t)net->id,
		      "idle_timeout", (json_int_t)cfg->settings.allocation_idle_timeout);
	json_object_set_new(o, "a", alloc_side_json(a->port_a, a->has_allow_a, &a->allow_a));
	json_object_set_new(o, "b", alloc_side_json(a->port_b, a->has_allow_b, &a->allow_b));
	return o;
}

/* A string that grows. */
struct text {
	char *p;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n + 1);
	t->len += n;
}

static void text_add_list(struct text *t, char *const texts[], const size_t *order, size_t n)
{
	size_t i;

	text_add(t, "[");
	for (i = 0; i < n; i++) {
		if (i)
			text_add(t, ",");
		text_add(t, texts[order[i]]);
	}
	text_add(t, "]");
}

struct shown_session {
	char *name;
	char *text;
	size_t stamp;		/* of the last render that showed it */
};

/*
 * Session @name is in the document being rendered with @fresh, its text
 * just rendered (taken over). Returns the text to serve, kept in
 * rs->shown, and notes in @dd how it differs from the last document; NULL
 * when the name is shown twice: then @fresh is the caller's to serve and
 * free, and no delta can say it.
 */
static const char *show_fresh(struct relay_state *rs, struct delta_draft *dd,
			      const char *name, char *fresh)
{
	struct shown_session *e = hm_get_str(&rs->shown, name);

	if (e && e->stamp == rs->shown_stamp) {
		dd->broken = true;
		return NULL;
	}
	if (!e) {
		e = xcalloc(1, sizeof(*e));
		e->name = xstrdup(name);
		e->text = fresh;
		hm_put_str(&rs->shown, e->name, e);
		delta_draft_add(dd, e->name, e->text, true);
	} else if (strcmp(e->text, fresh)) {
		free(e->text);
		e->text = fresh;
		delta_draft_add(dd, e->name, e->text, false);
	} else {
		free(fresh);
	}
	e->stamp = rs->shown_stamp;
	return e->text;
}

/* A session whose cached text is served again: only a sweep needs to know. */
static void show_cached(struct relay_state *rs, const char *name)
{
	struct shown_session *e;

	if (!rs->sweep)
		return;
	e = hm_get_str(&rs->shown, name);
	if (e)
		e->stamp = rs->shown_stamp;
}

bool state_shows(const struct relay_state *rs, const char *session)
{
	return hm_get_str(&rs->shown, session) != NULL;
}

size_t state_shown_count(const struct relay_state *rs)
{
	return rs->shown.len;
}

static void shown_free(struct shown_session *e)
{
	free(e->name);
	free(e->text);
	free(e);
}

/* Sessions no longer shown, freed once the draft naming them is published. */
struct dead_list {
	struct shown_session **v;
	size_t n, cap;
};

static void dead_add(struct dead_list *dl, struct shown_session *e)
{
	if (dl->n == dl->cap) {
		dl->cap = dl->cap ? dl->cap * 2 : 8;
		dl->v = xrealloc(dl->v, dl->cap * sizeof(*dl->v));
	}
	dl->v[dl->n++] = e;
}

static void dead_free(struct dead_list *dl)
{
	size_t i;

	for (i = 0; i < dl->n; i++)
		shown_free(dl->v[i]);
	free(dl->v);
}

/* The names shown last time and not now. */
static void show_removed(struct relay_state *rs, struct delta_draft *dd, struct dead_list *dead)
{
	size_t i;

	if (rs->sweep) {
		for (i = 0; i < rs->shown.cap; i++) {
			struct shown_session *e = rs->shown.slots[i].hash ? rs->shown.slots[i].value : NULL;

			if (e && e->stamp != rs->shown_stamp)
				dead_add(dead, e);
		}
	} else {
		for (i = 0; i < rs->n_gone; i++) {
			struct shown_session *e = hm_get_str(&rs->shown, rs->gone[i]);

			if (e && e->stamp != rs->shown_stamp)
				dead_add(dead, e);
		}
	}
	for (i = 0; i < dead->n; i++) {
		hm_del_str(&rs->shown, dead->v[i]->name);
		delta_draft_add(dd, dead->v[i]->name, NULL, false);
	}
	for (i = 0; i < rs->n_gone; i++)
		free(rs->gone[i]);
	rs->n_gone = 0;
	rs->sweep = false;
}

static void shown_clear(struct relay_state *rs)
{
	size_t i;

	for (i = 0; i < rs->shown.cap; i++)
		if (rs->shown.slots[i].hash)
			shown_free(rs->shown.slots[i].value);
	hm_free(&rs->shown);
	for (i = 0; i < rs->n_gone; i++)
		free(rs->gone[i]);
	free(rs->gone);
}

/* Appends a session's text; @dup is a text show_fresh() did not keep. */
static void add_session(struct text *t, bool *first, const char *text, char *dup)
{
	if (!*first)
		text_add(t, ",");
	*first = false;
	text_add(t, text ? text : dup);
	free(dup);
}

static void render_sessions(struct state *st, struct relay_state *rs, struct render *rd,
			    struct text *t, struct delta_draft *dd, struct dead_list *dead)
{
	const struct config *cfg = st->cfg;
	struct alloc *a;
	bool first = true;
	size_t i;

	rs->shown_stamp++;
	for (i = 0; i < rs->n_statics; i++) {
		const struct session *s = rs->statics[i];
		char *fresh;

		if (rs->static_text[i]) {
			use_network(rd, s->network);
			use_policy(rd, s->policy);
			show_cached(rs, s->name);
			add_session(t, &first, rs->static_text[i], NULL);
			continue;
		}
		fresh = dump(static_session_json(rd, s));
		rs->static_text[i] = show_fresh(rs, dd, s->name, fresh);
		add_session(t, &first, rs->static_text[i], rs->static_text[i] ? NULL : fresh);
	}
	TAILQ_FOREACH(a, &rs->allocs, link) {
		char name[ALLOC_ID_LEN + 8], *fresh;

		alloc_name(a, name);
		if (a->text) {
			use_network(rd, a->net);
			show_cached(rs, name);
			add_session(t, &first, a->text, NULL);
			continue;
		}
		fresh = dump(alloc_session_json(rd, cfg, rs->relay, a));
		a->net = config_network(cfg, a->network);
		a->text = show_fresh(rs, dd, name, fresh);
		add_session(t, &first, a->text, a->text ? NULL : fresh);
	}
	show_removed(rs, dd, dead);
}

/*
 * Only the relay's own part goes through jansson, and of its sessions
 * only those not rendered before; shared parts are spliced in. @head gets
 * the document up to its sessions.
 */
static char *render_content(struct state *st, struct relay_state *rs, struct delta_draft *dd,
			    struct dead_list *dead, char **head)
{
	const struct relay *r = rs->relay;
	struct render rd = { .st = st };
	json_t *instances = json_array();
	struct text t = { 0 }, sessions = { 0 };
	char *part;
	size_t i, j;

	st->render_stamp++;
	for (i = 0; i < r->n_addrs; i++) {
		char addr[NETADDR_STRLEN];

		addr_format(&r->addrs[i], addr);
		for (j = 0; j < r->n_pools; j++) {
			const struct pool *p = &r->pools[j];

			json_array_append_new(instances, json_pack("{s:i, s:i, s:s, s:i, s:i}",
				"id", (json_int_t)instance_id(r, i, j),
				"network", (json_int_t)(p->network ? p->network->id : 0),
				"addr", addr, "port_min", p->port_min, "port_max", p->port_max));
			if (p->network)
				use_network(&rd, p->network);
		}
	}
	text_add(&sessions, "[");
	render_sessions(st, rs, &rd, &sessions, dd, dead);
	text_add(&sessions, "]}");
	text_add(&t, "{\"relay\":");
	part = dump(json_string(r->name));
	text_add(&t, part);
	free(part);
	text_add(&t, ",\"instances\":");
	part = dump(instances);
	text_add(&t, part);
	free(part);
	text_add(&t, ",\"networks\":");
	text_add_list(&t, st->network_text, st->network_order, rd.n_networks);
	text_add(&t, ",\"policies\":");
	text_add_list(&t, st->policy_text, st->policy_order, rd.n_policies);
	text_add(&t, ",\"sessions\":");
	*head = xstrdup(t.p);
	text_add(&t, sessions.p);
	free(sessions.p);
	return t.p;
}

static void render(struct state *st, struct relay_state *rs)
{
	struct delta_draft dd = { 0 };
	struct dead_list dead = { 0 };
	char *content, *head;
	char hdr[48];
	size_t hlen, clen;
	uint64_t base = rs->generation;

	if (rs->stale) {
		rs->stale = false;
		st->n_stale--;
	}
	content = render_content(st, rs, &dd, &dead, &head);
	if (rs->content && !strcmp(rs->content, content)) {
		free(content);
		free(head);
		goto out;
	}
	dd.broken |= !rs->head || strcmp(rs->head, head);
	free(rs->head);
	rs->head = head;
	free(rs->content);
	rs->content = content;
	clen = strlen(content);
	rs->generation = st->next_generation++;
	if (base)
		delta_history_push(&rs->deltas, base, rs->generation, &dd, delta_limit(clen));
	/* Splice the generation in front of the rest of the document. */
	hlen = snprintf(hdr, sizeof(hdr), "{\"generation\":%llu,",
			(unsigned long long)rs->generation);
	free(rs->body);
	rs->body = xmalloc(hlen + clen);
	memcpy(rs->body, hdr, hlen);
	memcpy(rs->body + hlen, content + 1, clen - 1);
	rs->body_len = hlen + clen - 1;
	if (st->hooks.changed)
		st->hooks.changed(st, rs);
out:
	dead_free(&dead);
	delta_draft_reset(&dd);
}

void state_refresh_relay(struct state *st, struct relay_state *rs)
{
	render(st, rs);
}

void state_current(struct state *st, struct relay_state *rs)
{
	if (rs->stale)
		render(st, rs);
}

void state_settle(struct state *st)
{
	size_t i;

	for (i = 0; st->n_stale && i < st->n_relays; i++)
		state_current(st, st->relays[i]);
}

void state_add_orphan(struct state *st, struct alloc *a)
{
	hm_put_str(&st->orphans, a->id, a);
	st->n_orphans++;
}

void state_remove_orphan(struct state *st, struct alloc *a)
{
	hm_del_str(&st->orphans, a->id);
	st->n_orphans--;
}

/* @a, on no relay now, waits among the orphans; its text went with its relay's. */
static void orphan(struct state *st, struct alloc *a, const char *why)
{
	a->text = NULL;
	a->net = NULL;
	state_add_orphan(st, a);
	if (st->hooks.orphaned)
		st->hooks.orphaned(st, a, why);
}

static void relay_state_free(struct state *st, struct relay_state *rs)
{
	struct alloc *a;

	while ((a = TAILQ_FIRST(&rs->allocs))) {
		state_detach_alloc(st, a);
		orphan(st, a, "its relay left the configuration");
	}
	if (st->hooks.removed)
		st->hooks.removed(st, rs);
	shown_clear(rs);
	delta_history_clear(&rs->deltas);
	free(rs->static_text);
	free(rs->head);
	json_decref(rs->report.errors);
	json_decref(rs->report.counters);
	json_decref(rs->report.networks);
	json_decref(rs->report.sessions);
	free(rs->statics);
	free(rs->content);
	free(rs->body);
	free(rs->name);
	free(rs);
}

/* Why an allocation cannot stay on its relay under cfg, or NULL if it can. */
static const char *alloc_misfit(const struct config *cfg, const struct relay_state *rs,
				const struct alloc *a)
{
	const struct network *net = config_network(cfg, a->network);
	const struct relay *r = rs->relay;
	const struct pool *pa, *pb;
	size_t i;

	if (!net)
		return "its network left the configuration";
	for (i = 0; i < r->n_addrs && !prefix_equal(&r->addrs[i], &a->addr); i++)
		;
	if (i == r->n_addrs)
		return "its relay address left the configuration";
	pa = relay_pool_for(r, a->port_a);
	pb = relay_pool_for(r, a->port_b);
	if (!pa || pa != pb || !pool_serves(pa, net))
		return "its ports are no longer in a pool of its network";
	if (port_used(rs, a->port_a) || port_used(rs, a->port_b))
		return "a static session now uses its ports";
	return NULL;
}

static void place_statics(struct state *st, struct config *cfg)
{
	size_t i, *count = xcalloc(cfg->n_relays, sizeof(*count));

	for (i = 0; i < cfg->n_sessions; i++)
		count[cfg->sessions[i].relay->index]++;
	for (i = 0; i < cfg->n_relays; i++) {
		struct relay_state *rs = st->relays[i];

		free(rs->statics);
		free(rs->static_text);
		rs->statics = xcalloc(count[i], sizeof(*rs->statics));
		rs->static_text = xcalloc(count[i] ? count[i] : 1, sizeof(*rs->static_text));
		rs->n_statics = 0;
		/* Every text may change with the configuration: compare them all. */
		rs->sweep = true;
		memset(rs->used, 0, sizeof(rs->used));
	}
	for (i = 0; i < cfg->n_sessions; i++) {
		const struct session *s = &cfg->sessions[i];
		struct relay_state *rs = st->relays[s->relay->index];

		rs->statics[rs->n_statics++] = s;
		port_set(rs, s->a.port, true);
		port_set(rs, s->b.port, true);
	}
	free(count);
}

/* Is @lost of @before more than @percent, @before counting at least two? */
static bool too_many(size_t lost, size_t before, unsigned percent)
{
	return before >= 2 && lost * 100 > (size_t)percent * before;
}

bool state_removal(const struct state *st, const struct config *cfg, unsigned percent,
		   char *why, size_t len)
{
	size_t i, j;

	for (i = 0; i < st->n_relays; i++) {
		const struct relay_state *rs = st->relays[i];
		bool gone = !hm_get_str(&cfg->relay_by_name, rs->name);
		size_t lost = 0;

		for (j = 0; j < rs->n_statics; j++) {
			const struct session *s = hm_get_str(&cfg->session_by_name,
							     rs->statics[j]->name);

			lost += gone || !s || strcmp(s->relay->name, rs->name);
		}
		if (too_many(lost, rs->n_statics, percent)) {
			snprintf(why, len, "relay %s would lose %zu of its %zu static sessions",
				 rs->name, lost, rs->n_statics);
			return true;
		}
		if (gone && too_many(rs->n_allocs, rs->n_allocs, percent)) {
			snprintf(why, len, "relay %s would lose its %zu allocations", rs->name,
				 rs->n_allocs);
			return true;
		}
	}
	return false;
}

void state_apply_config(struct state *st, struct config *cfg)
{
	struct relay_state **relays = xcalloc(cfg->n_relays, sizeof(*relays));
	struct hashmap by_name;
	struct alloc *a, *next;
	size_t i;

	hm_init_str(&by_name);
	for (i = 0; i < cfg->n_relays; i++) {
		const struct relay *r = &cfg->relays[i];
		struct relay_state *rs = hm_del_str(&st->by_name, r->name);

		if (!rs) {
			rs = xcalloc(1, sizeof(*rs));
			rs->name = xstrdup(r->name);
			hm_init_str(&rs->shown);
			TAILQ_INIT(&rs->allocs);
			TAILQ_INIT(&rs->waiters);
		}
		rs->relay = r;
		relays[i] = rs;
		hm_put_str(&by_name, rs->name, rs);
	}
	/* What is left in the old map has left the configuration. */
	for (i = 0; i < st->n_relays; i++)
		if (hm_get_str(&st->by_name, st->relays[i]->name) == st->relays[i])
			relay_state_free(st, st->relays[i]);
	hm_free(&st->by_name);
	free(st->relays);
	st->by_name = by_name;
	st->relays = relays;
	st->n_relays = cfg->n_relays;

	place_statics(st, cfg);
	for (i = 0; i < st->n_relays; i++) {
		struct relay_state *rs = st->relays[i];

		for (a = TAILQ_FIRST(&rs->allocs); a; a = next) {
			const char *why = alloc_misfit(cfg, rs, a);

			next = TAILQ_NEXT(a, link);
			if (why) {
				/* Its bits are not set yet: detach would clear a static's. */
				TAILQ_REMOVE(&rs->allocs, a, link);
				rs->n_allocs--;
				hm_del_str(&st->allocs, a->id);
				st->n_allocs--;
				a->rs = NULL;
				orphan(st, a, why);
				continue;
			}
			port_set(rs, a->port_a, true);
			port_set(rs, a->port_b, true);
			a->text = NULL;
			a->net = NULL;
		}
	}
	free_texts(st);
	config_free(st->cfg);
	st->cfg = cfg;
	make_texts(st);
	for (i = 0; i < st->n_relays; i++)
		st->relays[i]->stale = true;
	st->n_stale = st->n_relays;
	for (i = 0; i < st->n_relays; i++)
		if (!st->defer_idle || st->relays[i]->n_waiters)
			render(st, st->relays[i]);
}

static void free_orphan(void *a, void *arg)
{
	alloc_free(a);
}

static void free_orphans(struct state *st)
{
	hm_each(&st->orphans, free_orphan, NULL);
	hm_free(&st->orphans);
}

void state_free(struct state *st)
{
	size_t i;

	for (i = 0; i < st->n_relays; i++)
		relay_state_free(st, st->relays[i]);
	free(st->relays);
	hm_free(&st->by_name);
	hm_free(&st->allocs);
	free_orphans(st);
	free_texts(st);
	config_free(st->cfg);
	memset(st, 0, sizeof(*st));
}
