/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Diagnostics collected while loading a configuration, each tied to the
 * place in a file it is about, printed as "file:line:column: message".
 */
#ifndef CTLD_DIAG_H
#define CTLD_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct mark {
	const char *file;	/* NULL for problems not tied to a file */
	int line;		/* 1-based */
	int col;		/* 1-based */
};

struct diag {
	struct mark mark;
	char *msg;
	size_t seq;		/* discovery order, to keep sorting stable */
};

struct diags {
	struct diag *v;
	size_t n, cap;
};

void diag_add(struct diags *d, struct mark m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Forget every diagnostic after the first n. */
void diags_truncate(struct diags *d, size_t n);
/* Sorted by file, line, column; one per line. */
void diags_sort(struct diags *d);
void diag_format(const struct diag *dg, char *buf, size_t size);
void diags_print(const struct diags *d, FILE *f);
void diags_free(struct diags *d);

#endif
