// SPDX-License-Identifier: GPL-2.0-only
/* recvmmsg() */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/xrelay.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "xrelay-nl.h"

struct request {
	struct xr_nl *nl;
	xr_nl_msg_fn fn;
	void *arg;
	bool done;
};

static void set_error(struct xr_nl *nl, int error, const char *msg)
{
	nl->error = error;
	snprintf(nl->errmsg, sizeof(nl->errmsg), "%s", msg ? msg : strerror(error));
}

static void set_nl_error(struct xr_nl *nl, int nlerr)
{
	set_error(nl, EIO, nl_geterror(nlerr));
}

/*
 * The extended ACK text of an NLMSG_ERROR or NLMSG_DONE message @nlh, whose
 * TLVs start @tlv_offset bytes into its payload; NULL when it has none.
 */
static const char *extack_message(struct nlmsghdr *nlh, size_t tlv_offset)
{
	static const struct nla_policy policy[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG] = { .type = NLA_STRING },
	};
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t len = nlmsg_datalen(nlh);

	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && tlv_offset < len &&
	    !nla_parse(tb, NLMSGERR_ATTR_MAX,
		       (struct nlattr *)((char *)nlmsg_data(nlh) + tlv_offset),
		       len - tlv_offset, policy) &&
	    tb[NLMSGERR_ATTR_MSG])
		return nla_get_string(tb[NLMSGERR_ATTR_MSG]);
	return NULL;
}

/*
 * The TLVs of an NLMSG_ERROR come after the echoed request, or right after
 * its header when the echo was capped.
 */
static const char *ack_message(struct nlmsghdr *nlh)
{
	struct nlmsgerr *e = nlmsg_data(nlh);
	size_t tlv_offset = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		tlv_offset += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	return extack_message(nlh, tlv_offset);
}

/* Records the first error of a request, with the kernel's text if any. */
static void set_kernel_error(struct xr_nl *nl, int error, const char *msg)
{
	if (!nl->error)
		set_error(nl, error, msg);
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	int err;

	if (!req->fn || req->nl->error)
		return NL_OK;
	err = req->fn(nlmsg_hdr(msg), req->arg);
	if (err)
		set_error(req->nl, -err, NULL);
	return NL_OK;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

/* NLMSG_DONE carries the dump's error code, then the extack TLVs. */
static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int error;

	req->done = true;
	if (nlmsg_datalen(nlh) < (int)sizeof(error))
		return NL_STOP;
	memcpy(&error, nlmsg_data(nlh), sizeof(error));
	if (error < 0)
		set_kernel_error(req->nl, -error,
				 extack_message(nlh, NLMSG_ALIGN(sizeof(error))));
	return NL_STOP;
}

/*
 * libnl hands over the struct nlmsgerr that is the payload of the
 * NLMSG_ERROR message; the flags saying whether TLVs follow are in that
 * message's header just before it.
 */
static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct request *req = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);

	(void)nla;
	set_kernel_error(req->nl, -e->error, ack_message(nlh));
	req->done = true;
	return NL_STOP;
}

int xr_nl_open(struct xr_nl *nl)
{
	int one = 1;
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->sock = nl_socket_alloc();
	if (!nl->sock) {
		set_error(nl, ENOMEM, NULL);
		return -1;
	}
	err = genl_connect(nl->sock);
	if (err) {
		set_nl_error(nl, err);
		goto fail;
	}
	/*
	 * Extended ACKs carry the kernel's explanation of a rejection; a
	 * capped ACK leaves out the echo of our own request.
	 */
	if (setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) ||
	    setsockopt(nl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_CAP_ACK,
		       &one, sizeof(one))) {
		set_error(nl, errno, NULL);
		goto fail;
	}
	nl->family = genl_ctrl_resolve(nl->sock, XRELAY_FAMILY_NAME);
	if (nl->family == -NLE_OBJ_NOTFOUND) {
		set_error(nl, ENOENT, "xrelay module not loaded (no generic netlink family \""
			  XRELAY_FAMILY_NAME "\")");
		goto fail;
	}
	if (nl->family < 0) {
		set_nl_error(nl, nl->family);
		goto fail;
	}
	return 0;
fail:
	nl_socket_free(nl->sock);
	nl->sock = NULL;
	return -1;
}

void xr_nl_close(struct xr_nl *nl)
{
	nl_socket_free(nl->sock);
	nl->sock = NULL;
}

struct nl_msg *xr_nl_msg(struct xr_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, XRELAY_FAMILY_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int xr_nl_request(struct xr_nl *nl, struct nl_msg *msg, xr_nl_msg_fn fn, void *arg)
{
	struct request req = { .nl = nl, .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int err;

	nl->error = 0;
	nl->errmsg[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		set_error(nl, ENOMEM, NULL);
		return -1;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, &req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, &req);
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, &req);

	/* Asks for an ACK too, so a reply-less request has an end to wait for. */
	err = nl_send_auto(nl->sock, msg);
	nlmsg_free(msg);
	if (err < 0)
		set_nl_error(nl, err);
	while (err >= 0 && !req.done) {
		err = nl_recvmsgs(nl->sock, cb);
		if (err < 0 && !nl->error)
			set_nl_error(nl, err);
	}
	nl_cb_put(cb);
	return nl->error ? -1 : 0;
}

int xr_nl_subscribe(struct xr_nl *nl, const char *group)
{
	int err = genl_ctrl_resolve_grp(nl->sock, XRELAY_FAMILY_NAME, group);

	if (err >= 0)
		err = nl_socket_add_membership(nl->sock, err);
	if (err < 0) {
		set_nl_error(nl, err);
		return -1;
	}
	return 0;
}

int xr_nl_fd(const struct xr_nl *nl)
{
	return nl_socket_get_fd(nl->sock);
}

/*
 * Events are read without libnl's receive path: it folds ENOBUFS (events
 * lost) into its out-of-memory error, and a monitor must tell the two apart.
 */
int xr_nl_receive(struct xr_nl *nl, xr_nl_msg_fn fn, void *arg)
{
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nlh;
	ssize_t n;
	int len;
	int err;

	nl->error = 0;
	nl->errmsg[0] = '\0';
	n = recv(xr_nl_fd(nl), buf, sizeof(buf), MSG_TRUNC);
	if (n < 0) {
		set_error(nl, errno, errno == ENOBUFS ?
			  "receive buffer overrun, events were lost" : NULL);
		return -1;
	}
	if (n > (ssize_t)sizeof(buf)) {
		set_error(nl, EMSGSIZE, "event larger than the receive buffer, dropped");
		return -1;
	}
	len = n;
	for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, len); nlh = nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != nl->family)
			continue;
		err = fn(nlh, arg);
		if (err) {
			set_error(nl, -err, NULL);
			return -1;
		}
	}
	return 0;
}

/*
 * A send's size: what one sendmsg() carries (under the socket's send
 * buffer), and how many requests, so that their answers, a few hundred
 * bytes each but charged at about 2 KiB in the receive buffer, fit in it.
 */
#define BATCH_BYTES		(256 << 10)
#define BATCH_REQUESTS		2048
#define BATCH_RCVBUF		(32 << 20)
#define BATCH_ANSWER_CHARGE	4096
#define RECV_MSGS		64
#define RECV_SIZE		16384
#define BATCH_FIRST_SEQ		0x80000000u

/* Raises a socket buffer as far as allowed; returns the size it has. */
static int raise_buffer(int fd, int force_opt, int opt, int size)
{
	socklen_t len = sizeof(size);

	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
	if (getsockopt(fd, SOL_SOCKET, opt, &size, &len))
		return 0;
	return size;
}

int xr_nl_batch_init(struct xr_nl_batch *b, struct xr_nl *nl, xr_nl_batch_fn fn, void *arg)
{
	int fd = xr_nl_fd(nl);
	int sndbuf, rcvbuf;

	memset(b, 0, sizeof(*b));
	b->nl = nl;
	b->fn = fn;
	b->arg = arg;
	/*
	 * Sequence numbers of its own: libnl expects the answer to its next
	 * request to carry the number after its last, and never sees these.
	 * Every answer is read before the batch returns, so none can be taken
	 * for an answer to libnl's requests.
	 */
	b->next_seq = BATCH_FIRST_SEQ;
	sndbuf = raise_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, 2 * BATCH_BYTES);
	rcvbuf = raise_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, BATCH_RCVBUF);
	/* The kernel refuses a send larger than the send buffer less a little. */
	b->cap = sndbuf > 4096 ? sndbuf - 1024 : 4096;
	if (b->cap > BATCH_BYTES)
		b->cap = BATCH_BYTES;
	b->max = rcvbuf / BATCH_ANSWER_CHARGE;
	if (b->max < 1)
		b->max = 1;
	if (b->max > BATCH_REQUESTS)
		b->max = BATCH_REQUESTS;
	b->buf = malloc(b->cap);
	b->cookies = calloc(b->max, sizeof(*b->cookies));
	b->answered = calloc(b->max, sizeof(*b->answered));
	b->rbuf = malloc(RECV_MSGS * RECV_SIZE);
	if (!b->buf || !b->cookies || !b->answered || !b->rbuf) {
		xr_nl_batch_free(b);
		set_error(nl, ENOMEM, NULL);
		return -1;
	}
	return 0;
}

void xr_nl_batch_free(struct xr_nl_batch *b)
{
	free(b->buf);
	free(b->cookies);
	free(b->answered);
	free(b->rbuf);
	b->buf = NULL;
	b->cookies = NULL;
	b->answered = NULL;
	b->rbuf = NULL;
}

/*
 * A request is answered once, by its reply or its error, except that an
 * error may follow a reply: a batch request that failed part way.
 */
static void batch_answer(struct xr_nl_batch *b, size_t i, int error, const char *errmsg,
			 struct nlmsghdr *reply)
{
	if (b->answered[i] == XR_NL_ANSWER_ERROR ||
	    (b->answered[i] == XR_NL_ANSWER_REPLY && !error))
		return;
	b->answered[i] = error ? XR_NL_ANSWER_ERROR : XR_NL_ANSWER_REPLY;
	b->fn(b->cookies[i], error, error && !errmsg ? strerror(error) : errmsg, reply, b->arg);
}

/* Ends the send in progress: every request not answered gets @error. */
static void batch_finish(struct xr_nl_batch *b, int error, const char *errmsg)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		batch_answer(b, i, error, errmsg, NULL);
	b->n = 0;
	b->len = 0;
}

/* Hands one answer to its request; true once the send's last is answered. */
static bool batch_take(struct xr_nl_batch *b, struct nlmsghdr *nlh)
{
	size_t i = (uint32_t)(nlh->nlmsg_seq - b->first_seq);
	struct nlmsgerr *e;

	if (i >= b->n)
		return false;
	if (nlh->nlmsg_type != NLMSG_ERROR) {
		if (nlh->nlmsg_type == (uint16_t)b->nl->family)
			batch_answer(b, i, 0, NULL, nlh);
		return false;
	}
	e = nlmsg_data(nlh);
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		batch_answer(b, i, EPROTO, "truncated netlink error message", NULL);
	else
		batch_answer(b, i, -e->error, e->error ? ack_message(nlh) : NULL, NULL);
	return i == b->n - 1;
}

/*
 * Reads the answers of the send just made until the ACK of its last
 * request. All of them are queued before sendmsg() returns, so once
 * answers were lost (ENOBUFS) the rest is read without waiting.
 */
static int batch_receive(struct xr_nl_batch *b)
{
	struct mmsghdr msgs[RECV_MSGS];
	struct iovec iov[RECV_MSGS];
	int fd = xr_nl_fd(b->nl);
	bool lost = false;
	int i, got;

	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < RECV_MSGS; i++) {
			iov[i].iov_base = b->rbuf + (size_t)i * RECV_SIZE;
			iov[i].iov_len = RECV_SIZE;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		got = recvmmsg(fd, msgs, RECV_MSGS, lost ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == ENOBUFS) {
			lost = true;
			continue;
		}
		if (got < 0 && lost && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (got < 0) {
			set_error(b->nl, errno, NULL);
			batch_finish(b, errno, NULL);
			return -1;
		}
		for (i = 0; i < got; i++) {
			struct nlmsghdr *nlh = iov[i].iov_base;
			int len = msgs[i].msg_len;

			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				lost = true;
				continue;
			}
			for (; nlmsg_ok(nlh, len); nlh = nlmsg_next(nlh, &len)) {
				if (!batch_take(b, nlh))
					continue;
				/* Without losses, a request that had no answer succeeded. */
				if (lost)
					batch_finish(b, ENOBUFS, "answer lost: netlink receive buffer overrun");
				else
					batch_finish(b, 0, NULL);
				return lost ? -1 : 0;
			}
		}
	}
	set_error(b->nl, ENOBUFS, "answers lost: netlink receive buffer overrun");
	batch_finish(b, ENOBUFS, "answer lost: netlink receive buffer overrun");
	return -1;
}

int xr_nl_batch_flush(struct xr_nl_batch *b)
{
	struct nlmsghdr *last;
	ssize_t sent;

	b->nl->error = 0;
	b->nl->errmsg[0] = '\0';
	if (!b->n)
		return 0;
	last = (struct nlmsghdr *)(b->buf + b->last);
	last->nlmsg_flags |= NLM_F_ACK;
	do
		sent = send(xr_nl_fd(b->nl), b->buf, b->len, 0);
	while (sent < 0 && errno == EINTR);
	if (sent < 0) {
		set_error(b->nl, errno, NULL);
		batch_finish(b, errno, NULL);
		return -1;
	}
	return batch_receive(b);
}

int xr_nl_batch_add(struct xr_nl_batch *b, struct nl_msg *msg, void *cookie)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);
	int ret = 0;

	if (b->n && (b->len + len > b->cap || b->n == b->max))
		ret = xr_nl_batch_flush(b);
	if (len > b->cap) {
		nlmsg_free(msg);
		set_error(b->nl, EMSGSIZE, "request larger than the netlink send buffer");
		b->fn(cookie, EMSGSIZE, b->nl->errmsg, NULL, b->arg);
		return -1;
	}
	nlh->nlmsg_flags = (nlh->nlmsg_flags | NLM_F_REQUEST) & ~NLM_F_ACK;
	nlh->nlmsg_seq = b->next_seq++;
	nlh->nlmsg_pid = nl_socket_get_local_port(b->nl->sock);
	if (!b->n)
		b->first_seq = nlh->nlmsg_seq;
	memset(b->buf + b->len, 0, len);
	memcpy(b->buf + b->len, nlh, nlh->nlmsg_len);
	b->last = b->len;
	b->len += len;
	b->cookies[b->n] = cookie;
	b->answered[b->n] = XR_NL_ANSWER_NONE;
	b->n++;
	nlmsg_free(msg);
	return ret;
}
