/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bringing the kernel to the desired state: compare the desired state
 * with the mirror of the kernel's, and make only the changes that differ.
 * Sessions that are not wanted, or whose description changed, are deleted
 * first; then instances that are not wanted or changed; then network
 * objects get the policies they should have (and lose those they should
 * not); then the missing instances are created, and the missing sessions
 * last, under their network's policy from their first packet. Requests that fail
 * are recorded in the agent's errors and retried later; what succeeded
 * stays.
 */
#ifndef AG_RECONCILE_H
#define AG_RECONCILE_H

#include <stddef.h>

#include "agent.h"

enum ag_reason {
	AG_CHANGED,	/* a new desired state */
	AG_RESYNC,	/* the periodic full read of the kernel */
	AG_RETURNED,	/* the module was loaded (again) */
	AG_EXPIRED,	/* a desired session expired */
	AG_RETRY,	/* after failures */
};

struct ag_outcome {
	size_t sessions_created, sessions_deleted;
	size_t instances_created, instances_deleted;
	size_t networks_changed;	/* created, given a new policy, or deleted */
	size_t failed;
	size_t ended;		/* desired, but their lifetime ended */
	size_t drift;		/* changes that undid someone else's */
	bool mirror_suspect;	/* the kernel surprised us: read it again */
	double diff_ms, kernel_ms;
};

void ag_reconcile(struct ag_agent *a, enum ag_reason why, struct ag_outcome *out);

#endif /* AG_RECONCILE_H */
