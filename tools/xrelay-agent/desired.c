// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/xrelay.h>

#include "desired.h"
#include "json.h"
#include "util.h"

/* The reader and where it is, for messages: list[index]. */
struct ctx {
	struct ag_json j;
	const char *list;
	size_t index;
};

static bool fail(struct ctx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct ctx *cx, const char *fmt, ...)
{
	char msg[sizeof(cx->j.err)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ag_json_fail(&cx->j, msg);
}

/* Each known key once per object: @seen has a bit per key of @keys. */
static int key_index(struct ctx *cx, const char *key, const char *const *keys, unsigned int *seen)
{
	int i;

	for (i = 0; keys[i]; i++) {
		if (strcmp(key, keys[i]))
			continue;
		if (*seen & 1u << i) {
			fail(cx, "'%s' appears twice", key);
			return -2;
		}
		*seen |= 1u << i;
		return i;
	}
	return -1;
}

static bool get_u32(struct ctx *cx, uint32_t min, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (!ag_json_uint(&cx->j, max, &x))
		return false;
	if (x < min)
		return fail(cx, "integer out of range");
	*v = x;
	return true;
}

static bool get_port(struct ctx *cx, uint16_t *port)
{
	uint32_t v = 0;

	if (!get_u32(cx, 1, 65535, &v))
		return false;
	*port = v;
	return true;
}

enum { I_ID, I_NETWORK, I_ADDR, I_PORT_MIN, I_PORT_MAX };

static bool read_instance(struct ctx *cx, struct ag_instance_desc *inst)
{
	static const char *const keys[] = { "id", "network", "addr", "port_min", "port_max", NULL };
	unsigned int seen = 0;
	bool first = true;
	const char *key, *s, *why;

	if (!ag_json_object(&cx->j))
		return false;
	while (ag_json_member(&cx->j, &first, &key)) {
		bool ok = true;

		switch (key_index(cx, key, keys, &seen)) {
		case -2:
			return false;
		case I_ID:
			ok = get_u32(cx, 1, UINT32_MAX, &inst->id);
			break;
		case I_NETWORK:
			ok = get_u32(cx, 0, UINT32_MAX, &inst->network);
			break;
		case I_ADDR:
			ok = ag_json_string(&cx->j, &s);
			if (ok && (why = xr_addr_parse(s, &inst->addr)))
				ok = fail(cx, "addr '%s': %s", s, why);
			break;
		case I_PORT_MIN:
			ok = get_port(cx, &inst->port_min);
			break;
		case I_PORT_MAX:
			ok = get_port(cx, &inst->port_max);
			break;
		default:
			ok = ag_json_skip(&cx->j);
		}
		if (!ok)
			return false;
	}
	if (cx->j.err[0])
		return false;
	if ((seen & 0x1d) != 0x1d)
		return fail(cx, "an instance needs id, addr, port_min and port_max");
	if (inst->port_min > inst->port_max)
		return fail(cx, "instance %u: port_min exceeds port_max", inst->id);
	return true;
}

enum { S_PORT, S_PEER, S_ALLOW, S_RELEARN };

static bool read_side(struct ctx *cx, struct ag_side_desc *side)
{
	static const char *const keys[] = { "port", "peer", "allow", "relearn_timeout", NULL };
	unsigned int seen = 0;
	bool first = true;
	const char *key, *s, *why;

	side->relearn_timeout = 30;
	if (!ag_json_object(&cx->j))
		return false;
	while (ag_json_member(&cx->j, &first, &key)) {
		bool ok = true;

		switch (key_index(cx, key, keys, &seen)) {
		case -2:
			return false;
		case S_PORT:
			ok = get_port(cx, &side->port);
			break;
		case S_PEER:
			ok = ag_json_string(&cx->j, &s);
			if (ok && (why = xr_endpoint_parse(s, &side->peer)))
				ok = fail(cx, "peer '%s': %s", s, why);
			side->pinned = true;
			break;
		case S_ALLOW:
			ok = ag_json_string(&cx->j, &s);
			if (ok && (why = xr_prefix_parse(s, &side->allow)))
				ok = fail(cx, "allow '%s': %s", s, why);
			/* The kernel keeps ::/0 as "no prefix", and reports it so. */
			side->has_allow = side->allow.addr.family == AF_INET || side->allow.len;
			break;
		case S_RELEARN:
			ok = get_u32(cx, 1, XRELAY_MAX_TIMEOUT, &side->relearn_timeout);
			break;
		default:
			ok = ag_json_skip(&cx->j);
		}
		if (!ok)
			return false;
	}
	if (cx->j.err[0])
		return false;
	if (!(seen & 1u << S_PORT))
		return fail(cx, "a side needs its port");
	if (side->pinned && (seen & (1u << S_ALLOW | 1u << S_RELEARN)))
		return fail(cx, "a pinned side (with peer) has no allow or relearn_timeout");
	if (side->pinned)
		side->relearn_timeout = 0;
	return true;
}

enum { N_NAME, N_INSTANCE, N_NETWORK, N_IDLE, N_LIFETIME, N_A, N_B, N_POLICY };

static bool read_session(struct ctx *cx, struct ag_dsession *s)
{
	static const char *const keys[] = {
		"name", "instance", "network", "idle_timeout", "lifetime", "a", "b", "policy", NULL
	};
	struct ag_session_desc *d = &s->desc;
	unsigned int seen = 0;
	bool first = true;
	const char *key, *str;

	d->idle_timeout = 180;
	if (!ag_json_object(&cx->j))
		return false;
	while (ag_json_member(&cx->j, &first, &key)) {
		bool ok = true;

		switch (key_index(cx, key, keys, &seen)) {
		case -2:
			return false;
		case N_NAME:
			ok = ag_json_string(&cx->j, &str);
			if (ok)
				s->name = ag_strdup(str);
			break;
		case N_INSTANCE:
			ok = get_u32(cx, 1, UINT32_MAX, &d->instance);
			break;
		case N_NETWORK:
			ok = get_u32(cx, 1, UINT32_MAX, &d->network);
			break;
		case N_IDLE:
			ok = get_u32(cx, 1, XRELAY_MAX_TIMEOUT, &d->idle_timeout);
			break;
		case N_LIFETIME:
			ok = get_u32(cx, 1, XRELAY_MAX_TIMEOUT, &d->lifetime);
			break;
		case N_A:
			ok = read_side(cx, &d->side[0]);
			break;
		case N_B:
			ok = read_side(cx, &d->side[1]);
			break;
		case N_POLICY:
			ok = ag_json_string(&cx->j, &str);
			if (ok)
				s->policy_name = ag_strdup(str);
			break;
		default:
			ok = ag_json_skip(&cx->j);
		}
		if (!ok)
			return false;
	}
	if (cx->j.err[0])
		return false;
	if ((seen & 0x67) != 0x67)
		return fail(cx, "a session needs name, instance, network, a and b");
	return true;
}

static bool read_network(struct ctx *cx, struct ag_network *n)
{
	static const char *const keys[] = { "id", "name", "policy", NULL };
	unsigned int seen = 0;
	bool first = true;
	const char *key, *str;

	if (!ag_json_object(&cx->j))
		return false;
	while (ag_json_member(&cx->j, &first, &key)) {
		bool ok = true;

		switch (key_index(cx, key, keys, &seen)) {
		case -2:
			return false;
		case 0:
			ok = get_u32(cx, 1, UINT32_MAX, &n->id);
			break;
		case 1:
			ok = ag_json_string(&cx->j, &str);
			if (ok)
				n->name = ag_strdup(str);
			break;
		case 2:
			ok = ag_json_string(&cx->j, &str);
			if (ok)
				n->policy_name = ag_strdup(str);
			break;
		default:
			ok = ag_json_skip(&cx->j);
		}
		if (!ok)
			return false;
	}
	if (!cx->j.err[0] && (seen & 3) != 3)
		return fail(cx, "a network needs id and name");
	return !cx->j.err[0];
}

/* Reads a list, growing @v by @size for each element read by @read. */
static bool read_list(struct ctx *cx, const char *name, void **v, size_t *n, size_t size,
		      bool (*read)(struct ctx *cx, void *item))
{
	size_t cap = 0;
	bool first = true;

	if (!ag_json_array(&cx->j))
		return false;
	while (ag_json_element(&cx->j, &first)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*v = ag_realloc(*v, cap * size);
		}
		memset((char *)*v + *n * size, 0, size);
		cx->list = name;
		cx->index = *n;
		/* Counted first, so that what it allocated is freed on failure. */
		if (!read(cx, (char *)*v + (*n)++ * size))
			return false;
	}
	cx->list = NULL;
	return !cx->j.err[0];
}

static bool read_instance_item(struct ctx *cx, void *item)
{
	return read_instance(cx, item);
}

static bool read_session_item(struct ctx *cx, void *item)
{
	return read_session(cx, item);
}

static bool read_network_item(struct ctx *cx, void *item)
{
	return read_network(cx, item);
}

static bool read_policy_item(struct ctx *cx, void *item)
{
	return ag_policy_read(&cx->j, item);
}

enum { R_GENERATION, R_RELAY, R_INSTANCES, R_NETWORKS, R_SESSIONS, R_POLICIES };

static bool read_root(struct ctx *cx, struct ag_desired *d)
{
	static const char *const keys[] = {
		"generation", "relay", "instances", "networks", "sessions", "policies", NULL
	};
	unsigned int seen = 0;
	bool first = true;
	const char *key, *str;

	if (!ag_json_object(&cx->j))
		return false;
	while (ag_json_member(&cx->j, &first, &key)) {
		bool ok = true;

		switch (key_index(cx, key, keys, &seen)) {
		case -2:
			return false;
		case R_GENERATION:
			ok = ag_json_uint(&cx->j, INT64_MAX, &d->generation);
			break;
		case R_RELAY:
			ok = ag_json_string(&cx->j, &str);
			if (ok)
				d->relay = ag_strdup(str);
			break;
		case R_INSTANCES:
			ok = read_list(cx, "instances", (void **)&d->instances, &d->n_instances,
				       sizeof(*d->instances), read_instance_item);
			break;
		case R_NETWORKS:
			ok = read_list(cx, "networks", (void **)&d->networks, &d->n_networks,
				       sizeof(*d->networks), read_network_item);
			break;
		case R_SESSIONS:
			ok = read_list(cx, "sessions", (void **)&d->sessions, &d->n_sessions,
				       sizeof(*d->sessions), read_session_item);
			break;
		case R_POLICIES:
			ok = read_list(cx, "policies", (void **)&d->policies, &d->n_policies,
				       sizeof(*d->policies), read_policy_item);
			break;
		default:
			ok = ag_json_skip(&cx->j);
		}
		if (!ok)
			return false;
	}
	if (!ag_json_end(&cx->j))
		return false;
	if ((seen & 0x17) != 0x17)
		return fail(cx, "the state needs generation, relay, instances and sessions");
	return true;
}

static const struct ag_policy *find_policy(const struct ag_desired *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_policies; i++)
		if (!strcmp(d->policies[i].name, name))
			return &d->policies[i];
	return NULL;
}

/* The policy fingerprint of sessions with policy @p. */
static uint64_t session_policy_hash(const struct ag_policy *p)
{
	struct ag_session_policy sp;
	uint64_t hash;
	char *canon;

	ag_session_policy_of(p, &sp);
	canon = ag_session_policy_canon(&sp);
	hash = ag_text_hash(canon);
	free(canon);
	ag_session_policy_free(&sp);
	return hash;
}

/* Networks and sessions to the policies they name. */
static const char *resolve_policies(struct ag_desired *d, char *why, size_t len)
{
	uint64_t *hashes = ag_calloc(d->n_policies, sizeof(*hashes));
	size_t i;

	for (i = 0; i < d->n_policies; i++)
		hashes[i] = session_policy_hash(&d->policies[i]);
	for (i = 0; i < d->n_networks; i++) {
		struct ag_network *n = &d->networks[i];

		if (n->policy_name && !(n->policy = find_policy(d, n->policy_name))) {
			snprintf(why, len, "networks[%zu] (%s): no policy '%s' in the state", i,
				 n->name, n->policy_name);
			free(hashes);
			return why;
		}
		n->policy_canon = n->policy ? ag_policy_canon(n->policy) : ag_strdup("");
	}
	for (i = 0; i < d->n_sessions; i++) {
		struct ag_dsession *s = &d->sessions[i];

		if (s->policy_name && !(s->policy = find_policy(d, s->policy_name))) {
			snprintf(why, len, "sessions[%zu] (%s): no policy '%s' in the state", i,
				 s->name, s->policy_name);
			free(hashes);
			return why;
		}
		if (s->policy)
			s->desc.policy = hashes[s->policy - d->policies];
	}
	free(hashes);
	return NULL;
}

/* What the syntax cannot say: references, ranges, uniqueness. */
static const char *check(struct ag_desired *d, char *why, size_t len)
{
	size_t i;
	int side;

	if (resolve_policies(d, why, len))
		return why;

	for (i = 0; i < d->n_instances; i++)
		if (ag_map_put(&d->instance_by_id, d->instances[i].id, &d->instances[i])) {
			snprintf(why, len, "instances[%zu]: instance id %u appears twice", i,
				 d->instances[i].id);
			return why;
		}
	for (i = 0; i < d->n_networks; i++)
		ag_map_put(&d->network_by_id, d->networks[i].id, &d->networks[i]);
	d->fingerprints = ag_calloc(d->n_sessions, sizeof(*d->fingerprints));
	for (i = 0; i < d->n_sessions; i++) {
		struct ag_dsession *s = &d->sessions[i];
		const struct ag_instance_desc *inst = ag_map_get(&d->instance_by_id, s->desc.instance);
		char name[AG_SESSION_NAME_LEN];

		if (!inst) {
			snprintf(why, len, "sessions[%zu] (%s): instance %u is not in the state's instances",
				 i, s->name, s->desc.instance);
			return why;
		}
		if (inst->network && inst->network != s->desc.network) {
			snprintf(why, len, "sessions[%zu] (%s): network %u differs from instance %u's network %u",
				 i, s->name, s->desc.network, inst->id, inst->network);
			return why;
		}
		for (side = 0; side < 2; side++) {
			uint16_t port = s->desc.side[side].port;

			if (port < inst->port_min || port > inst->port_max) {
				snprintf(why, len, "sessions[%zu] (%s): port %u is outside instance %u's range %u-%u",
					 i, s->name, port, inst->id, inst->port_min, inst->port_max);
				return why;
			}
		}
		if (s->desc.side[0].port == s->desc.side[1].port) {
			snprintf(why, len, "sessions[%zu] (%s): side a and side b use the same port",
				 i, s->name);
			return why;
		}
		if (ag_map_put(&d->session_by_key, ag_desc_key(&s->desc), s)) {
			snprintf(why, len, "sessions[%zu] (%s): %s appears twice", i, s->name,
				 ag_session_name(&s->desc, name));
			return why;
		}
		d->fingerprints[i] = ag_session_fingerprint(&s->desc, s->name);
	}
	return NULL;
}

struct ag_desired *ag_desired_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct ag_desired *d = ag_calloc(1, sizeof(*d));
	struct ctx cx = { .list = NULL };
	char why[256];

	ag_map_init(&d->instance_by_id);
	ag_map_init(&d->session_by_key);
	ag_map_init(&d->network_by_id);
	ag_json_init(&cx.j, buf, len);
	if (!read_root(&cx, d)) {
		if (cx.list)
			snprintf(err, errlen, "%s[%zu]: %s", cx.list, cx.index, cx.j.err);
		else
			snprintf(err, errlen, "%s", cx.j.err);
		ag_json_free(&cx.j);
		ag_desired_free(d);
		return NULL;
	}
	ag_json_free(&cx.j);
	if (check(d, why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);
		ag_desired_free(d);
		return NULL;
	}
	return d;
}

void ag_desired_free(struct ag_desired *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n_sessions; i++) {
		free(d->sessions[i].name);
		free(d->sessions[i].policy_name);
	}
	for (i = 0; i < d->n_networks; i++) {
		free(d->networks[i].name);
		free(d->networks[i].policy_name);
		free(d->networks[i].policy_canon);
	}
	for (i = 0; i < d->n_policies; i++)
		ag_policy_free(&d->policies[i]);
	free(d->policies);
	ag_map_free(&d->instance_by_id);
	ag_map_free(&d->session_by_key);
	ag_map_free(&d->network_by_id);
	free(d->instances);
	free(d->sessions);
	free(d->fingerprints);
	free(d->networks);
	free(d->relay);
	free(d);
}
