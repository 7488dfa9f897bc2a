/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef CTLD_LOG_H
#define CTLD_LOG_H

#include <stddef.h>

/* One line on stderr per message; systemd's journal adds the timestamps. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_quiet(int quiet);

/* Allocation failure is not recoverable in a daemon that must stay consistent. */
void die_oom(void) __attribute__((noreturn));
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

#endif
