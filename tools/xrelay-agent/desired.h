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
	size_t n_sessions;
	uint64_t *fingerprints;		/* of sessions[], packed for a quick walk */
	struct ag_map session_by_key;	/* ag_session_key() -> struct ag_dsession */
	struct ag_network *networks;
	size_t n_networks;
	struct ag_map network_by_id;	/* -> struct ag_network */
	struct ag_policy *policies;
	size_t n_policies;
};

/* NULL, with the reason in @err, when the document is not a valid state. */
struct ag_desired *ag_desired_parse(const char *buf, size_t len, char *err, size_t errlen);
void ag_desired_free(struct ag_desired *d);

#endif /* AG_DESIRED_H */
