/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_HUB_H
#define _XRELAY_HUB_H

#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/percpu.h>
#include <linux/rhashtable-types.h>

struct xrelay_admission;
struct xrelay_net;
struct xrelay_network;

#define XRELAY_HUB_HITS_BLOCK	(PCPU_MIN_UNIT_SIZE / sizeof(u64))

/* A group of hosts: named in the ruleset, or a rule's own prefix. */
struct xrelay_hub_group {
	char name[64];
	struct xrelay_admission *members;
};

/**
 * struct xrelay_hub_rule - one rule of a hub's ruleset
 * @from: index of the source group, or -1 for any source
 * @to: index of the destination group, or -1 for any destination
 * @allow: the verdict when the rule matches
 * @protocol: IP protocol to match, 0 for any
 * @port_min: first destination port to match (TCP, UDP, SCTP), 0 for any
 * @port_max: last destination port to match
 */
struct xrelay_hub_rule {
	s32 from;
	s32 to;
	bool allow;
	u8 protocol;
	u16 port_min;
	u16 port_max;
};

/**
 * struct xrelay_hub - the rules of a network whose overlay the relay is a member of
 * @interfaces: the network's overlay interfaces, by name, as configured
 * @n_interfaces: entries of @interfaces
 * @by_name: @interfaces sorted by name, for finding duplicates and for
 *	telling which interfaces a replacement keeps
 * @locked: what happens to traffic no rule matches: dropped, or passed
 * @groups: named groups, then the rules' own prefixes as unnamed groups
 * @n_groups: entries of @groups
 * @rules: the rules, first match decides
 * @n_rules: entries of @rules
 * @hits: per CPU, packets each rule decided, the default's after the last
 *	rule's; in blocks of XRELAY_HUB_HITS_BLOCK, the most one per-CPU
 *	allocation may hold
 * @n_hit_blocks: entries of @hits
 *
 * Part of a network's immutable policy: replaced with it, as a whole.
 */
struct xrelay_hub {
	char (*interfaces)[IFNAMSIZ];
	u32 n_interfaces;
	const char **by_name;
	bool locked;
	struct xrelay_hub_group *groups;
	u32 n_groups;
	struct xrelay_hub_rule *rules;
	u32 n_rules;
	u64 __percpu **hits;
	u32 n_hit_blocks;
};

/**
 * struct xrelay_hub_index - which network's hub each overlay interface of a
 *	namespace belongs to
 * @names: entries keyed by the interface's name; read under RCU by the hook
 * @n: entries in @names (under xn->lock)
 *
 * Exists, and the hook runs, while some network of the namespace has a hub.
 */
struct xrelay_hub_index {
	struct rhashtable names;
	u32 n;
};

struct xrelay_hub *xrelay_hub_alloc(u32 n_interfaces, u32 n_groups, u32 n_rules);
void xrelay_hub_free(struct xrelay_hub *hub);
u64 xrelay_hub_hits(const struct xrelay_hub *hub, u32 rule);

int xrelay_hub_sort_interfaces(struct xrelay_hub *hub);

int xrelay_hub_index_prepare(struct xrelay_net *xn, struct xrelay_network *network,
			     const struct xrelay_hub *old, const struct xrelay_hub *new,
			     struct netlink_ext_ack *extack);
void xrelay_hub_index_commit(struct xrelay_net *xn, const struct xrelay_hub *old,
			     const struct xrelay_hub *new);
void xrelay_hub_index_abort(struct xrelay_net *xn, struct xrelay_network *network,
			    const struct xrelay_hub *old, const struct xrelay_hub *new);
void xrelay_hub_index_destroy(struct xrelay_net *xn);

#endif /* _XRELAY_HUB_H */
