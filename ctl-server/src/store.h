/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Durable record of the allocations, in SQLite. Every change is its own
 * transaction and is on disk before the API answers.
 */
#ifndef CTLD_STORE_H
#define CTLD_STORE_H

#include "state.h"

struct store;

/* NULL on failure, with the reason in err. */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *s);

/* Hand every stored allocation to fn, which takes ownership. */
int store_load(struct store *s, void (*fn)(struct alloc *a, void *arg), void *arg);
int store_insert(struct store *s, const struct alloc *a);
int store_set_expiry(struct store *s, const char *id, int64_t expires);
int store_delete(struct store *s, const char *id);
/* Mark an allocation orphaned since @when (Unix seconds), or placed (0). */
int store_set_orphaned(struct store *s, const char *id, int64_t when);
const char *store_error(struct store *s);

#endif
