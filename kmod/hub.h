/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_HUB_H
#define _XRELAY_HUB_H

#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>

struct xrelay_admission;
struct xrelay_net;
struct xrelay_network;
struct xrelay_policy;

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
 * @interfaces: the network's overlay interfaces, by name
 * @n_interfaces: entries of @interfaces
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
	bool locked;
	struct xrelay_hub_group *groups;
	u32 n_groups;
	struct xrelay_hub_rule *rules;
	u32 n_rules;
	u64 __percpu **hits;
	u32 n_hit_blocks;
};

/* Which network's hub each overlay interface of a namespace belongs to. */
struct xrelay_hub_index {
	u32 n;
	struct rcu_head rcu;
	struct {
		char name[IFNAMSIZ];
		struct xrelay_network *network;
	} entries[];
};

struct xrelay_hub *xrelay_hub_alloc(u32 n_interfaces, u32 n_groups, u32 n_rules);
void xrelay_hub_free(struct xrelay_hub *hub);
u64 xrelay_hub_hits(const struct xrelay_hub *hub, u32 rule);

struct xrelay_hub_index *xrelay_hub_index_build(struct xrelay_net *xn, u32 changed,
						struct xrelay_network *network,
						const struct xrelay_policy *policy,
						struct netlink_ext_ack *extack);
int xrelay_hub_index_prepare(struct xrelay_net *xn, const struct xrelay_hub_index *index);
void xrelay_hub_index_install(struct xrelay_net *xn, struct xrelay_hub_index *index);

#endif /* _XRELAY_HUB_H */
