/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_DATAPATH_H
#define _XRELAY_DATAPATH_H

#include "addr.h"
#include "stats.h"

struct xrelay_net;
struct xrelay_side;

/*
 * The addresses, ports and TTL (or hop limit) of a UDP packet: as received
 * on the way in, rewritten by xrelay_datapath_process() to what must be
 * sent, the TTL one less. The rest is for the policy: payload bytes and
 * datagrams (a GRO'ed packet has several), the first and last datagram's
 * payload length, the first one's first bytes, and whether every datagram
 * starts with those.
 */
struct xrelay_flow {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be16 sport;
	__be16 dport;
	u8 ttl;
	unsigned int bytes;
	unsigned int packets;
	unsigned int first_len;
	unsigned int last_len;
	bool segments_alike;
	u8 head[4];
};

enum xrelay_verdict {
	XRELAY_PASS,		/* not for a relay port: leave it to the stack */
	XRELAY_DROP,		/* counted already */
	XRELAY_FORWARD,		/* flow rewritten; send it, then count it */
};

enum xrelay_verdict xrelay_datapath_classify(struct xrelay_net *xn,
					     const struct xrelay_flow *flow,
					     struct xrelay_side **side);
enum xrelay_verdict xrelay_datapath_process(struct xrelay_net *xn, struct xrelay_side *side,
					    struct xrelay_flow *flow);
void xrelay_datapath_count_forward(struct xrelay_side *side, unsigned int packets,
				   unsigned int bytes, bool xdp);
void xrelay_datapath_count_drop(struct xrelay_side *side, enum xrelay_drop reason);
void xrelay_datapath_refund(struct xrelay_side *side, const struct xrelay_flow *flow);

#endif /* _XRELAY_DATAPATH_H */
