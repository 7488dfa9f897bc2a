/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's copy of the kernel's state: filled by a full dump (at start,
 * after the module came back, every resync interval) and kept right in
 * between by the outcome of each request the agent makes and by the
 * kernel's expiry events. A change of the desired state is then a diff
 * against this copy, with no dump.
 */
#ifndef AG_MIRROR_H
#define AG_MIRROR_H

#include <stdint.h>

#include "map.h"
#include "model.h"

struct ag_ksession {
	struct ag_session_desc desc;
	uint32_t id;
	struct ag_counters side[2];	/* as of the last dump */
};

struct ag_kinstance {
	struct ag_instance_desc desc;
	uint32_t sessions;
	struct ag_counters stats;	/* totals over its sessions, past and present */
	uint64_t drop_no_session;
};

/* A network object: its policy, as ag_policy_canon() writes it. */
struct ag_knetwork {
	uint32_t id;
	uint32_t sessions;	/* as of the last dump */
	char *canon;
};

struct ag_mirror {
	struct ag_map instances;	/* id -> struct ag_kinstance */
	struct ag_map sessions;		/* ag_session_key() -> struct ag_ksession */
	struct ag_map networks;		/* id -> struct ag_knetwork */
	/* The namespace's limit and totals, XRELAY_A_NETNS_* / XRELAY_A_STATS_*. */
	uint32_t session_limit;
	uint64_t totals[32];
	/*
	 * Per network: the counters of sessions that left the kernel (expired,
	 * deleted), so that a network's counters only grow while the agent
	 * runs. network id -> struct ag_counters.
	 */
	struct ag_map past;
};

void ag_mirror_init(struct ag_mirror *m);
/* Forgets the kernel's state; keeps the past counters. */
void ag_mirror_clear(struct ag_mirror *m);
/* The kernel's state is gone (module unloaded): its counters become past. */
void ag_mirror_retire(struct ag_mirror *m);
void ag_mirror_free(struct ag_mirror *m);
/* Swaps in @fresh's kernel state (from a dump); @fresh is left empty. */
void ag_mirror_replace(struct ag_mirror *m, struct ag_mirror *fresh);

void ag_mirror_add_session(struct ag_mirror *m, const struct ag_session_desc *desc, uint32_t id);
/* Removes the session (its counters go to its network's past) and frees it. */
void ag_mirror_remove_session(struct ag_mirror *m, struct ag_ksession *s);
/* Removes the instance and every session on it. */
void ag_mirror_remove_instance(struct ag_mirror *m, struct ag_kinstance *inst);
void ag_mirror_add_instance(struct ag_mirror *m, const struct ag_instance_desc *desc);
/* Records network @id with policy @canon (taken over). */
void ag_mirror_set_network(struct ag_mirror *m, uint32_t id, uint32_t sessions, char *canon);
void ag_mirror_remove_network(struct ag_mirror *m, uint32_t id);
/* Adds @c to network @network's past counters. */
void ag_mirror_add_past(struct ag_mirror *m, uint32_t network, const struct ag_counters *c);

#endif /* AG_MIRROR_H */
