// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "testlib.h"

#define YAML \
	"networks:\n" \
	"  - {name: n1, id: 1, subnet: 10.0.0.0/8}\n" \
	"  - {name: n2, id: 2, subnet: 10.0.0.0/8}\n" \
	"relays:\n" \
	"  - {name: eu1, region: eu, addresses: [192.0.2.1], pools: [{ports: 1000-1009}]}\n" \
	"  - {name: eu2, region: eu, addresses: [192.0.2.2, \"2001:db8::2\"], pools: [{ports: 1000-1009}]}\n" \
	"  - {name: us1, region: us, addresses: [192.0.2.3], capacity: 2,\n" \
	"     pools: [{ports: 1000-1009, network: n1}]}\n" \
	"  - {name: off, addresses: [192.0.2.4], allocate: false, pools: [{ports: 1000-1009}]}\n" \
	"sessions:\n" \
	"  - {name: s, network: n1, relay: eu1, a: {port: 1000}, b: {port: 1001}}\n" \
	"clients:\n" \
	"  - {name: c, role: allocator}\n" \
	"  - {name: only2, role: allocator, networks: [n2]}\n"

static struct state st;
static struct store *store;
static const struct client *cl, *only2;

static int create(const char *net, const char *region, const char *allow_a, struct alloc **a)
{
	struct alloc_request r = { .client = cl, .network = net, .region = region };
	char msg[256];

	if (allow_a) {
		prefix_parse(allow_a, &r.allow_a);
		r.has_allow_a = true;
	}
	return alloc_create(&st, store, &r, 1000, a, msg, sizeof(msg));
}

static int restored;

static void restore(struct alloc *x, void *arg)
{
	restored++;
	alloc_restore(&st, store, x, 1000);
}

int main(void)
{
	char db[] = "/tmp/ctld-alloc-XXXXXX", err[256], msg[256], kept[ALLOC_ID_LEN + 1];
	struct alloc *a, *b;
	struct config *cfg;
	int fd = mkstemp(db), i, code, dup = 0, n = 0;
	struct alloc_request r2;
	unsigned char seen[4][65536 / 8] = { { 0 } };

	close(fd);
	log_set_quiet(1);
	store = store_open(db, err, sizeof(err));
	if (!tap_ok(store != NULL, "alloc: store opens")) {
		tap_diag("%s", err);
		return 1;
	}
	cfg = load_yaml(YAML);
	state_init(&st, 1);
	state_apply_config(&st, cfg);
	cl = &cfg->clients[0];
	only2 = &cfg->clients[1];

	tap_ok(create("n1", "us", NULL, &a) == 201 && !strcmp(a->relay, "us1"),
	       "alloc: the preferred region wins");
	tap_ok(create("n1", NULL, NULL, &a) == 201 && !strcmp(a->relay, "eu2"),
	       "alloc: without a region the least loaded relay wins (eu2 over eu1's static session)");
	tap_ok(create("n1", NULL, "2001:db8:1::/48", &a) == 201 && !strcmp(a->relay, "eu2") &&
	       a->addr.family == AF_INET6, "alloc: an IPv6 endpoint gets the relay's IPv6 address");
	tap_ok(create("n2", "us", NULL, &a) == 201 && strcmp(a->relay, "us1"),
	       "alloc: a relay whose pools serve other networks only is skipped");
	tap_ok(create("nope", NULL, NULL, &a) == 400, "alloc: unknown network refused (400)");
	r2 = (struct alloc_request){ .client = only2, .network = "n1" };
	tap_ok(alloc_create(&st, store, &r2, 1000, &a, msg, sizeof(msg)) == 403,
	       "alloc: a client limited to other networks is refused (403)");

	/* Drain everything: no port pair may be handed out twice. */
	for (i = 0; i < 100 && (code = create("n1", NULL, NULL, &a)) == 201; i++)
		;
	tap_ok(code == 503, "alloc: exhaustion answers 503 (after %d more)", i);
	for (i = 0; i < (int)st.n_relays; i++) {
		struct relay_state *rs = st.relays[i];
		struct alloc *x;

		TAILQ_FOREACH(x, &rs->allocs, link) {
			uint16_t ports[2] = { x->port_a, x->port_b };
			int k;

			for (k = 0; k < 2; k++) {
				if (seen[i][ports[k] / 8] & (1 << (ports[k] % 8)))
					dup++;
				seen[i][ports[k] / 8] |= 1 << (ports[k] % 8);
				if (rs->statics[0] && (ports[k] == 1000 || ports[k] == 1001) &&
				    !strcmp(rs->name, "eu1"))
					dup++;
			}
			n++;
		}
	}
	tap_ok(!dup && n == 11 && !state_relay(&st, "off")->n_allocs,
	       "alloc: %d allocations, no port used twice, static ports and allocate:false respected", n);
	tap_ok(state_relay(&st, "us1")->n_allocs == 2, "alloc: capacity caps a relay");

	a = TAILQ_FIRST(&state_relay(&st, "eu2")->allocs);
	b = TAILQ_NEXT(a, link);
	tap_ok(alloc_release(&st, store, cl, b->id, msg, sizeof(msg)) == 204 &&
	       create("n1", "eu", NULL, &b) == 201 && !strcmp(b->relay, "eu2"),
	       "alloc: a release frees a pair for the next request");
	tap_ok(alloc_refresh(&st, store, cl, a->id, 50, 2000, &b, msg, sizeof(msg)) == 200 &&
	       b->expires == 2050, "alloc: refresh moves the expiry");
	memcpy(kept, a->id, sizeof(kept));
	tap_ok(alloc_refresh(&st, store, only2, a->id, 50, 2000, &b, msg, sizeof(msg)) == 404,
	       "alloc: another client's allocation is invisible");
	i = (int)st.n_allocs;
	tap_ok(alloc_expire(&st, store, 1700) == (size_t)i - 1 && st.n_allocs == 1,
	       "alloc: expired allocations are reclaimed, the refreshed one stays");

	/* What the store holds comes back after a restart. */
	state_free(&st);
	store_close(store);
	store = store_open(db, err, sizeof(err));
	cfg = load_yaml(YAML);
	state_init(&st, 1);
	state_apply_config(&st, cfg);
	cl = &cfg->clients[0];
	store_load(store, restore, NULL);
	tap_ok(restored == 1 && st.n_allocs == 1 &&
	       hm_get_str(&st.allocs, kept) != NULL, "alloc: allocations survive a restart");

	/* Its relay leaves: orphaned; back with it; deleted once its grace is over. */
	a = hm_get_str(&st.allocs, kept);
	state_detach_alloc(&st, a);
	a->orphaned_at = 1000;
	state_add_orphan(&st, a);
	store_set_orphaned(store, a->id, a->orphaned_at);
	tap_ok(alloc_expire_orphans(&st, store, 1500, 3600) == 0 && st.n_orphans == 1 &&
	       alloc_readopt(&st, store) == 1 && st.n_orphans == 0 && st.n_allocs == 1 &&
	       !a->orphaned_at, "alloc: an orphan that fits again goes back on its relay");
	state_detach_alloc(&st, a);
	a->orphaned_at = 1000;
	state_add_orphan(&st, a);
	tap_ok(alloc_expire_orphans(&st, store, 1500, 400) == 1 && st.n_orphans == 0 &&
	       !hm_get_str(&st.orphans, kept), "alloc: an orphan past its grace is deleted");
	state_free(&st);
	store_close(store);
	unlink(db);
	return tap_done();
}
