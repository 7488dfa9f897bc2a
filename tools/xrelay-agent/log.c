// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static bool log_verbose;
static bool log_journal;

void ag_log_init(bool verbose)
{
	log_verbose = verbose;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

static void emit(int priority, const char *word, const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", priority, line);
	else
		fprintf(stderr, "xrelay-agent: %s%s\n", word, line);
	fflush(stderr);
}

#define DEFINE_LOG(name, priority, word, cond)			\
void name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	if (!(cond))						\
		return;						\
	va_start(ap, fmt);					\
	emit(priority, word, fmt, ap);				\
	va_end(ap);						\
}

DEFINE_LOG(ag_err, 3, "error: ", true)
DEFINE_LOG(ag_warn, 4, "warning: ", true)
DEFINE_LOG(ag_info, 6, "", true)
DEFINE_LOG(ag_debug, 7, "debug: ", log_verbose)
