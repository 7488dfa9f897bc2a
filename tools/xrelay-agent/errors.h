/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What went wrong applying a state, for the log and for ctld. Failures
 * with the same message are one entry (ten thousand sessions refused by a
 * session limit are one line naming the first of them), and there are at
 * most AG_ERRORS_MAX entries, as ctld accepts no more in a report.
 */
#ifndef AG_ERRORS_H
#define AG_ERRORS_H

#include <stddef.h>

#define AG_ERRORS_MAX 100

struct ag_error {
	char *what;	/* the first thing that failed with this message */
	char *msg;
	size_t count;
};

struct ag_errors {
	struct ag_error v[AG_ERRORS_MAX];
	size_t n;
	size_t failures;	/* in all, counted or not */
	size_t dropped;		/* failures whose message found no room */
};

void ag_errors_add(struct ag_errors *e, const char *what, const char *msg);
void ag_errors_clear(struct ag_errors *e);
/* "WHAT: MSG", or "WHAT and N others: MSG"; to be freed. */
char *ag_error_text(const struct ag_error *err);

#endif /* AG_ERRORS_H */
