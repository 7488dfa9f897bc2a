// SPDX-License-Identifier: GPL-2.0-only
/*
 * Overlay networks that have a policy on this relay. A network object is
 * optional: sessions of a network without one are not limited. Once it
 * exists, its sessions (also those opened before) point at it, and the
 * datapath reads its policy under RCU, so replacing a policy is one
 * pointer swap with no moment in which neither applies.
 */

#include <linux/slab.h>

#include "hub.h"
#include "netns.h"
#include "network.h"
#include "session.h"

static void xrelay_network_free(struct rcu_head *rcu)
{
	struct xrelay_network *nw = container_of(rcu, struct xrelay_network, rcu);

	xrelay_policy_free(rcu_dereference_protected(nw->policy, true));
	free_percpu(nw->stats);
	kfree(nw);
}

/**
 * xrelay_network_create() - give a network a policy
 * @xn: namespace state
 * @id: the network
 * @policy: its policy; consumed, also on failure
 * @extack: where to say what is wrong
 *
 * Context: process context, holding xn->lock.
 * Return: 0 or a negative errno; nothing changes on error.
 */
int xrelay_network_create(struct xrelay_net *xn, u32 id, struct xrelay_policy *policy,
			  struct netlink_ext_ack *extack)
{
	struct xrelay_network *nw;
	struct xrelay_session *s;
	unsigned long i;
	int ret;

	lockdep_assert_held(&xn->lock);
	if (xa_load(&xn->networks, id)) {
		NL_SET_ERR_MSG_MOD(extack, "network already exists; network-set replaces its policy");
		ret = -EEXIST;
		goto err_policy;
	}
	ret = -ENOMEM;
	nw = kzalloc(sizeof(*nw), GFP_KERNEL_ACCOUNT);
	if (!nw)
		goto err_policy;
	nw->stats = alloc_percpu_gfp(struct xrelay_pcpu_stats, GFP_KERNEL_ACCOUNT);
	if (!nw->stats)
		goto err_network;
	nw->id = id;
	RCU_INIT_POINTER(nw->policy, policy);
	xrelay_bucket_init(&nw->bucket);
	ret = xrelay_hub_index_prepare(xn, nw, NULL, policy->hub, extack);
	if (ret)
		goto err_stats;
	ret = xa_insert(&xn->networks, id, nw, GFP_KERNEL_ACCOUNT);
	if (ret) {
		xrelay_hub_index_abort(xn, nw, NULL, policy->hub);
		/* The hook may have found it: gone, with its policy, after a grace period. */
		call_rcu(&nw->rcu, xrelay_network_free);
		return ret;
	}

	xa_for_each(&xn->sessions, i, s) {
		if (s->network == id) {
			rcu_assign_pointer(s->overlay, nw);
			nw->sessions++;
		}
	}
	return 0;

err_stats:
	free_percpu(nw->stats);
err_network:
	kfree(nw);
err_policy:
	xrelay_policy_free(policy);
	return ret;
}

/**
 * xrelay_network_replace() - swap in a network's new policy
 * @xn: namespace state
 * @id: the network
 * @policy: the new policy; consumed, also on failure
 * @extack: where to say what is wrong
 *
 * Packets see the old policy or the new one, never neither. Rate limits
 * keep their buckets' credit, so a replacement neither grants a fresh
 * burst nor cuts one short.
 *
 * Context: process context, holding xn->lock.
 * Return: 0 or a negative errno; nothing changes on error.
 */
int xrelay_network_replace(struct xrelay_net *xn, u32 id, struct xrelay_policy *policy,
			   struct netlink_ext_ack *extack)
{
	struct xrelay_network *nw = xa_load(&xn->networks, id);
	struct xrelay_policy *old;
	int ret;

	lockdep_assert_held(&xn->lock);
	if (!nw) {
		NL_SET_ERR_MSG_MOD(extack, "no network with this id");
		ret = -ENOENT;
		goto err_policy;
	}
	old = rcu_dereference_protected(nw->policy, lockdep_is_held(&xn->lock));
	ret = xrelay_hub_index_prepare(xn, nw, old->hub, policy->hub, extack);
	if (ret)
		goto err_policy;
	rcu_assign_pointer(nw->policy, policy);
	xrelay_hub_index_commit(xn, old->hub, policy->hub);
	xrelay_policy_free_rcu(old);
	return 0;

err_policy:
	xrelay_policy_free(policy);
	return ret;
}

/**
 * xrelay_network_delete() - remove a network's policy
 * @xn: namespace state
 * @id: the network
 * @extack: where to say what is wrong
 *
 * Refused while the network has sessions: they would silently lose their
 * limits.
 *
 * Context: process context, holding xn->lock.
 * Return: 0 or a negative errno; nothing changes on error.
 */
int xrelay_network_delete(struct xrelay_net *xn, u32 id, struct netlink_ext_ack *extack)
{
	struct xrelay_network *nw = xa_load(&xn->networks, id);
	const struct xrelay_policy *policy;

	lockdep_assert_held(&xn->lock);
	if (!nw) {
		NL_SET_ERR_MSG_MOD(extack, "no network with this id");
		return -ENOENT;
	}
	if (nw->sessions) {
		NL_SET_ERR_MSG_MOD(extack, "network still has sessions; close them first");
		return -EBUSY;
	}
	xa_erase(&xn->networks, id);
	policy = rcu_dereference_protected(nw->policy, lockdep_is_held(&xn->lock));
	xrelay_hub_index_commit(xn, policy->hub, NULL);
	call_rcu(&nw->rcu, xrelay_network_free);
	return 0;
}

/* Context: process context, holding xn->lock, after all sessions are gone. */
void xrelay_networks_destroy_all(struct xrelay_net *xn)
{
	struct xrelay_network *nw;
	unsigned long id;

	lockdep_assert_held(&xn->lock);
	xrelay_hub_index_destroy(xn);
	xa_for_each(&xn->networks, id, nw) {
		xa_erase(&xn->networks, id);
		call_rcu(&nw->rcu, xrelay_network_free);
	}
}
