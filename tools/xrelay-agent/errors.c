// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "util.h"

void ag_errors_add(struct ag_errors *e, const char *what, const char *msg)
{
	size_t i;

	e->failures++;
	for (i = 0; i < e->n; i++) {
		if (!strcmp(e->v[i].msg, msg)) {
			e->v[i].count++;
			return;
		}
	}
	if (e->n == AG_ERRORS_MAX) {
		e->dropped++;
		return;
	}
	e->v[e->n].what = ag_strdup(what);
	e->v[e->n].msg = ag_strdup(msg);
	e->v[e->n].count = 1;
	e->n++;
}

void ag_errors_clear(struct ag_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].what);
		free(e->v[i].msg);
	}
	memset(e, 0, sizeof(*e));
}

char *ag_error_text(const struct ag_error *err)
{
	if (err->count == 1)
		return ag_asprintf("%s: %s", err->what, err->msg);
	return ag_asprintf("%s and %zu others: %s", err->what, err->count - 1, err->msg);
}
