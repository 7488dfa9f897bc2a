// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
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
 * Records the first error of a request, taking the text from the extended
 * ACK TLVs that start @tlv_offset bytes into the payload of @nlh, if any.
 */
static void set_kernel_error(struct xr_nl *nl, int error, struct nlmsghdr *nlh,
			     size_t tlv_offset)
{
	static const struct nla_policy policy[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG] = { .type = NLA_STRING },
	};
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t len = nlmsg_datalen(nlh);
	const char *msg = NULL;

	if (nl->error)
		return;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && tlv_offset < len &&
	    !nla_parse(tb, NLMSGERR_ATTR_MAX,
		       (struct nlattr *)((char *)nlmsg_data(nlh) + tlv_offset),
		       len - tlv_offset, policy) &&
	    tb[NLMSGERR_ATTR_MSG])
		msg = nla_get_string(tb[NLMSGERR_ATTR_MSG]);
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
		set_kernel_error(req->nl, -error, nlh, NLMSG_ALIGN(sizeof(error)));
	return NL_STOP;
}

/*
 * libnl hands over the struct nlmsgerr that is the payload of the
 * NLMSG_ERROR message; the flags saying whether TLVs follow are in that
 * message's header just before it. The TLVs come after the echoed request,
 * or right after its header when the echo was capped.
 */
static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct request *req = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t tlv_offset = sizeof(*e);

	(void)nla;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		tlv_offset += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	set_kernel_error(req->nl, -e->error, nlh, tlv_offset);
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
