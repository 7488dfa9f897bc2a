/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Overlay policies: the state document's "policies", applied as kernel
 * network objects (a network's policy) and as session attributes (a
 * session's own policy). A policy is read from the document or from the
 * kernel's reply into one normalized form; its canonical text, equal for
 * equal policies however each side orders its lists or leaves defaults
 * out, is what the agent compares.
 *
 * What the kernel cannot hold is left out: a session's own policy brings
 * its session rate limit, quota, protocol guard and admission lists (on
 * both sides); the network-wide rate limit, session cap and hub of a
 * session's own policy have no session counterpart.
 */
#ifndef AG_POLICY_H
#define AG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netlink/msg.h>

#include "json.h"

/* Strings, sorted and unique once normalized: prefixes as ADDR/LEN, names. */
struct ag_strs {
	char **v;
	size_t n;
};

struct ag_rate {
	uint64_t pps, burst_packets;	/* 0: no packet rate */
	uint64_t bps, burst_bytes;	/* 0: no bit rate */
};

/* One end of a hub rule: a group, a prefix, or neither: any. */
struct ag_hub_end {
	char *group;
	char *prefix;
};

struct ag_hub_rule {
	bool allow;
	struct ag_hub_end from, to;
	uint8_t protocol;		/* 0: any */
	uint16_t port_min, port_max;	/* 0: any */
};

struct ag_hub_group {
	char *name;
	struct ag_strs members;
};

struct ag_hub {
	bool present, locked;
	struct ag_strs interfaces;
	struct ag_hub_group *groups;
	size_t n_groups;
	struct ag_hub_rule *rules;
	size_t n_rules;
};

struct ag_policy {
	char *name;
	struct ag_strs allow, deny;
	struct ag_rate rate;		/* the whole network's */
	struct ag_rate session_rate;
	uint64_t session_quota;		/* 0: none */
	uint32_t max_sessions;		/* 0: none */
	bool has_protocol;
	uint8_t protocol;		/* XRELAY_PROTOCOL_* */
	struct ag_hub hub;
};

/* A session's policy as the kernel holds it: admission per side. */
struct ag_session_policy {
	struct ag_rate rate;
	uint64_t quota;
	bool has_protocol;
	uint8_t protocol;
	struct ag_strs allow[2], deny[2];
};

void ag_policy_free(struct ag_policy *p);

/* Reads one of the document's policies; false with j->err set. */
bool ag_policy_read(struct ag_json *j, struct ag_policy *p);
/* Reads a network-get reply for one network; -1 if malformed. */
int ag_policy_from_network(struct nlmsghdr *nlh, uint32_t *id, struct ag_policy *p);
/* Reads the policy parts of a session reply's attributes; -1 if malformed. */
int ag_policy_from_session(struct nlattr **session_tb, struct ag_session_policy *sp);
void ag_session_policy_free(struct ag_session_policy *sp);
/* What a session gets from its own policy @p (NULL: nothing). */
void ag_session_policy_of(const struct ag_policy *p, struct ag_session_policy *sp);

/* Canonical texts, to be freed; "" for no policy at all. */
char *ag_policy_canon(const struct ag_policy *p);
char *ag_session_policy_canon(const struct ag_session_policy *sp);

/*
 * A network-new or network-set request for network @id with policy @p
 * (NULL: no policy), sized for it. NULL when out of memory.
 */
struct nl_msg *ag_policy_network_msg(int family, uint8_t cmd, uint32_t id,
				     const struct ag_policy *p);
/* Adds a session's own policy to a session-new request. */
int ag_policy_put_session(struct nl_msg *msg, const struct ag_policy *p);
/* Adds @p's admission lists to the side nest being built. */
int ag_policy_put_side(struct nl_msg *msg, const struct ag_policy *p);

#endif /* AG_POLICY_H */
