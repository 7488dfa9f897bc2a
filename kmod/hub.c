// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hub ACLs. Where the relay is itself a member of an overlay (a WireGuard
 * interface forwarding between spokes, as a hub or a gateway does), a
 * network's rules decide which overlay hosts may reach which through it.
 * A netfilter hook at FORWARD sees every packet routed in from or out to
 * an overlay interface. Conntrack supplies the state: replies to a flow
 * whose first packet was allowed pass without rules. Everything else meets
 * the rules on every packet, first match deciding, so that a new ruleset
 * also governs flows that are already established.
 *
 * The hook and conntrack are on in a namespace only while some network
 * there has a hub.
 *
 * What a packet costs does not grow with the namespace's hubs: the hook
 * finds an interface's network in a hash table keyed by name, and a
 * change touches only the changed network's entries. The rules are
 * scanned in order, bounded by XRELAY_MAX_HUB_RULES.
 */

#include <linux/bsearch.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/mm.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/netdevice.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>

#include "admission.h"
#include "hub.h"
#include "netlink.h"
#include "netns.h"
#include "network.h"

/* The hub runs before the filter table: the operator's own rules come after. */
#define XRELAY_HUB_PRIORITY	(NF_IP_PRI_FILTER - 10)

static int xrelay_hub_alloc_hits(struct xrelay_hub *hub)
{
	u32 counters = hub->n_rules + 1, i, n;

	hub->n_hit_blocks = DIV_ROUND_UP(counters, XRELAY_HUB_HITS_BLOCK);
	hub->hits = kcalloc(hub->n_hit_blocks, sizeof(*hub->hits), GFP_KERNEL_ACCOUNT);
	if (!hub->hits)
		return -ENOMEM;
	for (i = 0; i < hub->n_hit_blocks; i++) {
		n = min_t(u32, counters - i * XRELAY_HUB_HITS_BLOCK, XRELAY_HUB_HITS_BLOCK);
		hub->hits[i] = __alloc_percpu_gfp(n * sizeof(u64), sizeof(u64),
						  GFP_KERNEL_ACCOUNT);
		if (!hub->hits[i])
			return -ENOMEM;
	}
	return 0;
}

struct xrelay_hub *xrelay_hub_alloc(u32 n_interfaces, u32 n_groups, u32 n_rules)
{
	struct xrelay_hub *hub = kzalloc(sizeof(*hub), GFP_KERNEL_ACCOUNT);

	if (!hub)
		return NULL;
	hub->n_interfaces = n_interfaces;
	hub->n_groups = n_groups;
	hub->n_rules = n_rules;
	hub->interfaces = kvcalloc(n_interfaces, sizeof(*hub->interfaces), GFP_KERNEL_ACCOUNT);
	hub->by_name = kvcalloc(n_interfaces, sizeof(*hub->by_name), GFP_KERNEL_ACCOUNT);
	hub->groups = kvcalloc(n_groups, sizeof(*hub->groups), GFP_KERNEL_ACCOUNT);
	hub->rules = kvcalloc(n_rules, sizeof(*hub->rules), GFP_KERNEL_ACCOUNT);
	if (!hub->interfaces || !hub->by_name || !hub->groups || !hub->rules ||
	    xrelay_hub_alloc_hits(hub)) {
		xrelay_hub_free(hub);
		return NULL;
	}
	return hub;
}

void xrelay_hub_free(struct xrelay_hub *hub)
{
	u32 i;

	if (!hub)
		return;
	for (i = 0; hub->groups && i < hub->n_groups; i++)
		xrelay_admission_free(hub->groups[i].members);
	kvfree(hub->interfaces);
	kvfree(hub->by_name);
	kvfree(hub->groups);
	kvfree(hub->rules);
	for (i = 0; hub->hits && i < hub->n_hit_blocks; i++)
		free_percpu(hub->hits[i]);
	kfree(hub->hits);
	kfree(hub);
}

/* @rule: a rule's index, or n_rules for the default. */
u64 xrelay_hub_hits(const struct xrelay_hub *hub, u32 rule)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(hub->hits[rule / XRELAY_HUB_HITS_BLOCK],
				   cpu)[rule % XRELAY_HUB_HITS_BLOCK];
	return sum;
}

static int xrelay_hub_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char **)a, *(const char **)b);
}

static int xrelay_hub_name_key_cmp(const void *key, const void *elt)
{
	return strcmp(key, *(const char **)elt);
}

/**
 * xrelay_hub_sort_interfaces() - sort a parsed hub's interfaces into @by_name
 * @hub: a hub whose @interfaces are all set
 *
 * Return: -1, or the index in @interfaces of a name listed twice.
 */
int xrelay_hub_sort_interfaces(struct xrelay_hub *hub)
{
	u32 i;

	for (i = 0; i < hub->n_interfaces; i++)
		hub->by_name[i] = hub->interfaces[i];
	sort(hub->by_name, hub->n_interfaces, sizeof(*hub->by_name), xrelay_hub_name_cmp, NULL);
	for (i = 1; i < hub->n_interfaces; i++)
		if (!strcmp(hub->by_name[i - 1], hub->by_name[i]))
			return (max(hub->by_name[i - 1], hub->by_name[i]) - hub->interfaces[0]) /
			       IFNAMSIZ;
	return -1;
}

/* Whether @hub (or NULL, no hub) lists the interface @name. */
static bool xrelay_hub_has_interface(const struct xrelay_hub *hub, const char *name)
{
	return hub && bsearch(name, hub->by_name, hub->n_interfaces, sizeof(*hub->by_name),
			      xrelay_hub_name_key_cmp);
}

struct xrelay_hub_packet {
	struct in6_addr saddr;
	struct in6_addr daddr;
	u8 protocol;
	bool has_ports;
	__be16 sport;
	__be16 dport;
};

static bool xrelay_hub_parse(struct sk_buff *skb, u8 pf, struct xrelay_hub_packet *p)
{
	unsigned int thoff;
	__be16 ports[2], *hdr;
	bool later_fragment;

	if (pf == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		ipv6_addr_set_v4mapped(iph->saddr, &p->saddr);
		ipv6_addr_set_v4mapped(iph->daddr, &p->daddr);
		p->protocol = iph->protocol;
		thoff = ip_hdrlen(skb);
		later_fragment = iph->frag_off & htons(IP_OFFSET);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);
		u8 nexthdr = ip6h->nexthdr;
		__be16 frag_off;
		int off;

		p->saddr = ip6h->saddr;
		p->daddr = ip6h->daddr;
		off = ipv6_skip_exthdr(skb, sizeof(*ip6h), &nexthdr, &frag_off);
		if (off < 0)
			return false;
		p->protocol = nexthdr;
		thoff = off;
		later_fragment = frag_off & htons(IP6_OFFSET);
	}
	p->has_ports = false;
	switch (p->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (later_fragment)
			break;
		hdr = skb_header_pointer(skb, thoff, sizeof(ports), ports);
		if (!hdr)
			return false;
		p->sport = hdr[0];
		p->dport = hdr[1];
		p->has_ports = true;
	}
	return true;
}

/* The index of the first rule @p matches, or n_rules if none does. */
static u32 xrelay_hub_match(const struct xrelay_hub *hub, const struct xrelay_hub_packet *p)
{
	u32 i;

	for (i = 0; i < hub->n_rules; i++) {
		const struct xrelay_hub_rule *r = &hub->rules[i];

		if (r->protocol && r->protocol != p->protocol)
			continue;
		if (r->port_min && (!p->has_ports || ntohs(p->dport) < r->port_min ||
				    ntohs(p->dport) > r->port_max))
			continue;
		if (r->from >= 0 && !xrelay_admission_admits(hub->groups[r->from].members, &p->saddr))
			continue;
		if (r->to >= 0 && !xrelay_admission_admits(hub->groups[r->to].members, &p->daddr))
			continue;
		break;
	}
	return i;
}

/* An overlay interface's entry in a namespace's index. */
struct xrelay_hub_entry {
	struct rhash_head node;
	char name[IFNAMSIZ];	/* the key: zero-padded, so compared whole */
	struct xrelay_network *network;
	struct rcu_head rcu;
};

static const struct rhashtable_params xrelay_hub_params = {
	.head_offset = offsetof(struct xrelay_hub_entry, node),
	.key_offset = offsetof(struct xrelay_hub_entry, name),
	.key_len = IFNAMSIZ,
	.automatic_shrinking = true,
};

/* @name as a key: a device renamed to a shorter name keeps bytes past its NUL. */
static void xrelay_hub_key(char key[IFNAMSIZ], const char *name)
{
	strscpy_pad(key, name, IFNAMSIZ);
}

/* Context: RCU read side (the hook), or holding xn->lock. */
static struct xrelay_hub_entry *xrelay_hub_lookup(struct xrelay_hub_index *index,
						  const char *name)
{
	char key[IFNAMSIZ];

	xrelay_hub_key(key, name);
	return rhashtable_lookup_fast(&index->names, key, xrelay_hub_params);
}

static struct xrelay_network *xrelay_hub_find(struct xrelay_hub_index *index,
					      const struct net_device *dev)
{
	struct xrelay_hub_entry *e;

	if (!dev)
		return NULL;
	e = xrelay_hub_lookup(index, dev->name);
	return e ? e->network : NULL;
}

static unsigned int xrelay_hub_hook(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct xrelay_net *xn = xrelay_net(state->net);
	struct xrelay_hub_index *index = rcu_dereference(xn->hub_index);
	struct xrelay_network *in, *out, *nw;
	const struct xrelay_hub *hub;
	enum ip_conntrack_info ctinfo;
	struct xrelay_hub_packet p;
	u32 rule;

	if (!index)
		return NF_ACCEPT;
	in = xrelay_hub_find(index, state->in);
	out = xrelay_hub_find(index, state->out);
	nw = in ?: out;
	if (!nw || !xrelay_hub_parse(skb, state->pf, &p))
		return NF_ACCEPT;
	if (in && out && in != out) {
		/* Between two networks' overlays: never, whatever the rules say. */
		rule = 0;
		goto drop;
	}
	if (nf_ct_get(skb, &ctinfo) && CTINFO2DIR(ctinfo) == IP_CT_DIR_REPLY)
		return NF_ACCEPT;
	/* Between swapping a policy and the index, a network may have lost its hub. */
	hub = rcu_dereference(nw->policy)->hub;
	if (!hub)
		return NF_ACCEPT;
	rule = xrelay_hub_match(hub, &p);
	this_cpu_inc(hub->hits[rule / XRELAY_HUB_HITS_BLOCK][rule % XRELAY_HUB_HITS_BLOCK]);
	if (rule < hub->n_rules ? hub->rules[rule].allow : !hub->locked)
		return NF_ACCEPT;
	rule = rule < hub->n_rules ? rule + 1 : 0;
drop:
	xrelay_pcpu_stats_drop(nw->stats, XRELAY_DROP_ACL);
	xrelay_nl_notify_hub_drop(xn, nw->id, &p.saddr, &p.daddr, p.protocol,
				  p.has_ports ? ntohs(p.sport) : 0,
				  p.has_ports ? ntohs(p.dport) : 0, rule);
	return NF_DROP;
}

static const struct nf_hook_ops xrelay_hub_ops[] = {
	{
		.hook = xrelay_hub_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_FORWARD,
		.priority = XRELAY_HUB_PRIORITY,
	},
	{
		.hook = xrelay_hub_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_FORWARD,
		.priority = XRELAY_HUB_PRIORITY,
	},
};

/* Turns the hook on for a namespace's first hub. */
static int xrelay_hub_index_create(struct xrelay_net *xn)
{
	struct xrelay_hub_index *index;
	int ret;

	index = kzalloc(sizeof(*index), GFP_KERNEL_ACCOUNT);
	if (!index)
		return -ENOMEM;
	ret = rhashtable_init(&index->names, &xrelay_hub_params);
	if (ret)
		goto err_index;
	ret = nf_ct_netns_get(xn->net, NFPROTO_INET);
	if (ret)
		goto err_table;
	ret = nf_register_net_hooks(xn->net, xrelay_hub_ops, ARRAY_SIZE(xrelay_hub_ops));
	if (ret)
		goto err_ct;
	xn->hub_hooks = true;
	rcu_assign_pointer(xn->hub_index, index);
	return 0;

err_ct:
	nf_ct_netns_put(xn->net, NFPROTO_INET);
err_table:
	rhashtable_destroy(&index->names);
err_index:
	kfree(index);
	return ret;
}

static void xrelay_hub_entry_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/**
 * xrelay_hub_index_destroy() - turn the hook off and drop the index
 * @xn: namespace state
 *
 * Once no network has a hub, or when the namespace goes away.
 *
 * Context: process context, holding xn->lock; waits for an RCU grace period.
 */
void xrelay_hub_index_destroy(struct xrelay_net *xn)
{
	struct xrelay_hub_index *index;

	index = rcu_replace_pointer(xn->hub_index, NULL, lockdep_is_held(&xn->lock));
	if (!index)
		return;
	nf_unregister_net_hooks(xn->net, xrelay_hub_ops, ARRAY_SIZE(xrelay_hub_ops));
	nf_ct_netns_put(xn->net, NFPROTO_INET);
	xn->hub_hooks = false;
	/* A packet in the hook may still be looking at the table. */
	synchronize_rcu();
	rhashtable_free_and_destroy(&index->names, xrelay_hub_entry_free, NULL);
	kfree(index);
}

static void xrelay_hub_index_remove(struct xrelay_hub_index *index, const char *name)
{
	struct xrelay_hub_entry *e = xrelay_hub_lookup(index, name);

	if (!e)
		return;
	rhashtable_remove_fast(&index->names, &e->node, xrelay_hub_params);
	index->n--;
	kfree_rcu(e, rcu);
}

/**
 * xrelay_hub_index_abort() - undo xrelay_hub_index_prepare()
 * @xn: namespace state
 * @network: the network it was for
 * @old: that network's hub before, or NULL
 * @new: the hub it was prepared for, or NULL
 *
 * The network must not be freed before an RCU grace period: a packet may
 * have found it through an entry removed here.
 *
 * Context: process context, holding xn->lock.
 */
void xrelay_hub_index_abort(struct xrelay_net *xn, struct xrelay_network *network,
			    const struct xrelay_hub *old, const struct xrelay_hub *new)
{
	struct xrelay_hub_index *index;
	struct xrelay_hub_entry *e;
	u32 i;

	index = rcu_dereference_protected(xn->hub_index, lockdep_is_held(&xn->lock));
	if (!index || !new)
		return;
	for (i = 0; i < new->n_interfaces; i++) {
		if (xrelay_hub_has_interface(old, new->interfaces[i]))
			continue;
		e = xrelay_hub_lookup(index, new->interfaces[i]);
		if (e && e->network == network)
			xrelay_hub_index_remove(index, new->interfaces[i]);
	}
	if (!index->n)
		xrelay_hub_index_destroy(xn);
}

/**
 * xrelay_hub_index_prepare() - add the interfaces a network's new hub has
 * @xn: namespace state
 * @network: the network being created or replaced
 * @old: its hub until now, or NULL
 * @new: its hub from now on, or NULL
 * @extack: where to say what is wrong
 *
 * Costs a hash lookup per interface of @new, whatever the namespace's
 * other hubs hold. The interfaces @new keeps stay as they are, so that a
 * packet on them never finds none; until xrelay_hub_index_commit(), those
 * only @old has still lead to @network, whose policy decides.
 *
 * Context: process context, holding xn->lock.
 * Return: 0, -EEXIST if another network's hub has one of the interfaces,
 * or another negative errno; nothing changes on error.
 */
int xrelay_hub_index_prepare(struct xrelay_net *xn, struct xrelay_network *network,
			     const struct xrelay_hub *old, const struct xrelay_hub *new,
			     struct netlink_ext_ack *extack)
{
	struct xrelay_hub_index *index;
	struct xrelay_hub_entry *e;
	int ret;
	u32 i;

	if (!new)
		return 0;
	index = rcu_dereference_protected(xn->hub_index, lockdep_is_held(&xn->lock));
	for (i = 0; index && i < new->n_interfaces; i++) {
		e = xrelay_hub_lookup(index, new->interfaces[i]);
		if (e && e->network != network) {
			NL_SET_ERR_MSG_MOD(extack, "interface belongs to another network's hub");
			return -EEXIST;
		}
	}
	if (!index) {
		ret = xrelay_hub_index_create(xn);
		if (ret)
			return ret;
		index = rcu_dereference_protected(xn->hub_index, lockdep_is_held(&xn->lock));
	}
	for (i = 0; i < new->n_interfaces; i++) {
		if (xrelay_hub_has_interface(old, new->interfaces[i]))
			continue;
		ret = -ENOMEM;
		e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
		if (!e)
			goto err;
		xrelay_hub_key(e->name, new->interfaces[i]);
		e->network = network;
		ret = rhashtable_insert_fast(&index->names, &e->node, xrelay_hub_params);
		if (ret) {
			kfree(e);
			goto err;
		}
		index->n++;
	}
	return 0;

err:
	xrelay_hub_index_abort(xn, network, old, new);
	return ret;
}

/**
 * xrelay_hub_index_commit() - drop the interfaces a network's hub no longer has
 * @xn: namespace state
 * @old: the network's hub until now, or NULL
 * @new: its hub from now on (already in force), or NULL
 *
 * Turns the hook off when no hub is left.
 *
 * Context: process context, holding xn->lock.
 */
void xrelay_hub_index_commit(struct xrelay_net *xn, const struct xrelay_hub *old,
			     const struct xrelay_hub *new)
{
	struct xrelay_hub_index *index;
	u32 i;

	index = rcu_dereference_protected(xn->hub_index, lockdep_is_held(&xn->lock));
	if (!index || !old)
		return;
	for (i = 0; i < old->n_interfaces; i++)
		if (!xrelay_hub_has_interface(new, old->interfaces[i]))
			xrelay_hub_index_remove(index, old->interfaces[i]);
	if (!index->n)
		xrelay_hub_index_destroy(xn);
}
