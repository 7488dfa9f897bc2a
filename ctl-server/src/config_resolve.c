// SPDX-License-Identifier: GPL-2.0-only
/*
 * Second phase of loading: with every file read, resolve names to objects
 * and check what needs more than one node to see: duplicates, dangling
 * references, ports outside pools, ports used twice, policies too large
 * for the kernel to read back.
 */
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/xrelay.h>

#include "config.h"
#include "log.h"

/*
 * The kernel refuses a network whose policy it could not read back in one
 * message, and a session that could outgrow one message of a dump; the
 * bounds and the sizes below are its own (kmod/netlink.h, netlink.c and
 * netlink-policy.c), so that check refuses what the agent would meet.
 * Lists count as written: the agent merges duplicates, and the kernel
 * writes an IPv4-mapped prefix as IPv4, so it never counts more.
 */
#define NL_MAX_NETWORK_MSG	(4 * 1024 * 1024 - 4096)	/* XRELAY_NL_MAX_NETWORK_MSG */
#define NL_MAX_DUMP_MSG		8192			/* XRELAY_NL_MAX_DUMP_MSG */
#define NL_CHUNK		(32 * 1024)		/* XRELAY_NL_CHUNK */
#define NL_HUB_GROUP_NAME	64	/* struct xrelay_hub_group's name, with its NUL */

static size_t nla_total(size_t payload)
{
	return NLA_ALIGN(NLA_HDRLEN + payload);
}

/*
 * nla_total_size_64bit() with the pad attribute that architectures without
 * efficient unaligned access add: a bound that holds on any relay.
 */
static size_t nla_total_u64(void)
{
	return nla_total(sizeof(uint64_t)) + nla_total(0);
}

/* xrelay_nl_msg_size() */
static size_t nl_msg_size(size_t payload)
{
	return NLMSG_ALIGN(NLMSG_HDRLEN + NLMSG_ALIGN(GENL_HDRLEN + payload));
}

/* xrelay_nl_prefix_size(), over a list */
static size_t nl_prefixes_size(const struct prefix *v, size_t n)
{
	size_t size = 0, i;

	for (i = 0; i < n; i++)
		size += nla_total(0) + nla_total(v[i].family == AF_INET ? 4 : 16) + nla_total(1);
	return size;
}

/* xrelay_nl_chunks_size(): the nests long lists are split into */
static size_t nl_chunks_size(size_t size)
{
	if (!size)
		return 0;
	return size + (size / (NL_CHUNK - NLA_HDRLEN) + 1) * nla_total(0);
}

/* xrelay_nl_admission_size(): allow and deny, in one run of chunks */
static size_t nl_admission_size(const struct policy *p)
{
	return nl_chunks_size(nl_prefixes_size(p->allow, p->n_allow) +
			      nl_prefixes_size(p->deny, p->n_deny));
}

/* xrelay_nl_rate_size() */
static size_t nl_rate_size(void)
{
	return nla_total(0) + 4 * nla_total_u64();
}

/* xrelay_nl_stats_size(): every attribute of the stats set but its pad is a u64 */
static size_t nl_stats_size(void)
{
	return nla_total(0) + (XRELAY_A_STATS_PAD - 1) * nla_total_u64();
}

/*
 * xrelay_nl_hub_size(): the kernel counts every rule at its largest, both
 * ends named, a protocol and ports, so no rule's own content matters.
 */
static size_t nl_hub_size(const struct hub *h)
{
	size_t size, i;

	if (!h->present)
		return 0;
	size = nla_total(sizeof(uint8_t)) + nla_total_u64() +
	       h->n_interfaces * nla_total(IFNAMSIZ);
	for (i = 0; i < h->n_groups; i++) {
		const struct acl_group *g = &h->groups[i];

		size += nla_total(0) + nla_total((g->name ? strlen(g->name) : 0) + 1) +
			nl_prefixes_size(g->members, g->n_members);
	}
	size += h->n_rules * (nla_total(0) + 2 * nla_total(sizeof(uint8_t)) +
			      2 * nla_total(NL_HUB_GROUP_NAME) + 2 * nla_total(sizeof(uint16_t)) +
			      nla_total_u64());
	return nl_chunks_size(size);
}

/* xrelay_nl_network_size(policy, true): what network-get answers */
static size_t nl_network_size(const struct policy *p)
{
	return 3 * nla_total(sizeof(uint32_t)) + 2 * nl_rate_size() + nla_total_u64() +
	       nla_total(sizeof(uint8_t)) + nl_stats_size() + nl_admission_size(p) +
	       nl_hub_size(&p->hub);
}

/*
 * xrelay_nl_session_size() of a session with a policy of its own, whose
 * admission lists the agent puts on both sides (xrelay_nl_side_size(),
 * xrelay_nl_session_policy_size()).
 */
static size_t nl_session_size(const struct policy *p)
{
	size_t side = nla_total(0) + nla_total(sizeof(uint16_t)) + nl_stats_size() +
		      nla_total(sizeof(uint8_t)) + nla_total(sizeof(uint32_t)) + nla_total_u64() +
		      2 * (nla_total(16) + nla_total(sizeof(uint16_t))) + nl_admission_size(p);

	return 5 * nla_total(sizeof(uint32_t)) + nla_total_u64() + nl_rate_size() +
	       nla_total_u64() + nla_total(sizeof(uint8_t)) + 2 * side;
}

static void dup_err(struct diags *diags, struct mark m, const char *what,
		    const char *name, struct mark first)
{
	diag_add(diags, m, "duplicate %s '%s' (first defined at %s:%d:%d)", what, name,
		 first.file, first.line, first.col);
}

static void index_policies(struct config *cfg, struct diags *diags)
{
	size_t i, j, k, size;

	for (i = 0; i < cfg->n_policies; i++) {
		struct policy *p = &cfg->policies[i], *prev;
		struct hub *h = &p->hub;

		if (p->name && (prev = hm_put_str(&cfg->policy_by_name, p->name, p))) {
			dup_err(diags, p->mark, "policy", p->name, prev->mark);
			hm_put_str(&cfg->policy_by_name, p->name, prev);
		}
		size = nl_msg_size(nl_network_size(p));
		if (size > NL_MAX_NETWORK_MSG)
			diag_add(diags, p->mark, "network policy '%s' is too large for the kernel to read back: its reply would be %zu bytes, past 4 MiB less 4 KiB (fewer admission prefixes or hub entries)",
				 p->name ? p->name : "?", size);
		for (j = 0; j < h->n_groups; j++)
			for (k = 0; k < j; k++)
				if (h->groups[j].name && h->groups[k].name &&
				    !strcmp(h->groups[j].name, h->groups[k].name))
					dup_err(diags, h->groups[j].mark, "hub group",
						h->groups[j].name, h->groups[k].mark);
		for (j = 0; j < h->n_rules; j++) {
			struct acl_rule *r = &h->rules[j];
			struct acl_match *m[2] = { &r->from, &r->to };
			struct mark *mk[2] = { &r->from_mark, &r->to_mark };
			int s;

			for (s = 0; s < 2; s++) {
				if (!m[s]->group)
					continue;
				for (k = 0; k < h->n_groups; k++)
					if (h->groups[k].name && !strcmp(h->groups[k].name, m[s]->group))
						break;
				if (k == h->n_groups)
					diag_add(diags, *mk[s], "unknown hub group '%s' in policy '%s'",
						 m[s]->group, p->name ? p->name : "?");
			}
		}
	}
}

static struct policy *find_policy(struct config *cfg, struct diags *diags,
				  const char *name, struct mark m)
{
	struct policy *p;

	if (!name)
		return NULL;
	p = hm_get_str(&cfg->policy_by_name, name);
	if (!p)
		diag_add(diags, m, "unknown policy '%s'", name);
	return p;
}

static struct network *find_network(struct config *cfg, struct diags *diags,
				    const char *name, struct mark m)
{
	struct network *n;

	if (!name)
		return NULL;
	n = hm_get_str(&cfg->network_by_name, name);
	if (!n)
		diag_add(diags, m, "unknown network '%s'", name);
	return n;
}

static void index_networks(struct config *cfg, struct diags *diags)
{
	size_t i;

	for (i = 0; i < cfg->n_networks; i++) {
		struct network *n = &cfg->networks[i], *prev;

		if (n->name && (prev = hm_put_str(&cfg->network_by_name, n->name, n))) {
			dup_err(diags, n->mark, "network", n->name, prev->mark);
			hm_put_str(&cfg->network_by_name, n->name, prev);
		}
		if (n->id && (prev = hm_put_u64(&cfg->network_by_id, n->id, n))) {
			diag_add(diags, n->mark, "duplicate network id %u (also used by network '%s' at %s:%d:%d)",
				 n->id, prev->name ? prev->name : "?", prev->mark.file,
				 prev->mark.line, prev->mark.col);
			hm_put_u64(&cfg->network_by_id, n->id, prev);
		}
		n->policy = find_policy(cfg, diags, n->policy_name, n->policy_mark);
	}
}

/* Identities are unique across relays and clients: one certificate, one principal. */
static void add_identity(struct config *cfg, struct diags *diags, const char *identity,
			 struct mark m, struct principal *pr)
{
	struct principal *prev = hm_put_str(&cfg->principal_by_identity, identity, pr);
	struct mark pm;

	if (!prev)
		return;
	pm = prev->relay ? (prev->relay->identity_mark.file ? prev->relay->identity_mark :
			    prev->relay->mark) :
			   (prev->client->identity_mark.file ? prev->client->identity_mark :
			    prev->client->mark);
	dup_err(diags, m, "certificate identity", identity, pm);
	hm_put_str(&cfg->principal_by_identity, identity, prev);
}

static void index_relays(struct config *cfg, struct diags *diags)
{
	size_t i, j, k;

	for (i = 0; i < cfg->n_relays; i++) {
		struct relay *r = &cfg->relays[i], *prev;
		uint64_t ports = 0;

		r->index = i;
		if (!r->name)
			continue;
		if ((prev = hm_put_str(&cfg->relay_by_name, r->name, r))) {
			dup_err(diags, r->mark, "relay", r->name, prev->mark);
			hm_put_str(&cfg->relay_by_name, r->name, prev);
		}
		if (!r->identity)
			r->identity = r->name;
		cfg->principals[i].relay = r;
		add_identity(cfg, diags, r->identity,
			     r->identity_mark.file ? r->identity_mark : r->mark, &cfg->principals[i]);
		for (j = 0; j < r->n_pools; j++) {
			struct pool *p = &r->pools[j];

			p->network = find_network(cfg, diags, p->network_name, p->network_mark);
			if (!p->port_min)
				continue;
			ports += p->port_max - p->port_min + 1;
			for (k = 0; k < j; k++) {
				struct pool *q = &r->pools[k];

				if (q->port_min && p->port_min <= q->port_max &&
				    q->port_min <= p->port_max)
					diag_add(diags, p->mark,
						 "pool %u-%u overlaps pool %u-%u of relay '%s'",
						 p->port_min, p->port_max, q->port_min,
						 q->port_max, r->name);
			}
		}
		if (!r->capacity)
			r->capacity = ports / 2 ? ports / 2 : 1;
	}
}

const struct pool *relay_pool_for(const struct relay *r, uint16_t port)
{
	size_t i;

	for (i = 0; i < r->n_pools; i++)
		if (r->pools[i].port_min && port >= r->pools[i].port_min &&
		    port <= r->pools[i].port_max)
			return &r->pools[i];
	return NULL;
}

bool pool_serves(const struct pool *p, const struct network *net)
{
	return !p->network || p->network == net;
}

static void check_side_family(struct diags *diags, const struct session *s,
			      const struct side *side, const char *which)
{
	const struct prefix *addr = &s->relay->addrs[s->addr_index];
	char a[NETADDR_STRLEN];

	if (side->pinned && side->peer.addr.family != addr->family) {
		addr_format(addr, a);
		diag_add(diags, side->peer_mark,
			 "side %s's peer is %s but the session's relay address %s is not",
			 which, side->peer.addr.family == AF_INET ? "IPv4" : "IPv6", a);
	}
	if (side->has_allow && side->allow.family != addr->family) {
		addr_format(addr, a);
		diag_add(diags, side->allow_mark,
			 "side %s's 'allow' is %s but the session's relay address %s is not",
			 which, side->allow.family == AF_INET ? "IPv4" : "IPv6", a);
	}
}

static void claim_port(struct config *cfg, struct diags *diags, struct session *s,
		       const struct side *side)
{
	uint64_t key = (uint64_t)s->relay->index << 16 | side->port;
	struct session *prev = hm_put_u64(&cfg->static_ports, key, s);

	if (!prev || prev == s)
		return;
	diag_add(diags, side->port_mark, "port %u of relay '%s' is already used by session '%s' (%s:%d:%d)",
		 side->port, s->relay->name, prev->name ? prev->name : "?",
		 prev->mark.file, prev->mark.line, prev->mark.col);
	hm_put_u64(&cfg->static_ports, key, prev);
}

static void place_session(struct config *cfg, struct diags *diags, struct session *s)
{
	struct relay *r = s->relay;
	const struct pool *pa, *pb;
	size_t i;

	if (s->has_addr) {
		for (i = 0; i < r->n_addrs; i++)
			if (prefix_equal(&r->addrs[i], &s->addr_wanted))
				break;
		if (i == r->n_addrs) {
			char a[NETADDR_STRLEN];

			addr_format(&s->addr_wanted, a);
			diag_add(diags, s->addr_mark, "address %s is not an address of relay '%s'",
				 a, r->name);
			return;
		}
		s->addr_index = i;
	}
	if (!r->n_addrs || !s->a.port || !s->b.port)
		return;
	check_side_family(diags, s, &s->a, "a");
	check_side_family(diags, s, &s->b, "b");
	if (s->a.port == s->b.port) {
		diag_add(diags, s->b.port_mark, "sides a and b both use port %u", s->a.port);
		return;
	}
	pa = relay_pool_for(r, s->a.port);
	pb = relay_pool_for(r, s->b.port);
	if (!pa || !pb) {
		const struct side *out = pa ? &s->b : &s->a;

		diag_add(diags, out->port_mark, "port %u is outside every pool of relay '%s'",
			 out->port, r->name);
		return;
	}
	if (pa != pb) {
		diag_add(diags, s->b.port_mark,
			 "ports %u and %u are in different pools of relay '%s'",
			 s->a.port, s->b.port, r->name);
		return;
	}
	if (s->network && !pool_serves(pa, s->network)) {
		diag_add(diags, s->a.port_mark,
			 "pool %u-%u of relay '%s' belongs to network '%s', not '%s'",
			 pa->port_min, pa->port_max, r->name, pa->network_name,
			 s->network->name);
		return;
	}
	s->pool_index = pa - r->pools;
	claim_port(cfg, diags, s, &s->a);
	claim_port(cfg, diags, s, &s->b);
	r->n_static++;
}

/* A session's own policy puts its admission lists on both of its sides. */
static void check_session_policy(struct diags *diags, const struct session *s)
{
	const struct policy *p = s->policy;
	size_t n = p->n_allow > p->n_deny ? p->n_allow : p->n_deny, size;

	if (n > XRELAY_MAX_SIDE_PREFIXES) {
		diag_add(diags, s->policy_mark, "policy '%s' cannot be a session's: its admission '%s' has %zu prefixes, a session side takes at most %d",
			 p->name, n == p->n_allow ? "allow" : "deny", n, XRELAY_MAX_SIDE_PREFIXES);
		return;
	}
	size = nl_msg_size(nl_session_size(p));
	if (size > NL_MAX_DUMP_MSG)
		diag_add(diags, s->policy_mark, "session '%s' is too large for the kernel to read back: its reply would be %zu bytes, past 8 KiB (fewer admission prefixes in policy '%s')",
			 s->name ? s->name : "?", size, p->name);
}

static void index_sessions(struct config *cfg, struct diags *diags)
{
	size_t i;

	for (i = 0; i < cfg->n_sessions; i++) {
		struct session *s = &cfg->sessions[i], *prev;

		if (s->name && (prev = hm_put_str(&cfg->session_by_name, s->name, s))) {
			dup_err(diags, s->mark, "session", s->name, prev->mark);
			hm_put_str(&cfg->session_by_name, s->name, prev);
		}
		s->network = find_network(cfg, diags, s->network_name, s->network_mark);
		s->policy = find_policy(cfg, diags, s->policy_name, s->policy_mark);
		if (s->policy)
			check_session_policy(diags, s);
		if (s->relay_name) {
			s->relay = hm_get_str(&cfg->relay_by_name, s->relay_name);
			if (!s->relay)
				diag_add(diags, s->relay_mark, "unknown relay '%s'", s->relay_name);
		}
		if (s->relay)
			place_session(cfg, diags, s);
	}
	for (i = 0; i < cfg->n_relays; i++) {
		struct relay *r = &cfg->relays[i];

		if (r->n_static > r->capacity)
			diag_add(diags, r->mark, "relay '%s' holds %u static sessions, more than its capacity %u",
				 r->name, r->n_static, r->capacity);
	}
}

static void index_clients(struct config *cfg, struct diags *diags)
{
	size_t i, j;

	for (i = 0; i < cfg->n_clients; i++) {
		struct client *c = &cfg->clients[i];
		struct principal *pr = &cfg->principals[cfg->n_relays + i];

		if (!c->name)
			continue;
		for (j = 0; j < i; j++)
			if (cfg->clients[j].name && !strcmp(cfg->clients[j].name, c->name))
				dup_err(diags, c->mark, "client", c->name, cfg->clients[j].mark);
		if (!c->identity)
			c->identity = c->name;
		pr->client = c;
		add_identity(cfg, diags, c->identity,
			     c->identity_mark.file ? c->identity_mark : c->mark, pr);
		for (j = 0; j < c->n_networks; j++)
			c->networks[j] = find_network(cfg, diags, c->network_names[j],
						      c->network_marks[j]);
	}
}

bool config_resolve(struct config *cfg, struct diags *diags)
{
	size_t before = diags->n;

	cfg->principals = xcalloc(cfg->n_relays + cfg->n_clients, sizeof(*cfg->principals));
	index_policies(cfg, diags);
	index_networks(cfg, diags);
	index_relays(cfg, diags);
	index_sessions(cfg, diags);
	index_clients(cfg, diags);
	return diags->n == before;
}

const struct principal *config_principal(const struct config *cfg, const char *identity)
{
	return hm_get_str(&cfg->principal_by_identity, identity);
}

struct network *config_network(const struct config *cfg, const char *name)
{
	return hm_get_str(&cfg->network_by_name, name);
}

struct relay *config_relay(const struct config *cfg, const char *name)
{
	return hm_get_str(&cfg->relay_by_name, name);
}
