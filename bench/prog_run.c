// SPDX-License-Identifier: GPL-2.0-only
/*
 * prog_run: nanoseconds per packet of xrelay's XDP program next to a bare
 * XDP_TX program, with BPF_PROG_TEST_RUN.
 *
 *   prog_run --ingress DEV --egress DEV --from ADDR:PORT
 *            --to ADDR[+N]:PORT[-PORT] [--to ...] --size BYTES --runs N --bare OBJ
 *
 * Run in the relay's namespace, with sessions whose side on the --to ports
 * is pinned to --from and whose other side's peer is routed out of --egress
 * (neighbour resolved). Each run is one packet from --from to a random
 * destination in --to, arriving on --ingress (so the kfuncs see the relay's
 * namespace): xrelay forwards it with XDP_REDIRECT to --egress.
 *
 * The program rewrites the packet it is given, so a run with repeat > 1
 * would time a miss from the second packet on: every run is a single fresh
 * packet instead, and the kernel's own timing of it, which includes one
 * clock read, is collected. The two programs alternate, so both see the
 * same conditions; the bare program is also timed with one long repeat,
 * which shows what the clock read adds. Prints one JSON object with the
 * medians; fails unless every run got the verdict expected.
 *
 * With several --to, each run of the bare program follows one run of
 * xrelay's per --to, in turn, so that the destinations (sessions with
 * different settings, say) are compared under the same conditions; the
 * object then also has "xrelay_ns_each", one median per --to in order.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "packet.h"

#define MAX_TO	8
#include "xrelay-parse.h"
#include "xrelay.skel.h"

static void die(const char *what, const char *why)
{
	fprintf(stderr, "prog_run: %s: %s\n", what, why);
	exit(1);
}

static uint64_t number(const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (xr_uint_parse(s, min, max, &v))
		die("bad number", s);
	return v;
}

static unsigned int ifindex_of(const char *name)
{
	unsigned int ifindex = if_nametoindex(name);

	if (!ifindex)
		die(name, "no such interface");
	return ifindex;
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static uint32_t median(uint32_t *v, uint64_t n)
{
	qsort(v, n, sizeof(*v), compare_u32);
	return v[n / 2];
}

/*
 * Runs the program @repeat times on the frame; returns its last verdict
 * and, in *ns, the kernel's mean time per run.
 */
static int test_run(int prog_fd, void *frame, size_t len, unsigned int ifindex,
		    uint64_t repeat, uint32_t *ns)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = len,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = repeat,
	);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		die("BPF_PROG_TEST_RUN", strerror(errno));
	*ns = opts.duration;
	return opts.retval;
}

static int load_bare(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;

	if (!obj || bpf_object__load(obj))
		die(path, "cannot load");
	prog = bpf_object__next_program(obj, NULL);
	if (!prog)
		die(path, "no program");
	return bpf_program__fd(prog);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "ingress", required_argument, NULL, 'i' },
		{ "egress", required_argument, NULL, 'e' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "bare", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	/* Any addresses: neither program looks at them. */
	static const uint8_t mac_in[6] = { 2, 0, 0, 0, 0, 1 }, mac_out[6] = { 2, 0, 0, 0, 0, 2 };
	static uint8_t frame[PACKET_MAX_LEN];
	const char *ingress = NULL, *egress = NULL, *bare = NULL, *why;
	uint64_t size = 64, runs = 10000, i, forwarded = 0, bare_tx = 0;
	uint64_t rnd = 0x9e3779b97f4a7c15ull;
	uint32_t *xrelay_ns[MAX_TO], *bare_ns, bare_repeat_ns, ifindex_in, ifindex_out;
	struct xr_endpoint from = { 0 };
	struct dests dests[MAX_TO] = { 0 };
	struct xrelay_bpf *skel;
	unsigned int n_to = 0, t;
	int bare_fd, opt;
	struct in_addr daddr;
	uint16_t dport;
	size_t len = 0;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'i': ingress = optarg; break;
		case 'e': egress = optarg; break;
		case 'f':
			why = xr_endpoint_parse(optarg, &from);
			if (why || from.addr.family != AF_INET)
				die("bad --from", why ? why : "not IPv4");
			break;
		case 't':
			if (n_to == MAX_TO)
				die("--to", "too many");
			why = dests_parse(optarg, &dests[n_to++]);
			if (why)
				die("bad --to", why);
			break;
		case 's': size = number(optarg, 1, PACKET_MAX_PAYLOAD); break;
		case 'r': runs = number(optarg, 1, 10000000); break;
		case 'b': bare = optarg; break;
		default: exit(2);
		}
	}
	if (!ingress || !egress || !bare || !from.port || !n_to || optind != argc) {
		fprintf(stderr, "usage: prog_run --ingress DEV --egress DEV --from ADDR:PORT "
			"--to ADDR[+N]:PORT[-PORT] [--to ...] --size BYTES --runs N --bare OBJ\n");
		exit(2);
	}
	ifindex_in = ifindex_of(ingress);
	ifindex_out = ifindex_of(egress);

	skel = xrelay_bpf__open_and_load();
	if (!skel)
		die("xrelay's XDP program", "cannot load (is xrelay.ko loaded, with BTF?)");
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.tx_ports), &ifindex_out, &ifindex_out,
				BPF_ANY))
		die("tx_ports", strerror(errno));
	bare_fd = load_bare(bare);

	bare_ns = calloc(runs, sizeof(*bare_ns));
	for (t = 0; t < n_to; t++) {
		xrelay_ns[t] = calloc(runs, sizeof(*xrelay_ns[t]));
		if (!xrelay_ns[t])
			die("memory", strerror(ENOMEM));
	}
	if (!bare_ns)
		die("memory", strerror(ENOMEM));
	for (i = 0; i < runs; i++) {
		for (t = 0; t < n_to; t++) {
			dests_pick(&dests[t], &rnd, &daddr, &dport);
			len = packet_build(frame, mac_in, mac_out, from.addr.v4, from.port, daddr,
					   dport, size);
			if (test_run(bpf_program__fd(skel->progs.xrelay_xdp), frame, len,
				     ifindex_in, 1, &xrelay_ns[t][i]) == XDP_REDIRECT)
				forwarded++;
		}
		if (test_run(bare_fd, frame, len, ifindex_in, 1, &bare_ns[i]) == XDP_TX)
			bare_tx++;
	}
	test_run(bare_fd, frame, len, ifindex_in, runs, &bare_repeat_ns);

	printf("{\"runs\":%llu,\"size\":%llu,\"xrelay_ns\":%u,\"bare_ns\":%u,"
	       "\"bare_repeat_ns\":%u,\"xrelay_forwarded\":%llu,\"bare_tx\":%llu",
	       (unsigned long long)runs, (unsigned long long)size, median(xrelay_ns[0], runs),
	       median(bare_ns, runs), bare_repeat_ns, (unsigned long long)forwarded,
	       (unsigned long long)bare_tx);
	if (n_to > 1) {
		printf(",\"xrelay_ns_each\":[");
		for (t = 0; t < n_to; t++)
			printf("%s%u", t ? "," : "", median(xrelay_ns[t], runs));
		printf("]");
	}
	printf("}\n");
	xrelay_bpf__destroy(skel);
	return forwarded == runs * n_to && bare_tx == runs ? 0 : 1;
}
