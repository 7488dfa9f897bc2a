// SPDX-License-Identifier: GPL-2.0-only
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "config.h"
#include "log.h"

struct candidate {
	struct relay_state *rs;
	const struct prefix *addr;
	bool region_match;
};

/* Region match first, then the lower share of capacity in use, then name. */
static int candidate_cmp(const void *pa, const void *pb)
{
	const struct candidate *a = pa, *b = pb;
	unsigned long long la, lb;

	if (a->region_match != b->region_match)
		return a->region_match ? -1 : 1;
	la = (unsigned long long)relay_load(a->rs) * b->rs->relay->capacity;
	lb = (unsigned long long)relay_load(b->rs) * a->rs->relay->capacity;
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a->rs->name, b->rs->name);
}

static const struct prefix *pick_address(const struct relay *r, int family)
{
	size_t i;

	for (i = 0; i < r->n_addrs; i++)
		if (!family || r->addrs[i].family == family)
			return &r->addrs[i];
	return NULL;
}

static bool serves(const struct relay *r, const struct network *net)
{
	size_t i;

	for (i = 0; i < r->n_pools; i++)
		if (pool_serves(&r->pools[i], net))
			return true;
	return false;
}

/* Next-fit over the pools serving net: two free ports of one pool. */
static bool take_pair(struct relay_state *rs, const struct network *net,
		      uint16_t *pa, uint16_t *pb)
{
	const struct relay *r = rs->relay;
	size_t i;

	for (i = 0; i < r->n_pools; i++) {
		const struct pool *p = &r->pools[i];
		uint32_t span = p->port_max - p->port_min + 1, k, start;
		uint16_t found[2];
		int n = 0;

		if (!pool_serves(p, net))
			continue;
		start = rs->cursor >= p->port_min && rs->cursor <= p->port_max ?
			rs->cursor - p->port_min : 0;
		for (k = 0; k < span && n < 2; k++) {
			uint16_t port = p->port_min + (start + k) % span;

			if (!port_used(rs, port))
				found[n++] = port;
		}
		if (n == 2) {
			*pa = found[0];
			*pb = found[1];
			rs->cursor = found[1] == p->port_max ? p->port_min : found[1] + 1;
			return true;
		}
	}
	return false;
}

static void new_id(char *id)
{
	unsigned char raw[ALLOC_ID_LEN / 2];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		log_err("RAND_bytes failed");
		abort();
	}
	for (i = 0; i < sizeof(raw); i++)
		sprintf(id + 2 * i, "%02x", raw[i]);
}

static bool client_may_use(const struct client *c, const struct network *net)
{
	size_t i;

	if (!c->n_networks)
		return true;
	for (i = 0; i < c->n_networks; i++)
		if (c->networks[i] == net)
			return true;
	return false;
}

struct owner_visit {
	const struct client *c;
	void (*fn)(struct alloc *a, void *arg);
	void *arg;
};

static void visit_owned(void *value, void *arg)
{
	struct owner_visit *v = arg;
	struct alloc *a = value;

	if (!strcmp(a->owner, v->c->name))
		v->fn(a, v->arg);
}

void alloc_each_owned(struct state *st, const struct client *c,
		      void (*fn)(struct alloc *a, void *arg), void *arg)
{
	struct owner_visit visit = { c, fn, arg };
	struct alloc *a, *next;
	size_t i;

	for (i = 0; i < st->n_relays; i++)
		for (a = TAILQ_FIRST(&st->relays[i]->allocs); a; a = next) {
			next = TAILQ_NEXT(a, link);
			if (!strcmp(a->owner, c->name))
				fn(a, arg);
		}
	hm_each(&st->orphans, visit_owned, &visit);
}

struct owned {
	const char *idem;
	struct alloc *same;	/* the one with idem */
	size_t n;
};

static void count_owned(struct alloc *a, void *arg)
{
	struct owned *o = arg;

	o->n++;
	if (o->idem && a->idem && !strcmp(a->idem, o->idem))
		o->same = a;
}

int alloc_create(struct state *st, struct store *store, const struct alloc_request *req,
		 int64_t now, struct alloc **out, char *msg, size_t msglen)
{
	const struct settings *set = &st->cfg->settings;
	const struct network *net = config_network(st->cfg, req->network);
	struct candidate *cands;
	size_t n = 0, i;
	int family = 0;
	uint32_t ttl = req->ttl ? req->ttl : set->allocation_ttl;
	struct alloc *a;

	struct owned owned = { .idem = req->idem };

	/* A retry with the same key gets the allocation the first one made. */
	alloc_each_owned(st, req->client, count_owned, &owned);
	if (owned.same) {
		*out = owned.same;
		return 200;
	}
	if (req->client->max_allocations && owned.n >= req->client->max_allocations) {
		snprintf(msg, msglen, "client '%s' holds %zu allocations, its max-allocations",
			 req->client->name, owned.n);
		return 429;
	}
	if (!net) {
		snprintf(msg, msglen, "unknown network '%s'", req->network);
		return 400;
	}
	if (!client_may_use(req->client, net)) {
		snprintf(msg, msglen, "client '%s' may not allocate in network '%s'",
			 req->client->name, net->name);
		return 403;
	}
	if (ttl > set->allocation_max_ttl) {
		snprintf(msg, msglen, "ttl must be at most %u seconds", set->allocation_max_ttl);
		return 400;
	}
	if (req->has_allow_a)
		family = req->allow_a.family;
	if (req->has_allow_b) {
		if (family && family != req->allow_b.family) {
			snprintf(msg, msglen, "the prefixes of a and b must be of one address family");
			return 400;
		}
		family = req->allow_b.family;
	}

	cands = xcalloc(st->n_relays, sizeof(*cands));
	for (i = 0; i < st->n_relays; i++) {
		struct relay_state *rs = st->relays[i];
		const struct relay *r = rs->relay;
		const struct prefix *addr = pick_address(r, family);

		if (!r->allocate || relay_load(rs) >= r->capacity || !addr || !serves(r, net))
			continue;
		cands[n].rs = rs;
		cands[n].addr = addr;
		cands[n].region_match = req->region && r->region && !strcmp(req->region, r->region);
		n++;
	}
	qsort(cands, n, sizeof(*cands), candidate_cmp);

	a = xcalloc(1, sizeof(*a));
	for (i = 0; i < n; i++)
		if (take_pair(cands[i].rs, net, &a->port_a, &a->port_b))
			break;
	if (i == n) {
		free(cands);
		free(a);
		snprintf(msg, msglen, "no relay has free ports for network '%s'%s", net->name,
			 family ? " on that address family" : "");
		return 503;
	}
	new_id(a->id);
	a->owner = xstrdup(req->client->name);
	a->idem = req->idem ? xstrdup(req->idem) : NULL;
	a->network = xstrdup(net->name);
	a->relay = xstrdup(cands[i].rs->name);
	a->addr = *cands[i].addr;
	a->has_allow_a = req->has_allow_a;
	a->allow_a = req->allow_a;
	a->has_allow_b = req->has_allow_b;
	a->allow_b = req->allow_b;
	a->created = now;
	a->expires = now + ttl;
	if (store_insert(store, a)) {
		snprintf(msg, msglen, "cannot record the allocation: %s", store_error(store));
		log_err("store: insert %s: %s", a->id, store_error(store));
		free(cands);
		alloc_free(a);
		return 500;
	}
	state_attach_alloc(st, cands[i].rs, a);
	state_refresh_relay(st, cands[i].rs);
	free(cands);
	*out = a;
	return 201;
}

int alloc_lookup(struct state *st, const struct client *c, const char *id,
		 struct alloc **out, char *msg, size_t msglen)
{
	struct alloc *a = hm_get_str(&st->allocs, id);

	if (!a)
		a = hm_get_str(&st->orphans, id);

	/* Another client's allocation is as invisible as a missing one. */
	if (!a || strcmp(a->owner, c->name)) {
		snprintf(msg, msglen, "no allocation '%s'", id);
		return 404;
	}
	*out = a;
	return 200;
}

int alloc_refresh(struct state *st, struct store *store, const struct client *c,
		  const char *id, uint32_t ttl, int64_t now, struct alloc **out,
		  char *msg, size_t msglen)
{
	const struct settings *set = &st->cfg->settings;
	struct alloc *a;
	int code = alloc_lookup(st, c, id, &a, msg, msglen);

	if (code != 200)
		return code;
	if (!ttl)
		ttl = set->allocation_ttl;
	if (ttl > set->allocation_max_ttl) {
		snprintf(msg, msglen, "ttl must be at most %u seconds", set->allocation_max_ttl);
		return 400;
	}
	if (store_set_expiry(store, a->id, now + ttl)) {
		snprintf(msg, msglen, "cannot record the refresh: %s", store_error(store));
		return 500;
	}
	a->expires = now + ttl;
	*out = a;
	return 200;
}

static void drop(struct state *st, struct store *store, struct alloc *a)
{
	if (store_delete(store, a->id))
		log_err("store: delete %s: %s (it expires again at the next start)",
			a->id, store_error(store));
	state_detach_alloc(st, a);
	alloc_free(a);
}

int alloc_release(struct state *st, struct store *store, const struct client *c,
		  const char *id, char *msg, size_t msglen)
{
	struct relay_state *rs;
	struct alloc *a;
	int code = alloc_lookup(st, c, id, &a, msg, msglen);

	if (code != 200)
		return code;
	if (store_delete(store, a->id)) {
		snprintf(msg, msglen, "cannot record the release: %s", store_error(store));
		return 500;
	}
	rs = a->rs;
	if (!rs) {
		state_remove_orphan(st, a);
		alloc_free(a);
		return 204;
	}
	state_detach_alloc(st, a);
	alloc_free(a);
	state_refresh_relay(st, rs);
	return 204;
}

size_t alloc_expire(struct state *st, struct store *store, int64_t now)
{
	size_t i, count = 0;

	if (!st->n_allocs)
		return 0;
	for (i = 0; i < st->n_relays; i++) {
		struct relay_state *rs = st->relays[i];
		struct alloc *a, *next;
		size_t before = count;

		for (a = TAILQ_FIRST(&rs->allocs); a; a = next) {
			next = TAILQ_NEXT(a, link);
			if (a->expires > now)
				continue;
			log_info("allocation %s on relay %s expired", a->id, rs->name);
			drop(st, store, a);
			count++;
		}
		if (count != before)
			state_refresh_relay(st, rs);
	}
	return count;
}

/* Why @a cannot be on its relay under the configuration, or NULL if it can. */
static const char *alloc_misfit(const struct state *st, const struct alloc *a)
{
	struct relay_state *rs = state_relay(st, a->relay);
	const struct network *net = config_network(st->cfg, a->network);
	const struct pool *pa, *pb;
	size_t i;

	if (!rs || !net)
		return "its relay or network left the configuration";
	for (i = 0; i < rs->relay->n_addrs; i++)
		if (prefix_equal(&rs->relay->addrs[i], &a->addr))
			break;
	pa = relay_pool_for(rs->relay, a->port_a);
	pb = relay_pool_for(rs->relay, a->port_b);
	if (i == rs->relay->n_addrs || !pa || pa != pb || !pool_serves(pa, net) ||
	    a->port_a == a->port_b)
		return "it no longer fits its relay's addresses and pools";
	if (port_used(rs, a->port_a) || port_used(rs, a->port_b))
		return "its ports are taken";
	return NULL;
}

static void record_orphaned(struct store *store, const struct alloc *a)
{
	if (store_set_orphaned(store, a->id, a->orphaned_at))
		log_err("store: orphan %s: %s", a->id, store_error(store));
}

void alloc_restore(struct state *st, struct store *store, struct alloc *a, int64_t now)
{
	const char *why = a->expires <= now ? "it expired while ctld was down" : NULL;

	if (why) {
		log_info("dropping allocation %s: %s", a->id, why);
		if (store_delete(store, a->id))
			log_err("store: delete %s: %s", a->id, store_error(store));
		alloc_free(a);
		return;
	}
	why = alloc_misfit(st, a);
	if (why) {
		if (!a->orphaned_at) {
			a->orphaned_at = now;
			record_orphaned(store, a);
		}
		log_info("allocation %s waits, orphaned: %s", a->id, why);
		state_add_orphan(st, a);
		return;
	}
	if (a->orphaned_at) {
		a->orphaned_at = 0;
		record_orphaned(store, a);
	}
	state_attach_alloc(st, state_relay(st, a->relay), a);
}

/* The orphans, collected first: a hashmap changes as its entries go. */
struct collected {
	struct alloc **v;
	size_t n;
};

static void collect(void *a, void *arg)
{
	struct collected *c = arg;

	c->v[c->n++] = a;
}

static struct alloc **orphan_list(const struct state *st, size_t *n)
{
	struct collected c = { xcalloc(st->n_orphans, sizeof(*c.v)), 0 };

	hm_each(&st->orphans, collect, &c);
	*n = c.n;
	return c.v;
}

size_t alloc_readopt(struct state *st, struct store *store)
{
	size_t n, i, count = 0;
	struct alloc **v = orphan_list(st, &n);

	for (i = 0; i < n; i++) {
		struct alloc *a = v[i];
		struct relay_state *rs;

		if (alloc_misfit(st, a))
			continue;
		state_remove_orphan(st, a);
		a->orphaned_at = 0;
		record_orphaned(store, a);
		rs = state_relay(st, a->relay);
		state_attach_alloc(st, rs, a);
		state_refresh_relay(st, rs);
		log_info("allocation %s is back on relay %s", a->id, rs->name);
		count++;
	}
	free(v);
	return count;
}

size_t alloc_expire_orphans(struct state *st, struct store *store, int64_t now, int64_t grace)
{
	size_t n, i, count = 0;
	struct alloc **v;

	if (!st->n_orphans)
		return 0;
	v = orphan_list(st, &n);
	for (i = 0; i < n; i++) {
		struct alloc *a = v[i];

		if (a->expires > now && a->orphaned_at + grace > now)
			continue;
		log_info("allocation %s deleted: %s", a->id, a->expires > now ?
			 "orphaned past its grace" : "expired while orphaned");
		if (store_delete(store, a->id))
			log_err("store: delete %s: %s", a->id, store_error(store));
		state_remove_orphan(st, a);
		alloc_free(a);
		count++;
	}
	free(v);
	return count;
}

static json_t *side_json(uint16_t port, bool has_allow, const struct prefix *allow)
{
	json_t *o = json_pack("{s:i}", "port", port);
	char buf[NETADDR_STRLEN];

	if (has_allow) {
		prefix_format(allow, buf);
		json_object_set_new(o, "allow", json_string(buf));
	}
	return o;
}

json_t *alloc_json(const struct alloc *a, int64_t now)
{
	char addr[NETADDR_STRLEN], when[32];
	time_t t = a->expires;
	struct tm tm;
	json_t *o;

	addr_format(&a->addr, addr);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:s, s:I, s:s*}",
		      "id", a->id, "network", a->network, "relay", a->relay,
		      "address", addr,
		      "a", side_json(a->port_a, a->has_allow_a, &a->allow_a),
		      "b", side_json(a->port_b, a->has_allow_b, &a->allow_b),
		      "created", (json_int_t)a->created, "expires", (json_int_t)a->expires,
		      "expires_at", when,
		      "ttl", (json_int_t)(a->expires > now ? a->expires - now : 0),
		      "idempotency_key", a->idem);
	if (a->orphaned_at)
		json_object_set_new(o, "orphaned_at", json_integer(a->orphaned_at));
	return o;
}
