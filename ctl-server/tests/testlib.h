/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the unit tests. */
#ifndef CTLD_TESTLIB_H
#define CTLD_TESTLIB_H

#include <string.h>

#include "config.h"
#include "tap.h"

/* Load a configuration from YAML text; NULL (with diagnostics shown) if invalid. */
static inline struct config *load_yaml(const char *yaml)
{
	struct config *cfg = config_new();
	struct diags d = { 0 };
	size_t i;

	config_parse_buffer(cfg, "test.yaml", yaml, strlen(yaml), &d);
	if (!config_resolve(cfg, &d) || d.n) {
		char line[1024];

		for (i = 0; i < d.n; i++) {
			diag_format(&d.v[i], line, sizeof(line));
			tap_diag("%s", line);
		}
		config_free(cfg);
		cfg = NULL;
	}
	diags_free(&d);
	return cfg;
}

/* The diagnostics of loading yaml, one per line, sorted. */
static inline void load_errors(const char *yaml, char *out, size_t len)
{
	struct config *cfg = config_new();
	struct diags d = { 0 };
	char line[1024];
	size_t i;

	config_parse_buffer(cfg, "test.yaml", yaml, strlen(yaml), &d);
	config_resolve(cfg, &d);
	diags_sort(&d);
	out[0] = '\0';
	for (i = 0; i < d.n; i++) {
		diag_format(&d.v[i], line, sizeof(line));
		snprintf(out + strlen(out), len - strlen(out), "%s\n", line);
	}
	diags_free(&d);
	config_free(cfg);
}

#endif
