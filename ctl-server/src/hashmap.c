// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "log.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x ? x : 1;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return mix64(h);
}

static void hm_init(struct hashmap *m, bool string_keys)
{
	memset(m, 0, sizeof(*m));
	m->string_keys = string_keys;
}

void hm_init_str(struct hashmap *m)
{
	hm_init(m, true);
}

void hm_init_u64(struct hashmap *m)
{
	hm_init(m, false);
}

void hm_free(struct hashmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}

static bool slot_matches(const struct hashmap *m, const struct hm_slot *s,
			 uint64_t hash, const char *skey, uint64_t nkey)
{
	if (s->hash != hash)
		return false;
	return m->string_keys ? !strcmp(s->key.str, skey) : s->key.num == nkey;
}

static struct hm_slot *find(const struct hashmap *m, uint64_t hash,
			    const char *skey, uint64_t nkey)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = hash & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct hm_slot *s = &m->slots[i];

		if (!s->hash)
			return NULL;
		if (slot_matches(m, s, hash, skey, nkey))
			return s;
	}
}

static void insert_slot(struct hashmap *m, const struct hm_slot *src)
{
	size_t i = src->hash & (m->cap - 1);

	while (m->slots[i].hash)
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = *src;
}

static void grow(struct hashmap *m)
{
	struct hm_slot *old = m->slots;
	size_t oldcap = m->cap, i;

	m->cap = oldcap ? oldcap * 2 : 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < oldcap; i++)
		if (old[i].hash)
			insert_slot(m, &old[i]);
	free(old);
}

static void *put(struct hashmap *m, uint64_t hash, const char *skey,
		 uint64_t nkey, void *value)
{
	struct hm_slot *s = find(m, hash, skey, nkey);
	struct hm_slot n = { .hash = hash, .value = value };
	void *prev;

	if (s) {
		prev = s->value;
		s->value = value;
		return prev;
	}
	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	if (m->string_keys)
		n.key.str = skey;
	else
		n.key.num = nkey;
	insert_slot(m, &n);
	m->len++;
	return NULL;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void *del(struct hashmap *m, uint64_t hash, const char *skey, uint64_t nkey)
{
	struct hm_slot *s = find(m, hash, skey, nkey);
	size_t mask = m->cap - 1, i, j;
	void *value;

	if (!s)
		return NULL;
	value = s->value;
	i = s - m->slots;
	for (j = (i + 1) & mask; m->slots[j].hash; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;

		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].hash = 0;
	m->len--;
	return value;
}

void *hm_put_str(struct hashmap *m, const char *key, void *value)
{
	return put(m, hash_str(key), key, 0, value);
}

void *hm_get_str(const struct hashmap *m, const char *key)
{
	struct hm_slot *s = find(m, hash_str(key), key, 0);

	return s ? s->value : NULL;
}

void *hm_del_str(struct hashmap *m, const char *key)
{
	return del(m, hash_str(key), key, 0);
}

void *hm_put_u64(struct hashmap *m, uint64_t key, void *value)
{
	return put(m, mix64(key), NULL, key, value);
}

void *hm_get_u64(const struct hashmap *m, uint64_t key)
{
	struct hm_slot *s = find(m, mix64(key), NULL, key);

	return s ? s->value : NULL;
}

void *hm_del_u64(struct hashmap *m, uint64_t key)
{
	return del(m, mix64(key), NULL, key);
}

void hm_each(const struct hashmap *m, void (*fn)(void *value, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->slots[i].hash)
			fn(m->slots[i].value, arg);
}
