// SPDX-License-Identifier: GPL-2.0-only
/*
 * hook_time: nanoseconds xrelay's netfilter hook spends on each forwarded
 * packet of real traffic, per destination.
 *
 *   hook_time --to ADDR[+N]:PORT[-PORT]
 *
 * Attaches fentry and fexit programs (hook_time.bpf.c) to the module's
 * xrelay_hook_ipv4(), which needs xrelay.ko loaded with its BTF, prints
 * {"attached":true}, then takes one command per line on stdin:
 *
 *   start   forget what was timed, time from now on
 *   stop    stop timing; print one JSON object per line:
 *           {"dests":[{"timed":T,"not_forwarded":D,"q1_ns":...,"median_ns":...,
 *                      "q3_ns":...},...]}
 *
 * with one entry per address of --to, in order. Each packet to one of those
 * addresses, on a port of the range, is timed from the hook's entry to its
 * return; "timed" counts those the hook forwarded (quartiles are over the
 * first HOOK_TIME_MAX_SAMPLES of them), "not_forwarded" the others, which
 * are left out. The times include the trampoline's work between the two
 * clock reads, the same for every packet.
 *
 * Commands come on stdin so that one process, loaded once, serves a whole
 * benchmark stage: loading costs seconds under emulation.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "hook_time.h"
#include "packet.h"
#include "hook_time.skel.h"

static void die(const char *what, const char *why)
{
	fprintf(stderr, "hook_time: %s: %s\n", what, why);
	exit(1);
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The stop command's report; sorts the samples in place. */
static void report(struct hook_time_bpf *skel, unsigned int n_dests)
{
	struct hook_time_bpf__bss *bss = skel->bss;
	unsigned int d;

	printf("{\"dests\":[");
	for (d = 0; d < n_dests; d++) {
		uint32_t timed = bss->timed[d], n = timed, *v = bss->samples[d];

		if (n > HOOK_TIME_MAX_SAMPLES)
			n = HOOK_TIME_MAX_SAMPLES;
		printf("%s{\"timed\":%u,\"not_forwarded\":%u", d ? "," : "", timed,
		       bss->not_forwarded[d]);
		if (n) {
			qsort(v, n, sizeof(*v), compare_u32);
			printf(",\"q1_ns\":%u,\"median_ns\":%u,\"q3_ns\":%u",
			       v[n / 4], v[n / 2], v[3 * n / 4]);
		}
		printf("}");
	}
	printf("]}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct dests dests = { 0 };
	struct hook_time_bpf *skel;
	const char *why, *to = NULL;
	char line[64];
	int opt, err;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 't': to = optarg; break;
		default: exit(2);
		}
	}
	if (!to || optind != argc) {
		fprintf(stderr, "usage: hook_time --to ADDR[+N]:PORT[-PORT]\n"
			"  then on stdin, per line: start | stop\n");
		exit(2);
	}
	why = dests_parse(to, &dests);
	if (why)
		die(to, why);
	if (dests.naddr > HOOK_TIME_MAX_DESTS)
		die(to, "too many addresses");

	skel = hook_time_bpf__open();
	if (!skel)
		die("open", strerror(errno));
	skel->rodata->first_addr = ntohl(dests.first.s_addr);
	skel->rodata->n_addrs = dests.naddr;
	skel->rodata->port_min = dests.port_min;
	skel->rodata->port_max = dests.port_max;
	err = hook_time_bpf__load(skel);
	if (!err)
		err = hook_time_bpf__attach(skel);
	if (err)
		die("xrelay_hook_ipv4", "cannot attach (is xrelay.ko loaded, with BTF?)");
	printf("{\"attached\":true}\n");
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin)) {
		if (!strcmp(line, "start\n")) {
			memset(skel->bss->timed, 0, sizeof(skel->bss->timed));
			memset(skel->bss->not_forwarded, 0, sizeof(skel->bss->not_forwarded));
			skel->bss->enabled = true;
		} else if (!strcmp(line, "stop\n")) {
			skel->bss->enabled = false;
			report(skel, dests.naddr);
		} else {
			die("bad command, want start or stop", line);
		}
	}
	hook_time_bpf__destroy(skel);
	return 0;
}
