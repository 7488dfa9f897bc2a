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

/*
 * One family: HELP, TYPE and the sample, as Prometheus names it: counters
 * end in _total, durations are in seconds.
 */
static void put_family(FILE *f, const char *name, enum ag_counter_kind kind, const char *help,
		       uint64_t value)
{
	size_t len = strlen(name);
	char full[96];

	if (kind == AG_COUNTER && (len < 6 || strcmp(name + len - 6, "_total")))
		snprintf(full, sizeof(full), "xrelay_agent_%s_total", name);
	else if (kind == AG_MICROSECONDS && len > 3 && !strcmp(name + len - 3, "_us"))
		snprintf(full, sizeof(full), "xrelay_agent_%.*s_seconds", (int)(len - 3), name);
	else
		snprintf(full, sizeof(full), "xrelay_agent_%s", name);
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", full, help, full,
		kind == AG_COUNTER ? "counter" : "gauge");
	if (kind == AG_MICROSECONDS)
		fprintf(f, "%s %" PRIu64 ".%06" PRIu64 "\n", full, value / 1000000, value % 1000000);
	else
		fprintf(f, "%s %" PRIu64 "\n", full, value);
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
	static const struct {
		const char *name, *type, *help;
	} net_metrics[] = {
		{ "sessions", "gauge", "Sessions of the network in the kernel." },
		{ "packets_total", "counter", "Packets forwarded for the network." },
		{ "bytes_total", "counter", "Bytes forwarded for the network." },
		{ "drops_total", "counter", "Packets of the network dropped." },
	};
	struct ag_network_counters *nets;
	struct ag_counter_list list;
	size_t n, i, j;

	ag_relay_counters(a, &list);
	for (i = 0; i < list.n; i++)
		put_family(f, list.v[i].name, list.v[i].kind, list.v[i].help, list.v[i].value);
	put_family(f, "ctld_up", AG_GAUGE, "1 while ctld answers.", a->ctld_up);
	put_family(f, "generation", AG_GAUGE, "Generation of the state applied.", a->generation);
	put_family(f, "errors", AG_GAUGE, "Objects the last apply failed for.", a->errors.failures);

	nets = ag_network_counters(a, &n);
	for (j = 0; j < sizeof(net_metrics) / sizeof(net_metrics[0]); j++) {
		fprintf(f, "# HELP xrelay_agent_network_%s %s\n# TYPE xrelay_agent_network_%s %s\n",
			net_metrics[j].name, net_metrics[j].help, net_metrics[j].name,
			net_metrics[j].type);
		for (i = 0; i < n; i++) {
			uint64_t v[] = { nets[i].sessions, nets[i].c.packets, nets[i].c.bytes,
					 nets[i].c.drops };

			fprintf(f, "xrelay_agent_network_%s{network=\"", net_metrics[j].name);
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
