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
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <net/arp.h>
#include <net/ip6_route.h>
#include <net/ndisc.h>
#include <net/route.h>
#include <net/xdp.h>
#include <net/xfrm.h>

#include "datapath.h"
#include "netns.h"
#include "session.h"
#include "xdp.h"
#include "xrelay_xdp.h"

/*
 * Whether a frame redirected to @dev would leave, rather than be dropped
 * by XDP's transmit path. Generic XDP sends through the stack and needs
 * the device up only; native XDP needs a driver that transmits XDP frames,
 * and a veth passes them on only to a peer whose NAPI runs (XDP or GRO
 * there). Bridges, macvlans, bonds' uppers and down links take the stack.
 */
static bool xrelay_xdp_can_xmit(const struct net_device *rxdev, struct net_device *dev)
{
	struct net_device *peer;

	if (!netif_running(dev) || !netif_carrier_ok(dev))
		return false;
	if (rcu_access_pointer(rxdev->xdp_prog))
		return true;
	if (!dev->netdev_ops->ndo_xdp_xmit)
		return false;
	if (!dev->netdev_ops->ndo_get_peer_dev)
		return true;
	peer = dev->netdev_ops->ndo_get_peer_dev(dev);
	return peer && netif_running(peer) &&
	       (dev_xdp_prog_count(peer) || (peer->wanted_features & NETIF_F_GRO));
}

/* Fills in the link layer; false if the stack must resolve or send it. */
static bool xrelay_xdp_link(const struct net_device *rxdev, struct net_device *dev,
			    struct neighbour *neigh, struct xrelay_xdp_flow *x)
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
	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN ||
	    !xrelay_xdp_can_xmit(rxdev, dev))
		return false;
	neigh_ha_snapshot(x->dmac, neigh, neigh->dev);
	x->ifindex = dev->ifindex;
	return true;
}

/*
 * The packet leaves with a TTL one less than it came with (@f->ttl), and
 * never more than the route's, as the hook sends it.
 */
static bool xrelay_xdp_route4(struct net *net, const struct net_device *rxdev,
			      const struct xrelay_flow *f, struct xrelay_xdp_flow *x)
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
	/*
	 * Too big: the stack fragments it. Under an IPsec policy the route is
	 * a bundle whose transforms only the stack applies.
	 */
	if (rt->rt_type == RTN_UNICAST && rt->rt_gw_family != AF_INET6 && !rt->dst.xfrm &&
	    x->payload + sizeof(struct iphdr) + sizeof(struct udphdr) <= dst_mtu(&rt->dst)) {
		x->hop_limit = min_t(u8, f->ttl - 1, ip4_dst_hoplimit(&rt->dst));
		ok = xrelay_xdp_link(rxdev, rt->dst.dev,
				     __ipv4_neigh_lookup_noref(rt->dst.dev,
							       (__force u32)rt_nexthop(rt, fl4.daddr)),
				     x);
	}
	ip_rt_put(rt);
	return ok;
}

static bool xrelay_xdp_route6(struct net *net, const struct net_device *rxdev,
			      const struct xrelay_flow *f, struct xrelay_xdp_flow *x)
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
	if (dst->error) {
		dst_release(dst);
		return false;
	}
	dst = xfrm_lookup_route(net, dst, flowi6_to_flowi(&fl6), NULL, 0);
	if (IS_ERR(dst))
		return false;
	if (!dst->xfrm && !(dst->dev->flags & IFF_LOOPBACK) &&
	    x->payload + sizeof(struct ipv6hdr) + sizeof(struct udphdr) <= dst_mtu(dst)) {
		x->hop_limit = min_t(u8, f->ttl - 1, ip6_dst_hoplimit(dst));
		ok = xrelay_xdp_link(rxdev, dst->dev,
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
static bool xrelay_xdp_route(struct net *net, const struct net_device *rxdev,
			     struct xrelay_side *side, struct xrelay_xdp_flow *x,
			     const struct xrelay_flow *in, struct xrelay_flow *out)
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
	out->ttl = in->ttl;
	if (xrelay_addr_is_v4(&out->daddr))
		return xrelay_xdp_route4(net, rxdev, out, x);
	return xrelay_xdp_route6(net, rxdev, out, x);
}

static struct net_device *xrelay_xdp_dev(struct xdp_md *ctx)
{
	return ((struct xdp_buff *)ctx)->rxq->dev;
}

/*
 * What the stack would take for another host's (a promiscuous device's
 * PACKET_OTHERHOST), or what claims more payload than the frame holds (a
 * VLAN tag's 4 bytes aside), is not the fast path's to relay.
 */
static bool xrelay_xdp_frame_ok(struct xdp_md *ctx, const struct xrelay_xdp_flow *flow, bool v4)
{
	const struct xdp_buff *xdp = (const struct xdp_buff *)ctx;
	unsigned int headers = ETH_HLEN + sizeof(struct udphdr) +
			       (v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr));
	const struct ethhdr *eth = xdp->data;

	return xdp->data + headers <= xdp->data_end &&
	       ether_addr_equal(eth->h_dest, xdp->rxq->dev->dev_addr) &&
	       flow->payload <= xdp->data_end - xdp->data - headers;
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
 * route or neighbour is not ready, or whose way out XDP cannot take, is
 * passed up for the stack to handle; passing up is always safe, since
 * latching is idempotent and forwarding is counted only by
 * xrelay_xdp_forwarded(), once the program sends it.
 *
 * Context: any a BPF program runs in: softirq for XDP, process context with
 * BH enabled for BPF_PROG_TEST_RUN. The datapath's locks are taken in
 * softirq too, so bottom halves are kept off here.
 * Return: an enum xrelay_xdp_verdict.
 */
noinline int xrelay_xdp_decide(struct xdp_md *ctx, struct xrelay_xdp_flow *flow, int flow__sz)
{
	struct net_device *rxdev = xrelay_xdp_dev(ctx);
	struct net *net = dev_net(rxdev);
	struct xrelay_net *xn = xrelay_net(net);
	struct xrelay_flow f, routed = {};
	struct xrelay_side *side;
	int verdict = XRELAY_XDP_PASS;

	/* The verifier lets a map lookup's unchecked result through here. */
	if (!flow || flow__sz != sizeof(*flow))
		return XRELAY_XDP_PASS;
	memcpy(&f.saddr, flow->saddr, sizeof(f.saddr));
	memcpy(&f.daddr, flow->daddr, sizeof(f.daddr));
	/* IPv4 in IPv6 clothing is for the stack to refuse, see the hook. */
	if (xrelay_addr_is_v4(&f.saddr) != xrelay_addr_is_v4(&f.daddr) ||
	    !xrelay_xdp_frame_ok(ctx, flow, xrelay_addr_is_v4(&f.daddr)))
		return XRELAY_XDP_PASS;
	f.sport = (__force __be16)flow->sport;
	f.dport = (__force __be16)flow->dport;
	f.ttl = flow->hop_limit;
	f.bytes = flow->payload;
	f.packets = 1;
	f.first_len = flow->payload;
	f.last_len = flow->payload;
	f.segments_alike = true;
	memcpy(f.head, flow->head, sizeof(f.head));

	local_bh_disable();
	rcu_read_lock();
	switch (xrelay_datapath_classify(xn, &f, &side)) {
	case XRELAY_PASS:
		goto out;
	case XRELAY_DROP:
		verdict = XRELAY_XDP_DROP;
		goto out;
	case XRELAY_FORWARD:
		break;
	}
	/* Expired, looping or unpaired: the core drops and counts it. */
	if (f.ttl > 1 && !xrelay_xdp_route(net, rxdev, side, flow, &f, &routed))
		goto out;
	if (xrelay_datapath_process(xn, side, &f) != XRELAY_FORWARD) {
		verdict = XRELAY_XDP_DROP;
		goto out;
	}
	/* The other side relearned in between: rare, and the stack copes. */
	if (!ipv6_addr_equal(&f.daddr, &routed.daddr) || f.dport != routed.dport) {
		xrelay_datapath_refund(side, &f);
		goto out;
	}

	memcpy(flow->saddr, &f.saddr, sizeof(flow->saddr));
	memcpy(flow->daddr, &f.daddr, sizeof(flow->daddr));
	flow->sport = (__force __u16)f.sport;
	flow->dport = (__force __u16)f.dport;
	verdict = XRELAY_XDP_FORWARD;
out:
	rcu_read_unlock();
	local_bh_enable();
	return verdict;
}

/**
 * xrelay_xdp_forwarded() - count a packet the XDP program sent on
 * @ctx: the XDP context
 * @flow: the flow as xrelay_xdp_decide() rewrote it
 * @flow__sz: sizeof(*@flow)
 *
 * The rewritten source is the relay port of the side the packet leaves by;
 * the packet is counted on the other side, where it came in.
 *
 * Context: as xrelay_xdp_decide().
 */
noinline void xrelay_xdp_forwarded(struct xdp_md *ctx, struct xrelay_xdp_flow *flow,
				   int flow__sz)
{
	struct xrelay_net *xn = xrelay_net(dev_net(xrelay_xdp_dev(ctx)));
	struct xrelay_side *out;
	struct in6_addr saddr;

	if (!flow || flow__sz != sizeof(*flow))
		return;
	memcpy(&saddr, flow->saddr, sizeof(saddr));
	local_bh_disable();
	rcu_read_lock();
	out = xrelay_ports_lookup(xn, &saddr, (__force __be16)flow->sport);
	if (out)
		xrelay_datapath_count_forward(&out->session->sides[!xrelay_side_index(out)],
					      1, flow->payload, true);
	rcu_read_unlock();
	local_bh_enable();
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
