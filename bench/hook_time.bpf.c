// SPDX-License-Identifier: GPL-2.0-only
/*
 * hook_time's programs: how long xrelay's IPv4 netfilter hook takes for each
 * packet to a set of destinations, timed from fentry to fexit of
 * xrelay_hook_ipv4() with the packets of real traffic.
 *
 * Destination i of the set is address first_addr + i, so that traffic
 * spread over several configurations at once is told apart per packet.
 * Samples are kept whole, not binned: the policy stage compares medians
 * that differ by a few percent, finer than any histogram worth its size.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "hook_time.h"

/* The fields read, located in the running kernel's sk_buff by CO-RE. */
struct sk_buff {
	unsigned char *head;
	__u16 network_header;
} __attribute__((preserve_access_index));

struct nf_hook_state;

/* The destinations timed, set by the loader. */
const volatile __u32 first_addr;	/* host order */
const volatile __u32 n_addrs;
const volatile __u16 port_min;		/* host order */
const volatile __u16 port_max;

/* Written by the loader through the mmap()ed map: counts only while set. */
bool enabled;
/* Per destination: packets timed and forwarded, and those the hook did not steal. */
__u32 timed[HOOK_TIME_MAX_DESTS];
__u32 not_forwarded[HOOK_TIME_MAX_DESTS];
/* The first HOOK_TIME_MAX_SAMPLES forwarded packets' times, in ns. */
__u32 samples[HOOK_TIME_MAX_DESTS][HOOK_TIME_MAX_SAMPLES];

/*
 * The packet the CPU is in the hook for. Per CPU: the hook runs with
 * bottom halves off and does not migrate. A packet the hook would handle
 * inside another (none does today) is not timed, rather than spoil the
 * outer one's time.
 */
struct in_hook {
	const struct sk_buff *skb;
	__u64 start;
	__u32 dest;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct in_hook);
} in_hook SEC(".maps");

/* Which of the set @skb goes to, or -1. */
static int dest_of(const struct sk_buff *skb)
{
	const unsigned char *nh = skb->head + skb->network_header;
	struct iphdr iph;
	struct udphdr uh;
	__u32 index;
	__u16 port;

	if (bpf_probe_read_kernel(&iph, sizeof(iph), nh) || iph.protocol != IPPROTO_UDP)
		return -1;
	index = bpf_ntohl(iph.daddr) - first_addr;
	if (index >= n_addrs || index >= HOOK_TIME_MAX_DESTS)
		return -1;
	if (bpf_probe_read_kernel(&uh, sizeof(uh), nh + iph.ihl * 4))
		return -1;
	port = bpf_ntohs(uh.dest);
	return port >= port_min && port <= port_max ? (int)index : -1;
}

SEC("fentry/xrelay_hook_ipv4")
int BPF_PROG(hook_enter, void *priv, struct sk_buff *skb, const struct nf_hook_state *state)
{
	__u32 zero = 0;
	struct in_hook *h = bpf_map_lookup_elem(&in_hook, &zero);
	int dest;

	if (!h || !enabled || h->skb)
		return 0;
	dest = dest_of(skb);
	if (dest < 0)
		return 0;
	h->skb = skb;
	h->dest = dest;
	/* Last, so that none of the above is counted as the hook's time. */
	h->start = bpf_ktime_get_ns();
	return 0;
}

SEC("fexit/xrelay_hook_ipv4")
int BPF_PROG(hook_exit, void *priv, struct sk_buff *skb, const struct nf_hook_state *state,
	     unsigned int verdict)
{
	__u64 end = bpf_ktime_get_ns();
	__u32 zero = 0, dest, n;
	struct in_hook *h = bpf_map_lookup_elem(&in_hook, &zero);

	if (!h || h->skb != skb)
		return 0;
	h->skb = NULL;
	dest = h->dest;
	if (dest >= HOOK_TIME_MAX_DESTS)
		return 0;
	/* Only a forwarded packet did the whole of the work compared. */
	if (verdict != NF_STOLEN) {
		__sync_fetch_and_add(&not_forwarded[dest], 1);
		return 0;
	}
	n = __sync_fetch_and_add(&timed[dest], 1);
	if (n < HOOK_TIME_MAX_SAMPLES)
		samples[dest][n] = end - h->start;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
