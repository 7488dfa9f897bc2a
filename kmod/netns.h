/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_NETNS_H
#define _XRELAY_NETNS_H

#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

struct xrelay_hub_index;

#define XRELAY_DEFAULT_SESSION_LIMIT	(1U << 20)

/* Seconds the expiry wheel spans: a session is looked at when due, or once a turn. */
#define XRELAY_EXPIRY_SLOTS		64

/**
 * struct xrelay_net - relay state of one network namespace
 * @net: the namespace
 * @lock: serialises configuration changes and expiry
 * @ports: (relay address, port) -> session side; read locklessly under RCU
 * @sessions: session id -> session; dumps page through it by id
 * @instances: instance id -> instance; read under RCU by the datapath
 * @networks: network id -> network policy; read under RCU by the datapath
 * @next_session_id: cursor for cyclic session id allocation
 * @session_limit: most sessions the namespace may hold
 * @session_count: sessions it holds
 * @family_instances: instances per family (index: 0 IPv4, 1 IPv6); the
 *	netfilter hook and defragmentation of a family are on while nonzero
 * @gc: periodic expiry of idle and outlived sessions
 * @expiry: sessions by the second they may end, modulo XRELAY_EXPIRY_SLOTS
 * @expiry_next: the next second (64-bit jiffies / HZ) whose slot the GC looks at
 * @drop_events: paces policy-drop notifications from the datapath
 * @learned_events: paces side-learned notifications from the datapath
 * @hub_index: overlay interface name -> network, for networks with a hub
 * @hub_hooks: whether the hub hook and conntrack are on (under @lock)
 */
struct xrelay_net {
	struct net *net;
	struct mutex lock;
	struct rhashtable ports;
	struct xarray sessions;
	struct xarray instances;
	struct xarray networks;
	u32 next_session_id;
	u32 session_limit;
	u32 session_count;
	unsigned int family_instances[2];
	struct delayed_work gc;
	struct hlist_head expiry[XRELAY_EXPIRY_SLOTS];
	u64 expiry_next;
	struct ratelimit_state drop_events;
	struct ratelimit_state learned_events;
	struct xrelay_hub_index __rcu *hub_index;
	bool hub_hooks;
};

extern unsigned int xrelay_net_id;

static inline struct xrelay_net *xrelay_net(const struct net *net)
{
	return net_generic(net, xrelay_net_id);
}

void xrelay_gc_schedule(struct xrelay_net *xn);

int xrelay_netns_init(void);
void xrelay_netns_uninit(void);

#endif /* _XRELAY_NETNS_H */
