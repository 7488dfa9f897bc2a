/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_POLICY_H
#define _XRELAY_POLICY_H

#include <linux/spinlock.h>
#include <linux/types.h>

#include "admission.h"
#include "hub.h"

/**
 * struct xrelay_rate - a rate limit as configured and as the buckets use it
 * @packets_per_second: packet rate, 0 for none
 * @burst_packets: packets the bucket holds
 * @bits_per_second: payload bit rate, 0 for none
 * @burst_bytes: payload bytes the bucket holds
 * @packet_ns: time one packet costs
 * @packet_burst_ns: time credit a full packet bucket holds
 * @byte_ns_fp: time one payload byte costs, in 1/65536 ns
 * @byte_burst_ns: time credit a full byte bucket holds
 *
 * Buckets hold time rather than tokens: credit grows by the time elapsed,
 * so refilling needs no division on the packet path.
 */
struct xrelay_rate {
	u64 packets_per_second;
	u64 burst_packets;
	u64 bits_per_second;
	u64 burst_bytes;
	u64 packet_ns;
	u64 packet_burst_ns;
	u64 byte_ns_fp;
	u64 byte_burst_ns;
};

/* The state of one session's or one network's token buckets. */
struct xrelay_bucket {
	spinlock_t lock;
	u64 last_ns;
	u64 packet_credit;
	u64 byte_credit;
};

/**
 * struct xrelay_policy - what a network or a session may do
 * @admission: sources admitted; NULL admits any (a session's has two, per side)
 * @rate: the network's limit over all its sessions (network policy only)
 * @session_rate: each session's limit (a session's own, or the network's default)
 * @session_quota: payload bytes a session may forward; 0 for no quota
 * @max_sessions: sessions a network may hold; 0 for no cap (network policy only)
 * @protocol: enum xrelay_protocol, if @has_protocol
 * @has_protocol: whether @protocol was set
 * @hub: rules for traffic the relay forwards as a member of the overlay
 *	(network policy only); NULL if none
 * @rcu: frees a replaced policy once readers are done
 *
 * Immutable: a change builds a new one and swaps it in.
 */
struct xrelay_policy {
	struct xrelay_admission *admission[2];
	struct xrelay_rate rate;
	struct xrelay_rate session_rate;
	u64 session_quota;
	u32 max_sessions;
	u8 protocol;
	bool has_protocol;
	struct xrelay_hub *hub;
	struct rcu_head rcu;
};

static inline bool xrelay_rate_set(const struct xrelay_rate *rate)
{
	return rate->packets_per_second || rate->bits_per_second;
}

void xrelay_rate_init(struct xrelay_rate *rate);
void xrelay_bucket_init(struct xrelay_bucket *bucket);
bool xrelay_bucket_take(struct xrelay_bucket *bucket, const struct xrelay_rate *rate,
			unsigned int packets, unsigned int bytes);
bool xrelay_wireguard_message(const u8 *head, unsigned int len);

void xrelay_policy_free(struct xrelay_policy *policy);
void xrelay_policy_free_rcu(struct xrelay_policy *policy);

#endif /* _XRELAY_POLICY_H */
