// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>

#include "map.h"
#include "util.h"

#define MIN_CAP 16

/* splitmix64's finalizer: keys that differ in one port spread out. */
static size_t slot_of(const struct ag_map *m, uint64_t key)
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return key & (m->cap - 1);
}

void ag_map_init(struct ag_map *m)
{
	m->keys = NULL;
	m->vals = NULL;
	m->cap = 0;
	m->n = 0;
}

void ag_map_free(struct ag_map *m)
{
	free(m->keys);
	free(m->vals);
	ag_map_init(m);
}

static size_t find(const struct ag_map *m, uint64_t key)
{
	size_t i = slot_of(m, key);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *ag_map_get(const struct ag_map *m, uint64_t key)
{
	size_t i;

	if (!m->n)
		return NULL;
	i = find(m, key);
	return m->keys[i] ? m->vals[i] : NULL;
}

/* Rehashes into @cap slots. */
static void resize(struct ag_map *m, size_t cap)
{
	struct ag_map old = *m;
	size_t i;

	m->cap = cap;
	m->keys = ag_calloc(m->cap, sizeof(*m->keys));
	m->vals = ag_calloc(m->cap, sizeof(*m->vals));
	for (i = 0; i < old.cap; i++) {
		if (old.keys[i]) {
			size_t j = find(m, old.keys[i]);

			m->keys[j] = old.keys[i];
			m->vals[j] = old.vals[i];
		}
	}
	free(old.keys);
	free(old.vals);
}

/* At most 3/4 full: probes stay short. */
static bool room_for(size_t cap, size_t n)
{
	return n * 4 <= cap * 3;
}

void ag_map_reserve(struct ag_map *m, size_t n)
{
	size_t cap = m->cap ? m->cap : MIN_CAP;

	while (!room_for(cap, n))
		cap *= 2;
	if (cap != m->cap)
		resize(m, cap);
}

void *ag_map_put(struct ag_map *m, uint64_t key, void *val)
{
	void *old;
	size_t i;

	if (!room_for(m->cap, m->n + 1))
		resize(m, m->cap ? m->cap * 2 : MIN_CAP);
	i = find(m, key);
	if (m->keys[i]) {
		old = m->vals[i];
		m->vals[i] = val;
		return old;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return NULL;
}

void *ag_map_del(struct ag_map *m, uint64_t key)
{
	size_t mask = m->cap - 1;
	size_t i, j;
	void *val;

	if (!m->n)
		return NULL;
	i = find(m, key);
	if (!m->keys[i])
		return NULL;
	val = m->vals[i];
	/*
	 * Close the gap: move back each following entry of the run whose
	 * home slot does not lie cyclically within (i, j].
	 */
	for (j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
		size_t home = slot_of(m, m->keys[j]);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->vals[i] = NULL;
	m->n--;
	return val;
}

bool ag_map_next(const struct ag_map *m, size_t *pos, uint64_t *key, void **val)
{
	while (*pos < m->cap) {
		size_t i = (*pos)++;

		if (m->keys[i]) {
			*key = m->keys[i];
			*val = m->vals[i];
			return true;
		}
	}
	return false;
}
