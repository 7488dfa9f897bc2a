/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Open-addressing hash maps keyed by string or by 64-bit integer. Keys
 * are not copied: a string key must outlive its entry.
 */
#ifndef CTLD_HASHMAP_H
#define CTLD_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hm_slot {
	uint64_t hash;		/* 0 marks an empty slot */
	union {
		const char *str;
		uint64_t num;
	} key;
	void *value;
};

struct hashmap {
	struct hm_slot *slots;
	size_t cap;		/* power of two */
	size_t len;
	bool string_keys;
};

void hm_init_str(struct hashmap *m);
void hm_init_u64(struct hashmap *m);
void hm_free(struct hashmap *m);

/* Insert or replace; returns the previous value or NULL. */
void *hm_put_str(struct hashmap *m, const char *key, void *value);
void *hm_get_str(const struct hashmap *m, const char *key);
void *hm_del_str(struct hashmap *m, const char *key);

/* Call fn on every value; fn must not change the map. */
void hm_each(const struct hashmap *m, void (*fn)(void *value, void *arg), void *arg);

void *hm_put_u64(struct hashmap *m, uint64_t key, void *value);
void *hm_get_u64(const struct hashmap *m, uint64_t key);
void *hm_del_u64(struct hashmap *m, uint64_t key);

#endif
