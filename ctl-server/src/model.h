/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The validated configuration: overlay networks, relays with their port
 * pools, static sessions, policies and API clients. A struct config is
 * immutable once loaded; a reload builds a new one and swaps it in.
 */
#ifndef CTLD_MODEL_H
#define CTLD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "hashmap.h"
#include "netaddr.h"

#define DEFAULT_IDLE_TIMEOUT	180
#define DEFAULT_RELEARN_TIMEOUT	30
#define MAX_TIMEOUT		604800	/* the kernel's limit: a week */

struct rate_limit {
	bool present;
	uint64_t packets_per_second;	/* 0: no packet rate */
	uint64_t bits_per_second;	/* 0: no bit rate */
	uint64_t burst_packets;
	uint64_t burst_bytes;
};

enum protocol_guard { GUARD_ANY, GUARD_WIREGUARD };

/* One side of a hub rule: a named group of hosts or a single prefix. */
struct acl_match {
	const char *group;	/* NULL: use prefix; "any" matches everything */
	struct prefix prefix;
	bool any;
};

struct acl_rule {
	struct mark mark;
	bool allow;
	struct acl_match from, to;
	uint8_t proto;		/* IP protocol number; 0 = any */
	uint16_t port_min, port_max;	/* 0-0: any port */
	struct mark from_mark, to_mark;
};

struct acl_group {
	struct mark mark;
	const char *name;
	struct prefix *members;
	size_t n_members;
};

struct hub {
	bool present;
	bool locked;		/* default action: deny (locked) or allow (open) */
	const char **interfaces;
	size_t n_interfaces;
	struct acl_group *groups;
	size_t n_groups;
	struct acl_rule *rules;
	size_t n_rules;
};

struct policy {
	struct mark mark;
	const char *name;
	struct prefix *allow, *deny;
	size_t n_allow, n_deny;
	struct rate_limit network_rate, session_rate;
	uint64_t session_quota_bytes;	/* 0: unlimited */
	uint32_t max_sessions;		/* 0: unlimited */
	enum protocol_guard protocol;
	struct hub hub;
};

struct network {
	struct mark mark;
	const char *name;
	uint32_t id;
	struct prefix subnet;
	const char *policy_name;	/* NULL: no policy */
	struct mark policy_mark;
	struct policy *policy;
};

struct pool {
	struct mark mark;
	const char *network_name;	/* NULL: shared by every network */
	struct mark network_mark;
	struct network *network;
	uint16_t port_min, port_max;
};

struct relay {
	struct mark mark;
	const char *name;
	const char *identity;	/* certificate CN or DNS SAN; defaults to name */
	struct mark identity_mark;
	const char *region;	/* NULL: none */
	struct prefix *addrs;
	size_t n_addrs;
	struct pool *pools;
	size_t n_pools;
	uint32_t capacity;	/* most sessions, static and allocated */
	bool allocate;		/* takes part in the allocation API */
	uint32_t n_static;	/* static sessions placed on it */
	size_t index;		/* position in config->relays */
};

struct side {
	struct mark mark;
	uint16_t port;
	struct mark port_mark;
	bool pinned;
	struct endpoint peer;
	struct mark peer_mark;
	bool has_allow;
	struct prefix allow;
	struct mark allow_mark;
	uint32_t relearn_timeout;
};

struct session {
	struct mark mark;
	const char *name;
	const char *network_name, *relay_name, *policy_name;
	struct mark network_mark, relay_mark, policy_mark, addr_mark;
	bool has_addr;
	struct prefix addr_wanted;
	struct network *network;
	struct relay *relay;
	struct policy *policy;		/* NULL: the network's */
	size_t addr_index;		/* into relay->addrs */
	size_t pool_index;		/* into relay->pools */
	uint32_t idle_timeout;
	uint32_t lifetime;		/* 0: none */
	struct side a, b;
};

enum client_role { ROLE_OBSERVER, ROLE_ALLOCATOR };

struct client {
	struct mark mark;
	const char *name;
	const char *identity;
	struct mark identity_mark;
	enum client_role role;
	const char **network_names;	/* allocator restricted to these; none: all */
	struct mark *network_marks;
	struct network **networks;
	size_t n_networks;
	uint32_t max_allocations;	/* held at once; 0: no limit */
	uint32_t allocations_per_minute;	/* new ones, a minute's worth at once; 0: no limit */
};

struct settings {
	uint32_t allocation_ttl;
	uint32_t allocation_max_ttl;
	uint32_t allocation_idle_timeout;
	uint32_t poll_timeout;
};

/* Who a certificate identity belongs to. */
struct principal {
	struct relay *relay;	/* exactly one of these is set */
	struct client *client;
};

struct config {
	struct arena arena;
	struct policy *policies;
	size_t n_policies, cap_policies;
	struct network *networks;
	size_t n_networks, cap_networks;
	struct relay *relays;
	size_t n_relays, cap_relays;
	struct session *sessions;
	size_t n_sessions, cap_sessions;
	struct client *clients;
	size_t n_clients, cap_clients;
	struct settings settings;
	bool has_settings;
	struct mark settings_mark;
	size_t n_files;

	struct hashmap policy_by_name, network_by_name, network_by_id;
	struct hashmap relay_by_name, session_by_name;
	struct hashmap principal_by_identity;	/* -> struct principal */
	struct principal *principals;
	/* (relay index << 16 | port) -> struct session, for static sessions */
	struct hashmap static_ports;
};

#endif
