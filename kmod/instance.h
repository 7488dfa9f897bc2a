/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_INSTANCE_H
#define _XRELAY_INSTANCE_H

#include <linux/netlink.h>

#include "addr.h"
#include "stats.h"

struct xrelay_net;

/**
 * struct xrelay_instance - a range of UDP ports on one local address
 * @xn: owning namespace
 * @addr: the relay address, v4-mapped for IPv4
 * @id: instance id, unique in the namespace
 * @network: overlay network owning it, 0 if shared between networks
 * @port_min: first port of the range, host order
 * @port_max: last port of the range, host order
 * @sessions: sessions on the instance (under xn->lock)
 * @stats: totals over the instance's sessions, past and present
 * @rcu: frees the instance after datapath readers are done
 */
struct xrelay_instance {
	struct xrelay_net *xn;
	struct in6_addr addr;
	u32 id;
	u32 network;
	u16 port_min;
	u16 port_max;
	u32 sessions;
	struct xrelay_pcpu_stats __percpu *stats;
	struct rcu_head rcu;
};

struct xrelay_instance_config {
	u32 id;
	u32 network;
	struct in6_addr addr;
	u16 port_min;
	u16 port_max;
};

static inline bool xrelay_instance_owns(const struct xrelay_instance *inst,
					const struct in6_addr *addr, u16 port)
{
	return port >= inst->port_min && port <= inst->port_max &&
	       ipv6_addr_equal(&inst->addr, addr);
}

int xrelay_instance_create(struct xrelay_net *xn, struct xrelay_instance_config *cfg,
			   struct netlink_ext_ack *extack);
void xrelay_instance_destroy(struct xrelay_instance *inst);
void xrelay_instances_destroy_all(struct xrelay_net *xn);
struct xrelay_instance *xrelay_instance_find_port(struct xrelay_net *xn,
						  const struct in6_addr *addr, u16 port);

#endif /* _XRELAY_INSTANCE_H */
