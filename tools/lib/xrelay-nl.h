/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small client for the "xrelay" generic netlink family: one socket per
 * struct xr_nl, requests with their replies or dumps handed to a callback
 * message by message, and failures described by the kernel's extended ACK.
 */
#ifndef XRELAY_NL_H
#define XRELAY_NL_H

#include <stdint.h>
#include <netlink/msg.h>

struct xr_nl {
	struct nl_sock *sock;
	int family;
	int error;		/* errno of the last failure, 0 after success */
	char errmsg[256];	/* the kernel's extack text, else strerror(error) */
};

/* Returns 0, or a negative errno that ends the request with that error. */
typedef int (*xr_nl_msg_fn)(struct nlmsghdr *nlh, void *arg);

/*
 * Connects and resolves the family. Fails with ENOENT and says so when the
 * module is not loaded.
 */
int xr_nl_open(struct xr_nl *nl);
void xr_nl_close(struct xr_nl *nl);

/* A request for @cmd; @flags such as NLM_F_DUMP. NULL when out of memory. */
struct nl_msg *xr_nl_msg(struct xr_nl *nl, uint8_t cmd, int flags);

/*
 * Sends @msg (and frees it), hands every reply message to @fn (may be NULL)
 * until the kernel's ACK or the end of the dump. Returns 0 or -1 with
 * nl->error and nl->errmsg set. After an error from @fn the remaining
 * replies are read and dropped, so the socket stays usable.
 */
int xr_nl_request(struct xr_nl *nl, struct nl_msg *msg, xr_nl_msg_fn fn, void *arg);

/*
 * Joins multicast group @group of the family. A subscribed socket is for
 * events only: use another one for requests.
 */
int xr_nl_subscribe(struct xr_nl *nl, const char *group);

/* For poll(): readable when xr_nl_receive() has something to read. */
int xr_nl_fd(const struct xr_nl *nl);

/*
 * Reads one batch of events and hands each to @fn. Returns 0 or -1 with
 * nl->error and nl->errmsg set; ENOBUFS means events were lost because
 * the socket's receive buffer overflowed, and the socket stays usable.
 */
int xr_nl_receive(struct xr_nl *nl, xr_nl_msg_fn fn, void *arg);

#endif /* XRELAY_NL_H */
