/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Memory that cannot fail (the agent exits when the system is out of it:
 * the kernel keeps relaying and systemd restarts the agent) and the
 * monotonic clock the agent's timers run on.
 */
#ifndef AG_UTIL_H
#define AG_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *ag_malloc(size_t size);
void *ag_calloc(size_t n, size_t size);
void *ag_realloc(void *p, size_t size);
char *ag_strdup(const char *s);
char *ag_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growing array of pointers. */
struct ag_vec {
	void **v;
	size_t n, cap;
};

void ag_vec_push(struct ag_vec *vec, void *p);
void ag_vec_free(struct ag_vec *vec);

/* CLOCK_MONOTONIC in milliseconds and in nanoseconds. */
int64_t ag_now_ms(void);
uint64_t ag_now_ns(void);
/* Milliseconds, with their fraction, since @start_ns (from ag_now_ns()). */
double ag_ms_since(uint64_t start_ns);

#endif /* AG_UTIL_H */
