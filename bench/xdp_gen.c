// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp_gen: the benchmark's traffic generator.
 *
 *   xdp_gen --dev DEV --dst-mac MAC --from ADDR:PORT --prog GEN_BPF_O [--burst N]
 *
 * then one command per line on stdin, each answered on stdout with
 * {"sent":FRAMES,"seconds":T}:
 *
 *   SIZE RATE SECONDS ADDR[+N]:PORT[-PORT]
 *
 * Sends IPv4 UDP datagrams with SIZE bytes of payload out of veth DEV as
 * XDP frames: gen.bpf.o runs in BPF_PROG_TEST_RUN's live-frames mode on DEV
 * and sends each frame with XDP_TX, so the peer receives them the way a
 * NIC driver receives packets, in page buffers its XDP program can use
 * as they are, with no socket buffer to convert. (A socket sender's
 * packets arrive at a veth as socket buffers, which veth copies into a
 * fresh page before XDP may see them: a cost no real driver has.)
 *
 * Frames go out in bursts, one syscall each, at an average of RATE frames
 * a second (0: as fast as it can, in bursts of N) for SECONDS. A burst
 * carries RATE/250 frames, at least 1 and at most N (default 64): bursts
 * grow with the load as a NIC's interrupt coalescing and NAPI batches do,
 * and a slow relay is not handed 64 datagrams at once at a rate it could
 * take one by one. Each burst goes to a destination drawn at random, so
 * traffic spreads over as many relay sessions as exist. Frames the peer
 * had no room for are lost there, as on a NIC whose ring is full.
 *
 * Commands come on stdin so that one process serves a whole benchmark:
 * starting one costs more than half a second under emulation.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "packet.h"
#include "xrelay-parse.h"

#define MAX_BURST	256	/* the kernel's limit for a live-frames batch */
#define BURSTS_PER_SECOND 250	/* a burst costs 1.5 to 4 ms under emulation */

static void die(const char *what, const char *why)
{
	fprintf(stderr, "xdp_gen: %s: %s\n", what, why);
	exit(1);
}

static uint64_t number(const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (xr_uint_parse(s, min, max, &v))
		die("bad number", s);
	return v;
}

static void parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
		   &mac[3], &mac[4], &mac[5]) != ETH_ALEN)
		die("bad MAC address", s);
}

static void own_mac(const char *dev, uint8_t mac[ETH_ALEN])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr))
		die(dev, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(fd);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ull, .tv_nsec = ns % 1000000000ull };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int load_prog(const char *path)
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

/*
 * A live-frames run with repeat > 1 adds the program to the kernel's XDP
 * dispatcher and removes it again, which patches kernel code and waits
 * for two RCU grace periods: tens of milliseconds per burst under
 * emulation. Attached to lo (generic mode; nothing flows there), the
 * program stays in the dispatcher and a run only counts a reference.
 */
static void hold_in_dispatcher(int prog_fd)
{
	int err = bpf_xdp_attach(if_nametoindex("lo"), prog_fd, XDP_FLAGS_SKB_MODE, NULL);

	if (err)
		die("attaching to lo", strerror(-err));
}

struct generator {
	unsigned int ifindex;
	int prog_fd;
	uint8_t src_mac[ETH_ALEN];
	uint8_t dst_mac[ETH_ALEN];
	struct xr_endpoint from;
	uint64_t max_burst;
	uint64_t random;
};

/* Sends for @seconds; returns the frames sent. */
static uint64_t generate(struct generator *g, const struct dests *dests, uint64_t size,
			 uint64_t rate, uint64_t seconds)
{
	static uint8_t frame[PACKET_MAX_LEN];
	uint64_t burst = g->max_burst, sent = 0, start = now_ns();
	uint64_t end = start + seconds * 1000000000ull;

	if (rate && rate / BURSTS_PER_SECOND < burst)
		burst = rate / BURSTS_PER_SECOND ?: 1;
	for (;;) {
		uint64_t due = rate ? start + sent * 1000000000ull / rate : 0;
		struct xdp_md ctx = { .ingress_ifindex = g->ifindex };
		struct in_addr daddr;
		uint16_t dport;
		size_t len;

		if (due >= end || now_ns() >= end)
			return sent;
		if (due)
			sleep_until(due);
		dests_pick(dests, &g->random, &daddr, &dport);
		len = packet_build(frame, g->src_mac, g->dst_mac, g->from.addr.v4, g->from.port,
				   daddr, dport, size);
		ctx.data_end = len;
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_in = frame,
			.data_size_in = len,
			.ctx_in = &ctx,
			.ctx_size_in = sizeof(ctx),
			.repeat = burst,
			.batch_size = burst,
			.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		);
		if (bpf_prog_test_run_opts(g->prog_fd, &opts))
			die("BPF_PROG_TEST_RUN", strerror(errno));
		sent += burst;
	}
}

/* SIZE RATE SECONDS ADDR[+N]:PORT[-PORT] */
static void command(struct generator *g, const char *line)
{
	char size[16], rate[16], seconds[16], to[64];
	struct dests dests;
	uint64_t start, sent;
	const char *why;

	if (sscanf(line, "%15s %15s %15s %63s", size, rate, seconds, to) != 4)
		die("bad command, want SIZE RATE SECONDS ADDR[+N]:PORT[-PORT]", line);
	why = dests_parse(to, &dests);
	if (why)
		die(to, why);
	start = now_ns();
	sent = generate(g, &dests, number(size, 1, PACKET_MAX_PAYLOAD),
			number(rate, 0, 100000000), number(seconds, 1, 3600));
	printf("{\"sent\":%llu,\"seconds\":%.6f}\n", (unsigned long long)sent,
	       (now_ns() - start) / 1e9);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "from", required_argument, NULL, 'f' },
		{ "prog", required_argument, NULL, 'p' },
		{ "burst", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct generator g = { .max_burst = 64, .random = 0x9e3779b97f4a7c15ull };
	const char *dev = NULL, *prog = NULL, *why;
	bool has_mac = false;
	char line[256];
	int opt;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'm': parse_mac(optarg, g.dst_mac); has_mac = true; break;
		case 'f':
			why = xr_endpoint_parse(optarg, &g.from);
			if (why || g.from.addr.family != AF_INET)
				die("bad --from", why ? why : "not IPv4");
			break;
		case 'p': prog = optarg; break;
		case 'b': g.max_burst = number(optarg, 1, MAX_BURST); break;
		default: exit(2);
		}
	}
	if (!dev || !has_mac || !g.from.port || !prog || optind != argc) {
		fprintf(stderr, "usage: xdp_gen --dev DEV --dst-mac MAC --from ADDR:PORT "
			"--prog GEN_BPF_O [--burst N]\n"
			"  then on stdin, per line: SIZE RATE SECONDS ADDR[+N]:PORT[-PORT]\n");
		exit(2);
	}
	g.ifindex = if_nametoindex(dev);
	if (!g.ifindex)
		die(dev, "no such interface");
	own_mac(dev, g.src_mac);
	g.prog_fd = load_prog(prog);
	hold_in_dispatcher(g.prog_fd);

	while (fgets(line, sizeof(line), stdin))
		command(&g, line);
	bpf_xdp_detach(if_nametoindex("lo"), XDP_FLAGS_SKB_MODE, NULL);
	return 0;
}
