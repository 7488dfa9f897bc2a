/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Waits between retries: doubling from a first delay up to a ceiling,
 * each drawn at random from the upper half of its span ("equal jitter"),
 * so that a fleet of relays that lost ctld together does not come back
 * in step.
 */
#ifndef AG_BACKOFF_H
#define AG_BACKOFF_H

#include <stdint.h>

struct ag_backoff {
	uint32_t first_ms, max_ms;
	uint32_t span_ms;	/* 0: no failure since the last success */
};

void ag_backoff_init(struct ag_backoff *b, uint32_t first_ms, uint32_t max_ms);
/* The delay before the next attempt, after one more failure. */
uint32_t ag_backoff_next(struct ag_backoff *b);
/* The longest delay at once: a failure that only a person can fix. */
uint32_t ag_backoff_max(struct ag_backoff *b);
void ag_backoff_reset(struct ag_backoff *b);

#endif /* AG_BACKOFF_H */
