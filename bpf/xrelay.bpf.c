// SPDX-License-Identifier: GPL-2.0-only
/*
 * xrelay's XDP fast path: parse Ethernet (one VLAN tag), IPv4 or IPv6 and
 * UDP, ask xrelay.ko what to do, rewrite and send. Anything unusual, or
 * anything the module says the stack must finish, goes up with XDP_PASS
 * and takes the module's own path.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xrelay_xdp.h"

extern int xrelay_xdp_decide(struct xdp_md *ctx, struct xrelay_xdp_flow *flow,
			     int flow__sz) __ksym;
extern void xrelay_xdp_forwarded(struct xdp_md *ctx, struct xrelay_xdp_flow *flow,
				 int flow__sz) __ksym;

/* Interfaces packets may be redirected to; xrelayctl fills it on attach. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XRELAY_XDP_MAX_PORTS);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

#define IP_MF		0x2000
#define IP_OFFSET	0x1fff

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* RFC 1624 incremental update of @check from @from to @to (@size bytes). */
static __always_inline __u16 csum_update(__u16 check, void *from, void *to, __u32 size)
{
	return csum_fold(bpf_csum_diff(from, size, to, size, (__u16)~check));
}

/* The parts of a UDP checksum xrelay rewrites: pseudo-header addresses and ports. */
struct csum_v4 {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
};

struct csum_v6 {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be16 sport;
	__be16 dport;
};

static __always_inline void set_v4mapped(__u8 *addr, __be32 v4)
{
	__builtin_memset(addr, 0, 10);
	addr[10] = 0xff;
	addr[11] = 0xff;
	__builtin_memcpy(addr + 12, &v4, 4);
}

/* The payload's first bytes, for the module's protocol guard; zeros if shorter. */
static __always_inline void copy_head(struct udphdr *uh, void *end, struct xrelay_xdp_flow *flow)
{
	__u8 *payload = (void *)(uh + 1);

	if ((void *)(payload + sizeof(flow->head)) <= end)
		__builtin_memcpy(flow->head, payload, sizeof(flow->head));
}

/*
 * Fills @flow from an IPv4 datagram; false if it is not one xrelay handles
 * here. What ip_rcv_core() would refuse (a bad header checksum) is left to
 * the stack to refuse; the module checks the length against the frame.
 */
static __always_inline bool parse_ipv4(struct iphdr *iph, void *end, struct xrelay_xdp_flow *flow)
{
	struct udphdr *uh = (void *)(iph + 1);

	if ((void *)(uh + 1) > end || iph->version != 4 || iph->ihl != 5 ||
	    iph->protocol != IPPROTO_UDP ||
	    (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) ||
	    bpf_ntohs(uh->len) < sizeof(*uh) ||
	    bpf_ntohs(uh->len) != bpf_ntohs(iph->tot_len) - sizeof(*iph) ||
	    csum_fold(bpf_csum_diff(0, 0, (void *)iph, sizeof(*iph), 0)))
		return false;
	set_v4mapped(flow->saddr, iph->saddr);
	set_v4mapped(flow->daddr, iph->daddr);
	flow->sport = uh->source;
	flow->dport = uh->dest;
	flow->hop_limit = iph->ttl;
	flow->payload = bpf_ntohs(uh->len) - sizeof(*uh);
	copy_head(uh, end, flow);
	return true;
}

/* IPv4-mapped addresses are IPv4 in IPv6 clothing: the stack's to refuse. */
static __always_inline bool v4mapped(const struct in6_addr *a)
{
	return !a->in6_u.u6_addr32[0] && !a->in6_u.u6_addr32[1] &&
	       a->in6_u.u6_addr32[2] == bpf_htonl(0xffff);
}

static __always_inline bool parse_ipv6(struct ipv6hdr *ip6h, void *end,
				       struct xrelay_xdp_flow *flow)
{
	struct udphdr *uh = (void *)(ip6h + 1);

	/* Extension headers and zero checksums are the module's to judge. */
	if ((void *)(uh + 1) > end || ip6h->version != 6 || ip6h->nexthdr != IPPROTO_UDP ||
	    !uh->check || uh->len != ip6h->payload_len || bpf_ntohs(uh->len) < sizeof(*uh) ||
	    v4mapped(&ip6h->saddr) || v4mapped(&ip6h->daddr))
		return false;
	__builtin_memcpy(flow->saddr, &ip6h->saddr, 16);
	__builtin_memcpy(flow->daddr, &ip6h->daddr, 16);
	flow->sport = uh->source;
	flow->dport = uh->dest;
	flow->hop_limit = ip6h->hop_limit;
	flow->payload = bpf_ntohs(uh->len) - sizeof(*uh);
	copy_head(uh, end, flow);
	return true;
}

static __always_inline void rewrite_ipv4(struct iphdr *iph, const struct xrelay_xdp_flow *flow)
{
	struct udphdr *uh = (void *)(iph + 1);
	struct csum_v4 old = { iph->saddr, iph->daddr, uh->source, uh->dest };
	struct csum_v4 new;

	__builtin_memcpy(&new.saddr, flow->saddr + 12, 4);
	__builtin_memcpy(&new.daddr, flow->daddr + 12, 4);
	new.sport = flow->sport;
	new.dport = flow->dport;
	/* Zero means "no checksum" over IPv4; a computed zero is sent as 0xffff. */
	if (uh->check) {
		uh->check = csum_update(uh->check, &old, &new, sizeof(old));
		if (!uh->check)
			uh->check = 0xffff;
	}
	iph->saddr = new.saddr;
	iph->daddr = new.daddr;
	uh->source = new.sport;
	uh->dest = new.dport;
	iph->ttl = flow->hop_limit;
	iph->check = 0;
	iph->check = csum_fold(bpf_csum_diff(0, 0, (void *)iph, sizeof(*iph), 0));
}

static __always_inline void rewrite_ipv6(struct ipv6hdr *ip6h, const struct xrelay_xdp_flow *flow)
{
	struct udphdr *uh = (void *)(ip6h + 1);
	struct csum_v6 old, new;

	old.saddr = ip6h->saddr;
	old.daddr = ip6h->daddr;
	old.sport = uh->source;
	old.dport = uh->dest;
	__builtin_memcpy(&new.saddr, flow->saddr, 16);
	__builtin_memcpy(&new.daddr, flow->daddr, 16);
	new.sport = flow->sport;
	new.dport = flow->dport;
	uh->check = csum_update(uh->check, &old, &new, sizeof(old));
	if (!uh->check)
		uh->check = 0xffff;
	ip6h->saddr = new.saddr;
	ip6h->daddr = new.daddr;
	uh->source = new.sport;
	uh->dest = new.dport;
	ip6h->hop_limit = flow->hop_limit;
}

SEC("xdp")
int xrelay_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xrelay_xdp_flow flow = {};
	struct ethhdr *eth = data;
	struct vlan_tag *tag = NULL;
	__u16 proto, vlan = 0;
	void *l3 = eth + 1;
	long action;
	bool v4;

	if (l3 > end)
		return XDP_PASS;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		tag = l3;
		if ((void *)(tag + 1) > end)
			return XDP_PASS;
		vlan = bpf_ntohs(tag->tci) & 0xfff;
		proto = tag->proto;
		l3 = tag + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		if ((void *)((struct iphdr *)l3 + 1) > end || !parse_ipv4(l3, end, &flow))
			return XDP_PASS;
		v4 = true;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		if ((void *)((struct ipv6hdr *)l3 + 1) > end || !parse_ipv6(l3, end, &flow))
			return XDP_PASS;
		v4 = false;
	} else {
		return XDP_PASS;
	}

	switch (xrelay_xdp_decide(ctx, &flow, sizeof(flow))) {
	case XRELAY_XDP_FORWARD:
		break;
	case XRELAY_XDP_DROP:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
	/*
	 * Nothing is rewritten until the packet can surely leave here: the
	 * same VLAN on the way out, and an interface this program may send to.
	 */
	if (flow.vlan != vlan)
		return XDP_PASS;
	if (flow.ifindex != ctx->ingress_ifindex &&
	    !bpf_map_lookup_elem(&tx_ports, &flow.ifindex))
		return XDP_PASS;

	/* The verifier forgets packet bounds across calls: check them again. */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	l3 = data + sizeof(*eth);
	if (tag)
		l3 += sizeof(*tag);
	if (v4) {
		if (l3 + sizeof(struct iphdr) + sizeof(struct udphdr) > end)
			return XDP_PASS;
		rewrite_ipv4(l3, &flow);
	} else {
		if (l3 + sizeof(struct ipv6hdr) + sizeof(struct udphdr) > end)
			return XDP_PASS;
		rewrite_ipv6(l3, &flow);
	}
	__builtin_memcpy(eth->h_source, flow.smac, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, flow.dmac, ETH_ALEN);

	/* Counted once it is surely on its way out, not before. */
	if (flow.ifindex == ctx->ingress_ifindex)
		action = XDP_TX;
	else
		action = bpf_redirect_map(&tx_ports, flow.ifindex, 0);
	if (action == XDP_TX || action == XDP_REDIRECT)
		xrelay_xdp_forwarded(ctx, &flow, sizeof(flow));
	return action;
}

char LICENSE[] SEC("license") = "GPL";
