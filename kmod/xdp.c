// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP fast path's way into the module: kfuncs over the same datapath
 * core the netfilter hook uses, so sessions, learning, expiry and counters
 * have one implementation and one table. The program (bpf/xrelay.bpf.c)
 * parses and rewrites packets; everything it cannot finish it passes up,
 * and the hook then handles it as if XDP were not there.
 *
 * The route to the other side's peer is looked up here, as an output route
 * from the relay's address exactly as the hook sends it, rather than with
 * bpf_fib_lookup(): that helper insists on forwarding being enabled on the
 * ingress device, which would turn every relay into a router.
 */

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <net/arp.h>
#include <net/ip6_route.h>
#include <net/ndisc.h>
#include <net/route.h>
#include <net/xdp.h>

#include "datapath.h"
#include "netns.h"
#include "session.h"
#include "xdp.h"
#include "xrelay_xdp.h"

/* Fills in the link layer; false if the stack must resolve or send it. */
static bool xrelay_xdp_link(struct net_device *dev, struct neighbour *neigh,
			    struct xrelay_xdp_flow *x)
{
	if (!neigh || !(READ_ONCE(neigh->nud_state) & NUD_VALID))
		return false;
	if (is_vlan_dev(dev)) {
		x->vlan = vlan_dev_vlan_id(dev);
		memcpy(x->smac, dev->dev_addr, ETH_ALEN);
		dev = vlan_dev_real_dev(dev);
	} else {
		x->vlan = 0;
		memcpy(x->smac, dev->dev_addr, ETH_ALEN);
	}
	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN)
		return false;
	neigh_ha_snapshot(x->dmac, neigh, neigh->dev);
	x->ifindex = dev->ifindex;
	return true;
}

static bool xrelay_xdp_route4(struct net *net, const struct xrelay_flow *f,
			      struct xrelay_xdp_flow *x)
{
	struct flowi4 fl4 = {
		.daddr = f->daddr.s6_addr32[3],
		.saddr = f->saddr.s6_addr32[3],
		.flowi4_proto = IPPROTO_UDP,
		.fl4_sport = f->sport,
		.fl4_dport = f->dport,
	};
	struct rtable *rt;
	bool ok = false;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return false;
	/* Too big: the stack fragments it or says so. */
	if (rt->rt_type == RTN_UNICAST && rt->rt_gw_family != AF_INET6 &&
	    x->payload + sizeof(struct iphdr) + sizeof(struct udphdr) <= dst_mtu(&rt->dst)) {
		x->hop_limit = ip4_dst_hoplimit(&rt->dst);
		ok = xrelay_xdp_link(rt->dst.dev,
				     __ipv4_neigh_lookup_noref(rt->dst.dev,
							       (__force u32)rt_nexthop(rt, fl4.daddr)),
				     x);
	}
	ip_rt_put(rt);
	return ok;
}

static bool xrelay_xdp_route6(struct net *net, const struct xrelay_flow *f,
			      struct xrelay_xdp_flow *x)
{
	struct flowi6 fl6 = {
		.daddr = f->daddr,
		.saddr = f->saddr,
		.flowi6_proto = IPPROTO_UDP,
		.fl6_sport = f->sport,
		.fl6_dport = f->dport,
	};
	struct dst_entry *dst;
	bool ok = false;

	dst = ip6_route_output(net, NULL, &fl6);
	if (!dst->error && !(dst->dev->flags & IFF_LOOPBACK) &&
	    x->payload + sizeof(struct ipv6hdr) + sizeof(struct udphdr) <= dst_mtu(dst)) {
		x->hop_limit = ip6_dst_hoplimit(dst);
		ok = xrelay_xdp_link(dst->dev,
				     __ipv6_neigh_lookup_noref(dst->dev,
							       rt6_nexthop((struct rt6_info *)dst,
									   &fl6.daddr)),
				     x);
	}
	dst_release(dst);
	return ok;
}

/*
 * Where the packet would go, if the other side's peer is known: what the
 * core will rewrite it to. Looked up before the core decides, so that a
 * packet the stack must finish is not metered twice by the policy.
 */
static bool xrelay_xdp_route(struct net *net, struct xrelay_side *side,
			     struct xrelay_xdp_flow *x, struct xrelay_flow *out)
{
	const struct xrelay_session *s = side->session;
	const struct xrelay_side *other = &s->sides[!xrelay_side_index(side)];
	unsigned int seq;
	bool known;

	do {
		seq = read_seqbegin(&s->peer_lock);
		known = other->state != XRELAY_SIDE_STATE_WAITING;
		out->daddr = other->peer.addr;
		out->dport = other->peer.port;
	} while (read_seqretry(&s->peer_lock, seq));
	if (!known)
		return true;	/* the core drops it as not paired */
	out->saddr = other->key.addr;
	out->sport = other->key.port;
	if (xrelay_addr_is_v4(&out->daddr))
		return xrelay_xdp_route4(net, out, x);
	return xrelay_xdp_route6(net, out, x);
}

static struct net *xrelay_xdp_netns(struct xdp_md *ctx)
{
	return dev_net(((struct xdp_buff *)ctx)->rxq->dev);
}

__diag_push();
__diag_ignore_all("-Wmissing-prototypes",
		  "kfuncs are called from BPF programs, not from C");

/**
 * xrelay_xdp_decide() - decide an XDP packet's fate with the module's tables
 * @ctx: the XDP context, for the namespace the packet arrived in
 * @flow: in: the datagram as received; out, on %XRELAY_XDP_FORWARD: what to
 *	send, see struct xrelay_xdp_flow
 * @flow__sz: sizeof(*@flow)
 *
 * Learning and drops happen here, as in the hook. A packet to forward whose
 * route or neighbour is not ready is passed up for the stack to handle;
 * passing up is always safe, since latching is idempotent and forwarding is
 * counted only by xrelay_xdp_forwarded(), once the program sends it.
 *
 * Return: an enum xrelay_xdp_verdict.
 */
noinline int xrelay_xdp_decide(struct xdp_md *ctx, struct xrelay_xdp_flow *flow, int flow__sz)
{
	struct net *net = xrelay_xdp_netns(ctx);
	struct xrelay_net *xn = xrelay_net(net);
	struct xrelay_flow f, routed = {};
	struct xrelay_side *side;

	if (flow__sz != sizeof(*flow))
		return XRELAY_XDP_PASS;
	memcpy(&f.saddr, flow->saddr, sizeof(f.saddr));
	memcpy(&f.daddr, flow->daddr, sizeof(f.daddr));
	f.sport = (__force __be16)flow->sport;
	f.dport = (__force __be16)flow->dport;
	f.bytes = flow->payload;
	f.packets = 1;
	f.first_len = flow->payload;
	memcpy(f.head, flow->head, sizeof(f.head));

	switch (xrelay_datapath_classify(xn, &f, &side)) {
	case XRELAY_PASS:
		return XRELAY_XDP_PASS;
	case XRELAY_DROP:
		return XRELAY_XDP_DROP;
	case XRELAY_FORWARD:
		break;
	}
	if (!xrelay_xdp_route(net, side, flow, &routed))
		return XRELAY_XDP_PASS;
	if (xrelay_datapath_process(xn, side, &f) != XRELAY_FORWARD)
		return XRELAY_XDP_DROP;
	/* The other side relearned in between: rare, and the stack copes. */
	if (!ipv6_addr_equal(&f.daddr, &routed.daddr) || f.dport != routed.dport)
		return XRELAY_XDP_PASS;

	memcpy(flow->saddr, &f.saddr, sizeof(flow->saddr));
	memcpy(flow->daddr, &f.daddr, sizeof(flow->daddr));
	flow->sport = (__force __u16)f.sport;
	flow->dport = (__force __u16)f.dport;
	return XRELAY_XDP_FORWARD;
}

/**
 * xrelay_xdp_forwarded() - count a packet the XDP program sent on
 * @ctx: the XDP context
 * @flow: the flow as xrelay_xdp_decide() rewrote it
 * @flow__sz: sizeof(*@flow)
 *
 * The rewritten source is the relay port of the side the packet leaves by;
 * the packet is counted on the other side, where it came in.
 */
noinline void xrelay_xdp_forwarded(struct xdp_md *ctx, struct xrelay_xdp_flow *flow,
				   int flow__sz)
{
	struct xrelay_net *xn = xrelay_net(xrelay_xdp_netns(ctx));
	struct xrelay_side *out;
	struct in6_addr saddr;

	if (flow__sz != sizeof(*flow))
		return;
	memcpy(&saddr, flow->saddr, sizeof(saddr));
	out = xrelay_ports_lookup(xn, &saddr, (__force __be16)flow->sport);
	if (out)
		xrelay_datapath_count_forward(&out->session->sides[!xrelay_side_index(out)],
					      1, flow->payload, true);
}

__diag_pop();

BTF_SET8_START(xrelay_xdp_kfunc_ids)
BTF_ID_FLAGS(func, xrelay_xdp_decide)
BTF_ID_FLAGS(func, xrelay_xdp_forwarded)
BTF_SET8_END(xrelay_xdp_kfunc_ids)

static const struct btf_kfunc_id_set xrelay_xdp_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &xrelay_xdp_kfunc_ids,
};

/**
 * xrelay_xdp_init() - offer the kfuncs to XDP programs
 *
 * A module built without BTF cannot offer them; it still relays through
 * the hook, and xrelayctl explains why XDP cannot attach.
 */
void __init xrelay_xdp_init(void)
{
	int ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &xrelay_xdp_kfunc_set);

	if (ret)
		pr_notice("XDP fast path unavailable: module built without BTF (%d)\n", ret);
}
