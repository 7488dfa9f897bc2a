/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef CTLD_LOG_H
#define CTLD_LOG_H

#include <stddef.h>
#include <stdint.h>

/* One line on stderr per message; systemd's journal adds the timestamps. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_quiet(int quiet);

/*
 * A warning that anyone on the network can cause (a refused connection, a
 * failed accept) is logged at most LOG_BURST times a second per
 * log_ratelimit; the rest are counted and the count logged once the
 * second is over.
 */
#define LOG_BURST 5
struct log_ratelimit {
	int64_t second;
	unsigned lines;
	unsigned long suppressed;
};
void log_warn_limited(struct log_ratelimit *rl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Allocation failure is not recoverable in a daemon that must stay consistent. */
void die_oom(void) __attribute__((noreturn));
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

#endif
