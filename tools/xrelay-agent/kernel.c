// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/xrelay.h>
#include <netlink/genl/genl.h>

#include "kernel.h"
#include "util.h"
#include "xrelay-attr.h"

/* Room for the events of a mass expiry before the socket overflows. */
#define EVENTS_RCVBUF (8 << 20)

int ag_kernel_open(struct ag_kernel *k, char *err, size_t errlen)
{
	int size = EVENTS_RCVBUF;

	memset(k, 0, sizeof(*k));
	if (xr_nl_open(&k->req)) {
		snprintf(err, errlen, "%s", k->req.errmsg);
		errno = k->req.error;
		return -1;
	}
	if (xr_nl_open(&k->events) || xr_nl_subscribe(&k->events, XRELAY_MCGRP_EVENTS)) {
		snprintf(err, errlen, "events: %s", k->events.errmsg);
		errno = k->events.error;
		xr_nl_close(&k->events);
		xr_nl_close(&k->req);
		return -1;
	}
	if (setsockopt(xr_nl_fd(&k->events), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(xr_nl_fd(&k->events), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	k->up = true;
	return 0;
}

void ag_kernel_close(struct ag_kernel *k)
{
	if (!k->up)
		return;
	xr_nl_close(&k->events);
	xr_nl_close(&k->req);
	k->up = false;
}

/* A side's counters: forwarded packets and bytes, and every kind of drop. */
static int get_counters(struct nlattr *nest, struct ag_counters *c)
{
	struct xr_stats st;
	int i;

	if (xr_stats_get(nest, &st))
		return -EPROTO;
	c->packets = st.counter[XRELAY_A_STATS_PACKETS];
	c->bytes = st.counter[XRELAY_A_STATS_BYTES];
	c->drops = 0;
	for (i = 1; i <= XRELAY_A_STATS_MAX; i++)
		if (i != XRELAY_A_STATS_PACKETS && i != XRELAY_A_STATS_BYTES &&
		    i != XRELAY_A_STATS_PACKETS_XDP)
			c->drops += st.counter[i];
	return 0;
}

/* @admission, if given, tells whether the side has admission lists. */
static int get_side(struct nlattr *nest, struct ag_side_desc *side, struct ag_counters *c,
		    bool *admission)
{
	struct nlattr *tb[XRELAY_A_SIDE_MAX + 1];

	if (!nest || xr_attr_parse_nested(nest, XRELAY_A_SIDE_MAX, xr_side_policy, tb) ||
	    !tb[XRELAY_A_SIDE_PORT])
		return -EPROTO;
	memset(side, 0, sizeof(*side));
	side->port = nla_get_u16(tb[XRELAY_A_SIDE_PORT]);
	if (admission)
		*admission = tb[XRELAY_A_SIDE_ADMISSION] != NULL;
	if (xr_attr_u8(tb[XRELAY_A_SIDE_STATE]) == XRELAY_SIDE_STATE_PINNED) {
		side->pinned = true;
		if (xr_attr_get_addr(tb[XRELAY_A_SIDE_PEER_IPV4], tb[XRELAY_A_SIDE_PEER_IPV6],
				     &side->peer.addr))
			return -EPROTO;
		side->peer.port = xr_attr_u16(tb[XRELAY_A_SIDE_PEER_PORT]);
	} else {
		side->relearn_timeout = xr_attr_u32(tb[XRELAY_A_SIDE_RELEARN_TIMEOUT]);
		side->has_allow = !xr_attr_get_addr(tb[XRELAY_A_SIDE_ALLOW_IPV4],
						    tb[XRELAY_A_SIDE_ALLOW_IPV6],
						    &side->allow.addr);
		side->allow.len = xr_attr_u8(tb[XRELAY_A_SIDE_ALLOW_PREFIX_LEN]);
	}
	return c ? get_counters(tb[XRELAY_A_SIDE_STATS], c) : 0;
}

/* The hash of a session's own policy, as the desired state computes it. */
static int session_policy(struct nlattr **tb, bool admission, uint64_t *hash)
{
	struct ag_session_policy sp;
	char *canon;

	*hash = 0;
	if (!admission && !tb[XRELAY_A_SESSION_RATE_LIMIT] && !tb[XRELAY_A_SESSION_QUOTA] &&
	    !tb[XRELAY_A_SESSION_PROTOCOL])
		return 0;
	if (ag_policy_from_session(tb, &sp)) {
		ag_session_policy_free(&sp);
		return -EPROTO;
	}
	canon = ag_session_policy_canon(&sp);
	*hash = ag_text_hash(canon);
	free(canon);
	ag_session_policy_free(&sp);
	return 0;
}

static int session_cb(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_SESSION_MAX + 1];
	struct ag_mirror *m = arg;
	struct ag_session_desc desc = { 0 };
	struct ag_counters side[2];
	struct ag_ksession *s;
	bool admission[2];

	if (xr_attr_parse(nlh, XRELAY_A_SESSION_MAX, xr_session_policy, tb) ||
	    !tb[XRELAY_A_SESSION_ID] || !tb[XRELAY_A_SESSION_INSTANCE] ||
	    get_side(tb[XRELAY_A_SESSION_SIDE_A], &desc.side[0], &side[0], &admission[0]) ||
	    get_side(tb[XRELAY_A_SESSION_SIDE_B], &desc.side[1], &side[1], &admission[1]) ||
	    session_policy(tb, admission[0] || admission[1], &desc.policy))
		return -EPROTO;
	desc.instance = nla_get_u32(tb[XRELAY_A_SESSION_INSTANCE]);
	desc.network = xr_attr_u32(tb[XRELAY_A_SESSION_NETWORK]);
	desc.idle_timeout = xr_attr_u32(tb[XRELAY_A_SESSION_IDLE_TIMEOUT]);
	desc.lifetime = xr_attr_u32(tb[XRELAY_A_SESSION_LIFETIME]);
	ag_mirror_add_session(m, &desc, nla_get_u32(tb[XRELAY_A_SESSION_ID]));
	s = ag_map_get(&m->sessions, ag_desc_key(&desc));
	s->side[0] = side[0];
	s->side[1] = side[1];
	return 0;
}

static int instance_cb(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_INSTANCE_MAX + 1];
	struct ag_instance_desc desc = { 0 };
	struct ag_mirror *m = arg;
	struct ag_kinstance *inst;
	struct xr_stats st;

	if (xr_attr_parse(nlh, XRELAY_A_INSTANCE_MAX, xr_instance_policy, tb) ||
	    !tb[XRELAY_A_INSTANCE_ID] ||
	    xr_attr_get_addr(tb[XRELAY_A_INSTANCE_LOCAL_IPV4], tb[XRELAY_A_INSTANCE_LOCAL_IPV6],
			     &desc.addr))
		return -EPROTO;
	desc.id = nla_get_u32(tb[XRELAY_A_INSTANCE_ID]);
	desc.network = xr_attr_u32(tb[XRELAY_A_INSTANCE_NETWORK]);
	desc.port_min = xr_attr_u16(tb[XRELAY_A_INSTANCE_PORT_MIN]);
	desc.port_max = xr_attr_u16(tb[XRELAY_A_INSTANCE_PORT_MAX]);
	ag_mirror_add_instance(m, &desc);
	inst = ag_map_get(&m->instances, desc.id);
	if (get_counters(tb[XRELAY_A_INSTANCE_STATS], &inst->stats) ||
	    xr_stats_get(tb[XRELAY_A_INSTANCE_STATS], &st))
		return -EPROTO;
	inst->drop_no_session = st.counter[XRELAY_A_STATS_DROP_NO_SESSION];
	return 0;
}

static int netns_cb(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_NETNS_MAX + 1];
	struct ag_mirror *m = arg;
	struct xr_stats st;
	int i;

	if (xr_attr_parse(nlh, XRELAY_A_NETNS_MAX, xr_netns_policy, tb) ||
	    xr_stats_get(tb[XRELAY_A_NETNS_STATS], &st))
		return -EPROTO;
	m->session_limit = xr_attr_u32(tb[XRELAY_A_NETNS_SESSION_LIMIT]);
	for (i = 1; i <= XRELAY_A_STATS_MAX && i < (int)(sizeof(m->totals) / sizeof(m->totals[0])); i++)
		m->totals[i] = st.counter[i];
	return 0;
}

static int dump(struct ag_kernel *k, uint8_t cmd, int flags, xr_nl_msg_fn fn, void *arg)
{
	struct nl_msg *msg = xr_nl_msg(&k->req, cmd, flags);

	if (!msg) {
		k->req.error = ENOMEM;
		snprintf(k->req.errmsg, sizeof(k->req.errmsg), "out of memory");
		return -1;
	}
	return xr_nl_request(&k->req, msg, fn, arg);
}

/* A dump's reply has each network's id and session count, not its lists. */
static int network_id_cb(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_NETWORK_MAX + 1];

	if (xr_attr_parse(nlh, XRELAY_A_NETWORK_MAX, xr_network_policy, tb) ||
	    !tb[XRELAY_A_NETWORK_ID])
		return -EPROTO;
	ag_mirror_set_network(arg, nla_get_u32(tb[XRELAY_A_NETWORK_ID]),
			      xr_attr_u32(tb[XRELAY_A_NETWORK_SESSIONS]), NULL);
	return 0;
}

static int network_cb(struct nlmsghdr *nlh, void *arg)
{
	struct ag_knetwork *n = arg;
	struct ag_policy p;
	uint32_t id;
	int ret = 0;

	if (ag_policy_from_network(nlh, &id, &p) || id != n->id)
		ret = -EPROTO;
	else
		n->canon = ag_policy_canon(&p);
	ag_policy_free(&p);
	return ret;
}

/* The networks, then each one's whole policy. */
static int dump_networks(struct ag_kernel *k, struct ag_mirror *m)
{
	size_t pos = 0;
	uint64_t key;
	void *val;

	if (dump(k, XRELAY_CMD_NETWORK_GET, NLM_F_DUMP, network_id_cb, m))
		return -1;
	while (ag_map_next(&m->networks, &pos, &key, &val)) {
		struct ag_knetwork *n = val;
		struct nl_msg *msg = xr_nl_msg(&k->req, XRELAY_CMD_NETWORK_GET, 0);

		if (!msg || nla_put_u32(msg, XRELAY_A_NETWORK_ID, n->id)) {
			nlmsg_free(msg);
			k->req.error = ENOMEM;
			snprintf(k->req.errmsg, sizeof(k->req.errmsg), "out of memory");
			return -1;
		}
		if (xr_nl_request(&k->req, msg, network_cb, n))
			return -1;
		if (!n->canon)
			n->canon = ag_strdup("");
	}
	return 0;
}

int ag_kernel_dump(struct ag_kernel *k, struct ag_mirror *m)
{
	/* Instances first: each session counts itself on its instance. */
	if (dump_networks(k, m) ||
	    dump(k, XRELAY_CMD_INSTANCE_GET, NLM_F_DUMP, instance_cb, m) ||
	    dump(k, XRELAY_CMD_NETNS_GET, 0, netns_cb, m))
		return -1;
	return dump(k, XRELAY_CMD_SESSION_GET, NLM_F_DUMP, session_cb, m);
}

/*
 * A request in a buffer of @size bytes: libnl's default is a page, zeroed,
 * and a hundred thousand sessions made that a fifth of the agent's time.
 */
static struct nl_msg *request_msg(struct ag_kernel *k, uint8_t cmd, size_t size)
{
	struct nl_msg *msg = nlmsg_alloc_size(size);

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, k->req.family, 0, 0, cmd,
				XRELAY_FAMILY_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static int put_side(struct nl_msg *msg, int type, const struct ag_side_desc *side,
		    const struct ag_policy *policy)
{
	struct nlattr *nest = nla_nest_start(msg, type);
	int err;

	if (!nest)
		return -1;
	err = nla_put_u16(msg, XRELAY_A_SIDE_PORT, side->port);
	if (side->pinned) {
		err |= xr_attr_put_addr(msg, XRELAY_A_SIDE_PEER_IPV4, XRELAY_A_SIDE_PEER_IPV6,
					&side->peer.addr);
		err |= nla_put_u16(msg, XRELAY_A_SIDE_PEER_PORT, side->peer.port);
	} else {
		err |= nla_put_u32(msg, XRELAY_A_SIDE_RELEARN_TIMEOUT, side->relearn_timeout);
		if (side->has_allow) {
			err |= xr_attr_put_addr(msg, XRELAY_A_SIDE_ALLOW_IPV4,
						XRELAY_A_SIDE_ALLOW_IPV6, &side->allow.addr);
			err |= nla_put_u8(msg, XRELAY_A_SIDE_ALLOW_PREFIX_LEN, side->allow.len);
		}
	}
	return err | ag_policy_put_side(msg, policy) | nla_nest_end(msg, nest);
}

static struct nl_msg *checked(struct nl_msg *msg, int err)
{
	if (err) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *ag_kernel_session_new(struct ag_kernel *k, const struct ag_session_desc *d,
				     const struct ag_policy *policy)
{
	/* About 40 bytes per prefix of the admission lists, on both sides. */
	size_t size = 512 + (policy ? 80 * (policy->allow.n + policy->deny.n) : 0);
	struct nl_msg *msg = request_msg(k, XRELAY_CMD_SESSION_NEW, size);
	int err;

	if (!msg)
		return NULL;
	err = nla_put_u32(msg, XRELAY_A_SESSION_INSTANCE, d->instance) |
	      nla_put_u32(msg, XRELAY_A_SESSION_NETWORK, d->network) |
	      nla_put_u32(msg, XRELAY_A_SESSION_IDLE_TIMEOUT, d->idle_timeout) |
	      (d->lifetime ? nla_put_u32(msg, XRELAY_A_SESSION_LIFETIME, d->lifetime) : 0) |
	      put_side(msg, XRELAY_A_SESSION_SIDE_A, &d->side[0], policy) |
	      put_side(msg, XRELAY_A_SESSION_SIDE_B, &d->side[1], policy) |
	      ag_policy_put_session(msg, policy);
	return checked(msg, err);
}

struct nl_msg *ag_kernel_session_del(struct ag_kernel *k, const struct ag_session_desc *d)
{
	struct nl_msg *msg = request_msg(k, XRELAY_CMD_SESSION_DEL, 128);

	if (!msg)
		return NULL;
	return checked(msg, nla_put_u32(msg, XRELAY_A_SESSION_INSTANCE, d->instance) |
			    nla_put_u16(msg, XRELAY_A_SESSION_PORT, d->side[0].port));
}

static int request(struct ag_kernel *k, struct nl_msg *msg)
{
	if (!msg) {
		k->req.error = ENOMEM;
		snprintf(k->req.errmsg, sizeof(k->req.errmsg), "out of memory");
		return -1;
	}
	return xr_nl_request(&k->req, msg, NULL, NULL);
}

int ag_kernel_instance_new(struct ag_kernel *k, const struct ag_instance_desc *d)
{
	struct nl_msg *msg = xr_nl_msg(&k->req, XRELAY_CMD_INSTANCE_NEW, 0);

	if (msg)
		msg = checked(msg, nla_put_u32(msg, XRELAY_A_INSTANCE_ID, d->id) |
				   nla_put_u32(msg, XRELAY_A_INSTANCE_NETWORK, d->network) |
				   xr_attr_put_addr(msg, XRELAY_A_INSTANCE_LOCAL_IPV4,
						    XRELAY_A_INSTANCE_LOCAL_IPV6, &d->addr) |
				   nla_put_u16(msg, XRELAY_A_INSTANCE_PORT_MIN, d->port_min) |
				   nla_put_u16(msg, XRELAY_A_INSTANCE_PORT_MAX, d->port_max));
	return request(k, msg);
}

int ag_kernel_instance_del(struct ag_kernel *k, uint32_t id)
{
	struct nl_msg *msg = xr_nl_msg(&k->req, XRELAY_CMD_INSTANCE_DEL, 0);

	if (msg)
		msg = checked(msg, nla_put_u32(msg, XRELAY_A_INSTANCE_ID, id));
	return request(k, msg);
}

int ag_kernel_network_put(struct ag_kernel *k, uint8_t cmd, uint32_t id,
			  const struct ag_policy *policy)
{
	return request(k, ag_policy_network_msg(k->req.family, cmd, id, policy));
}

int ag_kernel_network_del(struct ag_kernel *k, uint32_t id)
{
	struct nl_msg *msg = xr_nl_msg(&k->req, XRELAY_CMD_NETWORK_DEL, 0);

	if (msg)
		msg = checked(msg, nla_put_u32(msg, XRELAY_A_NETWORK_ID, id));
	return request(k, msg);
}

uint32_t ag_kernel_reply_id(struct nlmsghdr *nlh)
{
	struct nlattr *tb[XRELAY_A_SESSION_MAX + 1];

	if (!nlh || xr_attr_parse(nlh, XRELAY_A_SESSION_MAX, xr_session_policy, tb))
		return 0;
	return xr_attr_u32(tb[XRELAY_A_SESSION_ID]);
}

int ag_kernel_parse_expiry(struct nlmsghdr *nlh, struct ag_expiry *e)
{
	struct nlattr *tb[XRELAY_A_SESSION_MAX + 1];
	struct ag_side_desc side[2];
	struct genlmsghdr *gnlh = nlmsg_data(nlh);

	if (gnlh->cmd != XRELAY_CMD_SESSION_EXPIRED_NTF ||
	    xr_attr_parse(nlh, XRELAY_A_SESSION_MAX, xr_session_policy, tb) ||
	    !tb[XRELAY_A_SESSION_ID] || !tb[XRELAY_A_SESSION_INSTANCE] ||
	    get_side(tb[XRELAY_A_SESSION_SIDE_A], &side[0], &e->side[0], NULL) ||
	    get_side(tb[XRELAY_A_SESSION_SIDE_B], &side[1], &e->side[1], NULL))
		return -1;
	e->id = nla_get_u32(tb[XRELAY_A_SESSION_ID]);
	e->network = xr_attr_u32(tb[XRELAY_A_SESSION_NETWORK]);
	e->key = ag_session_key(nla_get_u32(tb[XRELAY_A_SESSION_INSTANCE]),
				side[0].port, side[1].port);
	e->lifetime = xr_attr_u8(tb[XRELAY_A_SESSION_EXPIRE_REASON]) ==
		      XRELAY_EXPIRE_REASON_LIFETIME;
	return 0;
}
