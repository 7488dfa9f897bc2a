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

#include "desired.h"
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

/* What one request of ag_kernel_send() came to. */
struct ag_answer {
	int error;		/* 0 or a positive errno */
	char *errmsg;		/* with an error, the kernel's message (to free) */
	uint32_t id;		/* the session id a session-new-batch reply gives */
};

/*
 * Builds one request of the first of the @n @items, or of as many as it
 * takes (*@taken); NULL when out of memory.
 */
typedef struct nl_msg *(*ag_build_fn)(struct ag_kernel *k, void **items, size_t n,
				      size_t *taken);

/*
 * Sends the requests @build makes of the @n @items, pipelined, and gives
 * each item its answer in @answers (zeroed by the caller). A request of
 * several items stops at the first that fails: the ones after it are sent
 * again. A long run is split over sockets of their own, one thread each,
 * as many as the CPUs (up to four): the kernel handles a socket's requests
 * in the sending thread, so on a relay with idle CPUs a hundred thousand
 * sessions reach the kernel that many times faster. The items must not
 * depend on each other's order.
 */
void ag_kernel_send(struct ag_kernel *k, void **items, size_t n, ag_build_fn build,
		    struct ag_answer *answers);

/* session-new-batch of the first sessions; each one's own policy goes with it. */
struct nl_msg *ag_kernel_sessions_new(struct ag_kernel *k, struct ag_dsession **sessions,
				      size_t n, size_t *taken);
/* session-del of the first session, by its instance and port. */
struct nl_msg *ag_kernel_session_del(struct ag_kernel *k, struct ag_ksession **sessions,
				     size_t n, size_t *taken);
/* Synchronous; on failure k->req.error and errmsg say why. */
int ag_kernel_instance_new(struct ag_kernel *k, const struct ag_instance_desc *d);
int ag_kernel_instance_del(struct ag_kernel *k, uint32_t id);
/* network-new or network-set (@cmd) of network @id with @policy (NULL: none). */
int ag_kernel_network_put(struct ag_kernel *k, uint8_t cmd, uint32_t id,
			  const struct ag_policy *policy);
int ag_kernel_network_del(struct ag_kernel *k, uint32_t id);

/* Returns 0 and fills @e for a session-expired event, else -1. */
int ag_kernel_parse_expiry(struct nlmsghdr *nlh, struct ag_expiry *e);

#endif /* AG_KERNEL_H */
