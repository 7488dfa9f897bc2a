// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where packets enter and leave without XDP: a netfilter PRE_ROUTING hook
 * that runs after defragmentation and before conntrack. Packets for relay
 * ports are rewritten in place and sent with ip_local_out()/ip6_local_out()
 * marked untracked, so relayed traffic never creates conntrack entries while
 * the operator's OUTPUT and POSTROUTING rules still see it. Everything else
 * continues untouched. Documentation/design.rst has why.
 */

#include <linux/icmpv6.h>
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
#include <net/xfrm.h>

#include "datapath.h"
#include "hook.h"
#include "netns.h"
#include "session.h"

/* After defragmentation and the raw table, before conntrack. */
#define XRELAY_HOOK_PRIORITY_IPV4	(NF_IP_PRI_CONNTRACK - 10)
#define XRELAY_HOOK_PRIORITY_IPV6	(NF_IP6_PRI_CONNTRACK - 10)

/*
 * Whatever the packet carried in (conntrack entry, IPsec state, bridge
 * info, timestamp), it leaves as new, untracked traffic of the relay's,
 * which fragments it where the next link is smaller, as a source would.
 */
static void xrelay_skb_reset(struct sk_buff *skb)
{
	skb_scrub_packet(skb, false);
	skb_clear_tstamp(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	skb->ignore_df = 1;
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
	/* With CHECKSUM_PARTIAL the field holds the pseudo-header's sum, even 0. */
	if (skb->ip_summed == CHECKSUM_PARTIAL || uh->check) {
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
	iph->ttl = min_t(u8, out->ttl, ip4_dst_hoplimit(&rt->dst));
	/*
	 * Like WireGuard's own packets, the relay's may be fragmented on the
	 * way: it is not there to hear about a smaller link further on. A
	 * fragmentable packet needs an identification of its own.
	 */
	iph->frag_off &= ~htons(IP_DF);

	xrelay_skb_reset(skb);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	skb_dst_set(skb, &rt->dst);
	ip_select_ident_segs(net, skb, NULL, out->packets);
	ip_local_out(net, NULL, skb);
	return 0;
}

static int xrelay_forward_ipv6(struct net *net, struct sk_buff *skb, unsigned int thoff,
			       const struct xrelay_flow *out)
{
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
	if (ret) {
		dst_release(dst);
		return ret;
	}
	/* Unlike IPv4's output route, IPv6's leaves IPsec policies to the caller. */
	dst = xfrm_lookup_route(net, dst, flowi6_to_flowi(&fl6), NULL, 0);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	if (dst->dev->flags & IFF_LOOPBACK)
		ret = -ENETUNREACH;
	else if (skb_ensure_writable(skb, thoff + sizeof(*uh)))
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
	ip6h->hop_limit = min_t(u8, out->ttl, ip6_dst_hoplimit(dst));

	xrelay_skb_reset(skb);
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	skb_dst_set(skb, dst);
	ip6_local_out(net, NULL, skb);
	return 0;
}

/*
 * A GRO'ed packet carries one UDP header for datagrams of gso_size payload
 * bytes each, the last maybe shorter. The policy judges the first; the
 * others are alike if each starts as the first does, as the transport data
 * of one WireGuard peer does. UFO (a packet socket's, say) is one datagram.
 */
static void xrelay_hook_segments(const struct sk_buff *skb, unsigned int thoff,
				 unsigned int payload, struct xrelay_flow *flow)
{
	unsigned int gso_size = skb_shinfo(skb)->gso_size, off, i;
	u8 head[sizeof(flow->head)];

	flow->packets = 1;
	flow->first_len = payload;
	flow->last_len = payload;
	flow->segments_alike = true;
	if (!skb_is_gso(skb) || !(skb_shinfo(skb)->gso_type & SKB_GSO_UDP_L4) || !gso_size ||
	    payload <= gso_size)
		return;
	flow->packets = DIV_ROUND_UP(payload, gso_size);
	flow->first_len = gso_size;
	flow->last_len = payload - (flow->packets - 1) * gso_size;
	for (i = 1; i < flow->packets; i++) {
		off = thoff + sizeof(struct udphdr) + i * gso_size;
		memset(head, 0, sizeof(head));
		skb_copy_bits(skb, off, head, min_t(unsigned int, payload - i * gso_size,
						     sizeof(head)));
		if (memcmp(head, flow->head, sizeof(head))) {
			flow->segments_alike = false;
			return;
		}
	}
}

/*
 * Common to both families once the headers are found: classify, decide,
 * and hand the packet on. @malformed packets are counted only if they are
 * for a relay port; others are left to the stack to judge.
 */
static unsigned int xrelay_hook_relay(struct net *net, struct sk_buff *skb, bool v4,
				      unsigned int thoff, struct xrelay_flow *flow,
				      bool malformed)
{
	struct xrelay_net *xn = xrelay_net(net);
	const struct udphdr *uh;
	struct xrelay_side *side;
	unsigned int payload;
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
	payload = ntohs(uh->len) - sizeof(*uh);
	flow->bytes = payload;
	memset(flow->head, 0, sizeof(flow->head));
	skb_copy_bits(skb, thoff + sizeof(*uh), flow->head,
		      min_t(unsigned int, payload, sizeof(flow->head)));
	xrelay_hook_segments(skb, thoff, payload, flow);
	if (xrelay_datapath_process(xn, side, flow) != XRELAY_FORWARD)
		return NF_DROP;

	if (v4)
		ret = xrelay_forward_ipv4(net, skb, thoff, flow);
	else
		ret = xrelay_forward_ipv6(net, skb, thoff, flow);
	if (ret) {
		xrelay_datapath_refund(side, flow);
		xrelay_datapath_count_drop(side, XRELAY_DROP_NO_ROUTE);
		return NF_DROP;
	}
	xrelay_datapath_count_forward(side, flow->packets, payload, false);
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
	flow.ttl = iph->ttl;
	/* IP options would need rewriting too (source routes): not relayed. */
	return xrelay_hook_relay(state->net, skb, true, thoff, &flow, iph->ihl > 5);
}

/*
 * A "packet too big" from a router further on, about a datagram the relay
 * sent from one of its session ports: no socket takes it, so the relay
 * learns the path's MTU here and fragments what it sends next to fit.
 * IPv4 needs no such thing: relayed packets leave without DF.
 */
static void xrelay_hook_too_big6(struct net *net, struct sk_buff *skb, unsigned int thoff)
{
	unsigned int inner_off = thoff + sizeof(struct icmp6hdr);
	const struct ipv6hdr *inner;
	const struct icmp6hdr *ih;
	const struct udphdr *uh;

	if (!pskb_may_pull(skb, inner_off + sizeof(*inner) + sizeof(*uh)))
		return;
	ih = (const struct icmp6hdr *)(skb->data + thoff);
	inner = (const struct ipv6hdr *)(skb->data + inner_off);
	uh = (const struct udphdr *)(inner + 1);
	if (ih->icmp6_type != ICMPV6_PKT_TOOBIG || inner->nexthdr != IPPROTO_UDP ||
	    !xrelay_ports_lookup(xrelay_net(net), &inner->saddr, uh->source))
		return;
	/* ip6_update_pmtu() reads the quoted header at skb->data. */
	__skb_pull(skb, inner_off);
	ip6_update_pmtu(skb, net, ih->icmp6_mtu, 0, 0, sock_net_uid(net, NULL));
	__skb_push(skb, inner_off);
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

	/*
	 * IPv4 in IPv6 clothing is not IPv6: v4-mapped addresses on the wire
	 * would reach IPv4 sessions, or latch sides with IPv4 peers.
	 */
	if (ipv6_addr_v4mapped(&ip6h->saddr) || ipv6_addr_v4mapped(&ip6h->daddr))
		return NF_ACCEPT;
	off = ipv6_skip_exthdr(skb, sizeof(*ip6h), &nexthdr, &frag_off);
	if (off < 0 || frag_off)
		return NF_ACCEPT;
	if (nexthdr == IPPROTO_ICMPV6) {
		xrelay_hook_too_big6(state->net, skb, off);
		return NF_ACCEPT;
	}
	if (nexthdr != IPPROTO_UDP)
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
	flow.ttl = ip6h->hop_limit;
	/*
	 * A zero UDP checksum is invalid over IPv6; extension headers would
	 * need rewriting (routing headers): neither is relayed.
	 */
	return xrelay_hook_relay(state->net, skb, false, thoff, &flow,
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
