// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>
#include <linux/xrelay.h>

#include "counters.h"
#include "util.h"

static void add(struct ag_counter_list *list, const char *name, enum ag_counter_kind kind,
		const char *help, uint64_t value)
{
	if (list->n < AG_COUNTERS_MAX) {
		list->v[list->n].name = name;
		list->v[list->n].kind = kind;
		list->v[list->n].help = help;
		list->v[list->n].value = value;
		list->n++;
	}
}

void ag_relay_counters(const struct ag_agent *a, struct ag_counter_list *list)
{
	const struct ag_mirror *m = &a->mirror;
	const struct ag_stats *s = &a->stats;
	uint64_t drops = 0;
	int i;

	for (i = 1; i <= XRELAY_A_STATS_MAX && i < (int)(sizeof(m->totals) / sizeof(m->totals[0])); i++)
		if (i != XRELAY_A_STATS_PACKETS && i != XRELAY_A_STATS_BYTES &&
		    i != XRELAY_A_STATS_PACKETS_XDP)
			drops += m->totals[i];
	list->n = 0;
	add(list, "kernel_up", AG_GAUGE, "1 while the xrelay module answers.",
	    a->kernel.up);
	add(list, "instances", AG_GAUGE, "Instances in the kernel.",
	    m->instances.n);
	add(list, "sessions", AG_GAUGE, "Sessions in the kernel.",
	    m->sessions.n);
	add(list, "session_limit", AG_GAUGE, "The namespace's session limit.",
	    m->session_limit);
	add(list, "desired_sessions", AG_GAUGE, "Sessions in ctld's state for this relay.",
	    a->desired ? a->desired->n_sessions : 0);
	add(list, "ended_sessions", AG_GAUGE, "Sessions the kernel ended that ctld still lists.",
	    a->ended.n);
	add(list, "packets", AG_COUNTER, "Packets forwarded, all paths.",
	    m->totals[XRELAY_A_STATS_PACKETS]);
	add(list, "bytes", AG_COUNTER, "Bytes forwarded, all paths.",
	    m->totals[XRELAY_A_STATS_BYTES]);
	add(list, "packets_xdp", AG_COUNTER, "Packets forwarded by XDP.",
	    m->totals[XRELAY_A_STATS_PACKETS_XDP]);
	add(list, "drops", AG_COUNTER, "Packets dropped, for any reason.",
	    drops);
	add(list, "drop_no_session", AG_COUNTER, "Packets dropped for want of a session.",
	    m->totals[XRELAY_A_STATS_DROP_NO_SESSION]);
	add(list, "reconciles_total", AG_COUNTER, "Times the kernel was brought to ctld's state.",
	    s->reconciles);
	add(list, "sessions_created_total", AG_COUNTER, "Sessions the agent created.",
	    s->sessions_created);
	add(list, "sessions_deleted_total", AG_COUNTER, "Sessions the agent deleted.",
	    s->sessions_deleted);
	add(list, "instances_created_total", AG_COUNTER, "Instances the agent created.",
	    s->instances_created);
	add(list, "instances_deleted_total", AG_COUNTER, "Instances the agent deleted.",
	    s->instances_deleted);
	add(list, "networks_changed_total", AG_COUNTER, "Network policies the agent set.",
	    s->networks_changed);
	add(list, "apply_failures_total", AG_COUNTER, "Kernel requests that failed while applying.",
	    s->apply_failures);
	add(list, "drift_corrected_total", AG_COUNTER, "Kernel objects changed behind the agent, put back.",
	    s->drift_corrected);
	add(list, "kernel_returns_total", AG_COUNTER, "Times the module came back and the state was restored.",
	    s->kernel_returns);
	add(list, "resyncs_total", AG_COUNTER, "Full reads of the kernel.",
	    s->resyncs);
	add(list, "sessions_expired_total", AG_COUNTER, "Sessions the kernel expired.",
	    s->sessions_expired);
	add(list, "sessions_ended_total", AG_COUNTER, "Session ends reported to ctld.",
	    s->sessions_ended);
	add(list, "ports_reserved_total", AG_COUNTER, "Ports added to ip_local_reserved_ports.",
	    s->ports_reserved);
	add(list, "states_received_total", AG_COUNTER, "States received from ctld.",
	    s->states_received);
	add(list, "states_refused_total", AG_COUNTER, "States from ctld refused as malformed.",
	    s->states_refused);
	add(list, "deltas_received_total", AG_COUNTER, "Delta states received from ctld.",
	    s->deltas_received);
	add(list, "deltas_refused_total", AG_COUNTER, "Delta states that could not apply.",
	    s->deltas_refused);
	add(list, "poll_failures_total", AG_COUNTER, "Polls of ctld that failed.",
	    s->poll_failures);
	add(list, "report_failures_total", AG_COUNTER, "Reports to ctld that failed.",
	    s->report_failures);
	add(list, "last_parse_us", AG_MICROSECONDS, "How long reading ctld's last state took.",
	    s->parse_ms * 1000);
	add(list, "last_diff_us", AG_MICROSECONDS, "How long comparing it with the kernel took.",
	    s->diff_ms * 1000);
	add(list, "last_kernel_us", AG_MICROSECONDS, "How long the kernel requests that applied it took.",
	    s->kernel_ms * 1000);
}

void ag_session_counters(const struct ag_agent *a, const struct ag_dsession *s,
			 struct ag_counters side[2])
{
	const struct ag_ksession *k = ag_map_get(&a->mirror.sessions, ag_desc_key(&s->desc));

	if (k && ag_session_desc_equal(&k->desc, &s->desc)) {
		side[0] = k->side[0];
		side[1] = k->side[1];
	} else {
		memset(side, 0, 2 * sizeof(*side));
	}
}

static struct ag_network_counters *net_of(struct ag_network_counters **v, size_t *n,
					  struct ag_map *index, uint32_t id)
{
	uintptr_t i = (uintptr_t)ag_map_get(index, id);

	if (!i) {
		*v = ag_realloc(*v, (*n + 1) * sizeof(**v));
		memset(&(*v)[*n], 0, sizeof(**v));
		(*v)[*n].id = id;
		i = ++*n;
		ag_map_put(index, id, (void *)i);
	}
	return &(*v)[i - 1];
}

struct ag_network_counters *ag_network_counters(const struct ag_agent *a, size_t *n)
{
	struct ag_network_counters *v = NULL;
	struct ag_map index;
	size_t pos = 0, i;
	uint64_t key;
	void *val;

	*n = 0;
	ag_map_init(&index);
	for (i = 0; a->desired && i < a->desired->n_networks; i++)
		net_of(&v, n, &index, a->desired->networks[i].id);
	while (ag_map_next(&a->mirror.sessions, &pos, &key, &val)) {
		const struct ag_ksession *k = val;
		struct ag_network_counters *net = net_of(&v, n, &index, k->desc.network);

		net->sessions++;
		ag_counters_add(&net->c, &k->side[0]);
		ag_counters_add(&net->c, &k->side[1]);
	}
	pos = 0;
	while (ag_map_next(&a->mirror.instances, &pos, &key, &val)) {
		const struct ag_kinstance *k = val;

		/* Packets to a tenant's ports that no session uses are its drops. */
		if (k->desc.network)
			net_of(&v, n, &index, k->desc.network)->c.drops += k->drop_no_session;
	}
	pos = 0;
	while (ag_map_next(&a->mirror.past, &pos, &key, &val))
		ag_counters_add(&net_of(&v, n, &index, key)->c, val);
	for (i = 0; i < *n; i++) {
		const struct ag_network *net = a->desired ?
			ag_map_get(&a->desired->network_by_id, v[i].id) : NULL;

		v[i].name = net ? ag_strdup(net->name) : ag_asprintf("%u", v[i].id);
	}
	ag_map_free(&index);
	return v;
}

void ag_network_counters_free(struct ag_network_counters *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}
