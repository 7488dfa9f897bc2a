// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pieces of an overlay network's policy the datapath applies: token
 * buckets for rate limits and the WireGuard protocol guard. Admission
 * lists live in admission.c; which policy applies to a packet is the
 * datapath's business.
 */

#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "policy.h"

#define XRELAY_FP_SHIFT		16
#define XRELAY_MIN_BURST_BYTES	1500

/* (@a * @fp) >> XRELAY_FP_SHIFT, saturating instead of wrapping. */
static u64 xrelay_mul_fp(u64 a, u64 fp)
{
	if (mul_u64_u64_shr(a, fp, 64) >> XRELAY_FP_SHIFT)
		return U64_MAX;
	return mul_u64_u64_shr(a, fp, XRELAY_FP_SHIFT);
}

static u64 xrelay_add_sat(u64 a, u64 b)
{
	u64 sum;

	return check_add_overflow(a, b, &sum) ? U64_MAX : sum;
}

/**
 * xrelay_rate_init() - derive what the buckets use from a configured rate
 * @rate: rates and bursts as configured; a burst left 0 gets the default,
 *	a tenth of a second at the rate
 */
void xrelay_rate_init(struct xrelay_rate *rate)
{
	if (rate->packets_per_second) {
		rate->packet_ns = max_t(u64, div64_u64(NSEC_PER_SEC, rate->packets_per_second), 1);
		if (!rate->burst_packets)
			rate->burst_packets = max_t(u64, rate->packets_per_second / 10, 1);
		if (check_mul_overflow(rate->burst_packets, rate->packet_ns, &rate->packet_burst_ns))
			rate->packet_burst_ns = U64_MAX;
	}
	if (rate->bits_per_second) {
		rate->byte_ns_fp = max_t(u64, div64_u64((8ULL * NSEC_PER_SEC) << XRELAY_FP_SHIFT,
							rate->bits_per_second), 1);
		if (!rate->burst_bytes)
			rate->burst_bytes = max_t(u64, rate->bits_per_second / 80,
						  XRELAY_MIN_BURST_BYTES);
		rate->byte_burst_ns = xrelay_mul_fp(rate->burst_bytes, rate->byte_ns_fp);
	}
}

void xrelay_bucket_init(struct xrelay_bucket *bucket)
{
	spin_lock_init(&bucket->lock);
	/*
	 * Full: the first take clamps credit to the burst in force then, so
	 * the time of creation does not matter, and reading the clock for
	 * every session created costs (an emulated HPET is slow).
	 */
	bucket->last_ns = 0;
	bucket->packet_credit = U64_MAX;
	bucket->byte_credit = U64_MAX;
}

/**
 * xrelay_bucket_take() - take one packet's tokens, if the bucket has them
 * @bucket: the bucket's state
 * @rate: the limit in force; a bucket keeps its credit when it changes
 * @packets: datagrams in the packet
 * @bytes: their payload bytes
 *
 * Context: any but hard interrupt.
 * Return: true if the packet is within the rate.
 */
bool xrelay_bucket_take(struct xrelay_bucket *bucket, const struct xrelay_rate *rate,
			unsigned int packets, unsigned int bytes)
{
	u64 now = ktime_get_mono_fast_ns(), elapsed, packet, byte, packet_cost, cost;
	bool ok;

	packet_cost = rate->packet_ns * packets;
	cost = rate->bits_per_second ? xrelay_mul_fp(bytes, rate->byte_ns_fp) : 0;
	spin_lock_bh(&bucket->lock);
	elapsed = now > bucket->last_ns ? now - bucket->last_ns : 0;
	bucket->last_ns = max(now, bucket->last_ns);
	packet = min(xrelay_add_sat(bucket->packet_credit, elapsed), rate->packet_burst_ns);
	byte = min(xrelay_add_sat(bucket->byte_credit, elapsed), rate->byte_burst_ns);
	ok = (!rate->packets_per_second || packet >= packet_cost) &&
	     (!rate->bits_per_second || byte >= cost);
	if (ok) {
		packet -= rate->packets_per_second ? packet_cost : 0;
		byte -= cost;
	}
	bucket->packet_credit = packet;
	bucket->byte_credit = byte;
	spin_unlock_bh(&bucket->lock);
	return ok;
}

/**
 * xrelay_wireguard_message() - whether a UDP payload is a WireGuard message
 * @head: the payload's first four bytes (meaningless when @len < 4)
 * @len: payload length
 *
 * Each message type has a fixed size, except transport data: a 16-byte
 * header and a 16-byte tag around the encrypted packet. WireGuard pads the
 * packet to a multiple of 16 bytes but never past its interface's MTU, so a
 * full-size packet may have any length; only a keepalive's 32 bytes are a
 * lower bound.
 *
 * Return: true if @head and @len fit one of WireGuard's four messages.
 */
bool xrelay_wireguard_message(const u8 *head, unsigned int len)
{
	if (len < 4 || head[1] || head[2] || head[3])
		return false;
	switch (head[0]) {
	case 1:
		return len == 148;
	case 2:
		return len == 92;
	case 3:
		return len == 64;
	case 4:
		return len >= 32;
	}
	return false;
}

void xrelay_policy_free(struct xrelay_policy *policy)
{
	if (!policy)
		return;
	xrelay_admission_free(policy->admission[0]);
	xrelay_admission_free(policy->admission[1]);
	xrelay_hub_free(policy->hub);
	kfree(policy);
}

static void xrelay_policy_free_cb(struct rcu_head *rcu)
{
	xrelay_policy_free(container_of(rcu, struct xrelay_policy, rcu));
}

/* Frees a policy that was reachable from the datapath. */
void xrelay_policy_free_rcu(struct xrelay_policy *policy)
{
	if (policy)
		call_rcu(&policy->rcu, xrelay_policy_free_cb);
}
