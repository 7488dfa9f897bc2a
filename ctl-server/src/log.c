// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int quiet;

void log_set_quiet(int q)
{
	quiet = q;
}

/*
 * Under systemd (JOURNAL_STREAM set), each line starts with its syslog
 * priority, <3> error, <4> warning, <6> info, which journald takes as the
 * line's priority (`journalctl -p warning`); elsewhere with the program's
 * name and the level in words.
 */
static void log_line(int priority, const char *level, const char *fmt, va_list ap)
{
	static int journal = -1;
	char buf[1024];

	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (journal)
		fprintf(stderr, "<%d>%s\n", priority, buf);
	else
		fprintf(stderr, "xrelay-ctld: %s%s\n", level, buf);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	log_line(6, "", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(4, "warning: ", fmt, ap);
	va_end(ap);
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(3, "error: ", fmt, ap);
	va_end(ap);
}

void log_warn_limited(struct log_ratelimit *rl, const char *fmt, ...)
{
	struct timespec now;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec != rl->second) {
		if (rl->suppressed)
			log_warn("%lu more like the last were not logged", rl->suppressed);
		rl->second = now.tv_sec;
		rl->lines = 0;
		rl->suppressed = 0;
	}
	if (rl->lines >= LOG_BURST) {
		rl->suppressed++;
		return;
	}
	rl->lines++;
	va_start(ap, fmt);
	log_line(4, "warning: ", fmt, ap);
	va_end(ap);
}

void die_oom(void)
{
	fputs("xrelay-ctld: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		die_oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die_oom();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		die_oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die_oom();
	return p;
}
