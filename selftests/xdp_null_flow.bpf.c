// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hands xrelay_xdp_decide() an unchecked map lookup: the 6.1 verifier lets a
 * maybe-NULL map value through as a kfunc's memory argument, so the kfunc
 * itself must refuse NULL. The map stays empty: the lookup always misses.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xrelay_xdp.h"

extern int xrelay_xdp_decide(struct xdp_md *ctx, struct xrelay_xdp_flow *flow,
			     int flow__sz) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xrelay_xdp_flow);
} flows SEC(".maps");

SEC("xdp")
int null_flow(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct xrelay_xdp_flow *flow = bpf_map_lookup_elem(&flows, &key);

	return xrelay_xdp_decide(ctx, flow, sizeof(*flow)) == XRELAY_XDP_PASS ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
