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
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/mm.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/slab.h>
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
	hub->groups = kvcalloc(n_groups, sizeof(*hub->groups), GFP_KERNEL_ACCOUNT);
	hub->rules = kvcalloc(n_rules, sizeof(*hub->rules), GFP_KERNEL_ACCOUNT);
	if (!hub->interfaces || !hub->groups || !hub->rules || xrelay_hub_alloc_hits(hub)) {
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

static struct xrelay_network *xrelay_hub_find(const struct xrelay_hub_index *index,
					      const struct net_device *dev)
{
	u32 i;

	if (!dev)
		return NULL;
	for (i = 0; i < index->n; i++)
		if (!strncmp(index->entries[i].name, dev->name, IFNAMSIZ))
			return index->entries[i].network;
	return NULL;
}

static unsigned int xrelay_hub_hook(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct xrelay_net *xn = xrelay_net(state->net);
	const struct xrelay_hub_index *index = rcu_dereference(xn->hub_index);
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

static int xrelay_hub_index_add(struct xrelay_hub_index *index, struct xrelay_network *network,
				const struct xrelay_hub *hub, struct netlink_ext_ack *extack)
{
	u32 i, j;

	for (i = 0; hub && i < hub->n_interfaces; i++) {
		for (j = 0; j < index->n; j++) {
			if (!strncmp(index->entries[j].name, hub->interfaces[i], IFNAMSIZ)) {
				NL_SET_ERR_MSG_MOD(extack,
						   "interface belongs to another network's hub");
				return -EEXIST;
			}
		}
		strscpy(index->entries[index->n].name, hub->interfaces[i], IFNAMSIZ);
		index->entries[index->n++].network = network;
	}
	return 0;
}

/**
 * xrelay_hub_index_build() - index the namespace's hubs as they will be
 * @xn: namespace state
 * @changed: the network being created, replaced or deleted
 * @network: that network, or NULL if it is being deleted
 * @policy: its new policy, or NULL if it is being deleted
 * @extack: where to say what is wrong
 *
 * Context: process context, holding xn->lock.
 * Return: the index, NULL when no network will have a hub, or an ERR_PTR.
 */
struct xrelay_hub_index *xrelay_hub_index_build(struct xrelay_net *xn, u32 changed,
						struct xrelay_network *network,
						const struct xrelay_policy *policy,
						struct netlink_ext_ack *extack)
{
	struct xrelay_hub_index *index;
	const struct xrelay_policy *p;
	struct xrelay_network *nw;
	unsigned long id;
	u32 n = 0;
	int ret;

	xa_for_each(&xn->networks, id, nw) {
		p = rcu_dereference_protected(nw->policy, lockdep_is_held(&xn->lock));
		if (id != changed && p->hub)
			n += p->hub->n_interfaces;
	}
	if (policy && policy->hub)
		n += policy->hub->n_interfaces;
	if (!n)
		return NULL;
	index = kzalloc(struct_size(index, entries, n), GFP_KERNEL_ACCOUNT);
	if (!index)
		return ERR_PTR(-ENOMEM);
	ret = xrelay_hub_index_add(index, network, policy ? policy->hub : NULL, extack);
	xa_for_each(&xn->networks, id, nw) {
		if (ret)
			break;
		p = rcu_dereference_protected(nw->policy, lockdep_is_held(&xn->lock));
		if (id != changed)
			ret = xrelay_hub_index_add(index, nw, p->hub, extack);
	}
	if (ret) {
		kfree(index);
		return ERR_PTR(ret);
	}
	return index;
}

/**
 * xrelay_hub_index_prepare() - make sure the hook runs if @index needs it
 * @xn: namespace state
 * @index: the index about to be installed
 *
 * Context: process context, holding xn->lock.
 * Return: 0 or a negative errno, with nothing changed.
 */
int xrelay_hub_index_prepare(struct xrelay_net *xn, const struct xrelay_hub_index *index)
{
	int ret;

	if (!index || xn->hub_hooks)
		return 0;
	ret = nf_ct_netns_get(xn->net, NFPROTO_INET);
	if (ret)
		return ret;
	ret = nf_register_net_hooks(xn->net, xrelay_hub_ops, ARRAY_SIZE(xrelay_hub_ops));
	if (ret) {
		nf_ct_netns_put(xn->net, NFPROTO_INET);
		return ret;
	}
	xn->hub_hooks = true;
	return 0;
}

/**
 * xrelay_hub_index_install() - swap in a namespace's new hub index
 * @xn: namespace state
 * @index: the index from xrelay_hub_index_build(), or the current one to
 *	turn the hook off if nothing needs it after a failed change
 *
 * Context: process context, holding xn->lock.
 */
void xrelay_hub_index_install(struct xrelay_net *xn, struct xrelay_hub_index *index)
{
	struct xrelay_hub_index *old;

	old = rcu_replace_pointer(xn->hub_index, index, lockdep_is_held(&xn->lock));
	if (old && old != index)
		kfree_rcu(old, rcu);
	if (!index && xn->hub_hooks) {
		nf_unregister_net_hooks(xn->net, xrelay_hub_ops, ARRAY_SIZE(xrelay_hub_ops));
		nf_ct_netns_put(xn->net, NFPROTO_INET);
		xn->hub_hooks = false;
	}
}
