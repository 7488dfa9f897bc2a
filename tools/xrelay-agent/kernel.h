/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's side of the "xrelay" generic netlink family: one socket for
 * requests (dumps, and changes pipelined through tools/lib's batch API)
 * and one subscribed to the family's events.
 */
#ifndef AG_KERNEL_H
#define AG_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "mirror.h"
#include "model.h"
#include "policy.h"
#include "xrelay-nl.h"

struct ag_kernel {
	struct xr_nl req;
	struct xr_nl events;
	bool up;
};

/* What a session-expired event says. */
struct ag_expiry {
	uint32_t id;
	uint64_t key;
	uint32_t network;
	bool lifetime;		/* ended by its lifetime, not idle */
	struct ag_counters side[2];	/* final counters */
};

/*
 * Opens both sockets. Returns 0, or -1 with the reason in @err; errno is
 * ENOENT when the module is not loaded.
 */
int ag_kernel_open(struct ag_kernel *k, char *err, size_t errlen);
void ag_kernel_close(struct ag_kernel *k);

/* Reads the namespace's networks, instances, sessions and totals into the empty @m. */
int ag_kernel_dump(struct ag_kernel *k, struct ag_mirror *m);

/* @policy: the session's own, or NULL. */
struct nl_msg *ag_kernel_session_new(struct ag_kernel *k, const struct ag_session_desc *d,
				     const struct ag_policy *policy);
struct nl_msg *ag_kernel_session_del(struct ag_kernel *k, const struct ag_session_desc *d);
/* Synchronous; on failure k->req.error and errmsg say why. */
int ag_kernel_instance_new(struct ag_kernel *k, const struct ag_instance_desc *d);
int ag_kernel_instance_del(struct ag_kernel *k, uint32_t id);
/* network-new or network-set (@cmd) of network @id with @policy (NULL: none). */
int ag_kernel_network_put(struct ag_kernel *k, uint8_t cmd, uint32_t id,
			  const struct ag_policy *policy);
int ag_kernel_network_del(struct ag_kernel *k, uint32_t id);

/* The id in a session-new reply; 0 if there is none. */
uint32_t ag_kernel_reply_id(struct nlmsghdr *nlh);
/* Returns 0 and fills @e for a session-expired event, else -1. */
int ag_kernel_parse_expiry(struct nlmsghdr *nlh, struct ag_expiry *e);

#endif /* AG_KERNEL_H */
