/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's state, shared by the parts that reconcile, report and
 * export metrics. main.c owns it and runs the event loop around it.
 */
#ifndef AG_AGENT_H
#define AG_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "desired.h"
#include "errors.h"
#include "kernel.h"
#include "map.h"
#include "mirror.h"
#include "report.h"

struct ag_stats {
	uint64_t reconciles;
	uint64_t sessions_created, sessions_deleted;
	uint64_t instances_created, instances_deleted;
	uint64_t networks_changed;
	uint64_t apply_failures;	/* requests the kernel refused */
	uint64_t drift_corrected;	/* changes made to undo someone else's */
	uint64_t kernel_returns;	/* the module came back (loaded again) */
	uint64_t resyncs;
	uint64_t sessions_expired, sessions_ended;
	uint64_t ports_reserved;
	uint64_t states_received, states_refused;
	uint64_t deltas_received, deltas_refused;
	uint64_t poll_failures, reports_sent, report_failures;
	double parse_ms, diff_ms, kernel_ms;	/* of the last change applied */
};

struct ag_agent {
	struct ag_conf conf;
	struct ag_kernel kernel;
	struct ag_mirror mirror;
	struct ag_desired *desired;	/* NULL until the first valid state */
	/*
	 * The state before desired, while a change is applied: when the
	 * kernel was in step with it (in_step), only what differs between
	 * the two needs looking at.
	 */
	struct ag_desired *previous;
	bool in_step;
	/* The generation of the last state received, valid or not. */
	uint64_t generation;
	bool have_generation;
	/* A delta could not be applied: the next poll asks for the full state. */
	bool want_full;
	/*
	 * While the change a delta made is reconciled (have_touched): the
	 * keys of the sessions it touched, old and new. With the kernel in
	 * step before, only those need looking at.
	 */
	struct ag_vec touched;
	bool have_touched;
	/*
	 * Sessions whose lifetime ended, with the description they had: not
	 * created again until their description changes.
	 */
	struct ag_map ended;		/* session key -> struct ag_session_desc */
	struct ag_errors errors;	/* of the last state received or applied */
	bool clean;			/* the last reconcile changed all it had to */
	bool ctld_up;
	struct ag_stats stats;
	struct ag_report report;
};

#endif /* AG_AGENT_H */
