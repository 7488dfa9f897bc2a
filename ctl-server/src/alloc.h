/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The allocation API's logic: choose a relay (region first, then load),
 * take a free port pair, record it durably, and put the session in the
 * relay's state. Everything runs on the event loop's single thread, which
 * is what serializes concurrent requests: no two can pick the same ports.
 */
#ifndef CTLD_ALLOC_H
#define CTLD_ALLOC_H

#include "state.h"
#include "store.h"

struct alloc_request {
	const struct client *client;
	const char *network;
	bool has_allow_a, has_allow_b;
	struct prefix allow_a, allow_b;
	const char *region;	/* preferred, or NULL */
	uint32_t ttl;		/* 0: the configured default */
	const char *idem;	/* Idempotency-Key, or NULL */
};

/* Each returns an HTTP status and, on failure, a message in msg. */
int alloc_create(struct state *st, struct store *store, const struct alloc_request *req,
		 int64_t now, struct alloc **out, char *msg, size_t msglen);
int alloc_lookup(struct state *st, const struct client *c, const char *id,
		 struct alloc **out, char *msg, size_t msglen);
/* Call fn on each allocation client @c holds. */
void alloc_each_owned(struct state *st, const struct client *c,
		      void (*fn)(struct alloc *a, void *arg), void *arg);
int alloc_refresh(struct state *st, struct store *store, const struct client *c,
		  const char *id, uint32_t ttl, int64_t now, struct alloc **out,
		  char *msg, size_t msglen);
int alloc_release(struct state *st, struct store *store, const struct client *c,
		  const char *id, char *msg, size_t msglen);

/* Release every allocation whose expiry has passed; returns how many. */
size_t alloc_expire(struct state *st, struct store *store, int64_t now);
/*
 * Orphans (allocations the configuration no longer fits: their relay or
 * network gone, their ports taken) that fit again go back on their relays;
 * returns how many.
 */
size_t alloc_readopt(struct state *st, struct store *store);
/* Delete orphans expired or orphaned for @grace seconds; returns how many. */
size_t alloc_expire_orphans(struct state *st, struct store *store, int64_t now, int64_t grace);
/*
 * Put an allocation read from the store back on its relay, among the
 * orphans if it does not fit, or drop it if expired.
 */
void alloc_restore(struct state *st, struct store *store, struct alloc *a, int64_t now);

json_t *alloc_json(const struct alloc *a, int64_t now);

#endif
