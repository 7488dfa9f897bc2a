/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A hash map from non-zero 64-bit keys to pointers: open addressing with
 * linear probing, and deletion by shifting back the entries that follow,
 * so that a table churned by millions of changes never fills with
 * tombstones. Sessions are found by (instance, port a, port b) packed
 * into one key, instances by id.
 */
#ifndef AG_MAP_H
#define AG_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ag_map {
	uint64_t *keys;		/* 0: free slot */
	void **vals;
	size_t cap;		/* a power of two, or 0 */
	size_t n;
};

void ag_map_init(struct ag_map *m);
/* Frees the table, not the values. */
void ag_map_free(struct ag_map *m);
void *ag_map_get(const struct ag_map *m, uint64_t key);
/* Adds or replaces; returns the value replaced, or NULL. */
void *ag_map_put(struct ag_map *m, uint64_t key, void *val);
/* Makes room for @n entries in all, so that adding them rehashes nothing. */
void ag_map_reserve(struct ag_map *m, size_t n);
/* Returns the value removed, or NULL. */
void *ag_map_del(struct ag_map *m, uint64_t key);

/*
 * for (pos = 0; ag_map_next(m, &pos, &key, &val);) visits every entry.
 * The map must not change during the walk.
 */
bool ag_map_next(const struct ag_map *m, size_t *pos, uint64_t *key, void **val);

#endif /* AG_MAP_H */
