/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_NETWORK_H
#define _XRELAY_NETWORK_H

#include <linux/netlink.h>

#include "policy.h"
#include "stats.h"

struct xrelay_net;

/**
 * struct xrelay_network - an overlay network's policy and totals on this relay
 * @id: the network's id, as sessions and instances name it
 * @sessions: sessions of the network (under xn->lock)
 * @policy: the policy in force, replaced as a whole under xn->lock
 * @bucket: the network-wide rate limit's state, kept across replacements
 * @stats: totals over the network's sessions since the network was created
 * @rcu: frees the network after datapath readers are done
 */
struct xrelay_network {
	u32 id;
	u32 sessions;
	struct xrelay_policy __rcu *policy;
	struct xrelay_bucket bucket;
	struct xrelay_pcpu_stats __percpu *stats;
	struct rcu_head rcu;
};

int xrelay_network_create(struct xrelay_net *xn, u32 id, struct xrelay_policy *policy,
			  struct netlink_ext_ack *extack);
int xrelay_network_replace(struct xrelay_net *xn, u32 id, struct xrelay_policy *policy,
			   struct netlink_ext_ack *extack);
int xrelay_network_delete(struct xrelay_net *xn, u32 id, struct netlink_ext_ack *extack);
void xrelay_networks_destroy_all(struct xrelay_net *xn);

#endif /* _XRELAY_NETWORK_H */
