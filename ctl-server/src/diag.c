// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "log.h"

/* Past this many, further errors only repeat the same mistake. */
#define DIAG_MAX 1000

void diag_add(struct diags *d, struct mark m, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (d->n >= DIAG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	/* The file name belongs to the configuration, which may be freed first. */
	if (m.file)
		m.file = xstrdup(m.file);
	d->v[d->n].mark = m;
	d->v[d->n].msg = xstrdup(buf);
	d->v[d->n].seq = d->n;
	d->n++;
}

void diags_truncate(struct diags *d, size_t n)
{
	while (d->n > n) {
		d->n--;
		free(d->v[d->n].msg);
		free((char *)d->v[d->n].mark.file);
	}
}

static int diag_cmp(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;
	int r;

	if (!a->mark.file != !b->mark.file)
		return a->mark.file ? 1 : -1;
	if (a->mark.file && (r = strcmp(a->mark.file, b->mark.file)))
		return r;
	if (a->mark.line != b->mark.line)
		return a->mark.line < b->mark.line ? -1 : 1;
	if (a->mark.col != b->mark.col)
		return a->mark.col < b->mark.col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void diags_sort(struct diags *d)
{
	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), diag_cmp);
}

void diag_format(const struct diag *dg, char *buf, size_t size)
{
	if (dg->mark.file)
		snprintf(buf, size, "%s:%d:%d: %s", dg->mark.file, dg->mark.line,
			 dg->mark.col, dg->msg);
	else
		snprintf(buf, size, "%s", dg->msg);
}

void diags_print(const struct diags *d, FILE *f)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < d->n; i++) {
		diag_format(&d->v[i], buf, sizeof(buf));
		fprintf(f, "%s\n", buf);
	}
	if (d->n >= DIAG_MAX)
		fprintf(f, "too many errors; stopped after %d\n", DIAG_MAX);
}

void diags_free(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].msg);
		free((char *)d->v[i].mark.file);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}
