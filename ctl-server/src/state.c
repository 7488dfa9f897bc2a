// SPDX-License-Identifier: GPL-2.0-only
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

void state_detach_alloc(struct state *st, struct alloc *a)
{
	struct relay_state *rs = a->rs;

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

struct render {
	json_t *networks;	/* name -> network json, for those in use */
	json_t *policies;	/* name -> policy json */
};

static void use_policy(struct render *rd, const struct policy *p)
{
	if (p && !json_object_get(rd->policies, p->name))
		json_object_set_new(rd->policies, p->name, policy_json(p));
}

static void use_network(struct render *rd, const struct network *n)
{
	json_t *o;

	if (json_object_get(rd->networks, n->name))
		return;
	o = json_pack("{s:i, s:s, s:o}", "id", (json_int_t)n->id, "name", n->name,
		      "subnet", prefix_json(&n->subnet));
	if (n->policy) {
		json_object_set_new(o, "policy", json_string(n->policy->name));
		use_policy(rd, n->policy);
	}
	json_object_set_new(rd->networks, n->name, o);
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
	snprintf(name, sizeof(name), "alloc-%s", a->id);
	o = json_pack("{s:s, s:s, s:i, s:i, s:i}", "name", name, "allocation", a->id,
		      "instance", (json_int_t)instance_id(r, ai, pool - r->pools),
		      "network", (json_int_t)net->id,
		      "idle_timeout", (json_int_t)cfg->settings.allocation_idle_timeout);
	json_object_set_new(o, "a", alloc_side_json(a->port_a, a->has_allow_a, &a->allow_a));
	json_object_set_new(o, "b", alloc_side_json(a->port_b, a->has_allow_b, &a->allow_b));
	return o;
}

static json_t *object_values(json_t *obj)
{
	json_t *arr = json_array(), *v;
	const char *k;

	json_object_foreach(obj, k, v)
		json_array_append(arr, v);
	return arr;
}

static char *render_content(const struct config *cfg, const struct relay_state *rs)
{
	const struct relay *r = rs->relay;
	struct render rd = { json_object(), json_object() };
	json_t *doc, *instances = json_array(), *sessions = json_array();
	const struct alloc *a;
	size_t i, j;
	char *out;

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
	for (i = 0; i < rs->n_statics; i++)
		json_array_append_new(sessions, static_session_json(&rd, rs->statics[i]));
	TAILQ_FOREACH(a, &rs->allocs, link)
		json_array_append_new(sessions, alloc_session_json(&rd, cfg, r, a));
	doc = json_pack("{s:s, s:o, s:o, s:o, s:o}", "relay", r->name,
			"instances", instances,
			"networks", object_values(rd.networks),
			"policies", object_values(rd.policies),
			"sessions", sessions);
	out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!out)
		die_oom();
	json_decref(doc);
	json_decref(rd.networks);
	json_decref(rd.policies);
	return out;
}

static void render(struct state *st, struct relay_state *rs)
{
	char *content = render_content(st->cfg, rs);
	char head[48];
	size_t hlen, clen;

	if (rs->content && !strcmp(rs->content, content)) {
		free(content);
		return;
	}
	free(rs->content);
	rs->content = content;
	rs->generation = st->next_generation++;
	/* Splice the generation in front of the rest of the document. */
	hlen = snprintf(head, sizeof(head), "{\"generation\":%llu,",
			(unsigned long long)rs->generation);
	clen = strlen(content);
	free(rs->body);
	rs->body = xmalloc(hlen + clen);
	memcpy(rs->body, head, hlen);
	memcpy(rs->body + hlen, content + 1, clen - 1);
	rs->body_len = hlen + clen - 1;
	if (st->hooks.changed)
		st->hooks.changed(st, rs);
}

void state_refresh_relay(struct state *st, struct relay_state *rs)
{
	render(st, rs);
}

static void reclaim(struct state *st, struct alloc *a, const char *why)
{
	state_detach_alloc(st, a);
	if (st->hooks.reclaimed)
		st->hooks.reclaimed(st, a, why);
	alloc_free(a);
}

static void relay_state_free(struct state *st, struct relay_state *rs)
{
	struct alloc *a;

	while ((a = TAILQ_FIRST(&rs->allocs)))
		reclaim(st, a, "its relay left the configuration");
	if (st->hooks.removed)
		st->hooks.removed(st, rs);
	json_decref(rs->report.errors);
	json_decref(rs->report.counters);
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
		rs->statics = xcalloc(count[i], sizeof(*rs->statics));
		rs->n_statics = 0;
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
				if (st->hooks.reclaimed)
					st->hooks.reclaimed(st, a, why);
				alloc_free(a);
				continue;
			}
			port_set(rs, a->port_a, true);
			port_set(rs, a->port_b, true);
		}
	}
	config_free(st->cfg);
	st->cfg = cfg;
	for (i = 0; i < st->n_relays; i++)
		render(st, st->relays[i]);
}

void state_free(struct state *st)
{
	size_t i;

	for (i = 0; i < st->n_relays; i++)
		relay_state_free(st, st->relays[i]);
	free(st->relays);
	hm_free(&st->by_name);
	hm_free(&st->allocs);
	config_free(st->cfg);
	memset(st, 0, sizeof(*st));
}
