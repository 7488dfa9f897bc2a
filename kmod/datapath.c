// SPDX-License-Identifier: GPL-2.0-only
/*
 * The decisions every relayed packet goes through, whichever way it came in:
 * which session side owns its destination, whether its source is that side's
 * peer (latching it if the side is learned), and where it must go next.
 * Entry points only parse and rewrite packets around these calls.
 */

#include <linux/jiffies.h>

#include "datapath.h"
#include "instance.h"
#include "netlink.h"
#include "netns.h"
#include "network.h"
#include "session.h"

void xrelay_datapath_count_drop(struct xrelay_side *side, enum xrelay_drop reason)
{
	struct xrelay_network *nw = rcu_dereference(side->session->overlay);

	atomic64_inc(&side->drops[reason]);
	xrelay_pcpu_stats_drop(side->session->instance->stats, reason);
	if (nw)
		xrelay_pcpu_stats_drop(nw->stats, reason);
}

void xrelay_datapath_count_forward(struct xrelay_side *side, unsigned int packets,
				   unsigned int bytes, bool xdp)
{
	struct xrelay_session *s = side->session;
	unsigned int idx = xrelay_side_index(side);
	struct xrelay_session_pcpu *p = get_cpu_ptr(s->stats);
	struct xrelay_network *nw;

	u64_stats_update_begin(&p->syncp);
	u64_stats_add(&p->packets[idx], packets);
	if (xdp)
		u64_stats_add(&p->packets_xdp[idx], packets);
	u64_stats_add(&p->bytes[idx], bytes);
	u64_stats_update_end(&p->syncp);
	put_cpu_ptr(s->stats);
	xrelay_pcpu_stats_forward(s->instance->stats, packets, bytes, xdp);
	nw = rcu_dereference(s->overlay);
	if (nw)
		xrelay_pcpu_stats_forward(nw->stats, packets, bytes, xdp);
}

/**
 * xrelay_datapath_classify() - find the session side a packet is for
 * @xn: namespace state
 * @flow: the packet's addresses and ports
 * @side: set to the side when the verdict is %XRELAY_FORWARD
 *
 * A port of an instance that no session uses is still the relay's: such
 * packets are dropped and counted on the instance rather than passed to
 * local sockets.
 *
 * Context: rcu_read_lock() held, softirq.
 * Return: %XRELAY_FORWARD if a session side owns the destination (go on
 * with xrelay_datapath_process()), %XRELAY_DROP or %XRELAY_PASS.
 */
enum xrelay_verdict xrelay_datapath_classify(struct xrelay_net *xn,
					     const struct xrelay_flow *flow,
					     struct xrelay_side **side)
{
	struct xrelay_instance *inst;

	*side = xrelay_ports_lookup(xn, &flow->daddr, flow->dport);
	if (*side)
		return XRELAY_FORWARD;
	inst = xrelay_instance_find_port(xn, &flow->daddr, ntohs(flow->dport));
	if (!inst)
		return XRELAY_PASS;
	xrelay_pcpu_stats_drop(inst->stats, XRELAY_DROP_NO_SESSION);
	return XRELAY_DROP;
}

static void xrelay_side_touch(struct xrelay_side *side, unsigned long now)
{
	/* One write per jiffy at most keeps the line from bouncing. */
	if (READ_ONCE(side->last_rx) != now)
		WRITE_ONCE(side->last_rx, now);
}

/*
 * Latch a new peer on a learned side, unless another CPU latched a different
 * one since the caller looked: the first packet wins.
 */
static enum xrelay_drop xrelay_side_latch(struct xrelay_net *xn, struct xrelay_side *side,
					  const struct xrelay_flow *flow, unsigned long now)
{
	struct xrelay_session *s = side->session;
	bool latched = false;

	/*
	 * A side talks to peers of its relay address's family only: an IPv4
	 * side latched from an IPv6 source would send to the low 32 bits of it.
	 */
	if (flow->sport == 0 ||
	    xrelay_addr_is_v4(&flow->saddr) != xrelay_addr_is_v4(&side->key.addr) ||
	    !xrelay_prefix_match(&side->allow, &flow->saddr) ||
	    xrelay_addr_forbidden(xn->net, &flow->saddr))
		return XRELAY_DROP_BAD_SOURCE;

	write_seqlock(&s->peer_lock);
	if (side->state == XRELAY_SIDE_STATE_WAITING ||
	    time_after(now, READ_ONCE(side->last_rx) + side->relearn_timeout)) {
		side->peer.addr = flow->saddr;
		side->peer.port = flow->sport;
		side->state = XRELAY_SIDE_STATE_LEARNED;
		WRITE_ONCE(side->last_rx, now);
		latched = true;
	} else if (xrelay_endpoint_equal(&side->peer, &flow->saddr, flow->sport)) {
		latched = true;
	}
	write_sequnlock(&s->peer_lock);
	if (!latched)
		return XRELAY_DROP_UNKNOWN_SOURCE;

	if (__ratelimit(&xn->learned_events))
		xrelay_nl_notify_learned(xn, side);
	return XRELAY_DROP_NR;
}

/*
 * Decide whether the packet's source may use the side: its peer, or a
 * source the side may latch now.
 * Return: XRELAY_DROP_NR if accepted, else why it must be dropped.
 */
static enum xrelay_drop xrelay_side_accept(struct xrelay_net *xn, struct xrelay_side *side,
					   const struct xrelay_flow *flow, unsigned long now)
{
	const struct xrelay_session *s = side->session;
	unsigned int seq;
	bool match;
	u8 state;

	do {
		seq = read_seqbegin(&s->peer_lock);
		state = side->state;
		match = state != XRELAY_SIDE_STATE_WAITING &&
			xrelay_endpoint_equal(&side->peer, &flow->saddr, flow->sport);
	} while (read_seqretry(&s->peer_lock, seq));

	if (match) {
		xrelay_side_touch(side, now);
		return XRELAY_DROP_NR;
	}
	if (state == XRELAY_SIDE_STATE_PINNED)
		return XRELAY_DROP_UNKNOWN_SOURCE;
	if (state == XRELAY_SIDE_STATE_LEARNED &&
	    !time_after(now, READ_ONCE(side->last_rx) + side->relearn_timeout))
		return XRELAY_DROP_UNKNOWN_SOURCE;
	return xrelay_side_latch(xn, side, flow, now);
}

/*
 * The checks that come before learning: a refused source must not latch.
 * A session's own settings take the place of its network's defaults;
 * admission must pass both the network's lists and the side's.
 */
static enum xrelay_drop xrelay_policy_admit(const struct xrelay_session *s,
					    const struct xrelay_policy *net_policy,
					    unsigned int idx, const struct xrelay_flow *flow)
{
	const struct xrelay_policy *own = s->policy;
	u8 protocol = XRELAY_PROTOCOL_ANY;

	if ((net_policy && !xrelay_admission_admits(net_policy->admission[0], &flow->saddr)) ||
	    (own && !xrelay_admission_admits(own->admission[idx], &flow->saddr)))
		return XRELAY_DROP_DENIED;
	if (own && own->has_protocol)
		protocol = own->protocol;
	else if (net_policy && net_policy->has_protocol)
		protocol = net_policy->protocol;
	if (protocol == XRELAY_PROTOCOL_WIREGUARD &&
	    (!xrelay_wireguard_message(flow->head, flow->first_len) ||
	     (flow->packets > 1 && (!flow->segments_alike ||
				    !xrelay_wireguard_message(flow->head, flow->last_len)))))
		return XRELAY_DROP_PROTOCOL;
	return XRELAY_DROP_NR;
}

/* The session's own quota, or else its network's default; 0 for none. */
static u64 xrelay_session_quota(const struct xrelay_session *s,
				const struct xrelay_policy *net_policy)
{
	if (s->policy && s->policy->session_quota)
		return s->policy->session_quota;
	return net_policy ? net_policy->session_quota : 0;
}

/*
 * The checks that spend something, last, so that only packets about to be
 * forwarded use up quota and tokens.
 */
static enum xrelay_drop xrelay_policy_meter(struct xrelay_session *s, struct xrelay_network *nw,
					    const struct xrelay_policy *net_policy,
					    const struct xrelay_flow *flow)
{
	const struct xrelay_policy *own = s->policy;
	const struct xrelay_rate *rate = NULL;
	u64 quota = xrelay_session_quota(s, net_policy);

	/* Taken before it is checked, so that CPUs racing cannot overshoot it. */
	if (quota && atomic64_add_return(flow->bytes, &s->quota_used) > quota) {
		atomic64_sub(flow->bytes, &s->quota_used);
		return XRELAY_DROP_QUOTA;
	}

	if (own && xrelay_rate_set(&own->session_rate))
		rate = &own->session_rate;
	else if (net_policy && xrelay_rate_set(&net_policy->session_rate))
		rate = &net_policy->session_rate;
	if ((rate && !xrelay_bucket_take(&s->bucket, rate, flow->packets, flow->bytes)) ||
	    (net_policy && xrelay_rate_set(&net_policy->rate) &&
	     !xrelay_bucket_take(&nw->bucket, &net_policy->rate, flow->packets, flow->bytes))) {
		if (quota)
			atomic64_sub(flow->bytes, &s->quota_used);
		return XRELAY_DROP_RATE_LIMIT;
	}
	return XRELAY_DROP_NR;
}

/**
 * xrelay_datapath_refund() - give back the quota a packet that was not sent took
 * @side: the side the packet arrived on
 * @flow: the packet, as xrelay_datapath_process() passed it
 *
 * For a packet the entry point could not send after all (no route). Rate
 * tokens are not given back: a route that fails is not worth the lock.
 *
 * Context: rcu_read_lock() held, softirq.
 */
void xrelay_datapath_refund(struct xrelay_side *side, const struct xrelay_flow *flow)
{
	struct xrelay_session *s = side->session;
	struct xrelay_network *nw = rcu_dereference(s->overlay);
	const struct xrelay_policy *net_policy = nw ? rcu_dereference(nw->policy) : NULL;

	if (xrelay_session_quota(s, net_policy))
		atomic64_sub(flow->bytes, &s->quota_used);
}

/**
 * xrelay_datapath_process() - decide a packet's fate and where it goes
 * @xn: namespace state
 * @side: the side whose port the packet arrived on
 * @flow: in: the packet as received; out, on %XRELAY_FORWARD: the relay's
 *	address and the other side's port as source, the other side's peer as
 *	destination
 *
 * Drops are counted here; a forwarded packet is counted by the caller once
 * it has been handed on, with xrelay_datapath_count_forward().
 *
 * Context: rcu_read_lock() held, softirq.
 * Return: %XRELAY_FORWARD or %XRELAY_DROP.
 */
enum xrelay_verdict xrelay_datapath_process(struct xrelay_net *xn, struct xrelay_side *side,
					    struct xrelay_flow *flow)
{
	struct xrelay_session *s = side->session;
	unsigned int idx = xrelay_side_index(side);
	struct xrelay_side *other = &s->sides[!idx];
	struct xrelay_network *nw = rcu_dereference(s->overlay);
	const struct xrelay_policy *net_policy = nw ? rcu_dereference(nw->policy) : NULL;
	unsigned long now = jiffies;
	enum xrelay_drop reason;
	unsigned int seq;
	bool known;

	if (xrelay_session_expired(s, now) >= 0) {
		reason = XRELAY_DROP_EXPIRED;
		goto drop;
	}
	/*
	 * The relay is a hop, not an origin: two relays latched to each other
	 * would otherwise pass a datagram back and forth for ever.
	 */
	if (flow->ttl <= 1) {
		reason = XRELAY_DROP_HOP_LIMIT;
		goto drop;
	}
	reason = xrelay_policy_admit(s, net_policy, idx, flow);
	if (reason != XRELAY_DROP_NR)
		goto drop;
	reason = xrelay_side_accept(xn, side, flow, now);
	if (reason != XRELAY_DROP_NR)
		goto drop;

	do {
		seq = read_seqbegin(&s->peer_lock);
		known = other->state != XRELAY_SIDE_STATE_WAITING;
		flow->daddr = other->peer.addr;
		flow->dport = other->peer.port;
	} while (read_seqretry(&s->peer_lock, seq));
	if (!known) {
		reason = XRELAY_DROP_NOT_PAIRED;
		goto drop;
	}
	reason = xrelay_policy_meter(s, nw, net_policy, flow);
	if (reason != XRELAY_DROP_NR)
		goto drop;
	flow->saddr = other->key.addr;
	flow->sport = other->key.port;
	flow->ttl--;
	return XRELAY_FORWARD;

drop:
	xrelay_datapath_count_drop(side, reason);
	xrelay_nl_notify_policy_drop(xn, side, reason, flow);
	return XRELAY_DROP;
}
