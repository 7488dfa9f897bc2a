/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_STATS_H
#define _XRELAY_STATS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>

/* The drop reasons; netlink.c maps each to its attribute of the stats set. */
enum xrelay_drop {
	XRELAY_DROP_NO_SESSION,
	XRELAY_DROP_UNKNOWN_SOURCE,
	XRELAY_DROP_NOT_PAIRED,
	XRELAY_DROP_EXPIRED,
	XRELAY_DROP_DENIED,
	XRELAY_DROP_NO_ROUTE,
	XRELAY_DROP_BAD_SOURCE,
	XRELAY_DROP_MALFORMED,
	XRELAY_DROP_PROTOCOL,
	XRELAY_DROP_RATE_LIMIT,
	XRELAY_DROP_QUOTA,
	XRELAY_DROP_ACL,
	XRELAY_DROP_HOP_LIMIT,
	XRELAY_DROP_NR,
};

/* A summed snapshot, as reported over netlink. */
struct xrelay_stats {
	u64 packets;
	u64 packets_xdp;
	u64 bytes;
	u64 drops[XRELAY_DROP_NR];
};

/* Per-CPU instance counters: every packet touches only its own CPU's copy. */
struct xrelay_pcpu_stats {
	u64_stats_t packets;
	u64_stats_t packets_xdp;
	u64_stats_t bytes;
	u64_stats_t drops[XRELAY_DROP_NR];
	struct u64_stats_sync syncp;
};

/* Counts what an entry point handed on; @xdp: the XDP fast path did. */
static inline void xrelay_pcpu_stats_forward(struct xrelay_pcpu_stats __percpu *stats,
					     unsigned int packets, unsigned int bytes, bool xdp)
{
	struct xrelay_pcpu_stats *s = get_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->packets, packets);
	if (xdp)
		u64_stats_add(&s->packets_xdp, packets);
	u64_stats_add(&s->bytes, bytes);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(stats);
}

static inline void xrelay_pcpu_stats_drop(struct xrelay_pcpu_stats __percpu *stats,
					  enum xrelay_drop reason)
{
	struct xrelay_pcpu_stats *s = get_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->drops[reason]);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(stats);
}

void xrelay_pcpu_stats_sum(struct xrelay_pcpu_stats __percpu *stats,
			   struct xrelay_stats *sum);

#endif /* _XRELAY_STATS_H */
