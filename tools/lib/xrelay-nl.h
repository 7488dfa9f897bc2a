/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small client for the "xrelay" generic netlink family: one socket per
 * struct xr_nl, requests with their replies or dumps handed to a callback
 * message by message, and failures described by the kernel's extended ACK.
 */
#ifndef XRELAY_NL_H
#define XRELAY_NL_H

#include <stdbool.h>
#include <stddef.h>
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

/*
 * Pipelined requests: many requests go out in one sendmsg() and their
 * answers are matched to them by sequence number, so that creating a
 * hundred thousand sessions costs a few hundred system calls instead of
 * two hundred thousand round trips. Only the last request of each send
 * asks for an ACK: the kernel handles a send's requests one after the
 * other before sendmsg() returns, so every error and reply of the others
 * has arrived by the time that ACK does, and a request with neither has
 * succeeded.
 *
 * The socket's receive buffer is raised (SO_RCVBUFFORCE when allowed) so
 * that a whole send's answers fit in it; answers the kernel still could
 * not queue are reported as ENOBUFS for the requests they belonged to.
 */

/*
 * Called once per request with the @cookie it was added with: @error is
 * 0 or a positive errno, @errmsg the kernel's extack text (or strerror),
 * @reply the kernel's reply message or NULL when there was none. A
 * request that replied and then failed (session-new-batch stopped part
 * way) is called twice: with its reply, then with its error. It must not
 * use the batch's socket: more answers may be waiting on it.
 */
typedef void (*xr_nl_batch_fn)(void *cookie, int error, const char *errmsg,
			       struct nlmsghdr *reply, void *arg);

enum xr_nl_answer { XR_NL_ANSWER_NONE, XR_NL_ANSWER_REPLY, XR_NL_ANSWER_ERROR };

struct xr_nl_batch {
	struct xr_nl *nl;
	xr_nl_batch_fn fn;
	void *arg;
	char *buf;		/* requests waiting to be sent */
	size_t len, cap;
	size_t last;		/* offset of the last request in buf */
	void **cookies;		/* of the requests in buf, in order */
	uint8_t *answered;	/* enum xr_nl_answer, per request in buf */
	size_t n, max;		/* queued, most per send */
	uint32_t first_seq, next_seq;
	char *rbuf;		/* receive buffers, for recvmmsg() */
};

/* Prepares @b for requests on @nl. Returns 0 or -1 with nl->error set. */
int xr_nl_batch_init(struct xr_nl_batch *b, struct xr_nl *nl, xr_nl_batch_fn fn, void *arg);

/*
 * Queues @msg (from xr_nl_msg(), freed here), sending the queue first
 * when it is full. Returns 0, or -1 when the socket failed: nl->error and
 * nl->errmsg say why, and the requests of the failed send were each
 * reported to the callback with that error.
 */
int xr_nl_batch_add(struct xr_nl_batch *b, struct nl_msg *msg, void *cookie);

/*
 * Sends what is queued and waits for its answers. Returns like add; a
 * return of -1 with ENOBUFS means some answers were lost and the outcome
 * of those requests is unknown.
 */
int xr_nl_batch_flush(struct xr_nl_batch *b);

void xr_nl_batch_free(struct xr_nl_batch *b);

#endif /* XRELAY_NL_H */
