/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the agent compares: the description of an instance or a session,
 * as the state document gives it and as the kernel reports it back. A
 * session is known by its instance and its two ports (the kernel's ids
 * are its own business); two descriptions that are equal mean the kernel
 * session may stay, with its learned peers and its counters.
 */
#ifndef AG_MODEL_H
#define AG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xrelay-parse.h"

struct ag_instance_desc {
	uint32_t id;
	uint32_t network;	/* 0: shared */
	struct xr_addr addr;
	uint16_t port_min, port_max;
};

struct ag_side_desc {
	uint16_t port;
	bool pinned;
	struct xr_endpoint peer;	/* pinned sides */
	bool has_allow;			/* learned sides: */
	struct xr_prefix allow;
	uint32_t relearn_timeout;
};

struct ag_session_desc {
	uint32_t instance;
	uint32_t network;
	uint32_t idle_timeout;
	uint32_t lifetime;		/* 0: none */
	struct ag_side_desc side[2];
	/* The session's own policy, as ag_text_hash() of its canonical text; 0: none. */
	uint64_t policy;
};

/* Counters of one session side, or of anything else that forwards. */
struct ag_counters {
	uint64_t packets, bytes, drops;
};

/* Room for ag_session_name()'s text. */
#define AG_SESSION_NAME_LEN 64

static inline uint64_t ag_session_key(uint32_t instance, uint16_t port_a, uint16_t port_b)
{
	return (uint64_t)instance << 32 | (uint32_t)port_a << 16 | port_b;
}

static inline uint64_t ag_desc_key(const struct ag_session_desc *d)
{
	return ag_session_key(d->instance, d->side[0].port, d->side[1].port);
}

bool ag_instance_desc_equal(const struct ag_instance_desc *x, const struct ag_instance_desc *y);
bool ag_session_desc_equal(const struct ag_session_desc *x, const struct ag_session_desc *y);
/*
 * A 64-bit hash of a session's description and name: equal fingerprints
 * at the same place in two successive states mean the session did not
 * change (see reconcile.c).
 */
uint64_t ag_session_fingerprint(const struct ag_session_desc *d, const char *name);
/* A 64-bit hash of a text; 0 for the empty text. */
uint64_t ag_text_hash(const char *text);
/* "instance 1 ports 40000-40001", for messages. */
char *ag_session_name(const struct ag_session_desc *d, char buf[AG_SESSION_NAME_LEN]);

void ag_counters_add(struct ag_counters *sum, const struct ag_counters *c);
bool ag_counters_zero(const struct ag_counters *c);

#endif /* AG_MODEL_H */
