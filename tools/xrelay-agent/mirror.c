// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "mirror.h"
#include "util.h"

void ag_mirror_init(struct ag_mirror *m)
{
	memset(m, 0, sizeof(*m));
	ag_map_init(&m->instances);
	ag_map_init(&m->sessions);
	ag_map_init(&m->networks);
	ag_map_init(&m->past);
}

static void free_networks(struct ag_map *map)
{
	size_t pos = 0;
	uint64_t key;
	void *val;

	while (ag_map_next(map, &pos, &key, &val)) {
		free(((struct ag_knetwork *)val)->canon);
		free(val);
	}
	ag_map_free(map);
}

void ag_mirror_set_network(struct ag_mirror *m, uint32_t id, uint32_t sessions, char *canon)
{
	struct ag_knetwork *n = ag_map_get(&m->networks, id);

	if (!n) {
		n = ag_calloc(1, sizeof(*n));
		n->id = id;
		ag_map_put(&m->networks, id, n);
	}
	free(n->canon);
	n->canon = canon;
	n->sessions = sessions;
}

void ag_mirror_remove_network(struct ag_mirror *m, uint32_t id)
{
	struct ag_knetwork *n = ag_map_del(&m->networks, id);

	if (n) {
		free(n->canon);
		free(n);
	}
}

static void free_values(struct ag_map *map)
{
	size_t pos = 0;
	uint64_t key;
	void *val;

	while (ag_map_next(map, &pos, &key, &val))
		free(val);
	ag_map_free(map);
}

void ag_mirror_clear(struct ag_mirror *m)
{
	free_values(&m->instances);
	free_values(&m->sessions);
	free_networks(&m->networks);
	m->session_limit = 0;
	memset(m->totals, 0, sizeof(m->totals));
}

void ag_mirror_retire(struct ag_mirror *m)
{
	size_t pos = 0;
	uint64_t key;
	void *val;

	while (ag_map_next(&m->sessions, &pos, &key, &val)) {
		const struct ag_ksession *s = val;
		struct ag_counters sum = s->side[0];

		ag_counters_add(&sum, &s->side[1]);
		ag_mirror_add_past(m, s->desc.network, &sum);
	}
	ag_mirror_clear(m);
}

void ag_mirror_free(struct ag_mirror *m)
{
	ag_mirror_clear(m);
	free_values(&m->past);
}

void ag_mirror_replace(struct ag_mirror *m, struct ag_mirror *fresh)
{
	ag_mirror_clear(m);
	m->instances = fresh->instances;
	m->sessions = fresh->sessions;
	m->networks = fresh->networks;
	m->session_limit = fresh->session_limit;
	memcpy(m->totals, fresh->totals, sizeof(m->totals));
	ag_map_init(&fresh->instances);
	ag_map_init(&fresh->sessions);
	ag_map_init(&fresh->networks);
}

void ag_mirror_add_past(struct ag_mirror *m, uint32_t network, const struct ag_counters *c)
{
	struct ag_counters *past;

	if (ag_counters_zero(c))
		return;
	past = ag_map_get(&m->past, network);
	if (!past) {
		past = ag_calloc(1, sizeof(*past));
		ag_map_put(&m->past, network, past);
	}
	ag_counters_add(past, c);
}

void ag_mirror_add_session(struct ag_mirror *m, const struct ag_session_desc *desc, uint32_t id)
{
	struct ag_ksession *s = ag_calloc(1, sizeof(*s));
	struct ag_kinstance *inst = ag_map_get(&m->instances, desc->instance);

	s->desc = *desc;
	s->id = id;
	free(ag_map_put(&m->sessions, ag_desc_key(desc), s));
	if (inst)
		inst->sessions++;
}

void ag_mirror_remove_session(struct ag_mirror *m, struct ag_ksession *s)
{
	struct ag_kinstance *inst = ag_map_get(&m->instances, s->desc.instance);
	struct ag_counters sum = s->side[0];

	ag_counters_add(&sum, &s->side[1]);
	ag_mirror_add_past(m, s->desc.network, &sum);
	if (inst && inst->sessions)
		inst->sessions--;
	ag_map_del(&m->sessions, ag_desc_key(&s->desc));
	free(s);
}

void ag_mirror_remove_instance(struct ag_mirror *m, struct ag_kinstance *inst)
{
	struct ag_ksession **doomed = NULL;
	size_t n = 0, cap = 0, pos = 0, i;
	uint64_t key;
	void *val;

	/* Collected first: the map must not change while it is walked. */
	while (ag_map_next(&m->sessions, &pos, &key, &val)) {
		struct ag_ksession *s = val;

		if (s->desc.instance != inst->desc.id)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			doomed = ag_realloc(doomed, cap * sizeof(*doomed));
		}
		doomed[n++] = s;
	}
	for (i = 0; i < n; i++)
		ag_mirror_remove_session(m, doomed[i]);
	free(doomed);
	ag_map_del(&m->instances, inst->desc.id);
	free(inst);
}

void ag_mirror_add_instance(struct ag_mirror *m, const struct ag_instance_desc *desc)
{
	struct ag_kinstance *inst = ag_calloc(1, sizeof(*inst));

	inst->desc = *desc;
	free(ag_map_put(&m->instances, desc->id, inst));
}
