// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/* Names ending in _total are counters; the rest are gauges. */
static const char *type_of(const char *name)
{
	size_t len = strlen(name);

	return len > 6 && !strcmp(name + len - 6, "_total") ? "counter" : "gauge";
}

/* Prometheus label values escape backslash, quote and newline. */
static void put_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void write_metrics(FILE *f, const struct ag_agent *a)
{
	static const char *const net_metrics[] = { "sessions", "packets", "bytes", "drops" };
	struct ag_network_counters *nets;
	struct ag_counter_list list;
	size_t n, i, j;

	ag_relay_counters(a, &list);
	for (i = 0; i < list.n; i++)
		fprintf(f, "# TYPE xrelay_agent_%s %s\nxrelay_agent_%s %" PRIu64 "\n",
			list.v[i].name, type_of(list.v[i].name), list.v[i].name, list.v[i].value);
	fprintf(f, "# TYPE xrelay_agent_ctld_up gauge\nxrelay_agent_ctld_up %d\n", a->ctld_up);
	fprintf(f, "# TYPE xrelay_agent_generation gauge\nxrelay_agent_generation %" PRIu64 "\n",
		a->generation);
	fprintf(f, "# TYPE xrelay_agent_errors gauge\nxrelay_agent_errors %zu\n",
		a->errors.failures);

	nets = ag_network_counters(a, &n);
	for (j = 0; j < sizeof(net_metrics) / sizeof(net_metrics[0]); j++) {
		fprintf(f, "# TYPE xrelay_agent_network_%s %s\n", net_metrics[j],
			j ? "counter" : "gauge");
		for (i = 0; i < n; i++) {
			uint64_t v[] = { nets[i].sessions, nets[i].c.packets, nets[i].c.bytes,
					 nets[i].c.drops };

			fprintf(f, "xrelay_agent_network_%s{network=\"", net_metrics[j]);
			put_label(f, nets[i].name);
			fprintf(f, "\"} %" PRIu64 "\n", v[j]);
		}
	}
	ag_network_counters_free(nets, n);
}

int ag_metrics_write(const struct ag_agent *a)
{
	const char *path = a->conf.metrics_file;
	char *tmp;
	FILE *f;
	int ret = 0;

	if (!path)
		return 0;
	/* node_exporter must never read half a file: write aside, then rename. */
	tmp = ag_asprintf("%s.tmp", path);
	f = fopen(tmp, "w");
	if (f) {
		write_metrics(f, a);
		if (fclose(f))
			f = NULL;
	}
	if (!f || rename(tmp, path)) {
		ag_warn("metrics-file %s: %s", path, strerror(errno));
		unlink(tmp);
		ret = -1;
	}
	free(tmp);
	return ret;
}
