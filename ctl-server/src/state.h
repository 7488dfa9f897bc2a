/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The desired state of every relay: the static sessions of the loaded
 * configuration plus the allocations placed on it, rendered as the JSON
 * document a relay's agent applies. Each relay's document carries a
 * generation that increases whenever the document changes, and only then.
 */
#ifndef CTLD_STATE_H
#define CTLD_STATE_H

#include <jansson.h>
#include <stdint.h>
#include <sys/queue.h>

#include "delta.h"
#include "hashmap.h"
#include "model.h"

#define ALLOC_ID_LEN 32		/* hex characters */

struct alloc {
	char id[ALLOC_ID_LEN + 1];
	char *owner;		/* the allocator client's name */
	char *idem;		/* the client's Idempotency-Key, or NULL */
	char *network;		/* network name */
	char *relay;		/* relay name */
	struct prefix addr;	/* relay address the endpoints talk to */
	uint16_t port_a, port_b;
	bool has_allow_a, has_allow_b;
	struct prefix allow_a, allow_b;
	int64_t created, expires;	/* Unix seconds */
	int64_t orphaned_at;	/* when it stopped fitting the configuration; 0: placed */
	const char *text;	/* its session's JSON, owned by rs->shown; NULL: to render */
	const struct network *net;	/* its network in cfg, while text is set */
	struct relay_state *rs;
	TAILQ_ENTRY(alloc) link;
};

struct waiter;

struct relay_report {
	bool present;
	uint64_t applied_generation;
	int64_t at;		/* Unix seconds */
	json_t *errors;		/* array of strings */
	json_t *counters;	/* object of numbers */
	json_t *networks;	/* network name -> object of numbers, or NULL */
	json_t *sessions;	/* session name -> object of numbers, or NULL */
};

struct relay_state {
	char *name;
	const struct relay *relay;	/* in the current configuration */
	const struct session **statics;
	size_t n_statics;
	uint64_t generation;
	bool stale;		/* generation and body predate cfg: see state_current */
	char *content;		/* document without its generation, to compare */
	char *body;		/* document served */
	size_t body_len;
	/*
	 * Each session's JSON is rendered once and kept until it may have
	 * changed (a new configuration, a new allocation): a change to one
	 * session of a hundred thousand renders that one, and comparing the
	 * texts by name gives the delta.
	 */
	const char **static_text;	/* like statics, owned by shown; NULL: to render */
	char *head;		/* the document up to its sessions, to compare */
	struct hashmap shown;	/* session name -> struct shown_session, as served */
	size_t shown_stamp;
	/*
	 * Until every cached text is known still shown (a new configuration
	 * dropped them), the next render compares every session by name;
	 * otherwise only the rendered ones, and gone names what left.
	 */
	bool sweep;
	char **gone;		/* names of shown allocations detached since */
	size_t n_gone, cap_gone;
	struct delta_history deltas;
	uint64_t used[65536 / 64];	/* ports taken, static or allocated */
	uint16_t cursor;	/* next-fit start, so freed ports rest a while */
	TAILQ_HEAD(, alloc) allocs;
	size_t n_allocs;
	TAILQ_HEAD(, waiter) waiters;
	size_t n_waiters;
	struct relay_report report;
};

struct state;

struct state_hooks {
	/* The relay's document has a new generation. */
	void (*changed)(struct state *st, struct relay_state *rs);
	/* The relay left the configuration; rs is freed right after. */
	void (*removed)(struct state *st, struct relay_state *rs);
	/*
	 * An allocation no longer fits the configuration: it is off its relay
	 * and among the orphans (st->orphans), until it fits again or its
	 * grace ends (alloc.c).
	 */
	void (*orphaned)(struct state *st, struct alloc *a, const char *why);
};

struct state {
	struct config *cfg;
	struct relay_state **relays;	/* indexed like cfg->relays */
	size_t n_relays;
	struct hashmap by_name;		/* relay name -> relay_state */
	struct hashmap allocs;		/* id -> alloc */
	size_t n_allocs;
	struct hashmap orphans;		/* id -> alloc, on no relay */
	size_t n_orphans;
	uint64_t next_generation;
	/*
	 * On a new configuration, render at once only the relays someone is
	 * waiting on, so that their answers are not held up by the rest; the
	 * others stay stale until state_settle or state_current.
	 */
	bool defer_idle;
	size_t n_stale;
	struct state_hooks hooks;
	void *hook_arg;
	/*
	 * The JSON text of each network and policy of cfg, made once per
	 * configuration: a thousand relays' documents share the same few.
	 */
	char **network_text, **policy_text;
	/* Render scratch: which were used by the document being rendered. */
	size_t *network_used, *policy_used;
	size_t *network_order, *policy_order;
	size_t render_stamp;
};

void state_init(struct state *st, uint64_t first_generation);
/*
 * Make cfg current (the state takes ownership and frees the previous
 * one): relays are added and removed, allocations that no longer fit are
 * reclaimed, and every document that changed gets a new generation.
 */
void state_apply_config(struct state *st, struct config *cfg);
/*
 * Would cfg take more than @percent of some relay's static sessions (gone,
 * or moved to another relay), or its allocations with the relay itself,
 * counting relays with two or more? Then true, with the first such relay
 * named in @why.
 */
bool state_removal(const struct state *st, const struct config *cfg, unsigned percent,
		   char *why, size_t len);
void state_free(struct state *st);

struct relay_state *state_relay(const struct state *st, const char *name);
/* Re-render one relay after its allocations changed. */
void state_refresh_relay(struct state *st, struct relay_state *rs);
/* Render rs if stale: call before using its generation or body. */
void state_current(struct state *st, struct relay_state *rs);
/* Render every stale relay. */
void state_settle(struct state *st);
/* Is @session in rs's document as last rendered (see state_current)? */
bool state_shows(const struct relay_state *rs, const char *session);
size_t state_shown_count(const struct relay_state *rs);

static inline bool port_used(const struct relay_state *rs, uint16_t port)
{
	return rs->used[port / 64] >> (port % 64) & 1;
}

static inline void port_set(struct relay_state *rs, uint16_t port, bool used)
{
	if (used)
		rs->used[port / 64] |= 1ULL << (port % 64);
	else
		rs->used[port / 64] &= ~(1ULL << (port % 64));
}

/* Placement of allocations, for alloc.c: attach fills bits and lists. */
void state_attach_alloc(struct state *st, struct relay_state *rs, struct alloc *a);
void state_detach_alloc(struct state *st, struct alloc *a);
void alloc_free(struct alloc *a);
/* Set @a, on no relay now, among the orphans; take it out again. */
void state_add_orphan(struct state *st, struct alloc *a);
void state_remove_orphan(struct state *st, struct alloc *a);
size_t relay_load(const struct relay_state *rs);
json_t *policy_json(const struct policy *p);

#endif
