// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp_prog_run: run an XDP program once through BPF_PROG_TEST_RUN, as the
 * kernel runs it there: in process context, with bottom halves enabled,
 * on the current namespace's loopback device.
 *
 *   xdp_prog_run OBJECT PROGRAM SRC4:PORT DST4:PORT
 *
 * Loads PROGRAM from the BPF object file OBJECT, runs it on one Ethernet
 * frame holding an IPv4 UDP datagram from SRC to DST with a 64-byte
 * payload (destination MAC zero, which is loopback's), and prints
 * "retval N" with the XDP action the program returned. Exits 1 if the
 * program cannot be loaded or run.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAYLOAD	64

struct frame {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	unsigned char payload[PAYLOAD];
} __attribute__((packed));

static int parse_endpoint(const char *text, struct in_addr *addr, unsigned short *port)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(text, ':');

	if (!colon || colon - text >= (long)sizeof(host))
		return -1;
	memcpy(host, text, colon - text);
	host[colon - text] = '\0';
	*port = atoi(colon + 1);
	return inet_pton(AF_INET, host, addr) == 1 && *port ? 0 : -1;
}

static unsigned short ip_checksum(const void *data, size_t len)
{
	const unsigned short *word = data;
	unsigned long sum = 0;

	for (; len > 1; len -= 2)
		sum += *word++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static void build_frame(struct frame *f, struct in_addr src, unsigned short sport,
			struct in_addr dst, unsigned short dport)
{
	memset(f, 0, sizeof(*f));
	f->eth.h_proto = htons(ETH_P_IP);
	f->ip.version = 4;
	f->ip.ihl = 5;
	f->ip.ttl = 64;
	f->ip.protocol = IPPROTO_UDP;
	f->ip.tot_len = htons(sizeof(f->ip) + sizeof(f->udp) + PAYLOAD);
	f->ip.saddr = src.s_addr;
	f->ip.daddr = dst.s_addr;
	f->ip.check = ip_checksum(&f->ip, sizeof(f->ip));
	f->udp.source = htons(sport);
	f->udp.dest = htons(dport);
	f->udp.len = htons(sizeof(f->udp) + PAYLOAD);
	memset(f->payload, 'x', PAYLOAD);
}

int main(int argc, char **argv)
{
	unsigned short sport, dport;
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct in_addr src, dst;
	struct frame frame;
	int ret;

	if (argc != 5 || parse_endpoint(argv[3], &src, &sport) ||
	    parse_endpoint(argv[4], &dst, &dport)) {
		fprintf(stderr, "usage: xdp_prog_run OBJECT PROGRAM SRC4:PORT DST4:PORT\n");
		return 2;
	}
	build_frame(&frame, src, sport, dst, dport);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "xdp_prog_run: cannot open %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog) {
		fprintf(stderr, "xdp_prog_run: no program %s in %s\n", argv[2], argv[1]);
		return 1;
	}
	ret = bpf_object__load(obj);
	if (ret) {
		fprintf(stderr, "xdp_prog_run: loading %s failed: %s\n", argv[2], strerror(-ret));
		return 1;
	}

	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = &frame, .data_size_in = sizeof(frame),
		    .data_out = &frame, .data_size_out = sizeof(frame), .repeat = 1);
	ret = bpf_prog_test_run_opts(bpf_program__fd(prog), &run);
	if (ret) {
		perror("xdp_prog_run: BPF_PROG_TEST_RUN");
		return 1;
	}
	printf("retval %u\n", run.retval);
	bpf_object__close(obj);
	return 0;
}
