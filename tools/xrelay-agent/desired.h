/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The desired state: the JSON document ctld serves this relay (see
 * Documentation/ctld.rst), parsed into the descriptions the kernel's state
 * is compared with. A document that does not parse in full is refused as
 * a whole: the kernel is never changed after half a document. Unknown
 * keys are skipped, so that ctld may add some.
 */
#ifndef AG_DESIRED_H
#define AG_DESIRED_H

#include <stddef.h>
#include <stdint.h>

#include "map.h"
#include "model.h"
#include "policy.h"
#include "util.h"

struct ag_dsession {
	struct ag_session_desc desc;
	char *name;
	char *policy_name;			/* its own, or NULL */
	const struct ag_policy *policy;
};

struct ag_network {
	uint32_t id;
	char *name;
	char *policy_name;			/* NULL: none */
	const struct ag_policy *policy;
	char *policy_canon;			/* ag_policy_canon(); "" without one */
};

struct ag_desired {
	uint64_t generation;
	char *relay;
	struct ag_instance_desc *instances;
	size_t n_instances;
	struct ag_map instance_by_id;	/* -> struct ag_instance_desc */
	struct ag_dsession *sessions;
	size_t n_sessions, cap_sessions;
	uint64_t *fingerprints;		/* of sessions[], packed for a quick walk */
	struct ag_map session_by_key;	/* ag_session_key() -> struct ag_dsession */
	struct ag_map session_by_name;	/* ag_name_key() -> struct ag_dsession */
	/* Two sessions share a name (or its hash): deltas cannot name them. */
	bool no_delta;
	struct ag_network *networks;
	size_t n_networks;
	struct ag_map network_by_id;	/* -> struct ag_network */
	struct ag_policy *policies;
	size_t n_policies;
};

/*
 * A delta state: the sessions added or changed (by name) and removed
 * since generation base, everything else as it was (see
 * Documentation/ctld.rst, "Delta states").
 */
struct ag_delta {
	uint64_t generation, base;
	char *relay;
	struct ag_dsession *upserts;
	size_t n_upserts;
	char **removes;
	size_t n_removes;
};

/*
 * Reads a full state into *@full or a delta into *@delta (one of them is
 * set), or returns -1 with the reason in @err when the document is
 * neither.
 */
int ag_state_parse(const char *buf, size_t len, struct ag_desired **full,
		   struct ag_delta **delta, char *err, size_t errlen);
void ag_desired_free(struct ag_desired *d);
void ag_delta_free(struct ag_delta *dl);

/*
 * Applies @dl to @d, which must hold generation dl->base, all or nothing:
 * -1 with the reason in @err leaves @d as it was. The keys of the
 * sessions the delta touched (old and new) are added to @touched.
 */
int ag_desired_apply(struct ag_desired *d, const struct ag_delta *dl, struct ag_vec *touched,
		     char *err, size_t errlen);

#endif /* AG_DESIRED_H */
