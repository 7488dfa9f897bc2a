// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per network namespace state: each namespace has its own instances,
 * sessions, port table and limit, and sees nothing of the others.
 */

#include "hook.h"
#include "instance.h"
#include "netns.h"
#include "network.h"
#include "session.h"

unsigned int xrelay_net_id __read_mostly;

#define XRELAY_GC_INTERVAL	HZ

static void xrelay_gc_work(struct work_struct *work)
{
	struct xrelay_net *xn = container_of(to_delayed_work(work),
					     struct xrelay_net, gc);

	if (xrelay_sessions_expire(xn))
		xrelay_gc_schedule(xn);
}

/**
 * xrelay_gc_schedule() - make sure expiry runs while the namespace has sessions
 * @xn: namespace state
 *
 * Namespaces without sessions get no periodic wakeups.
 */
void xrelay_gc_schedule(struct xrelay_net *xn)
{
	queue_delayed_work(system_power_efficient_wq, &xn->gc, XRELAY_GC_INTERVAL);
}

static int __net_init xrelay_net_init(struct net *net)
{
	struct xrelay_net *xn = xrelay_net(net);
	int ret;

	xn->net = net;
	mutex_init(&xn->lock);
	xa_init_flags(&xn->sessions, XA_FLAGS_ALLOC1);
	xa_init_flags(&xn->instances, XA_FLAGS_ALLOC1);
	xa_init(&xn->networks);
	/* A sample for diagnosis; the counters are exact. */
	ratelimit_state_init(&xn->drop_events, HZ, 10);
	ratelimit_set_flags(&xn->drop_events, RATELIMIT_MSG_ON_RELEASE);
	/*
	 * Latches come one per side and peer, but a spray of one datagram per
	 * waiting port, or every peer coming back after an outage, would
	 * otherwise become a burst of atomic allocations in softirq and
	 * overflow the listeners' sockets. Sessions show their peers.
	 */
	ratelimit_state_init(&xn->learned_events, HZ, 100);
	ratelimit_set_flags(&xn->learned_events, RATELIMIT_MSG_ON_RELEASE);
	xn->session_limit = XRELAY_DEFAULT_SESSION_LIMIT;
	ret = xrelay_ports_init(xn);
	if (ret)
		return ret;
	INIT_DELAYED_WORK(&xn->gc, xrelay_gc_work);
	return 0;
}

/*
 * Unregistering a netfilter hook does not wait for packets inside it. The
 * namespace core runs an RCU grace period between every subsystem's
 * pre_exit and exit, so the hooks go here and the tables they read in exit.
 */
static void __net_exit xrelay_net_pre_exit(struct net *net)
{
	struct xrelay_net *xn = xrelay_net(net);

	cancel_delayed_work_sync(&xn->gc);
	mutex_lock(&xn->lock);
	xrelay_instances_destroy_all(xn);
	xrelay_networks_destroy_all(xn);
	mutex_unlock(&xn->lock);
}

static void __net_exit xrelay_net_exit(struct net *net)
{
	struct xrelay_net *xn = xrelay_net(net);

	xrelay_ports_uninit(xn);
	xa_destroy(&xn->sessions);
	xa_destroy(&xn->instances);
	xa_destroy(&xn->networks);
}

static struct pernet_operations xrelay_net_ops = {
	.init = xrelay_net_init,
	.pre_exit = xrelay_net_pre_exit,
	.exit = xrelay_net_exit,
	.id = &xrelay_net_id,
	.size = sizeof(struct xrelay_net),
};

int __init xrelay_netns_init(void)
{
	return register_pernet_subsys(&xrelay_net_ops);
}

void xrelay_netns_uninit(void)
{
	unregister_pernet_subsys(&xrelay_net_ops);
}
