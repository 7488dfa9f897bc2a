// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: any bytes through the YAML loader, both phases. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = config_new();
	struct diags d = { 0 };

	config_parse_buffer(cfg, "fuzz.yaml", (const char *)data, size, &d);
	config_resolve(cfg, &d);
	diags_sort(&d);
	diags_free(&d);
	config_free(cfg);
	return 0;
}
