/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reports to ctld (POST /v1/relays/NAME/report): the generation applied,
 * the errors, the relay's counters, each network's and each session's.
 * Session counters travel as changes against what ctld acknowledged last,
 * so a relay of a hundred thousand mostly quiet sessions sends a few
 * entries, not all of them; the first report, and one after ctld lost
 * track (it answers 409), is complete. A report carries at most
 * AG_REPORT_SESSIONS sessions; the rest follows in the next ones.
 */
#ifndef AG_REPORT_H
#define AG_REPORT_H

#include <stdbool.h>

#include "map.h"
#include "util.h"

#define AG_REPORT_SESSIONS 4000

struct ag_agent;

struct ag_report {
	struct ag_map acked;	/* session key -> struct ag_reported: what ctld holds */
	struct ag_vec sent;	/* changes in the report in flight */
	bool complete;		/* the next report replaces ctld's whole table */
	bool more;		/* the last report left changes for the next */
};

void ag_report_init(struct ag_report *r);
void ag_report_free(struct ag_report *r);
/* The next report's JSON text, to be freed. */
char *ag_report_build(struct ag_agent *a);
/*
 * ctld answered the report in flight: @ok if it took it, else @conflict
 * if it wants a complete one.
 */
void ag_report_done(struct ag_agent *a, bool ok, bool conflict);

#endif /* AG_REPORT_H */
