/* SPDX-License-Identifier: GPL-2.0-only */
/* What hook_time and its programs agree on: the size of the sample store. */
#ifndef BENCH_HOOK_TIME_H
#define BENCH_HOOK_TIME_H

#define HOOK_TIME_MAX_DESTS	8
/* Per destination: the policy stage times about 5 000 a repeat. */
#define HOOK_TIME_MAX_SAMPLES	16384

#endif /* BENCH_HOOK_TIME_H */
