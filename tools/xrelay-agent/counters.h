/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The figures the agent reports to ctld and writes for Prometheus, taken
 * from the mirror (so as fresh as the last full read of the kernel) and
 * from the agent's own statistics.
 */
#ifndef AG_COUNTERS_H
#define AG_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"

#define AG_COUNTERS_MAX 48

/* How Prometheus sees a figure (ctld gets them all as plain numbers). */
enum ag_counter_kind {
	AG_GAUGE,
	AG_COUNTER,		/* only increases: named with _total there */
	AG_MICROSECONDS,	/* a duration: in seconds there */
};

struct ag_counter_list {
	struct {
		const char *name;	/* [a-z0-9_], as ctld wants them */
		enum ag_counter_kind kind;
		const char *help;
		uint64_t value;
	} v[AG_COUNTERS_MAX];
	size_t n;
};

/* Per network: its sessions now, and counters over its sessions, past and present. */
struct ag_network_counters {
	uint32_t id;
	char *name;		/* from the state, or the id */
	uint64_t sessions;
	struct ag_counters c;
};

void ag_relay_counters(const struct ag_agent *a, struct ag_counter_list *list);
struct ag_network_counters *ag_network_counters(const struct ag_agent *a, size_t *n);
void ag_network_counters_free(struct ag_network_counters *v, size_t n);
/* A desired session's counters: zero unless the kernel's matches it. */
void ag_session_counters(const struct ag_agent *a, const struct ag_dsession *s,
			 struct ag_counters side[2]);

#endif /* AG_COUNTERS_H */
