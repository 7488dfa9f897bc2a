/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal TAP for the unit tests: "ok DESC" / "not ok DESC" lines, which
 * run.sh numbers across the whole suite. Exit status counts failures.
 */
#ifndef CTLD_TAP_H
#define CTLD_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_failures;

static inline __attribute__((format(printf, 2, 3))) int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok ", cond ? "" : "not ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		tap_failures++;
	return cond;
}

#define tap_diag(...) do { printf("# " __VA_ARGS__); putchar('\n'); } while (0)
#define tap_done() (tap_failures ? 1 : 0)

#endif
