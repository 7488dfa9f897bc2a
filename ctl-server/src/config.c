// SPDX-License-Identifier: GPL-2.0-only
/*
 * First phase of loading: turn each YAML document into model objects,
 * checking everything that a single node can tell. References between
 * objects are resolved in config_resolve.c once every file is read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/xrelay.h>

#include "config.h"
#include "log.h"
#include "yamldoc.h"

/* A config file larger than this is a mistake, not a configuration. */
#define CONFIG_FILE_MAX (256u << 20)

static void *vec_push(void *vp, size_t *n, size_t *cap, size_t size)
{
	void **v = vp;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * size);
	}
	return memset((char *)*v + (*n)++ * size, 0, size);
}

#define PUSH(cfg, what) \
	((typeof((cfg)->what))vec_push(&(cfg)->what, &(cfg)->n_##what, \
				       &(cfg)->cap_##what, sizeof(*(cfg)->what)))

static void *arena_array(struct ydoc *d, size_t n, size_t size)
{
	return arena_zalloc(d->arena, n * size);
}

static const char *const network_keys[] = {
	"name", "id", "subnet", "policy", "description", NULL
};

static void parse_network(struct config *cfg, struct ydoc *d, struct ynode *n)
{
	struct network *net;
	struct ynode *v;

	if (!ymap_check(d, n, "network", network_keys) && n->type != YAML_MAPPING_NODE)
		return;
	net = PUSH(cfg, networks);
	net->mark = ymark(d, n);
	if ((v = ymap_need(d, n, "name", "network")))
		yget_name(d, v, "name", &net->name);
	if ((v = ymap_need(d, n, "id", "network")))
		yget_u32(d, v, "id", 1, UINT32_MAX, &net->id);
	if ((v = ymap_need(d, n, "subnet", "network")))
		yget_prefix(d, v, "subnet", &net->subnet);
	if ((v = ymap_get(d, n, "policy"))) {
		net->policy_mark = ymark(d, v);
		yget_name(d, v, "policy", &net->policy_name);
	}
	if ((v = ymap_get(d, n, "description")))
		yget_str(d, v, "description", &(const char *){ NULL });
}

static const char *const pool_keys[] = { "ports", "network", NULL };

static void parse_pool(struct ydoc *d, struct ynode *n, struct pool *p)
{
	uint32_t lo, hi;
	struct ynode *v;

	p->mark = ymark(d, n);
	if (!ymap_check(d, n, "pool", pool_keys) && n->type != YAML_MAPPING_NODE)
		return;
	if ((v = ymap_need(d, n, "ports", "pool")) &&
	    yget_range(d, v, "ports", 1, 65535, &lo, &hi)) {
		if (lo == hi) {
			yerr(d, v, "a pool needs at least two ports");
		} else {
			p->port_min = lo;
			p->port_max = hi;
		}
	}
	if ((v = ymap_get(d, n, "network"))) {
		p->network_mark = ymark(d, v);
		yget_name(d, v, "network", &p->network_name);
	}
}

static const char *const relay_keys[] = {
	"name", "identity", "region", "addresses", "pools", "capacity",
	"allocate", "description", NULL
};

static void parse_relay(struct config *cfg, struct ydoc *d, struct ynode *n)
{
	struct relay *r;
	struct ynode *v;
	size_t i, j;

	if (!ymap_check(d, n, "relay", relay_keys) && n->type != YAML_MAPPING_NODE)
		return;
	r = PUSH(cfg, relays);
	r->mark = ymark(d, n);
	r->allocate = true;
	if ((v = ymap_need(d, n, "name", "relay")))
		yget_name(d, v, "name", &r->name);
	if ((v = ymap_get(d, n, "identity"))) {
		r->identity_mark = ymark(d, v);
		yget_str(d, v, "identity", &r->identity);
	}
	if ((v = ymap_get(d, n, "region")))
		yget_name(d, v, "region", &r->region);
	if ((v = ymap_need(d, n, "addresses", "relay")) && yseq_check(d, v, "addresses")) {
		r->n_addrs = yseq_len(v);
		if (!r->n_addrs)
			yerr(d, v, "a relay needs at least one address");
		r->addrs = arena_array(d, r->n_addrs, sizeof(*r->addrs));
		for (i = 0; i < r->n_addrs; i++) {
			struct ynode *a = yseq_item(d, v, i);

			if (!yget_addr(d, a, "addresses", &r->addrs[i]))
				continue;
			if (!addr_is_unicast(&r->addrs[i])) {
				yerr(d, a, "relay address '%s' is not a unicast address",
				     a->value);
				continue;
			}
			for (j = 0; j < i; j++)
				if (prefix_equal(&r->addrs[i], &r->addrs[j]))
					yerr(d, a, "address '%s' is listed twice",
					     a->value);
		}
	}
	if ((v = ymap_need(d, n, "pools", "relay")) && yseq_check(d, v, "pools")) {
		r->n_pools = yseq_len(v);
		if (!r->n_pools)
			yerr(d, v, "a relay needs at least one pool");
		r->pools = arena_array(d, r->n_pools, sizeof(*r->pools));
		for (i = 0; i < r->n_pools; i++)
			parse_pool(d, yseq_item(d, v, i), &r->pools[i]);
	}
	if ((v = ymap_get(d, n, "capacity")))
		yget_u32(d, v, "capacity", 1, UINT32_MAX, &r->capacity);
	if ((v = ymap_get(d, n, "allocate")))
		yget_bool(d, v, "allocate", &r->allocate);
	if ((v = ymap_get(d, n, "description")))
		yget_str(d, v, "description", &(const char *){ NULL });
}

static const char *const side_keys[] = { "port", "peer", "allow", "relearn-timeout", NULL };

static void parse_side(struct ydoc *d, struct ynode *n, const char *what, struct side *s)
{
	struct ynode *v, *allow, *relearn;
	uint32_t port;

	s->mark = ymark(d, n);
	s->relearn_timeout = DEFAULT_RELEARN_TIMEOUT;
	if (!ymap_check(d, n, what, side_keys) && n->type != YAML_MAPPING_NODE)
		return;
	if ((v = ymap_need(d, n, "port", what))) {
		s->port_mark = ymark(d, v);
		if (yget_u32(d, v, "port", 1, 65535, &port))
			s->port = port;
	}
	allow = ymap_get(d, n, "allow");
	relearn = ymap_get(d, n, "relearn-timeout");
	if ((v = ymap_get(d, n, "peer"))) {
		s->peer_mark = ymark(d, v);
		if (yget_endpoint(d, v, "peer", &s->peer)) {
			s->pinned = true;
			if (!addr_is_unicast(&s->peer.addr))
				yerr(d, v, "peer '%s' is not a unicast address",
				     v->value);
		}
		if (allow)
			yerr(d, allow, "'allow' applies to learned sides only; this side has a 'peer'");
		if (relearn)
			yerr(d, relearn, "'relearn-timeout' applies to learned sides only; this side has a 'peer'");
		return;
	}
	if (allow) {
		s->allow_mark = ymark(d, allow);
		s->has_allow = yget_prefix(d, allow, "allow", &s->allow);
	}
	if (relearn)
		yget_seconds(d, relearn, "relearn-timeout", 1, MAX_TIMEOUT, &s->relearn_timeout);
}

static const char *const session_keys[] = {
	"name", "network", "relay", "address", "idle-timeout", "lifetime",
	"policy", "a", "b", "description", NULL
};

static void parse_session(struct config *cfg, struct ydoc *d, struct ynode *n)
{
	struct session *s;
	struct ynode *v;

	if (!ymap_check(d, n, "session", session_keys) && n->type != YAML_MAPPING_NODE)
		return;
	s = PUSH(cfg, sessions);
	s->mark = ymark(d, n);
	s->idle_timeout = DEFAULT_IDLE_TIMEOUT;
	if ((v = ymap_need(d, n, "name", "session")))
		yget_name(d, v, "name", &s->name);
	if ((v = ymap_need(d, n, "network", "session"))) {
		s->network_mark = ymark(d, v);
		yget_name(d, v, "network", &s->network_name);
	}
	if ((v = ymap_need(d, n, "relay", "session"))) {
		s->relay_mark = ymark(d, v);
		yget_name(d, v, "relay", &s->relay_name);
	}
	if ((v = ymap_get(d, n, "address"))) {
		s->addr_mark = ymark(d, v);
		s->has_addr = yget_addr(d, v, "address", &s->addr_wanted);
	}
	if ((v = ymap_get(d, n, "idle-timeout")))
		yget_seconds(d, v, "idle-timeout", 1, MAX_TIMEOUT, &s->idle_timeout);
	if ((v = ymap_get(d, n, "lifetime")))
		yget_seconds(d, v, "lifetime", 1, MAX_TIMEOUT, &s->lifetime);
	if ((v = ymap_get(d, n, "policy"))) {
		s->policy_mark = ymark(d, v);
		yget_name(d, v, "policy", &s->policy_name);
	}
	if ((v = ymap_need(d, n, "a", "session")))
		parse_side(d, v, "side a", &s->a);
	if ((v = ymap_need(d, n, "b", "session")))
		parse_side(d, v, "side b", &s->b);
	if ((v = ymap_get(d, n, "description")))
		yget_str(d, v, "description", &(const char *){ NULL });
}

/* A list of @owner's, refused whole past the kernel's limit on it, @max. */
static void parse_prefix_list(struct ydoc *d, struct ynode *n, const char *owner,
			      const char *what, size_t max, struct prefix **out, size_t *n_out)
{
	size_t i;

	if (!yseq_check(d, n, what))
		return;
	if (yseq_len(n) > max) {
		yerr(d, n, "%s '%s' takes at most %zu prefixes, got %zu", owner, what, max,
		     yseq_len(n));
		return;
	}
	*n_out = yseq_len(n);
	*out = arena_array(d, *n_out, sizeof(**out));
	for (i = 0; i < *n_out; i++)
		yget_prefix(d, yseq_item(d, n, i), what, &(*out)[i]);
}

static const char *const rate_keys[] = {
	"packets-per-second", "bits-per-second", "burst-packets", "burst-bytes", NULL
};

static void parse_rate(struct ydoc *d, struct ynode *n, const char *what, struct rate_limit *rl)
{
	struct ynode *pps, *bps, *bp, *bb;

	if (!ymap_check(d, n, what, rate_keys) && n->type != YAML_MAPPING_NODE)
		return;
	rl->present = true;
	pps = ymap_get(d, n, "packets-per-second");
	bps = ymap_get(d, n, "bits-per-second");
	bp = ymap_get(d, n, "burst-packets");
	bb = ymap_get(d, n, "burst-bytes");
	if (!pps && !bps)
		yerr(d, n, "%s needs 'packets-per-second' or 'bits-per-second'", what);
	if (pps && yget_quantity(d, pps, "packets-per-second", &rl->packets_per_second) &&
	    !rl->packets_per_second)
		yerr(d, pps, "'packets-per-second' must be at least 1");
	if (bps && yget_quantity(d, bps, "bits-per-second", &rl->bits_per_second) &&
	    rl->bits_per_second < 8)
		yerr(d, bps, "'bits-per-second' must be at least 8");
	/* Bursts default to one second's worth. */
	rl->burst_packets = rl->packets_per_second;
	rl->burst_bytes = rl->bits_per_second / 8;
	if (bp) {
		if (!pps)
			yerr(d, bp, "'burst-packets' needs 'packets-per-second'");
		else if (yget_quantity(d, bp, "burst-packets", &rl->burst_packets) &&
			 !rl->burst_packets)
			yerr(d, bp, "'burst-packets' must be at least 1");
	}
	if (bb) {
		if (!bps)
			yerr(d, bb, "'burst-bytes' needs 'bits-per-second'");
		else if (yget_quantity(d, bb, "burst-bytes", &rl->burst_bytes) &&
			 rl->burst_bytes < 1500)
			yerr(d, bb, "'burst-bytes' must be at least 1500 (one packet)");
	}
}

static const char *const admission_keys[] = { "allow", "deny", NULL };
static const char *const group_keys[] = { "name", "members", NULL };
static const char *const rule_keys[] = { "action", "from", "to", "protocol", "ports", NULL };
static const char *const hub_keys[] = { "default", "interfaces", "groups", "rules", NULL };
static const char *const actions[] = { "deny", "allow", NULL };
static const char *const hub_defaults[] = { "open", "locked", NULL };
static const char *const protocols[] = { "any", "tcp", "udp", "icmp", "icmpv6", NULL };
static const uint8_t protocol_numbers[] = { 0, 6, 17, 1, 58 };

static void parse_match(struct ydoc *d, struct ynode *n, const char *what,
			struct acl_match *m, struct mark *mark)
{
	const char *v;

	*mark = ymark(d, n);
	if (!yget_str(d, n, what, &v))
		return;
	if (!strcmp(v, "any"))
		m->any = true;
	else if (strchr(v, '/'))
		yget_prefix(d, n, what, &m->prefix);
	else
		yget_name(d, n, what, &m->group);
}

static void parse_rule(struct ydoc *d, struct ynode *n, struct acl_rule *r)
{
	struct ynode *v;
	uint32_t lo, hi;
	int x;

	r->mark = ymark(d, n);
	if (!ymap_check(d, n, "hub rule", rule_keys) && n->type != YAML_MAPPING_NODE)
		return;
	if ((v = ymap_need(d, n, "action", "hub rule")) && yget_enum(d, v, "action", actions, &x))
		r->allow = x;
	if ((v = ymap_need(d, n, "from", "hub rule")))
		parse_match(d, v, "from", &r->from, &r->from_mark);
	if ((v = ymap_need(d, n, "to", "hub rule")))
		parse_match(d, v, "to", &r->to, &r->to_mark);
	if ((v = ymap_get(d, n, "protocol")) && yget_enum(d, v, "protocol", protocols, &x))
		r->proto = protocol_numbers[x];
	if ((v = ymap_get(d, n, "ports"))) {
		if (r->proto != 6 && r->proto != 17)
			yerr(d, v, "'ports' needs protocol tcp or udp");
		else if (yget_range(d, v, "ports", 1, 65535, &lo, &hi)) {
			r->port_min = lo;
			r->port_max = hi;
		}
	}
}

/* A hub list longer than the kernel takes (max-hub-* in the netlink spec): named at the list. */
static bool hub_list_fits(struct ydoc *d, struct ynode *v, const char *what, size_t max)
{
	if (yseq_len(v) <= max)
		return true;
	yerr(d, v, "a hub takes at most %zu %s, got %zu", max, what, yseq_len(v));
	return false;
}

static void parse_hub(struct ydoc *d, struct ynode *n, struct hub *h)
{
	struct ynode *v;
	size_t i;
	int x;

	if (!ymap_check(d, n, "hub", hub_keys) && n->type != YAML_MAPPING_NODE)
		return;
	h->present = true;
	if ((v = ymap_need(d, n, "default", "hub")) &&
	    yget_enum(d, v, "default", hub_defaults, &x))
		h->locked = x;
	/* The kernel refuses a hub bound to no interface, and a group of no one. */
	if ((v = ymap_need(d, n, "interfaces", "hub")) && yseq_check(d, v, "interfaces")) {
		if (!yseq_len(v))
			yerr(d, v, "a hub needs at least one interface");
		else if (hub_list_fits(d, v, "interfaces", XRELAY_MAX_HUB_INTERFACES)) {
			h->n_interfaces = yseq_len(v);
			h->interfaces = arena_array(d, h->n_interfaces, sizeof(*h->interfaces));
			for (i = 0; i < h->n_interfaces; i++) {
				struct ynode *it = yseq_item(d, v, i);

				if (yget_name(d, it, "interfaces", &h->interfaces[i]) &&
				    strlen(h->interfaces[i]) > 15)
					yerr(d, it, "interface name '%s' is longer than 15 characters",
					     h->interfaces[i]);
			}
		}
	}
	if ((v = ymap_get(d, n, "groups")) && yseq_check(d, v, "groups") &&
	    hub_list_fits(d, v, "groups", XRELAY_MAX_HUB_GROUPS)) {
		h->n_groups = yseq_len(v);
		h->groups = arena_array(d, h->n_groups, sizeof(*h->groups));
		for (i = 0; i < h->n_groups; i++) {
			struct ynode *g = yseq_item(d, v, i), *w;
			struct acl_group *grp = &h->groups[i];

			grp->mark = ymark(d, g);
			if (!ymap_check(d, g, "hub group", group_keys) &&
			    g->type != YAML_MAPPING_NODE)
				continue;
			if ((w = ymap_need(d, g, "name", "hub group")) &&
			    yget_name(d, w, "name", &grp->name) && !strcmp(grp->name, "any"))
				yerr(d, w, "'any' is reserved and cannot name a group");
			if ((w = ymap_need(d, g, "members", "hub group")))
				parse_prefix_list(d, w, "hub group", "members",
						  XRELAY_MAX_GROUP_MEMBERS, &grp->members,
						  &grp->n_members);
			if (w && w->type == YAML_SEQUENCE_NODE && !yseq_len(w))
				yerr(d, w, "a hub group needs at least one member");
		}
	}
	if ((v = ymap_get(d, n, "rules")) && yseq_check(d, v, "rules") &&
	    hub_list_fits(d, v, "rules", XRELAY_MAX_HUB_RULES)) {
		h->n_rules = yseq_len(v);
		h->rules = arena_array(d, h->n_rules, sizeof(*h->rules));
		for (i = 0; i < h->n_rules; i++)
			parse_rule(d, yseq_item(d, v, i), &h->rules[i]);
	}
}

static const char *const policy_keys[] = {
	"name", "admission", "rate-limit", "session-rate-limit", "session-quota",
	"max-sessions", "protocol", "hub", "description", NULL
};
static const char *const guards[] = { "any", "wireguard", NULL };

static void parse_policy(struct config *cfg, struct ydoc *d, struct ynode *n)
{
	struct policy *p;
	struct ynode *v, *w;
	int x;

	if (!ymap_check(d, n, "policy", policy_keys) && n->type != YAML_MAPPING_NODE)
		return;
	p = PUSH(cfg, policies);
	p->mark = ymark(d, n);
	if ((v = ymap_need(d, n, "name", "policy")))
		yget_name(d, v, "name", &p->name);
	if ((v = ymap_get(d, n, "admission")) &&
	    (ymap_check(d, v, "admission", admission_keys) || v->type == YAML_MAPPING_NODE)) {
		if ((w = ymap_get(d, v, "allow")))
			parse_prefix_list(d, w, "admission", "allow", XRELAY_MAX_PREFIXES,
					  &p->allow, &p->n_allow);
		if ((w = ymap_get(d, v, "deny")))
			parse_prefix_list(d, w, "admission", "deny", XRELAY_MAX_PREFIXES,
					  &p->deny, &p->n_deny);
	}
	if ((v = ymap_get(d, n, "rate-limit")))
		parse_rate(d, v, "rate-limit", &p->network_rate);
	if ((v = ymap_get(d, n, "session-rate-limit")))
		parse_rate(d, v, "session-rate-limit", &p->session_rate);
	if ((v = ymap_get(d, n, "session-quota")) &&
	    yget_quantity(d, v, "session-quota", &p->session_quota_bytes) &&
	    !p->session_quota_bytes)
		yerr(d, v, "'session-quota' must be at least 1 byte");
	if ((v = ymap_get(d, n, "max-sessions")))
		yget_u32(d, v, "max-sessions", 1, UINT32_MAX, &p->max_sessions);
	if ((v = ymap_get(d, n, "protocol")) && yget_enum(d, v, "protocol", guards, &x))
		p->protocol = x;
	if ((v = ymap_get(d, n, "hub")))
		parse_hub(d, v, &p->hub);
	if ((v = ymap_get(d, n, "description")))
		yget_str(d, v, "description", &(const char *){ NULL });
}

static const char *const client_keys[] = {
	"name", "identity", "role", "networks", "max-allocations", "allocations-per-minute",
	"description", NULL
};
static const char *const roles[] = { "observer", "allocator", NULL };

static void parse_client(struct config *cfg, struct ydoc *d, struct ynode *n)
{
	struct client *c;
	struct ynode *v;
	size_t i;
	int x;

	if (!ymap_check(d, n, "client", client_keys) && n->type != YAML_MAPPING_NODE)
		return;
	c = PUSH(cfg, clients);
	c->mark = ymark(d, n);
	if ((v = ymap_need(d, n, "name", "client")))
		yget_name(d, v, "name", &c->name);
	if ((v = ymap_get(d, n, "identity"))) {
		c->identity_mark = ymark(d, v);
		yget_str(d, v, "identity", &c->identity);
	}
	if ((v = ymap_get(d, n, "role")) && yget_enum(d, v, "role", roles, &x))
		c->role = x;
	if ((v = ymap_get(d, n, "networks")) && yseq_check(d, v, "networks")) {
		c->n_networks = yseq_len(v);
		c->network_names = arena_array(d, c->n_networks, sizeof(*c->network_names));
		c->network_marks = arena_array(d, c->n_networks, sizeof(*c->network_marks));
		c->networks = arena_array(d, c->n_networks, sizeof(*c->networks));
		for (i = 0; i < c->n_networks; i++) {
			struct ynode *it = yseq_item(d, v, i);

			c->network_marks[i] = ymark(d, it);
			yget_name(d, it, "networks", &c->network_names[i]);
		}
		if (c->n_networks && c->role != ROLE_ALLOCATOR)
			yerr(d, v, "'networks' restricts allocations; only an allocator client has any");
	}
	if ((v = ymap_get(d, n, "allocations-per-minute"))) {
		yget_u32(d, v, "allocations-per-minute", 1, 1000000, &c->allocations_per_minute);
		if (c->role != ROLE_ALLOCATOR)
			yerr(d, v, "'allocations-per-minute' limits allocations; only an allocator client has any");
	}
	if ((v = ymap_get(d, n, "max-allocations"))) {
		yget_u32(d, v, "max-allocations", 1, UINT32_MAX, &c->max_allocations);
		if (c->role != ROLE_ALLOCATOR)
			yerr(d, v, "'max-allocations' limits allocations; only an allocator client has any");
	}
	if ((v = ymap_get(d, n, "description")))
		yget_str(d, v, "description", &(const char *){ NULL });
}

static const char *const settings_keys[] = {
	"allocation-ttl", "allocation-max-ttl", "allocation-idle-timeout",
	"poll-timeout", NULL
};

static void parse_settings(struct config *cfg, struct ydoc *d, struct ynode *n)
{
	struct settings *s = &cfg->settings;
	struct ynode *v;

	if (cfg->has_settings) {
		yerr(d, n, "'settings' appears twice (first at %s:%d:%d)",
		     cfg->settings_mark.file, cfg->settings_mark.line, cfg->settings_mark.col);
		return;
	}
	cfg->has_settings = true;
	cfg->settings_mark = ymark(d, n);
	if (!ymap_check(d, n, "settings", settings_keys) && n->type != YAML_MAPPING_NODE)
		return;
	if ((v = ymap_get(d, n, "allocation-ttl")))
		yget_seconds(d, v, "allocation-ttl", 10, MAX_TIMEOUT, &s->allocation_ttl);
	if ((v = ymap_get(d, n, "allocation-max-ttl")))
		yget_seconds(d, v, "allocation-max-ttl", 10, MAX_TIMEOUT, &s->allocation_max_ttl);
	if (s->allocation_ttl > s->allocation_max_ttl)
		yerr(d, n, "'allocation-ttl' (%us) is longer than 'allocation-max-ttl' (%us)",
		     s->allocation_ttl, s->allocation_max_ttl);
	if ((v = ymap_get(d, n, "allocation-idle-timeout")))
		yget_seconds(d, v, "allocation-idle-timeout", 1, MAX_TIMEOUT,
			     &s->allocation_idle_timeout);
	if ((v = ymap_get(d, n, "poll-timeout")))
		yget_seconds(d, v, "poll-timeout", 1, 300, &s->poll_timeout);
}

typedef void (*section_fn)(struct config *cfg, struct ydoc *d, struct ynode *n);

static const struct section {
	const char *key;
	section_fn parse;
} sections[] = {
	{ "networks", parse_network },
	{ "relays", parse_relay },
	{ "sessions", parse_session },
	{ "policies", parse_policy },
	{ "clients", parse_client },
	{ NULL, NULL },
};

static const char *const top_keys[] = {
	"networks", "relays", "sessions", "policies", "clients", "settings", NULL
};

/* What a file's documents added, to drop those of one cut short by a syntax error. */
struct loader {
	struct config *cfg;
	size_t n_networks, n_relays, n_sessions, n_policies, n_clients;
};

static void loader_commit(struct loader *l)
{
	l->n_networks = l->cfg->n_networks;
	l->n_relays = l->cfg->n_relays;
	l->n_sessions = l->cfg->n_sessions;
	l->n_policies = l->cfg->n_policies;
	l->n_clients = l->cfg->n_clients;
}

static void loader_rollback(struct loader *l)
{
	l->cfg->n_networks = l->n_networks;
	l->cfg->n_relays = l->n_relays;
	l->cfg->n_sessions = l->n_sessions;
	l->cfg->n_policies = l->n_policies;
	l->cfg->n_clients = l->n_clients;
}

static const void *section_stream(const char *key, void *arg)
{
	const struct section *s;

	for (s = sections; s->key; s++)
		if (!strcmp(s->key, key))
			return s;
	return NULL;
}

static void section_item(struct ydoc *d, const void *token, struct ynode *item, void *arg)
{
	const struct section *s = token;
	struct loader *l = arg;

	s->parse(l->cfg, d, item);
}

static void parse_document(struct ydoc *d, struct ynode *root, void *arg)
{
	struct loader *l = arg;
	struct config *cfg = l->cfg;
	const struct section *s;
	struct ynode *v;
	size_t i;

	if (root->type == YAML_SCALAR_NODE && !root->len)
		goto done;	/* an empty document, e.g. a file of comments */
	if (!ymap_check(d, root, "a configuration file", top_keys) &&
	    root->type != YAML_MAPPING_NODE)
		goto done;
	/* Lists streamed through section_item are empty here. */
	for (s = sections; s->key; s++) {
		v = ymap_get(d, root, s->key);
		if (!v || !yseq_check(d, v, s->key))
			continue;
		for (i = 0; i < yseq_len(v); i++)
			s->parse(cfg, d, yseq_item(d, v, i));
	}
	if ((v = ymap_get(d, root, "settings")))
		parse_settings(cfg, d, v);
done:
	loader_commit(l);
}

static const struct ydoc_ops config_ops = {
	.stream = section_stream,
	.item = section_item,
	.document = parse_document,
};

struct config *config_new(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->settings = (struct settings){
		.allocation_ttl = 600,
		.allocation_max_ttl = 86400,
		.allocation_idle_timeout = DEFAULT_IDLE_TIMEOUT,
		.poll_timeout = 30,
	};
	hm_init_str(&cfg->policy_by_name);
	hm_init_str(&cfg->network_by_name);
	hm_init_u64(&cfg->network_by_id);
	hm_init_str(&cfg->relay_by_name);
	hm_init_str(&cfg->session_by_name);
	hm_init_str(&cfg->principal_by_identity);
	hm_init_u64(&cfg->static_ports);
	return cfg;
}

void config_parse_buffer(struct config *cfg, const char *file, const char *data,
			 size_t len, struct diags *diags)
{
	struct loader l = { .cfg = cfg };

	cfg->n_files++;
	loader_commit(&l);
	if (!ydoc_parse(arena_strdup(&cfg->arena, file), data, len, &cfg->arena, diags,
			&config_ops, &l))
		loader_rollback(&l);
}

static void file_error(struct diags *diags, const char *path, const char *what)
{
	struct mark m = { 0 };

	diag_add(diags, m, "%s: %s", path, what);
}

static void parse_file(struct config *cfg, const char *path, struct diags *diags)
{
	struct stat st;
	char *data;
	ssize_t got;
	size_t off = 0;
	int fd;

	/*
	 * Non-blocking, so that a FIFO (or a symlink to one) cannot hold the
	 * open until someone writes to it; anything but a regular file is
	 * refused below. Symlinks to regular files are followed: a checkout
	 * may hold them.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		file_error(diags, path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		file_error(diags, path, S_ISDIR(st.st_mode) ? "is a directory" :
			   "not a regular file of at most 256 MiB");
		close(fd);
		return;
	}
	data = xmalloc(st.st_size + 1);
	while (off < (size_t)st.st_size) {
		got = read(fd, data + off, st.st_size - off);
		if (got <= 0)
			break;
		off += got;
	}
	close(fd);
	if (off != (size_t)st.st_size)
		file_error(diags, path, "short read (file changed while reading)");
	else
		config_parse_buffer(cfg, path, data, off, diags);
	free(data);
}

static bool is_config_name(const char *name)
{
	size_t len = strlen(name);

	if (name[0] == '.')
		return false;
	return (len > 5 && !strcmp(name + len - 5, ".yaml")) ||
	       (len > 4 && !strcmp(name + len - 4, ".yml"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void parse_dir(struct config *cfg, const char *dir, struct diags *diags)
{
	size_t n = 0, cap = 0, i, dlen = strlen(dir);
	char **names = NULL;
	struct dirent *de;
	DIR *dh;

	dh = opendir(dir);
	if (!dh) {
		file_error(diags, dir, strerror(errno));
		return;
	}
	while ((de = readdir(dh))) {
		if (!is_config_name(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dh);
	if (!n)
		file_error(diags, dir, "no *.yaml or *.yml files");
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		char *path = xmalloc(dlen + strlen(names[i]) + 2);

		sprintf(path, "%.*s/%s", (int)(dlen && dir[dlen - 1] == '/' ? dlen - 1 : dlen),
			dir, names[i]);
		parse_file(cfg, path, diags);
		free(path);
		free(names[i]);
	}
	free(names);
}

struct config *config_load(const char *const paths[], size_t n_paths, struct diags *diags)
{
	struct config *cfg = config_new();
	struct stat st;
	size_t i;

	for (i = 0; i < n_paths; i++) {
		if (!stat(paths[i], &st) && S_ISDIR(st.st_mode))
			parse_dir(cfg, paths[i], diags);
		else
			parse_file(cfg, paths[i], diags);
	}
	if (!config_resolve(cfg, diags) || diags->n) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->policies);
	free(cfg->networks);
	free(cfg->relays);
	free(cfg->sessions);
	free(cfg->clients);
	free(cfg->principals);
	hm_free(&cfg->policy_by_name);
	hm_free(&cfg->network_by_name);
	hm_free(&cfg->network_by_id);
	hm_free(&cfg->relay_by_name);
	hm_free(&cfg->session_by_name);
	hm_free(&cfg->principal_by_identity);
	hm_free(&cfg->static_ports);
	arena_free(&cfg->arena);
	free(cfg);
}
