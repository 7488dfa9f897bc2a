// SPDX-License-Identifier: GPL-2.0-only
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
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

/*
 * Each known key once per object: @seen has a bit per key of @keys. The
 * search starts at the first key not seen yet: the one that comes next in
 * a document written in the order of @keys, as ctld writes them.
 */
static int key_index(struct ctx *cx, const char *key, const char *const *keys, unsigned int *seen)
{
	int from = __builtin_ctz(~*seen), i;

	for (i = from; keys[i]; i++)
		if (key[0] == keys[i][0] && !strcmp(key, keys[i]))
			goto found;
	for (i = 0; i < from; i++)
		if (key[0] == keys[i][0] && !strcmp(key, keys[i]))
			goto found;
	return -1;
found:
	if (*seen & 1u << i) {
		fail(cx, "'%s' appears twice", key);
		return -2;
	}
	*seen |= 1u << i;
	return i;
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

static void session_clear(struct ag_dsession *s)
{
	free(s->name);
	free(s->policy_name);
}

/*
 * A long list of sessions (a hundred thousand is 15 MB) is read by
 * several threads. Each thread but the walk's own starts at a guessed
 * element start further in the text, with a reader of its own, and reads
 * on to the next guess or the list's end. When the walk from the list's
 * start lands between two elements exactly on a guess, the rest of the
 * walk is what that thread did: its sessions are taken as they are. A
 * guess the walk passes by (it was inside a string, a nested object or
 * another list) and a thread that failed are discarded, the walk reading
 * on by itself: the sessions and the messages are always the walk's.
 */
#define SPLIT_TEXT_MIN		(1 << 20)	/* below, threads save too little */
#define SPLIT_THREADS_MAX	4

struct sessions {
	struct ag_dsession *v;
	size_t n, cap;
};

/* How a run of elements ended. */
enum run_end { RUN_FAILED, RUN_LIST_END, RUN_AT_SPLIT };

struct split {
	const char *at;			/* the guessed element start */
	const struct split *all;	/* the list's splits, sorted by at */
	size_t n_all;
	const char *list;
	struct ctx cx;
	struct sessions got;
	enum run_end end;
	size_t next;			/* RUN_AT_SPLIT: the split stopped at */
	atomic_bool abandoned;		/* its sessions will not be taken */
	pthread_t thread;
	bool started;			/* and not joined yet */
};

static void sessions_reserve(struct sessions *s, size_t more)
{
	if (s->n + more <= s->cap)
		return;
	s->cap = s->cap ? s->cap * 2 : 16;
	if (s->cap < s->n + more)
		s->cap = s->n + more;
	s->v = ag_realloc(s->v, s->cap * sizeof(*s->v));
}

static void sessions_free(struct sessions *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		session_clear(&s->v[i]);
	free(s->v);
}

/*
 * Reads the elements of a list from the one at cx->j.p on, until the
 * list ends, something fails, @abandoned is set, or the walk lands
 * between two elements on the start of splits[*next] or of a later one,
 * which *next then is.
 */
static enum run_end read_run(struct ctx *cx, const char *list, struct sessions *out,
			     const struct split *splits, size_t n_splits, size_t *next,
			     const atomic_bool *abandoned)
{
	bool first = false;

	do {
		sessions_reserve(out, 1);
		memset(&out->v[out->n], 0, sizeof(out->v[out->n]));
		cx->list = list;
		cx->index = out->n;
		/* Counted first, so that what it allocated is freed on failure. */
		if (!read_session(cx, &out->v[out->n++]))
			return RUN_FAILED;
		if (!ag_json_element(&cx->j, &first)) {
			/* As read_list(): a message about the list's syntax names no element. */
			cx->list = NULL;
			return cx->j.err[0] ? RUN_FAILED : RUN_LIST_END;
		}
		while (*next < n_splits && splits[*next].at < cx->j.p)
			(*next)++;
		if (*next < n_splits && splits[*next].at == cx->j.p)
			return RUN_AT_SPLIT;
	} while (!abandoned || !atomic_load_explicit(abandoned, memory_order_relaxed));
	return RUN_FAILED;
}

static void *split_run(void *arg)
{
	struct split *sp = arg;

	sp->next = sp - sp->all + 1;
	sp->end = read_run(&sp->cx, sp->list, &sp->got, sp->all, sp->n_all, &sp->next,
			   &sp->abandoned);
	return NULL;
}

/* Where an object of a list of objects might start: after "}," at or after @from. */
static const char *guess_element(const char *from, const char *end)
{
	const char *p = from;

	while ((p = memchr(p, '}', end - p))) {
		bool comma = false;

		for (p++; p < end; p++) {
			if (*p == ',' && !comma)
				comma = true;
			else if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
				break;
		}
		if (comma && p < end && *p == '{')
			return p;
	}
	return NULL;
}

/* Guesses where other threads could read the list at cx->j.p from, and starts them. */
static size_t split_start(struct ctx *cx, const char *list, struct split *splits)
{
	size_t len = cx->j.end - cx->j.p, threads = 1, n = 0, i;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *at = cx->j.p;

	if (len >= SPLIT_TEXT_MIN && cpus > 1)
		threads = cpus < SPLIT_THREADS_MAX ? cpus : SPLIT_THREADS_MAX;
	for (i = 1; i < threads; i++) {
		const char *from = cx->j.p + len / threads * i;

		at = guess_element(from > at ? from : at + 1, cx->j.end);
		if (!at)
			break;
		splits[n++].at = at;
	}
	for (i = 0; i < n; i++) {
		struct split *sp = &splits[i];

		sp->all = splits;
		sp->n_all = n;
		sp->list = list;
		ag_json_init(&sp->cx.j, cx->j.start, cx->j.end - cx->j.start);
		sp->cx.j.p = sp->at;
		sp->got = (struct sessions){ .v = NULL };
		sp->end = RUN_FAILED;
		atomic_init(&sp->abandoned, false);
		sp->started = !pthread_create(&sp->thread, NULL, split_run, sp);
	}
	return n;
}

/* The walk landed on @sp's start: takes the sessions its thread read from there, if it did. */
static bool split_take(struct split *sp, struct ctx *cx, struct sessions *out)
{
	if (!sp->started)
		return false;
	pthread_join(sp->thread, NULL);
	sp->started = false;
	if (sp->end == RUN_FAILED)
		return false;
	sessions_reserve(out, sp->got.n);
	memcpy(&out->v[out->n], sp->got.v, sp->got.n * sizeof(*sp->got.v));
	out->n += sp->got.n;
	sp->got.n = 0;
	cx->j.p = sp->cx.j.p;
	return true;
}

/* Stops the threads not taken, and frees what any read. */
static void split_stop(struct split *splits, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		atomic_store(&splits[i].abandoned, true);
	for (i = 0; i < n; i++) {
		if (splits[i].started)
			pthread_join(splits[i].thread, NULL);
		sessions_free(&splits[i].got);
		ag_json_free(&splits[i].cx.j);
	}
}

/* Reads a list of sessions into @v, as read_list() would. */
static bool read_sessions(struct ctx *cx, const char *list, struct ag_dsession **v, size_t *n)
{
	struct split splits[SPLIT_THREADS_MAX - 1];
	struct sessions got = { .v = NULL };
	size_t n_splits, next = 0;
	enum run_end end;
	bool first = true;

	if (!ag_json_array(&cx->j))
		return false;
	if (!ag_json_element(&cx->j, &first))
		return !cx->j.err[0];
	n_splits = split_start(cx, list, splits);
	do {
		end = read_run(cx, list, &got, splits, n_splits, &next, NULL);
		while (end == RUN_AT_SPLIT && split_take(&splits[next], cx, &got)) {
			end = splits[next].end;
			next = splits[next].next;
		}
	} while (end == RUN_AT_SPLIT);
	split_stop(splits, n_splits);
	*v = got.v;
	*n = got.n;
	if (end == RUN_FAILED)
		return false;
	/* The walk may have ended in another thread's reader. */
	cx->list = NULL;
	return true;
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

static bool read_network_item(struct ctx *cx, void *item)
{
	return read_network(cx, item);
}

static bool read_policy_item(struct ctx *cx, void *item)
{
	return ag_policy_read(&cx->j, item);
}

static bool read_name_item(struct ctx *cx, void *item)
{
	const char *str;

	if (!ag_json_string(&cx->j, &str))
		return false;
	*(char **)item = ag_strdup(str);
	return true;
}

enum {
	R_GENERATION, R_RELAY, R_INSTANCES, R_NETWORKS, R_SESSIONS, R_POLICIES,
	R_BASE, R_UPSERT, R_REMOVE
};

#define R_BIT(k) (1u << (k))
#define R_FULL_ONLY (R_BIT(R_INSTANCES) | R_BIT(R_NETWORKS) | R_BIT(R_SESSIONS) | R_BIT(R_POLICIES))
#define R_DELTA_ONLY (R_BIT(R_BASE) | R_BIT(R_UPSERT) | R_BIT(R_REMOVE))

/* The root of either kind of document; which one it was is known at its end. */
static bool read_root(struct ctx *cx, struct ag_desired *d, struct ag_delta *dl,
		      unsigned int *seen, bool *unknown)
{
	static const char *const keys[] = {
		"generation", "relay", "instances", "networks", "sessions", "policies",
		"base", "sessions_upsert", "sessions_remove", NULL
	};
	bool first = true;
	const char *key, *str;

	if (!ag_json_object(&cx->j))
		return false;
	while (ag_json_member(&cx->j, &first, &key)) {
		bool ok = true;

		switch (key_index(cx, key, keys, seen)) {
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
			ok = read_sessions(cx, "sessions", &d->sessions, &d->n_sessions);
			break;
		case R_POLICIES:
			ok = read_list(cx, "policies", (void **)&d->policies, &d->n_policies,
				       sizeof(*d->policies), read_policy_item);
			break;
		case R_BASE:
			ok = ag_json_uint(&cx->j, INT64_MAX, &dl->base);
			break;
		case R_UPSERT:
			ok = read_sessions(cx, "sessions_upsert", &dl->upserts, &dl->n_upserts);
			break;
		case R_REMOVE:
			ok = read_list(cx, "sessions_remove", (void **)&dl->removes, &dl->n_removes,
				       sizeof(*dl->removes), read_name_item);
			break;
		default:
			*unknown = true;
			ok = ag_json_skip(&cx->j);
		}
		if (!ok)
			return false;
	}
	if (!ag_json_end(&cx->j))
		return false;
	if (*seen & R_BIT(R_BASE)) {
		/* A delta says what changed: a key it does not know could be a change missed. */
		if ((*seen & R_FULL_ONLY) || *unknown)
			return fail(cx, "a delta state has only generation, base, relay, "
				    "sessions_upsert and sessions_remove");
		if ((*seen & 0x1c3) != 0x1c3)
			return fail(cx, "a delta state needs generation, base, relay, "
				    "sessions_upsert and sessions_remove");
		return true;
	}
	if (*seen & R_DELTA_ONLY)
		return fail(cx, "sessions_upsert and sessions_remove belong to a delta state, with its base");
	if ((*seen & 0x17) != 0x17)
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

static uint64_t name_key(const char *name)
{
	uint64_t h = ag_text_hash(name);

	return h ? h : 1;
}

static struct ag_dsession *session_named(const struct ag_desired *d, const char *name)
{
	struct ag_dsession *s = ag_map_get(&d->session_by_name, name_key(name));

	return s && !strcmp(s->name, name) ? s : NULL;
}

/* What one session must satisfy against its state's instances. */
static const char *check_session(const struct ag_desired *d, const struct ag_dsession *s,
				 const char *list, size_t i, char *why, size_t len)
{
	const struct ag_instance_desc *inst = ag_map_get(&d->instance_by_id, s->desc.instance);
	int side;

	if (!inst) {
		snprintf(why, len, "%s[%zu] (%s): instance %u is not in the state's instances",
			 list, i, s->name, s->desc.instance);
		return why;
	}
	if (inst->network && inst->network != s->desc.network) {
		snprintf(why, len, "%s[%zu] (%s): network %u differs from instance %u's network %u",
			 list, i, s->name, s->desc.network, inst->id, inst->network);
		return why;
	}
	for (side = 0; side < 2; side++) {
		uint16_t port = s->desc.side[side].port;

		if (port < inst->port_min || port > inst->port_max) {
			snprintf(why, len, "%s[%zu] (%s): port %u is outside instance %u's range %u-%u",
				 list, i, s->name, port, inst->id, inst->port_min, inst->port_max);
			return why;
		}
	}
	if (s->desc.side[0].port == s->desc.side[1].port) {
		snprintf(why, len, "%s[%zu] (%s): side a and side b use the same port",
			 list, i, s->name);
		return why;
	}
	return NULL;
}

/* Room for a few sessions more, so that a delta adding one moves nothing. */
static void reserve_sessions(struct ag_desired *d, size_t n)
{
	if (n <= d->cap_sessions)
		return;
	d->cap_sessions = n + n / 8 + 16;
	d->sessions = ag_realloc(d->sessions, d->cap_sessions * sizeof(*d->sessions));
	d->fingerprints = ag_realloc(d->fingerprints, d->cap_sessions * sizeof(*d->fingerprints));
}

/* What the syntax cannot say: references, ranges, uniqueness. */
static const char *check(struct ag_desired *d, char *why, size_t len)
{
	size_t i;

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
	reserve_sessions(d, d->n_sessions + 1);
	ag_map_reserve(&d->session_by_key, d->n_sessions);
	ag_map_reserve(&d->session_by_name, d->n_sessions);
	for (i = 0; i < d->n_sessions; i++) {
		struct ag_dsession *s = &d->sessions[i];
		char name[AG_SESSION_NAME_LEN];

		if (check_session(d, s, "sessions", i, why, len))
			return why;
		if (ag_map_put(&d->session_by_key, ag_desc_key(&s->desc), s)) {
			snprintf(why, len, "sessions[%zu] (%s): %s appears twice", i, s->name,
				 ag_session_name(&s->desc, name));
			return why;
		}
		if (ag_map_put(&d->session_by_name, name_key(s->name), s))
			d->no_delta = true;
		d->fingerprints[i] = ag_session_fingerprint(&s->desc, s->name);
	}
	return NULL;
}

static void read_failed(struct ctx *cx, char *err, size_t errlen)
{
	if (cx->list)
		snprintf(err, errlen, "%s[%zu]: %s", cx->list, cx->index, cx->j.err);
	else
		snprintf(err, errlen, "%s", cx->j.err);
}

int ag_state_parse(const char *buf, size_t len, struct ag_desired **full,
		   struct ag_delta **delta, char *err, size_t errlen)
{
	struct ag_desired *d = ag_calloc(1, sizeof(*d));
	struct ag_delta *dl = ag_calloc(1, sizeof(*dl));
	struct ctx cx = { .list = NULL };
	unsigned int seen = 0;
	bool unknown = false;
	char why[256];

	*full = NULL;
	*delta = NULL;
	ag_map_init(&d->instance_by_id);
	ag_map_init(&d->session_by_key);
	ag_map_init(&d->session_by_name);
	ag_map_init(&d->network_by_id);
	ag_json_init(&cx.j, buf, len);
	if (!read_root(&cx, d, dl, &seen, &unknown)) {
		read_failed(&cx, err, errlen);
		ag_json_free(&cx.j);
		ag_desired_free(d);
		ag_delta_free(dl);
		return -1;
	}
	ag_json_free(&cx.j);
	if (seen & R_BIT(R_BASE)) {
		dl->generation = d->generation;
		dl->relay = d->relay;
		d->relay = NULL;
		ag_desired_free(d);
		*delta = dl;
		return 0;
	}
	ag_delta_free(dl);
	if (check(d, why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);
		ag_desired_free(d);
		return -1;
	}
	*full = d;
	return 0;
}

/*
 * Everything a delta must satisfy before anything is changed: its
 * sessions valid against the state's instances and policies, its names
 * each once, what it removes present, and no two sessions on the same
 * ports afterwards.
 */
static const char *check_delta(struct ag_desired *d, const struct ag_delta *dl,
			       char *why, size_t len)
{
	struct ag_map names, vacated, claimed;
	const char *bad = NULL;
	size_t i;

	ag_map_init(&names);
	ag_map_init(&vacated);
	ag_map_init(&claimed);
	for (i = 0; !bad && i < dl->n_removes; i++) {
		const struct ag_dsession *old = session_named(d, dl->removes[i]);

		if (!old)
			bad = "a session it removes is not in the state held";
		else if (ag_map_put(&names, name_key(dl->removes[i]), dl->removes[i]))
			bad = "a name appears twice";
		else
			ag_map_put(&vacated, ag_desc_key(&old->desc), (void *)old);
		if (bad)
			snprintf(why, len, "sessions_remove[%zu] (%s): %s", i, dl->removes[i], bad);
	}
	for (i = 0; !bad && i < dl->n_upserts; i++) {
		struct ag_dsession *s = &dl->upserts[i];
		const struct ag_dsession *old = session_named(d, s->name);

		if (ag_map_put(&names, name_key(s->name), s->name)) {
			snprintf(why, len, "sessions_upsert[%zu] (%s): a name appears twice", i, s->name);
			bad = why;
		} else if (!old && ag_map_get(&d->session_by_name, name_key(s->name))) {
			/* Another name with the same hash: not addressable. */
			snprintf(why, len, "sessions_upsert[%zu] (%s): name not addressable", i, s->name);
			bad = why;
		} else if (s->policy_name && !(s->policy = find_policy(d, s->policy_name))) {
			snprintf(why, len, "sessions_upsert[%zu] (%s): no policy '%s' in the state",
				 i, s->name, s->policy_name);
			bad = why;
		} else {
			bad = check_session(d, s, "sessions_upsert", i, why, len);
		}
		if (!bad && old)
			ag_map_put(&vacated, ag_desc_key(&old->desc), (void *)old);
	}
	for (i = 0; !bad && i < dl->n_upserts; i++) {
		const struct ag_dsession *s = &dl->upserts[i];
		uint64_t key = ag_desc_key(&s->desc);
		const struct ag_dsession *holder = ag_map_get(&d->session_by_key, key);
		char name[AG_SESSION_NAME_LEN];

		if (ag_map_put(&claimed, key, (void *)s) ||
		    (holder && !ag_map_get(&vacated, key))) {
			snprintf(why, len, "sessions_upsert[%zu] (%s): %s is another session's", i,
				 s->name, ag_session_name(&s->desc, name));
			bad = why;
		}
	}
	ag_map_free(&names);
	ag_map_free(&vacated);
	ag_map_free(&claimed);
	return bad;
}

/* Takes session @i out, the last one taking its place. */
static void remove_session(struct ag_desired *d, size_t i)
{
	struct ag_dsession *s = &d->sessions[i];
	size_t last = d->n_sessions - 1;

	ag_map_del(&d->session_by_key, ag_desc_key(&s->desc));
	ag_map_del(&d->session_by_name, name_key(s->name));
	session_clear(s);
	if (i != last) {
		*s = d->sessions[last];
		d->fingerprints[i] = d->fingerprints[last];
		ag_map_put(&d->session_by_key, ag_desc_key(&s->desc), s);
		ag_map_put(&d->session_by_name, name_key(s->name), s);
	}
	d->n_sessions--;
}

static void rebuild_session_maps(struct ag_desired *d)
{
	size_t i;

	ag_map_free(&d->session_by_key);
	ag_map_free(&d->session_by_name);
	ag_map_init(&d->session_by_key);
	ag_map_init(&d->session_by_name);
	for (i = 0; i < d->n_sessions; i++) {
		ag_map_put(&d->session_by_key, ag_desc_key(&d->sessions[i].desc), &d->sessions[i]);
		ag_map_put(&d->session_by_name, name_key(d->sessions[i].name), &d->sessions[i]);
	}
}

int ag_desired_apply(struct ag_desired *d, const struct ag_delta *dl, struct ag_vec *touched,
		     char *err, size_t errlen)
{
	struct ag_dsession *before;
	size_t i, added = 0;

	if (d->no_delta) {
		snprintf(err, errlen, "the state held has sessions sharing a name: deltas cannot apply");
		return -1;
	}
	if (dl->base != d->generation) {
		snprintf(err, errlen, "delta from generation %" PRIu64 ", the state held is %" PRIu64,
			 dl->base, d->generation);
		return -1;
	}
	if (strcmp(dl->relay, d->relay)) {
		snprintf(err, errlen, "delta for relay '%s', the state held is '%s''s", dl->relay,
			 d->relay);
		return -1;
	}
	if (check_delta(d, dl, err, errlen))
		return -1;

	for (i = 0; i < dl->n_removes; i++) {
		struct ag_dsession *s = session_named(d, dl->removes[i]);

		ag_vec_push(touched, (void *)(uintptr_t)ag_desc_key(&s->desc));
		remove_session(d, s - d->sessions);
	}
	for (i = 0; i < dl->n_upserts; i++)
		added += !session_named(d, dl->upserts[i].name);
	before = d->sessions;
	reserve_sessions(d, d->n_sessions + added);
	if (before != d->sessions)
		rebuild_session_maps(d);
	for (i = 0; i < dl->n_upserts; i++) {
		struct ag_dsession *s = session_named(d, dl->upserts[i].name);
		uint64_t key;

		if (!s)
			continue;
		key = ag_desc_key(&s->desc);
		ag_vec_push(touched, (void *)(uintptr_t)key);
		/* Only if still its: another upsert may have taken the key already. */
		if (ag_map_get(&d->session_by_key, key) == s)
			ag_map_del(&d->session_by_key, key);
	}
	for (i = 0; i < dl->n_upserts; i++) {
		const struct ag_dsession *u = &dl->upserts[i];
		struct ag_dsession *s = session_named(d, u->name);

		if (!s) {
			s = &d->sessions[d->n_sessions++];
			memset(s, 0, sizeof(*s));
		}
		session_clear(s);
		s->desc = u->desc;
		s->name = ag_strdup(u->name);
		s->policy_name = u->policy_name ? ag_strdup(u->policy_name) : NULL;
		s->policy = u->policy;
		if (s->policy)
			s->desc.policy = session_policy_hash(s->policy);
		d->fingerprints[s - d->sessions] = ag_session_fingerprint(&s->desc, s->name);
		ag_vec_push(touched, (void *)(uintptr_t)ag_desc_key(&s->desc));
		ag_map_put(&d->session_by_key, ag_desc_key(&s->desc), s);
		ag_map_put(&d->session_by_name, name_key(s->name), s);
	}
	d->generation = dl->generation;
	return 0;
}

void ag_delta_free(struct ag_delta *dl)
{
	size_t i;

	if (!dl)
		return;
	for (i = 0; i < dl->n_upserts; i++)
		session_clear(&dl->upserts[i]);
	for (i = 0; i < dl->n_removes; i++)
		free(dl->removes[i]);
	free(dl->upserts);
	free(dl->removes);
	free(dl->relay);
	free(dl);
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
	ag_map_free(&d->session_by_name);
	ag_map_free(&d->network_by_id);
	free(d->instances);
	free(d->sessions);
	free(d->fingerprints);
	free(d->networks);
	free(d->relay);
	free(d);
}
