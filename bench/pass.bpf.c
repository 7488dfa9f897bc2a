// SPDX-License-Identifier: GPL-2.0-only
/*
 * XDP_TX into a veth reaches the peer only if the peer runs an XDP program:
 * the reflector's receiver gets this one, which passes everything on.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
