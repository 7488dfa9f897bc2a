// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sessions and the port table that finds them.
 *
 * Every session puts both of its sides into one RCU hash table per namespace,
 * keyed by (relay address, port) with siphash, so that a packet's destination
 * finds its side in one lookup from the netfilter hook or an XDP kfunc alike.
 */

#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/siphash.h>
#include <linux/slab.h>

#include "instance.h"
#include "netlink.h"
#include "netns.h"
#include "network.h"
#include "session.h"

static siphash_key_t xrelay_ports_secret __read_mostly;

/*
 * Any user may own a network namespace through a user namespace (Debian
 * allows unprivileged ones), and a namespace's own session limit is its
 * owner's to raise. What all such namespaces hold together is capped here,
 * by the host's root only: not every table a session grows is charged to
 * its owner's memory cgroup (the port table's buckets are not).
 */
static unsigned int xrelay_userns_max_sessions __read_mostly = 65536;
module_param_named(userns_max_sessions, xrelay_userns_max_sessions, uint, 0644);
MODULE_PARM_DESC(userns_max_sessions,
		 "Most sessions all network namespaces owned by user namespaces other than the initial one may hold together (default 65536)");
static atomic_t xrelay_userns_sessions = ATOMIC_INIT(0);

/* Its own cache: sessions pack tightly and show up in /proc/slabinfo. */
static struct kmem_cache *xrelay_session_cache __read_mostly;

/*
 * Sessions' per-CPU counters come in blocks of XRELAY_STATS_BLOCK slots. The
 * per-CPU allocator is slow for small objects: it searches its chunks under a
 * lock with interrupts off, more slowly the fuller they are, and took a
 * third of the time of creating a session with one allocation per
 * session. A block costs one allocation per XRELAY_STATS_BLOCK sessions and
 * is freed with its last session, so memory still follows the sessions.
 */
#define XRELAY_STATS_BLOCK	64

/**
 * struct xrelay_stats_block - per-CPU counters for up to XRELAY_STATS_BLOCK sessions
 * @node: entry in xrelay_stats_partial while the block has free slots
 * @slots: the counters, one struct per session on each CPU
 * @used: slots given out
 * @map: which slots are given out
 */
struct xrelay_stats_block {
	struct list_head node;
	struct xrelay_session_pcpu __percpu *slots;
	unsigned int used;
	DECLARE_BITMAP(map, XRELAY_STATS_BLOCK);
};

/*
 * One pool for all namespaces: sessions are freed in RCU callbacks, which
 * may run after their namespace is gone, and module unload waits for those
 * (rcu_barrier()) before the last blocks go.
 */
static LIST_HEAD(xrelay_stats_partial);
static DEFINE_SPINLOCK(xrelay_stats_lock);

int __init xrelay_session_cache_init(void)
{
	xrelay_session_cache = KMEM_CACHE(xrelay_session, SLAB_ACCOUNT);
	return xrelay_session_cache ? 0 : -ENOMEM;
}

void xrelay_session_cache_uninit(void)
{
	kmem_cache_destroy(xrelay_session_cache);
}

/* The seed goes into the key: a rehash with a new seed splits every chain. */
static u32 xrelay_ports_hash(const void *data, u32 len, u32 seed)
{
	siphash_key_t key = xrelay_ports_secret;

	key.key[0] ^= seed;
	return (u32)siphash(data, sizeof(struct xrelay_key), &key);
}

static const struct rhashtable_params xrelay_ports_params = {
	.key_len = sizeof(struct xrelay_key),
	.key_offset = offsetof(struct xrelay_side, key),
	.head_offset = offsetof(struct xrelay_side, node),
	.hashfn = xrelay_ports_hash,
	.automatic_shrinking = true,
};

int xrelay_ports_init(struct xrelay_net *xn)
{
	net_get_random_once(&xrelay_ports_secret, sizeof(xrelay_ports_secret));
	return rhashtable_init(&xn->ports, &xrelay_ports_params);
}

void xrelay_ports_uninit(struct xrelay_net *xn)
{
	rhashtable_destroy(&xn->ports);
}

/**
 * xrelay_ports_lookup() - find the session side that owns a relay port
 * @xn: namespace state
 * @addr: relay address, v4-mapped for IPv4
 * @port: relay port, network order
 *
 * Context: rcu_read_lock() held, or xn->lock.
 * Return: the side, or NULL.
 */
struct xrelay_side *xrelay_ports_lookup(struct xrelay_net *xn,
					const struct in6_addr *addr, __be16 port)
{
	struct xrelay_key key = { .addr = *addr, .port = port };

	return rhashtable_lookup(&xn->ports, &key, xrelay_ports_params);
}

static void xrelay_side_init(struct xrelay_side *side, struct xrelay_session *s,
			     const struct xrelay_instance *inst,
			     const struct xrelay_side_config *cfg)
{
	int i;

	side->session = s;
	side->key.addr = inst->addr;
	side->key.port = htons(cfg->port);
	side->allow = cfg->allow;
	side->relearn_timeout = cfg->relearn_timeout * HZ;
	side->last_rx = s->created;
	if (cfg->pinned) {
		side->peer = cfg->peer;
		side->state = XRELAY_SIDE_STATE_PINNED;
	} else {
		side->state = XRELAY_SIDE_STATE_WAITING;
	}
	for (i = 0; i < XRELAY_DROP_NR; i++)
		atomic64_set(&side->drops[i], 0);
}

static int xrelay_side_validate(struct xrelay_net *xn, const struct xrelay_instance *inst,
				const struct xrelay_side_config *cfg,
				struct netlink_ext_ack *extack)
{
	bool v4 = xrelay_addr_is_v4(&inst->addr);

	if (cfg->port < inst->port_min || cfg->port > inst->port_max) {
		NL_SET_ERR_MSG_MOD(extack, "side port is outside the instance's port range");
		return -ERANGE;
	}
	if (cfg->pinned) {
		const char *why;

		if (xrelay_addr_is_v4(&cfg->peer.addr) != v4) {
			NL_SET_ERR_MSG_MOD(extack, "peer address family differs from the instance's");
			return -EAFNOSUPPORT;
		}
		why = xrelay_addr_forbidden(xn->net, &cfg->peer.addr);
		if (why) {
			xrelay_extack_set(extack, why);
			return -EINVAL;
		}
	}
	if (cfg->allow.len && xrelay_addr_is_v4(&cfg->allow.addr) != v4) {
		NL_SET_ERR_MSG_MOD(extack, "allowed prefix family differs from the instance's");
		return -EAFNOSUPPORT;
	}
	return 0;
}

/* A side's admission lists may only name addresses of the instance's family. */
static int xrelay_admission_validate(const struct xrelay_instance *inst,
				     const struct xrelay_admission *adm,
				     struct netlink_ext_ack *extack)
{
	bool v4 = xrelay_addr_is_v4(&inst->addr);
	u32 i;

	for (i = 0; adm && i < adm->n_allow + adm->n_deny; i++) {
		if (xrelay_addr_is_v4(&adm->prefixes[i].addr) != v4) {
			NL_SET_ERR_MSG_MOD(extack, "admission prefix family differs from the instance's");
			return -EAFNOSUPPORT;
		}
	}
	return 0;
}

/* Sessions the network may still open under its policy's cap. */
static int xrelay_network_room(struct xrelay_net *xn, u32 network, struct netlink_ext_ack *extack)
{
	struct xrelay_network *nw = xa_load(&xn->networks, network);
	const struct xrelay_policy *policy;

	if (!nw)
		return 0;
	policy = rcu_dereference_protected(nw->policy, lockdep_is_held(&xn->lock));
	if (policy->max_sessions && nw->sessions >= policy->max_sessions) {
		NL_SET_ERR_MSG_MOD(extack, "session limit of this overlay network reached");
		return -ENOSPC;
	}
	return 0;
}

static int xrelay_session_validate(struct xrelay_net *xn, const struct xrelay_instance *inst,
				   const struct xrelay_session_config *cfg,
				   struct netlink_ext_ack *extack)
{
	int i, ret;

	if (inst->network && cfg->network && cfg->network != inst->network) {
		NL_SET_ERR_MSG_MOD(extack, "session network differs from the instance's network");
		return -EINVAL;
	}
	if (!inst->network && !cfg->network) {
		NL_SET_ERR_MSG_MOD(extack, "instance is shared between networks: the session must name its network");
		return -EINVAL;
	}
	if (cfg->sides[0].port == cfg->sides[1].port) {
		NL_SET_ERR_MSG_MOD(extack, "side A and side B must use different ports");
		return -EINVAL;
	}
	for (i = 0; i < 2; i++) {
		ret = xrelay_side_validate(xn, inst, &cfg->sides[i], extack);
		if (ret)
			return ret;
		if (cfg->policy) {
			ret = xrelay_admission_validate(inst, cfg->policy->admission[i], extack);
			if (ret)
				return ret;
		}
	}
	if (xn->session_count >= xn->session_limit) {
		NL_SET_ERR_MSG_MOD(extack, "session limit of this network namespace reached");
		xrelay_nl_notify_limit(xn);
		return -ENOSPC;
	}
	if (xn->net->user_ns != &init_user_ns &&
	    atomic_read(&xrelay_userns_sessions) >= READ_ONCE(xrelay_userns_max_sessions)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "host-wide session limit of user namespaces reached (module parameter userns_max_sessions)");
		xrelay_nl_notify_limit(xn);
		return -ENOSPC;
	}
	return xrelay_network_room(xn, cfg->network ?: inst->network, extack);
}

/*
 * Expiry is a wheel of one-second slots: a session waits in the slot of the
 * second it would end if no packet came, and is looked at only then (or,
 * ending further away than the wheel spans, once a turn). Traffic does not
 * move it: when its slot comes and it has been busy, it moves on to its new
 * end. So the GC's work follows the number of sessions due, not the number
 * of sessions.
 */
static unsigned long xrelay_session_deadline(const struct xrelay_session *s)
{
	unsigned long last = s->created, deadline;
	int i;

	for (i = 0; i < 2; i++) {
		unsigned long rx = READ_ONCE(s->sides[i].last_rx);

		if (time_after(rx, last))
			last = rx;
	}
	deadline = last + s->idle_timeout + 1;
	if (s->lifetime && time_before(s->created + s->lifetime, deadline))
		deadline = s->created + s->lifetime;
	return deadline;
}

/*
 * The wheel counts seconds in 64 bits: jiffies / HZ would jump back to 0
 * where jiffies has 32 bits and wraps, and the wheel would stop turning.
 */
static u64 xrelay_expiry_now(void)
{
	return div_u64(get_jiffies_64(), HZ);
}

static void xrelay_expiry_queue(struct xrelay_net *xn, struct xrelay_session *s)
{
	u64 now = get_jiffies_64();
	long ahead = (long)(xrelay_session_deadline(s) - (unsigned long)now);
	u64 second = DIV_ROUND_UP_ULL(now + ahead, HZ);

	if (second < xn->expiry_next)
		second = xn->expiry_next;
	hlist_add_head(&s->expiry, &xn->expiry[second % XRELAY_EXPIRY_SLOTS]);
}

static struct xrelay_stats_block *xrelay_stats_block_new(void)
{
	struct xrelay_stats_block *blk = kzalloc(sizeof(*blk), GFP_KERNEL_ACCOUNT);

	if (!blk)
		return NULL;
	blk->slots = __alloc_percpu_gfp(XRELAY_STATS_BLOCK * sizeof(struct xrelay_session_pcpu),
					__alignof__(struct xrelay_session_pcpu),
					GFP_KERNEL_ACCOUNT);
	if (!blk->slots) {
		kfree(blk);
		return NULL;
	}
	INIT_LIST_HEAD(&blk->node);
	return blk;
}

/**
 * xrelay_session_stats_alloc() - give a new session zeroed per-CPU counters
 * @s: the session; sets s->stats and s->stats_block
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
static int xrelay_session_stats_alloc(struct xrelay_session *s)
{
	struct xrelay_stats_block *blk;
	unsigned int slot;
	int cpu;

	spin_lock_bh(&xrelay_stats_lock);
	blk = list_first_entry_or_null(&xrelay_stats_partial, struct xrelay_stats_block, node);
	if (!blk) {
		spin_unlock_bh(&xrelay_stats_lock);
		blk = xrelay_stats_block_new();
		if (!blk)
			return -ENOMEM;
		spin_lock_bh(&xrelay_stats_lock);
		list_add(&blk->node, &xrelay_stats_partial);
	}
	slot = find_first_zero_bit(blk->map, XRELAY_STATS_BLOCK);
	__set_bit(slot, blk->map);
	if (++blk->used == XRELAY_STATS_BLOCK)
		list_del_init(&blk->node);
	spin_unlock_bh(&xrelay_stats_lock);

	s->stats_block = blk;
	s->stats = blk->slots + slot;
	/* A slot given back keeps its last session's counts. */
	for_each_possible_cpu(cpu) {
		struct xrelay_session_pcpu *p = per_cpu_ptr(s->stats, cpu);

		memset(p, 0, sizeof(*p));
		u64_stats_init(&p->syncp);
	}
	return 0;
}

/* Context: process or softirq; no datapath reader may still see the session. */
static void xrelay_session_stats_free(struct xrelay_session *s)
{
	struct xrelay_stats_block *blk = s->stats_block;
	bool empty;

	spin_lock_bh(&xrelay_stats_lock);
	__clear_bit(s->stats - blk->slots, blk->map);
	if (blk->used-- == XRELAY_STATS_BLOCK)
		list_add(&blk->node, &xrelay_stats_partial);
	empty = !blk->used;
	if (empty)
		list_del(&blk->node);
	spin_unlock_bh(&xrelay_stats_lock);
	if (empty) {
		free_percpu(blk->slots);
		kfree(blk);
	}
}

static void xrelay_session_free(struct xrelay_session *s)
{
	xrelay_policy_free(s->policy);
	xrelay_session_stats_free(s);
	kmem_cache_free(xrelay_session_cache, s);
}

static void xrelay_session_free_rcu(struct rcu_head *rcu)
{
	xrelay_session_free(container_of(rcu, struct xrelay_session, rcu));
}

/**
 * xrelay_session_alloc() - allocate a session and its counters
 * @cfg: requested session; its policy is consumed, also on failure
 *
 * Done before xn->lock is taken, so that concurrent requests allocate in
 * parallel and hold the lock only to check and insert.
 *
 * Context: process context.
 * Return: the session for xrelay_session_create(), or NULL.
 */
struct xrelay_session *xrelay_session_alloc(const struct xrelay_session_config *cfg)
{
	struct xrelay_session *s = kmem_cache_zalloc(xrelay_session_cache, GFP_KERNEL);

	if (!s)
		goto err_policy;
	if (xrelay_session_stats_alloc(s)) {
		kmem_cache_free(xrelay_session_cache, s);
		goto err_policy;
	}
	s->policy = cfg->policy;
	return s;
err_policy:
	xrelay_policy_free(cfg->policy);
	return NULL;
}

/**
 * xrelay_session_create() - open a session on two ports of an instance
 * @xn: namespace state
 * @s: the session from xrelay_session_alloc(); freed on failure
 * @cfg: requested session
 * @id: set to the new session's id
 * @extack: where to say what is wrong
 *
 * Context: process context, holding xn->lock.
 * Return: 0 or a negative errno, with @extack set; nothing changes on error.
 */
int xrelay_session_create(struct xrelay_net *xn, struct xrelay_session *s,
			  const struct xrelay_session_config *cfg, u32 *id,
			  struct netlink_ext_ack *extack)
{
	struct xrelay_instance *inst;
	struct xrelay_network *nw;
	int i, ret;

	lockdep_assert_held(&xn->lock);
	inst = xa_load(&xn->instances, cfg->instance);
	if (!inst) {
		NL_SET_ERR_MSG_MOD(extack, "no instance with this id");
		ret = -ENOENT;
		goto err_free;
	}
	ret = xrelay_session_validate(xn, inst, cfg, extack);
	if (ret)
		goto err_free;

	xrelay_bucket_init(&s->bucket);
	seqlock_init(&s->peer_lock);
	s->instance = inst;
	s->network = cfg->network ?: inst->network;
	nw = xa_load(&xn->networks, s->network);
	RCU_INIT_POINTER(s->overlay, nw);
	s->created = jiffies;
	s->idle_timeout = cfg->idle_timeout * HZ;
	s->lifetime = cfg->lifetime * HZ;
	for (i = 0; i < 2; i++)
		xrelay_side_init(&s->sides[i], s, inst, &cfg->sides[i]);

	ret = xa_alloc_cyclic(&xn->sessions, &s->id, s, xa_limit_32b, &xn->next_session_id,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto err_free;
	ret = rhashtable_lookup_insert_fast(&xn->ports, &s->sides[0].node, xrelay_ports_params);
	if (ret)
		goto err_erase;
	ret = rhashtable_lookup_insert_fast(&xn->ports, &s->sides[1].node, xrelay_ports_params);
	if (ret)
		goto err_remove_a;

	inst->sessions++;
	if (nw)
		nw->sessions++;
	if (xn->net->user_ns != &init_user_ns)
		atomic_inc(&xrelay_userns_sessions);
	/* The wheel stands still while the namespace has no sessions. */
	if (!xn->session_count++)
		xn->expiry_next = xrelay_expiry_now();
	xrelay_expiry_queue(xn, s);
	xrelay_gc_schedule(xn);
	*id = s->id;
	return 0;

err_remove_a:
	rhashtable_remove_fast(&xn->ports, &s->sides[0].node, xrelay_ports_params);
	xa_erase(&xn->sessions, s->id);
	/* A datapath reader may have found side A in the meantime. */
	call_rcu(&s->rcu, xrelay_session_free_rcu);
	goto err_msg;
err_erase:
	xa_erase(&xn->sessions, s->id);
err_free:
	xrelay_session_free(s);
err_msg:
	if (ret == -EEXIST)
		NL_SET_ERR_MSG_MOD(extack, "port is already used by another session");
	return ret;
}

/**
 * xrelay_session_destroy() - close a session
 * @xn: namespace state
 * @s: the session; freed after a grace period
 *
 * Context: process context, holding xn->lock.
 */
void xrelay_session_destroy(struct xrelay_net *xn, struct xrelay_session *s)
{
	struct xrelay_network *nw;

	lockdep_assert_held(&xn->lock);
	rhashtable_remove_fast(&xn->ports, &s->sides[0].node, xrelay_ports_params);
	rhashtable_remove_fast(&xn->ports, &s->sides[1].node, xrelay_ports_params);
	xa_erase(&xn->sessions, s->id);
	hlist_del_init(&s->expiry);
	s->instance->sessions--;
	nw = rcu_dereference_protected(s->overlay, lockdep_is_held(&xn->lock));
	if (nw)
		nw->sessions--;
	if (xn->net->user_ns != &init_user_ns)
		atomic_dec(&xrelay_userns_sessions);
	xn->session_count--;
	call_rcu(&s->rcu, xrelay_session_free_rcu);
}

#define XRELAY_WALK_BATCH	1024

/**
 * xrelay_sessions_destroy_matching() - close sessions of an instance or network
 * @xn: namespace state
 * @inst: close only this instance's sessions, or NULL
 * @network: close only this network's sessions, or 0
 *
 * Context: process context, holding xn->lock.
 */
void xrelay_sessions_destroy_matching(struct xrelay_net *xn,
				      const struct xrelay_instance *inst, u32 network)
{
	struct xrelay_session *s;
	unsigned long id;
	unsigned int n = 0;

	lockdep_assert_held(&xn->lock);
	xa_for_each(&xn->sessions, id, s) {
		if ((!inst || s->instance == inst) && (!network || s->network == network))
			xrelay_session_destroy(xn, s);
		if (!(++n % XRELAY_WALK_BATCH))
			cond_resched();
	}
}

/**
 * xrelay_session_expired() - tell whether and why a session has ended
 * @s: the session
 * @now: current jiffies
 *
 * Return: an enum xrelay_expire_reason, or -1 while the session lives.
 */
int xrelay_session_expired(const struct xrelay_session *s, unsigned long now)
{
	unsigned long last = s->created;
	int i;

	if (s->lifetime && time_after_eq(now, s->created + s->lifetime))
		return XRELAY_EXPIRE_REASON_LIFETIME;
	for (i = 0; i < 2; i++) {
		unsigned long rx = READ_ONCE(s->sides[i].last_rx);

		if (time_after(rx, last))
			last = rx;
	}
	if (time_after(now, last + s->idle_timeout))
		return XRELAY_EXPIRE_REASON_IDLE;
	return -1;
}

/* Ends or requeues the sessions of one second's slot. */
static void xrelay_expiry_slot(struct xrelay_net *xn, struct hlist_head *slot)
{
	struct xrelay_session *s;
	HLIST_HEAD(due);
	unsigned int n = 0;
	int reason;

	/*
	 * Taken off the wheel first, so that the lock can be dropped between
	 * batches: a session destroyed meanwhile unlinks itself from @due.
	 */
	hlist_move_list(slot, &due);
	while (!hlist_empty(&due)) {
		s = hlist_entry(due.first, struct xrelay_session, expiry);
		hlist_del_init(&s->expiry);
		reason = xrelay_session_expired(s, jiffies);
		if (reason >= 0) {
			xrelay_nl_notify_expired(xn, s, reason);
			xrelay_session_destroy(xn, s);
		} else {
			xrelay_expiry_queue(xn, s);
		}
		if (!(++n % XRELAY_WALK_BATCH)) {
			mutex_unlock(&xn->lock);
			cond_resched();
			mutex_lock(&xn->lock);
		}
	}
}

/**
 * xrelay_sessions_expire() - remove the sessions that have ended, with events
 * @xn: namespace state
 *
 * Looks at the wheel's slots of the seconds gone by since the last run.
 *
 * Context: process context.
 * Return: true while the namespace still has sessions.
 */
bool xrelay_sessions_expire(struct xrelay_net *xn)
{
	bool remaining;
	u64 now;

	mutex_lock(&xn->lock);
	now = xrelay_expiry_now();
	/* After a long stall one turn of the wheel sees every slot. */
	if (now > xn->expiry_next + XRELAY_EXPIRY_SLOTS)
		xn->expiry_next = now - XRELAY_EXPIRY_SLOTS;
	while (xn->expiry_next <= now && xn->session_count)
		xrelay_expiry_slot(xn, &xn->expiry[xn->expiry_next++ % XRELAY_EXPIRY_SLOTS]);
	remaining = xn->session_count > 0;
	mutex_unlock(&xn->lock);
	return remaining;
}

/**
 * xrelay_side_info() - take a consistent snapshot of a side for reporting
 * @side: the side
 * @info: filled in
 *
 * Context: rcu_read_lock() or xn->lock held.
 */
void xrelay_side_info(const struct xrelay_side *side, struct xrelay_side_info *info)
{
	const struct xrelay_session *s = side->session;
	unsigned int idx = xrelay_side_index(side);
	unsigned int seq;
	int cpu, i;

	do {
		seq = read_seqbegin(&s->peer_lock);
		info->state = side->state;
		info->peer = side->peer;
	} while (read_seqretry(&s->peer_lock, seq));

	info->port = ntohs(side->key.port);
	info->allow = side->allow;
	info->relearn_timeout = side->relearn_timeout / HZ;
	info->idle_msecs = jiffies_to_msecs(jiffies - READ_ONCE(side->last_rx));

	memset(&info->stats, 0, sizeof(info->stats));
	for_each_possible_cpu(cpu) {
		const struct xrelay_session_pcpu *p = per_cpu_ptr(s->stats, cpu);
		unsigned int start;
		u64 packets, packets_xdp, bytes;

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			packets = u64_stats_read(&p->packets[idx]);
			packets_xdp = u64_stats_read(&p->packets_xdp[idx]);
			bytes = u64_stats_read(&p->bytes[idx]);
		} while (u64_stats_fetch_retry(&p->syncp, start));
		info->stats.packets += packets;
		info->stats.packets_xdp += packets_xdp;
		info->stats.bytes += bytes;
	}
	for (i = 0; i < XRELAY_DROP_NR; i++)
		info->stats.drops[i] = atomic64_read(&side->drops[i]);
}
