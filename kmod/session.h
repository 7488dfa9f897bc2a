/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_SESSION_H
#define _XRELAY_SESSION_H

#include <linux/netlink.h>
#include <linux/rhashtable.h>
#include <linux/seqlock.h>

#include "addr.h"
#include "policy.h"
#include "stats.h"
#include "uapi/linux/xrelay.h"

struct xrelay_instance;
struct xrelay_net;
struct xrelay_network;
struct xrelay_session;
struct xrelay_stats_block;

/* Key of the port table: the relay address and port a packet arrived on. */
struct xrelay_key {
	struct in6_addr addr;
	__be16 port;
	u16 zero;	/* keeps the hashed bytes defined */
};

/**
 * struct xrelay_side - one endpoint of a session, and the relay port facing it
 * @node: entry in the namespace's port table
 * @key: relay address and this side's port
 * @state: enum xrelay_side_state (under session->peer_lock)
 * @relearn_timeout: idle jiffies after which another source may latch
 * @session: the session the side belongs to
 * @peer: pinned or latched peer (under session->peer_lock)
 * @allow: sources a learned side may latch; len 0 allows any
 * @last_rx: jiffies of the peer's last accepted packet
 * @drops: drops of packets that arrived on this side's port, by reason
 */
struct xrelay_side {
	struct rhash_head node;
	struct xrelay_key key;
	u8 state;
	u32 relearn_timeout;
	struct xrelay_session *session;
	struct xrelay_endpoint peer;
	struct xrelay_prefix allow;
	unsigned long last_rx;
	atomic64_t drops[XRELAY_DROP_NR];
};

/* Forwarded packets per CPU: the hot counters, written on every packet. */
struct xrelay_session_pcpu {
	u64_stats_t packets[2];
	u64_stats_t packets_xdp[2];
	u64_stats_t bytes[2];
	struct u64_stats_sync syncp;
};

/**
 * struct xrelay_session - a relayed pair of ports
 * @sides: side A (index 0) and side B (index 1)
 * @peer_lock: writers latch peers; readers take a consistent address and port
 * @instance: instance the ports belong to
 * @stats: forwarded packets and bytes per side
 * @stats_block: the block that holds @stats
 * @id: session id, unique in the namespace
 * @network: overlay network the session belongs to
 * @overlay: that network's policy and totals, once the network has them
 * @policy: the session's own policy, overriding the network's; NULL if none
 * @bucket: state of the session's rate limit
 * @quota_used: payload bytes forwarded while a quota applied
 * @created: jiffies at creation
 * @idle_timeout: jiffies without an accepted packet after which it expires
 * @lifetime: jiffies after creation at which it expires; 0 for none
 * @expiry: entry in the namespace's expiry wheel (under xn->lock)
 * @rcu: frees the session after datapath readers are done
 */
struct xrelay_session {
	struct xrelay_side sides[2];
	seqlock_t peer_lock;
	struct xrelay_instance *instance;
	struct xrelay_session_pcpu __percpu *stats;
	struct xrelay_stats_block *stats_block;
	u32 id;
	u32 network;
	struct xrelay_network __rcu *overlay;
	struct xrelay_policy *policy;
	struct xrelay_bucket bucket;
	atomic64_t quota_used;
	unsigned long created;
	u32 idle_timeout;
	u32 lifetime;
	struct hlist_node expiry;
	struct rcu_head rcu;
};

struct xrelay_side_config {
	u16 port;
	bool pinned;
	struct xrelay_endpoint peer;
	struct xrelay_prefix allow;
	u32 relearn_timeout;
};

struct xrelay_session_config {
	u32 instance;
	u32 network;
	u32 idle_timeout;
	u32 lifetime;
	struct xrelay_side_config sides[2];
	struct xrelay_policy *policy;
};

/* What netlink reports of a side, read consistently. */
struct xrelay_side_info {
	u16 port;
	u8 state;
	struct xrelay_endpoint peer;
	struct xrelay_prefix allow;
	u32 relearn_timeout;
	u64 idle_msecs;
	struct xrelay_stats stats;
};

#define XRELAY_DEFAULT_IDLE_TIMEOUT	180
#define XRELAY_DEFAULT_RELEARN_TIMEOUT	30

static inline unsigned int xrelay_side_index(const struct xrelay_side *side)
{
	return side == &side->session->sides[1];
}

int xrelay_session_cache_init(void);
void xrelay_session_cache_uninit(void);

int xrelay_ports_init(struct xrelay_net *xn);
void xrelay_ports_uninit(struct xrelay_net *xn);
struct xrelay_side *xrelay_ports_lookup(struct xrelay_net *xn,
					const struct in6_addr *addr, __be16 port);

struct xrelay_session *xrelay_session_alloc(const struct xrelay_session_config *cfg);
int xrelay_session_create(struct xrelay_net *xn, struct xrelay_session *s,
			  const struct xrelay_session_config *cfg, u32 *id,
			  struct netlink_ext_ack *extack);
void xrelay_session_destroy(struct xrelay_net *xn, struct xrelay_session *s);
void xrelay_sessions_destroy_matching(struct xrelay_net *xn,
				      const struct xrelay_instance *inst, u32 network);
bool xrelay_sessions_expire(struct xrelay_net *xn);
int xrelay_session_expired(const struct xrelay_session *s, unsigned long now);
void xrelay_side_info(const struct xrelay_side *side, struct xrelay_side_info *info);

#endif /* _XRELAY_SESSION_H */
