// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp_gen's program: run in BPF_PROG_TEST_RUN's live-frames mode on a
 * veth, every frame goes out of it unchanged, into the peer's XDP ring.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int gen(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
