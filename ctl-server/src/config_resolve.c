// SPDX-License-Identifier: GPL-2.0-only
/*
 * Second phase of loading: with every file read, resolve names to objects
 * and check what needs more than one node to see: duplicates, dangling
 * references, ports outside pools, ports used twice.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

static void dup_err(struct diags *diags, struct mark m, const char *what,
		    const char *name, struct mark first)
{
	diag_add(diags, m, "duplicate %s '%s' (first defined at %s:%d:%d)", what, name,
		 first.file, first.line, first.col);
}

static void index_policies(struct config *cfg, struct diags *diags)
{
	size_t i, j, k;

	for (i = 0; i < cfg->n_policies; i++) {
		struct policy *p = &cfg->policies[i], *prev;
		struct hub *h = &p->hub;

		if (p->name && (prev = hm_put_str(&cfg->policy_by_name, p->name, p))) {
			dup_err(diags, p->mark, "policy", p->name, prev->mark);
			hm_put_str(&cfg->policy_by_name, p->name, prev);
		}
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
