/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One line per message on standard error. Under systemd (JOURNAL_STREAM
 * set) each line starts with its syslog priority, <3> to <7>, which the
 * journal turns into the entry's priority; elsewhere with a word saying
 * how bad it is.
 */
#ifndef AG_LOG_H
#define AG_LOG_H

#include <stdbool.h>

void ag_log_init(bool verbose);
void ag_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ag_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed with --verbose only. */
void ag_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* AG_LOG_H */
