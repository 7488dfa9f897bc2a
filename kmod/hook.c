// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where packets enter and leave without XDP: a netfilter PRE_ROUTING hook
 * that runs after defragmentation and before conntrack. Packets for relay
 * ports are rewritten in place and sent with ip_local_out()/ip6_local_out()
 * marked untracked, so relayed traffic never creates conntrack entries while
 * the operator's OUTPUT and POSTROUTING rules still see it. Everything else
 * continues untouched. Documentation/networking/xrelay/design.rst has why.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>

#include "datapath.h"
#include "hook.h"
#include "netns.h"

/* After defragmentation and the raw table, before conntrack. */
#define XRELAY_HOOK_PRIORITY_IPV4	(NF_IP_PRI_CONNTRACK - 10)
#define XRELAY_HOOK_PRIORITY_IPV6	(NF_IP6_PRI_CONNTRACK - 10)

/* Whatever the packet carried in, it leaves as new, untracked traffic. */
static void xrelay_skb_reset(struct sk_buff *skb)
{
	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	skb_clear_tstamp(skb);
	skb->skb_iif = 0;
	/*
	 * The UDP checksum is updated incrementally below; a receive-side
	 * CHECKSUM_COMPLETE sum would no longer match the packet.
	 */
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
}

static void xrelay_udp_csum_fixup(struct sk_buff *skb, struct udphdr *uh)
{
	if (skb->ip_summed != CHECKSUM_PARTIAL && !uh->check)
		uh->check = CSUM_MANGLED_0;
}

static bool xrelay_udp_len_ok(const struct sk_buff *skb, unsigned int thoff,
			      const struct udphdr *uh)
{
	unsigned int len = ntohs(uh->len);

	return len >= sizeof(*uh) && len == skb->len - thoff;
}

static int xrelay_forward_ipv4(struct net *net, struct sk_buff *skb, unsigned int thoff,
			       const struct xrelay_flow *out)
{
	__be32 saddr = out->saddr.s6_addr32[3], daddr = out->daddr.s6_addr32[3];
	u16 frag_max_size = IPCB(skb)->frag_max_size;
	struct flowi4 fl4 = {
		.daddr = daddr,
		.saddr = saddr,
		.flowi4_proto = IPPROTO_UDP,
		.flowi4_mark = skb->mark,
		.fl4_sport = out->sport,
		.fl4_dport = out->dport,
	};
	struct udphdr *uh;
	struct iphdr *iph;
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_type != RTN_UNICAST) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	if (skb_ensure_writable(skb, thoff + sizeof(*uh))) {
		ip_rt_put(rt);
		return -ENOMEM;
	}

	iph = ip_hdr(skb);
	uh = (struct udphdr *)(skb->data + thoff);
	if (uh->check) {
		inet_proto_csum_replace4(&uh->check, skb, iph->saddr, saddr, true);
		inet_proto_csum_replace4(&uh->check, skb, iph->daddr, daddr, true);
		inet_proto_csum_replace2(&uh->check, skb, uh->source, out->sport, false);
		inet_proto_csum_replace2(&uh->check, skb, uh->dest, out->dport, false);
		xrelay_udp_csum_fixup(skb, uh);
	}
	iph->saddr = saddr;
	iph->daddr = daddr;
	uh->source = out->sport;
	uh->dest = out->dport;
	/* The relay is the packet's new origin, not a router on its way. */
	iph->ttl = ip4_dst_hoplimit(&rt->dst);

	xrelay_skb_reset(skb);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	IPCB(skb)->frag_max_size = frag_max_size;
	skb_dst_drop(skb);
	skb_dst_set(skb, &rt->dst);
	ip_local_out(net, NULL, skb);
	return 0;
}

static int xrelay_forward_ipv6(struct net *net, struct sk_buff *skb, unsigned int thoff,
			       const struct xrelay_flow *out)
{
	u16 frag_max_size = IP6CB(skb)->frag_max_size;
	struct flowi6 fl6 = {
		.daddr = out->daddr,
		.saddr = out->saddr,
		.flowi6_proto = IPPROTO_UDP,
		.flowi6_mark = skb->mark,
		.fl6_sport = out->sport,
		.fl6_dport = out->dport,
	};
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct udphdr *uh;
	int ret;

	dst = ip6_route_output(net, NULL, &fl6);
	ret = dst->error;
	if (!ret && (dst->dev->flags & IFF_LOOPBACK))
		ret = -ENETUNREACH;
	if (!ret && skb_ensure_writable(skb, thoff + sizeof(*uh)))
		ret = -ENOMEM;
	if (ret) {
		dst_release(dst);
		return ret;
	}

	ip6h = ipv6_hdr(skb);
	uh = (struct udphdr *)(skb->data + thoff);
	inet_proto_csum_replace16(&uh->check, skb, ip6h->saddr.s6_addr32,
				  out->saddr.s6_addr32, true);
	inet_proto_csum_replace16(&uh->check, skb, ip6h->daddr.s6_addr32,
				  out->daddr.s6_addr32, true);
	inet_proto_csum_replace2(&uh->check, skb, uh->source, out->sport, false);
	inet_proto_csum_replace2(&uh->check, skb, uh->dest, out->dport, false);
	xrelay_udp_csum_fixup(skb, uh);
	ip6h->saddr = out->saddr;
	ip6h->daddr = out->daddr;
	uh->source = out->sport;
	uh->dest = out->dport;
	ip6h->hop_limit = ip6_dst_hoplimit(dst);

	xrelay_skb_reset(skb);
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	IP6CB(skb)->frag_max_size = frag_max_size;
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
	ip6_local_out(net, NULL, skb);
	return 0;
}

/*
 * Common to both families once the headers are found: classify, decide,
 * and hand the packet on. @malformed packets are counted only if they are
 * for a relay port; others are left to the stack to judge.
 */
static unsigned int xrelay_hook_relay(struct net *net, struct sk_buff *skb, unsigned int thoff,
				      struct xrelay_flow *flow, bool malformed)
{
	struct xrelay_net *xn = xrelay_net(net);
	const struct udphdr *uh;
	struct xrelay_side *side;
	unsigned int payload, packets;
	int ret;

	switch (xrelay_datapath_classify(xn, flow, &side)) {
	case XRELAY_PASS:
		return NF_ACCEPT;
	case XRELAY_DROP:
		return NF_DROP;
	case XRELAY_FORWARD:
		break;
	}
	uh = (const struct udphdr *)(skb->data + thoff);
	if (malformed || !xrelay_udp_len_ok(skb, thoff, uh)) {
		xrelay_datapath_count_drop(side, XRELAY_DROP_MALFORMED);
		return NF_DROP;
	}
	/*
	 * A GRO'ed datagram carries one UDP header for all its segments; the
	 * protocol guard judges it by its first segment.
	 */
	payload = ntohs(uh->len) - sizeof(*uh);
	packets = skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 1;
	flow->bytes = payload;
	flow->packets = packets;
	flow->first_len = packets > 1 ? min_t(unsigned int, payload, skb_shinfo(skb)->gso_size) :
					payload;
	memset(flow->head, 0, sizeof(flow->head));
	skb_copy_bits(skb, thoff + sizeof(*uh), flow->head,
		      min_t(unsigned int, payload, sizeof(flow->head)));
	if (xrelay_datapath_process(xn, side, flow) != XRELAY_FORWARD)
		return NF_DROP;

	if (skb->protocol == htons(ETH_P_IP))
		ret = xrelay_forward_ipv4(net, skb, thoff, flow);
	else
		ret = xrelay_forward_ipv6(net, skb, thoff, flow);
	if (ret) {
		xrelay_datapath_count_drop(side, XRELAY_DROP_NO_ROUTE);
		return NF_DROP;
	}
	xrelay_datapath_count_forward(side, packets, payload, false);
	return NF_STOLEN;
}

static unsigned int xrelay_hook_ipv4(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct udphdr *uh;
	struct xrelay_flow flow;
	unsigned int thoff;

	if (iph->protocol != IPPROTO_UDP || ip_is_fragment(iph))
		return NF_ACCEPT;
	thoff = ip_hdrlen(skb);
	if (!pskb_may_pull(skb, thoff + sizeof(*uh)))
		return NF_ACCEPT;
	iph = ip_hdr(skb);
	uh = (const struct udphdr *)(skb->data + thoff);

	ipv6_addr_set_v4mapped(iph->saddr, &flow.saddr);
	ipv6_addr_set_v4mapped(iph->daddr, &flow.daddr);
	flow.sport = uh->source;
	flow.dport = uh->dest;
	/* IP options would need rewriting too (source routes): not relayed. */
	return xrelay_hook_relay(state->net, skb, thoff, &flow, iph->ihl > 5);
}

static unsigned int xrelay_hook_ipv6(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const struct udphdr *uh;
	struct xrelay_flow flow;
	u8 nexthdr = ip6h->nexthdr;
	unsigned int thoff;
	__be16 frag_off;
	int off;

	off = ipv6_skip_exthdr(skb, sizeof(*ip6h), &nexthdr, &frag_off);
	if (off < 0 || nexthdr != IPPROTO_UDP || frag_off)
		return NF_ACCEPT;
	thoff = off;
	if (!pskb_may_pull(skb, thoff + sizeof(*uh)))
		return NF_ACCEPT;
	ip6h = ipv6_hdr(skb);
	uh = (const struct udphdr *)(skb->data + thoff);

	flow.saddr = ip6h->saddr;
	flow.daddr = ip6h->daddr;
	flow.sport = uh->source;
	flow.dport = uh->dest;
	/*
	 * A zero UDP checksum is invalid over IPv6; extension headers would
	 * need rewriting (routing headers): neither is relayed.
	 */
	return xrelay_hook_relay(state->net, skb, thoff, &flow,
				 !uh->check || ip6h->nexthdr != IPPROTO_UDP);
}

static const struct nf_hook_ops xrelay_hook_ops[] = {
	{
		.hook = xrelay_hook_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = XRELAY_HOOK_PRIORITY_IPV4,
	},
	{
		.hook = xrelay_hook_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = XRELAY_HOOK_PRIORITY_IPV6,
	},
};

/**
 * xrelay_hook_enable() - start relaying a family's packets in a namespace
 * @net: the namespace
 * @family: AF_INET or AF_INET6
 *
 * Turns on the namespace's defragmentation for the family, so that the hook
 * sees whole datagrams, then registers the hook.
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int xrelay_hook_enable(struct net *net, int family)
{
	const struct nf_hook_ops *ops = &xrelay_hook_ops[family == AF_INET6];
	int ret;

	ret = family == AF_INET ? nf_defrag_ipv4_enable(net) : nf_defrag_ipv6_enable(net);
	if (ret)
		return ret;
	ret = nf_register_net_hook(net, ops);
	if (ret) {
		if (family == AF_INET)
			nf_defrag_ipv4_disable(net);
		else
			nf_defrag_ipv6_disable(net);
	}
	return ret;
}

/**
 * xrelay_hook_disable() - stop relaying a family's packets in a namespace
 * @net: the namespace
 * @family: AF_INET or AF_INET6
 *
 * Returns once no packet is inside the hook any more.
 *
 * Context: process context.
 */
void xrelay_hook_disable(struct net *net, int family)
{
	nf_unregister_net_hook(net, &xrelay_hook_ops[family == AF_INET6]);
	if (family == AF_INET)
		nf_defrag_ipv4_disable(net);
	else
		nf_defrag_ipv6_disable(net);
}
