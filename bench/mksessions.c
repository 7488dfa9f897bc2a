// SPDX-License-Identifier: GPL-2.0-only
/*
 * mksessions: create many sessions quickly, for the benchmark.
 *
 *   mksessions INSTANCE A_PORT B_PORT COUNT PEER_A PEER_B
 *
 * Creates COUNT sessions on INSTANCE over one netlink socket: session k
 * relays port A_PORT+k, pinned to PEER_A (ADDR:PORT), and port B_PORT+k,
 * pinned to PEER_B. Pinned sides forward from the first packet, and the
 * longest idle timeout keeps them for the whole benchmark. Prints
 * {"created":N,"seconds":T}; on failure says which session and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <linux/xrelay.h>

#include "xrelay-attr.h"
#include "xrelay-nl.h"
#include "xrelay-parse.h"

static void usage(void)
{
	fprintf(stderr, "usage: mksessions INSTANCE A_PORT B_PORT COUNT PEER_A PEER_B\n");
	exit(2);
}

static uint64_t arg_number(const char *s, uint64_t max)
{
	uint64_t v;

	if (xr_uint_parse(s, 1, max, &v))
		usage();
	return v;
}

static int put_side(struct nl_msg *msg, int type, uint16_t port, const struct xr_endpoint *peer)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest)
		return -1;
	return nla_put_u16(msg, XRELAY_A_SIDE_PORT, port) |
	       xr_attr_put_addr(msg, XRELAY_A_SIDE_PEER_IPV4, XRELAY_A_SIDE_PEER_IPV6, &peer->addr) |
	       nla_put_u16(msg, XRELAY_A_SIDE_PEER_PORT, peer->port) |
	       nla_nest_end(msg, nest);
}

int main(int argc, char **argv)
{
	struct xr_endpoint peer_a, peer_b;
	struct timespec t0, t1;
	uint64_t instance, a_port, b_port, count, k;
	struct xr_nl nl;

	if (argc != 7)
		usage();
	instance = arg_number(argv[1], UINT32_MAX);
	a_port = arg_number(argv[2], 65535);
	b_port = arg_number(argv[3], 65535);
	count = arg_number(argv[4], 65535);
	if (a_port + count - 1 > 65535 || b_port + count - 1 > 65535 ||
	    xr_endpoint_parse(argv[5], &peer_a) || xr_endpoint_parse(argv[6], &peer_b))
		usage();
	if (xr_nl_open(&nl)) {
		fprintf(stderr, "mksessions: %s\n", nl.errmsg);
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < count; k++) {
		struct nl_msg *msg = xr_nl_msg(&nl, XRELAY_CMD_SESSION_NEW, 0);

		if (!msg || nla_put_u32(msg, XRELAY_A_SESSION_INSTANCE, instance) ||
		    nla_put_u32(msg, XRELAY_A_SESSION_IDLE_TIMEOUT, XRELAY_MAX_TIMEOUT) ||
		    put_side(msg, XRELAY_A_SESSION_SIDE_A, a_port + k, &peer_a) ||
		    put_side(msg, XRELAY_A_SESSION_SIDE_B, b_port + k, &peer_b)) {
			fprintf(stderr, "mksessions: out of memory\n");
			return 1;
		}
		if (xr_nl_request(&nl, msg, NULL, NULL)) {
			fprintf(stderr, "mksessions: session %llu (ports %llu, %llu): %s\n",
				(unsigned long long)k, (unsigned long long)(a_port + k),
				(unsigned long long)(b_port + k), nl.errmsg);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"created\":%llu,\"seconds\":%.3f}\n", (unsigned long long)count,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	xr_nl_close(&nl);
	return 0;
}
