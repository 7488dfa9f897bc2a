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

static int reclaimed_count;

static void on_reclaimed(struct state *st, struct alloc *a, const char *why)
{
	reclaimed_count++;
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

int main(void)
{
	struct state st;
	struct relay_state *r1, *r2;
	uint64_t g1, g2;
	json_t *doc, *sess;
	json_error_t jerr;

	state_init(&st, 100);
	st.hooks.changed = on_changed;
	st.hooks.reclaimed = on_reclaimed;
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

	/* s1 moves onto a2's ports: config wins and a2 is reclaimed. */
	reclaimed_count = 0;
	state_apply_config(&st, load_yaml(BASE_YAML
		"sessions:\n"
		"  - {name: s1, network: n1, relay: r1, a: {port: 1002, peer: \"198.51.100.1:5\"}, b: {port: 1003}}\n"));
	tap_ok(reclaimed_count == 1 && st.n_allocs == 1 && !hm_get_str(&st.allocs, "a2") &&
	       port_used(r1, 1002) && !port_used(r1, 1000),
	       "state: an allocation colliding with a new static session is reclaimed");
	state_apply_config(&st, load_yaml(
		"networks: [{name: n1, id: 7, subnet: 10.0.0.0/8}]\n"
		"relays:\n"
		"  - {name: r1, addresses: [192.0.2.1], pools: [{ports: 1000-1099, network: n1}]}\n"));
	tap_ok(reclaimed_count == 2 && st.n_allocs == 0 && !state_relay(&st, "r2"),
	       "state: a relay leaving the configuration takes its allocations along");

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
	return tap_done();
}
