// SPDX-License-Identifier: GPL-2.0-only
#include <jansson.h>
#include <stdlib.h>

#include "state.h"
#include "testlib.h"

#define BASE_YAML \
	"networks: [{name: n1, id: 7, subnet: 10.0.0.0/8}]\n" \
	"relays:\n" \
	"  - {name: r1, addresses: [192.0.2.1], pools: [{ports: 1000-1099, network: n1}]}\n" \
	"  - {name: r2, addresses: [192.0.2.2, \"2001:db8::2\"], pools: [{ports: 2000-2099}]}\n"

static int changed_count;

static void on_changed(struct state *st, struct relay_state *rs)
{
	changed_count++;
}

static int orphaned_count;

static void on_orphaned(struct state *st, struct alloc *a, const char *why)
{
	orphaned_count++;
}

static struct alloc *make_alloc(const char *id, const char *relay, const char *addr,
				uint16_t pa, uint16_t pb)
{
	struct alloc *a = calloc(1, sizeof(*a));

	snprintf(a->id, sizeof(a->id), "%s", id);
	a->owner = strdup("c");
	a->network = strdup("n1");
	a->relay = strdup(relay);
	addr_parse(addr, &a->addr);
	a->port_a = pa;
	a->port_b = pb;
	return a;
}

/* The sessions of a full document by name. */
static json_t *sessions_by_name(const char *body, size_t len)
{
	json_t *doc = json_loadb(body, len, 0, NULL), *out = json_object(), *s;
	size_t i;

	json_array_foreach(json_object_get(doc, "sessions"), i, s)
		json_object_set(out, json_string_value(json_object_get(s, "name")), s);
	json_decref(doc);
	return out;
}

/*
 * The delta from @base, applied to @old (sessions by name) as an agent
 * would: true if that gives the sessions of @rs's current document.
 */
static bool delta_applies(struct relay_state *rs, uint64_t base, json_t *old, size_t *upserts,
			  size_t *removes)
{
	size_t len, i;
	char *text = delta_render(&rs->deltas, rs->name, base, delta_limit(rs->body_len), &len);
	json_t *d = text ? json_loadb(text, len, 0, NULL) : NULL, *v;
	json_t *want = sessions_by_name(rs->body, rs->body_len), *got = json_deep_copy(old);
	bool ok;

	free(text);
	if (!d)
		return false;
	ok = json_integer_value(json_object_get(d, "generation")) == (json_int_t)rs->generation &&
	     json_integer_value(json_object_get(d, "base")) == (json_int_t)base &&
	     !strcmp(json_string_value(json_object_get(d, "relay")), rs->name);
	json_array_foreach(json_object_get(d, "sessions_remove"), i, v)
		ok &= !json_object_del(got, json_string_value(v));
	json_array_foreach(json_object_get(d, "sessions_upsert"), i, v)
		json_object_set(got, json_string_value(json_object_get(v, "name")), v);
	*upserts = json_array_size(json_object_get(d, "sessions_upsert"));
	*removes = json_array_size(json_object_get(d, "sessions_remove"));
	ok &= json_equal(got, want);
	json_decref(d);
	json_decref(want);
	json_decref(got);
	return ok;
}

#define DELTA_YAML(timeout) BASE_YAML \
	"sessions:\n" \
	"  - {name: s1, network: n1, relay: r1, a: {port: 1000, peer: \"198.51.100.1:5\"}, b: {port: 1001}}\n" \
	"  - {name: s2, network: n1, relay: r1, idle-timeout: " timeout ", a: {port: 1004}, b: {port: 1005}}\n"

static void test_deltas(void)
{
	struct state st;
	struct relay_state *r1;
	json_t *g0_doc, *g1_doc, *g2_doc, *g3_doc;
	uint64_t g0, g1, g2, g3;
	size_t up = 0, rm = 0;
	struct alloc *a;
	char *text = NULL;
	size_t len;

	state_init(&st, 1000);
	state_apply_config(&st, load_yaml(DELTA_YAML("60")));
	r1 = state_relay(&st, "r1");
	g0 = r1->generation;
	g0_doc = sessions_by_name(r1->body, r1->body_len);
	tap_ok(!delta_render(&r1->deltas, "r1", g0, SIZE_MAX, &len) &&
	       !delta_render(&r1->deltas, "r1", g0 - 1, SIZE_MAX, &len),
	       "delta: none from the current generation, nor before the first document");

	state_attach_alloc(&st, r1, make_alloc("d1", "r1", "192.0.2.1", 1010, 1011));
	state_refresh_relay(&st, r1);
	g1 = r1->generation;
	g1_doc = sessions_by_name(r1->body, r1->body_len);
	tap_ok(g1 > g0 && delta_applies(r1, g0, g0_doc, &up, &rm) && up == 1 && rm == 0,
	       "delta: an added allocation is one upsert");

	state_apply_config(&st, load_yaml(DELTA_YAML("90")));
	g2 = r1->generation;
	g2_doc = sessions_by_name(r1->body, r1->body_len);
	tap_ok(g2 > g1 && delta_applies(r1, g1, g1_doc, &up, &rm) && up == 1 && rm == 0,
	       "delta: a static session changed by a reload is one upsert, the others stay");
	tap_ok(delta_applies(r1, g0, g0_doc, &up, &rm) && up == 2 && rm == 0,
	       "delta: changes over several generations are merged");

	a = hm_get_str(&st.allocs, "d1");
	state_detach_alloc(&st, a);
	alloc_free(a);
	state_refresh_relay(&st, r1);
	g3 = r1->generation;
	g3_doc = sessions_by_name(r1->body, r1->body_len);
	tap_ok(delta_applies(r1, g2, g2_doc, &up, &rm) && up == 0 && rm == 1,
	       "delta: a released allocation is one removal");
	tap_ok(delta_applies(r1, g0, g0_doc, &up, &rm) && up == 1 && rm == 0,
	       "delta: a session added and removed since the base is not mentioned");

	state_apply_config(&st, load_yaml(BASE_YAML
		"sessions:\n"
		"  - {name: s1, network: n1, relay: r1, a: {port: 1000, peer: \"198.51.100.1:5\"}, b: {port: 1001}}\n"));
	tap_ok(r1->generation > g3 && delta_applies(r1, g3, g3_doc, &up, &rm) && up == 0 && rm == 1 &&
	       (text = delta_render(&r1->deltas, "r1", g3, SIZE_MAX, &len)) &&
	       strstr(text, "\"sessions_remove\":[\"s2\"]") && strstr(text, "\"sessions_upsert\":[]"),
	       "delta: a static session removed by a reload is one removal");
	free(text);
	g3 = r1->generation;
	state_apply_config(&st, load_yaml(
		"networks: [{name: n1, id: 9, subnet: 10.0.0.0/8}]\n"
		"relays:\n"
		"  - {name: r1, addresses: [192.0.2.1], pools: [{ports: 1000-1099, network: n1}]}\n"
		"sessions:\n"
		"  - {name: s1, network: n1, relay: r1, a: {port: 1000, peer: \"198.51.100.1:5\"}, b: {port: 1001}}\n"));
	tap_ok(r1->generation > g3 && !delta_render(&r1->deltas, "r1", g3, SIZE_MAX, &len) &&
	       !delta_render(&r1->deltas, "r1", g0, SIZE_MAX, &len),
	       "delta: a change outside the sessions (a network) leaves only the full state");
	g3 = r1->generation;
	state_attach_alloc(&st, r1, make_alloc("d2", "r1", "192.0.2.1", 1020, 1021));
	state_refresh_relay(&st, r1);
	tap_ok((text = delta_render(&r1->deltas, "r1", g3, SIZE_MAX, &len)) &&
	       !delta_render(&r1->deltas, "r1", g3, 10, &len),
	       "delta: the chain starts again after a full state; over the size limit, none");
	free(text);
	json_decref(g0_doc);
	json_decref(g1_doc);
	json_decref(g2_doc);
	json_decref(g3_doc);
	state_free(&st);
}

int main(void)
{
	struct state st;
	struct relay_state *r1, *r2;
	uint64_t g1, g2;
	json_t *doc, *sess;
	json_error_t jerr;

	state_init(&st, 100);
	st.hooks.changed = on_changed;
	st.hooks.orphaned = on_orphaned;
	state_apply_config(&st, load_yaml(BASE_YAML
		"sessions:\n"
		"  - {name: s1, network: n1, relay: r1, a: {port: 1000, peer: \"198.51.100.1:5\"}, b: {port: 1001}}\n"));
	r1 = state_relay(&st, "r1");
	r2 = state_relay(&st, "r2");
	tap_ok(r1 && r2 && r1->generation >= 100 && r2->generation != r1->generation &&
	       changed_count == 2, "state: each relay gets a generation on first load");
	doc = json_loadb(r1->body, r1->body_len, 0, &jerr);
	sess = json_array_get(json_object_get(doc, "sessions"), 0);
	tap_ok(doc && json_integer_value(json_object_get(doc, "generation")) == (json_int_t)r1->generation &&
	       !strcmp(json_string_value(json_object_get(sess, "name")), "s1") &&
	       json_integer_value(json_object_get(sess, "network")) == 7 &&
	       json_integer_value(json_object_get(sess, "instance")) == 1 &&
	       !strcmp(json_string_value(json_object_get(json_object_get(sess, "a"), "peer")),
		       "198.51.100.1:5"),
	       "state: document carries generation, instance, network and sides");
	tap_ok(json_array_size(json_object_get(json_loads(r2->body, 0, NULL), "instances")) == 2,
	       "state: one instance per address and pool");
	json_decref(doc);

	g1 = r1->generation;
	g2 = r2->generation;
	changed_count = 0;
	state_apply_config(&st, load_yaml(BASE_YAML
		"sessions:\n"
		"  - {name: s1, network: n1, relay: r1, a: {port: 1000, peer: \"198.51.100.1:5\"}, b: {port: 1001}}\n"));
	tap_ok(r1 == state_relay(&st, "r1") && r1->generation == g1 && r2->generation == g2 &&
	       !changed_count, "state: reloading the same configuration changes no generation");
	state_apply_config(&st, load_yaml(BASE_YAML
		"sessions:\n"
		"  - {name: s1, network: n1, relay: r1, idle-timeout: 60, a: {port: 1000, peer: \"198.51.100.1:5\"}, b: {port: 1001}}\n"));
	tap_ok(r1->generation > g1 && r2->generation == g2 && changed_count == 1,
	       "state: a change bumps only the relay it concerns");

	state_attach_alloc(&st, r2, make_alloc("a1", "r2", "2001:db8::2", 2000, 2001));
	state_attach_alloc(&st, r1, make_alloc("a2", "r1", "192.0.2.1", 1002, 1003));
	g2 = r2->generation;
	state_refresh_relay(&st, r2);
	tap_ok(r2->generation > g2 && strstr(r2->body, "\"allocation\":\"a1\"") &&
	       strstr(r2->body, "\"instance\":2"),
	       "state: an allocation appears on its relay's instance for its address");
	tap_ok(port_used(r2, 2000) && port_used(r2, 2001) && !port_used(r2, 2002),
	       "state: allocated ports are marked used");

	/* s1 moves onto a2's ports: config wins and a2 is set aside. */
	orphaned_count = 0;
	state_apply_config(&st, load_yaml(BASE_YAML
		"sessions:\n"
		"  - {name: s1, network: n1, relay: r1, a: {port: 1002, peer: \"198.51.100.1:5\"}, b: {port: 1003}}\n"));
	tap_ok(orphaned_count == 1 && st.n_allocs == 1 && !hm_get_str(&st.allocs, "a2") &&
	       hm_get_str(&st.orphans, "a2") && st.n_orphans == 1 &&
	       port_used(r1, 1002) && !port_used(r1, 1000),
	       "state: an allocation colliding with a new static session is orphaned");
	state_apply_config(&st, load_yaml(
		"networks: [{name: n1, id: 7, subnet: 10.0.0.0/8}]\n"
		"relays:\n"
		"  - {name: r1, addresses: [192.0.2.1], pools: [{ports: 1000-1099, network: n1}]}\n"));
	tap_ok(orphaned_count == 2 && st.n_allocs == 0 && st.n_orphans == 2 &&
	       !state_relay(&st, "r2"),
	       "state: a relay leaving the configuration leaves its allocations orphaned");

	/* Deferred rendering: only relays with waiters are rendered at once. */
	state_apply_config(&st, load_yaml(BASE_YAML));
	r1 = state_relay(&st, "r1");
	r2 = state_relay(&st, "r2");
	g1 = r1->generation;
	st.defer_idle = true;
	r1->n_waiters = 1;	/* as if a relay were waiting on r1 */
	changed_count = 0;
	state_apply_config(&st, load_yaml(
		"networks: [{name: n1, id: 8, subnet: 10.0.0.0/8}]\n"
		"relays:\n"
		"  - {name: r1, addresses: [192.0.2.1], pools: [{ports: 1000-1099, network: n1}]}\n"
		"  - {name: r2, addresses: [192.0.2.2], pools: [{ports: 2000-2099, network: n1}]}\n"
		"  - {name: r3, addresses: [192.0.2.3], pools: [{ports: 3000-3099}]}\n"));
	r2 = state_relay(&st, "r2");
	g2 = r2->generation;
	tap_ok(r1->generation > g1 && !r1->stale && r2->stale && state_relay(&st, "r3")->stale &&
	       st.n_stale == 2 && changed_count == 1,
	       "state: with defer_idle a reload renders only the relays waited on");
	state_current(&st, r2);
	tap_ok(!r2->stale && r2->generation > g2 && strstr(r2->body, "\"network\":8") &&
	       st.n_stale == 1 && changed_count == 2,
	       "state: a stale relay is rendered before it is read");
	state_settle(&st);
	tap_ok(!st.n_stale && !state_relay(&st, "r3")->stale && state_relay(&st, "r3")->body &&
	       changed_count == 3, "state: settling renders every stale relay");
	r1->n_waiters = 0;
	state_free(&st);
	test_deltas();
	return tap_done();
}
