// SPDX-License-Identifier: GPL-2.0-only
/*
 * Relay instances: the local address and port range sessions are opened in.
 */

#include <linux/inetdevice.h>
#include <linux/slab.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/udp.h>

#include "hook.h"
#include "instance.h"
#include "netns.h"
#include "session.h"

void xrelay_pcpu_stats_sum(struct xrelay_pcpu_stats __percpu *stats,
			   struct xrelay_stats *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct xrelay_pcpu_stats *s = per_cpu_ptr(stats, cpu);
		struct xrelay_stats snap;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			snap.packets = u64_stats_read(&s->packets);
			snap.packets_xdp = u64_stats_read(&s->packets_xdp);
			snap.bytes = u64_stats_read(&s->bytes);
			for (i = 0; i < XRELAY_DROP_NR; i++)
				snap.drops[i] = u64_stats_read(&s->drops[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));

		sum->packets += snap.packets;
		sum->packets_xdp += snap.packets_xdp;
		sum->bytes += snap.bytes;
		for (i = 0; i < XRELAY_DROP_NR; i++)
			sum->drops[i] += snap.drops[i];
	}
}

static bool xrelay_addr_is_local(struct net *net, const struct in6_addr *addr)
{
	if (xrelay_addr_is_v4(addr))
		return inet_addr_type(net, addr->s6_addr32[3]) == RTN_LOCAL;
	return ipv6_chk_addr(net, addr, NULL, 0);
}

/*
 * Packets to an instance's ports never reach local sockets, so a range
 * that holds a bound socket, or that the kernel may hand out as ephemeral
 * source ports, would silently break other services on the host.
 */
static int xrelay_check_ports_free(struct net *net, const struct xrelay_instance_config *cfg,
				   struct netlink_ext_ack *extack)
{
	int eph_low, eph_high;
	struct sock *sk;
	u32 port;

	inet_get_local_port_range(net, &eph_low, &eph_high);
	for (port = cfg->port_min; port <= cfg->port_max; port++) {
		if (port >= eph_low && port <= eph_high &&
		    !inet_is_local_reserved_port(net, port)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "port range overlaps the ephemeral ports: pick ports outside net.ipv4.ip_local_port_range or list them in net.ipv4.ip_local_reserved_ports");
			return -EADDRINUSE;
		}

		rcu_read_lock();
		if (xrelay_addr_is_v4(&cfg->addr))
			sk = udp4_lib_lookup(net, 0, 0, cfg->addr.s6_addr32[3], htons(port), 0);
		else
			sk = udp6_lib_lookup(net, &in6addr_any, 0, &cfg->addr, htons(port), 0);
		rcu_read_unlock();
		if (sk) {
			sock_put(sk);
			NL_SET_ERR_MSG_MOD(extack, "a local UDP socket is bound to a port in the range");
			return -EADDRINUSE;
		}
	}
	return 0;
}

static int xrelay_instance_validate(struct xrelay_net *xn,
				    const struct xrelay_instance_config *cfg,
				    struct netlink_ext_ack *extack)
{
	struct xrelay_instance *other;
	unsigned long id;

	if (cfg->port_min > cfg->port_max) {
		NL_SET_ERR_MSG_MOD(extack, "port-min exceeds port-max");
		return -EINVAL;
	}
	/* Peers would drop what a loopback address sends them as martian. */
	if (xrelay_addr_is_v4(&cfg->addr) ? ipv4_is_loopback(cfg->addr.s6_addr32[3]) :
					    ipv6_addr_loopback(&cfg->addr)) {
		NL_SET_ERR_MSG_MOD(extack, "local address is a loopback address, which peers cannot reach");
		return -EADDRNOTAVAIL;
	}
	if (!xrelay_addr_is_local(xn->net, &cfg->addr)) {
		NL_SET_ERR_MSG_MOD(extack, "local address is not an address of this network namespace");
		return -EADDRNOTAVAIL;
	}
	xa_for_each(&xn->instances, id, other) {
		if (ipv6_addr_equal(&other->addr, &cfg->addr) &&
		    cfg->port_min <= other->port_max && other->port_min <= cfg->port_max) {
			NL_SET_ERR_MSG_MOD(extack,
					   "port range overlaps another instance's range on the same address");
			return -EEXIST;
		}
	}
	return xrelay_check_ports_free(xn->net, cfg, extack);
}

static unsigned int xrelay_family_index(const struct in6_addr *addr)
{
	return xrelay_addr_is_v4(addr) ? 0 : 1;
}

/**
 * xrelay_instance_create() - add a relay instance to a namespace
 * @xn: namespace state
 * @cfg: requested instance; @cfg->id is set to the allocated id if it was 0
 * @extack: where to say what is wrong
 *
 * The first instance of a family turns that family's packet hook on.
 *
 * Context: process context, holding xn->lock.
 * Return: 0 or a negative errno, with @extack set.
 */
int xrelay_instance_create(struct xrelay_net *xn, struct xrelay_instance_config *cfg,
			   struct netlink_ext_ack *extack)
{
	unsigned int family = xrelay_family_index(&cfg->addr);
	struct xrelay_instance *inst;
	int ret;

	lockdep_assert_held(&xn->lock);
	ret = xrelay_instance_validate(xn, cfg, extack);
	if (ret)
		return ret;

	inst = kzalloc(sizeof(*inst), GFP_KERNEL_ACCOUNT);
	if (!inst)
		return -ENOMEM;
	inst->stats = alloc_percpu_gfp(struct xrelay_pcpu_stats, GFP_KERNEL_ACCOUNT);
	if (!inst->stats) {
		ret = -ENOMEM;
		goto err_free;
	}
	inst->xn = xn;
	inst->addr = cfg->addr;
	inst->network = cfg->network;
	inst->port_min = cfg->port_min;
	inst->port_max = cfg->port_max;

	/*
	 * The hook first: once in the table, the instance is visible to the
	 * other family's hook, and could no longer be freed without a grace
	 * period.
	 */
	if (!xn->family_instances[family]) {
		ret = xrelay_hook_enable(xn->net, family == 0 ? AF_INET : AF_INET6);
		if (ret) {
			NL_SET_ERR_MSG_MOD(extack, "cannot register the packet hook");
			goto err_free_stats;
		}
	}
	if (cfg->id) {
		inst->id = cfg->id;
		ret = xa_insert(&xn->instances, cfg->id, inst, GFP_KERNEL_ACCOUNT);
		if (ret == -EBUSY) {
			NL_SET_ERR_MSG_MOD(extack, "an instance with this id already exists");
			ret = -EEXIST;
		}
	} else {
		ret = xa_alloc(&xn->instances, &inst->id, inst, xa_limit_32b, GFP_KERNEL_ACCOUNT);
	}
	if (ret)
		goto err_hook;
	xn->family_instances[family]++;
	cfg->id = inst->id;
	return 0;

err_hook:
	if (!xn->family_instances[family])
		xrelay_hook_disable(xn->net, family == 0 ? AF_INET : AF_INET6);
err_free_stats:
	free_percpu(inst->stats);
err_free:
	kfree(inst);
	return ret;
}

static void xrelay_instance_free_rcu(struct rcu_head *rcu)
{
	struct xrelay_instance *inst = container_of(rcu, struct xrelay_instance, rcu);

	free_percpu(inst->stats);
	kfree(inst);
}

/**
 * xrelay_instance_destroy() - remove an instance and all of its sessions
 * @inst: the instance
 *
 * Datapath readers may still hold @inst; it is freed after a grace period.
 *
 * Context: process context, holding xn->lock.
 */
void xrelay_instance_destroy(struct xrelay_instance *inst)
{
	struct xrelay_net *xn = inst->xn;
	unsigned int family = xrelay_family_index(&inst->addr);

	lockdep_assert_held(&xn->lock);
	xa_erase(&xn->instances, inst->id);
	if (inst->sessions)
		xrelay_sessions_destroy_matching(xn, inst, 0);
	if (!--xn->family_instances[family])
		xrelay_hook_disable(xn->net, family == 0 ? AF_INET : AF_INET6);
	call_rcu(&inst->rcu, xrelay_instance_free_rcu);
}

void xrelay_instances_destroy_all(struct xrelay_net *xn)
{
	struct xrelay_instance *inst;
	unsigned long id;

	xrelay_sessions_destroy_matching(xn, NULL, 0);
	xa_for_each(&xn->instances, id, inst)
		xrelay_instance_destroy(inst);
}

/**
 * xrelay_instance_find_port() - find the instance owning an address and port
 * @xn: namespace state
 * @addr: local address, v4-mapped for IPv4
 * @port: port, host order
 *
 * Instances are few (one per address, network and range), so a walk is
 * cheaper than a second table; it runs only for packets no session took.
 *
 * Context: rcu_read_lock() or xn->lock held.
 * Return: the instance or NULL.
 */
struct xrelay_instance *xrelay_instance_find_port(struct xrelay_net *xn,
						  const struct in6_addr *addr, u16 port)
{
	struct xrelay_instance *inst;
	unsigned long id;

	xa_for_each(&xn->instances, id, inst)
		if (xrelay_instance_owns(inst, addr, port))
			return inst;
	return NULL;
}
