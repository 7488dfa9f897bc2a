// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/xrelay.h>
#include <netlink/genl/genl.h>

#include "kernel.h"
#include "util.h"
#include "xrelay-attr.h"

/* Room for the events of a mass expiry before the socket overflows. */
#define EVENTS_RCVBUF (8 << 20)

/* Sockets, with a thread each, that a run of requests is split over. */
#define SEND_LANES	4
/* Fewer sessions than this per lane are not worth a thread. */
#define LANE_MIN	4096
/*
 * A session-new-batch request: the kernel's cost per message (its reply
 * above all) is spread over this many sessions, and the request stays
 * small enough to be built in one go.
 */
#define SESSIONS_PER_REQUEST	256
#define SESSIONS_REQUEST_BYTES	(32 << 10)

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

/* About 40 bytes per prefix of the admission lists, on both sides. */
static size_t session_size(const struct ag_policy *policy)
{
	return 256 + (policy ? 80 * (policy->allow.n + policy->deny.n) : 0);
}

static int put_session(struct nl_msg *msg, const struct ag_session_desc *d,
		       const struct ag_policy *policy)
{
	struct nlattr *nest = nla_nest_start(msg, XRELAY_A_SESSION_BATCH_SESSION);
	int err;

	if (!nest)
		return -1;
	err = nla_put_u32(msg, XRELAY_A_SESSION_INSTANCE, d->instance) |
	      nla_put_u32(msg, XRELAY_A_SESSION_NETWORK, d->network) |
	      nla_put_u32(msg, XRELAY_A_SESSION_IDLE_TIMEOUT, d->idle_timeout) |
	      (d->lifetime ? nla_put_u32(msg, XRELAY_A_SESSION_LIFETIME, d->lifetime) : 0) |
	      put_side(msg, XRELAY_A_SESSION_SIDE_A, &d->side[0], policy) |
	      put_side(msg, XRELAY_A_SESSION_SIDE_B, &d->side[1], policy) |
	      ag_policy_put_session(msg, policy);
	if (err) {
		nla_nest_cancel(msg, nest);
		return -1;
	}
	return nla_nest_end(msg, nest);
}

struct nl_msg *ag_kernel_sessions_new(struct ag_kernel *k, struct ag_dsession **sessions,
				      size_t n, size_t *taken)
{
	size_t size = session_size(sessions[0]->policy), i;
	struct nl_msg *msg;

	if (size < SESSIONS_REQUEST_BYTES)
		size = SESSIONS_REQUEST_BYTES;
	msg = request_msg(k, XRELAY_CMD_SESSION_NEW_BATCH, size);
	if (!msg)
		return NULL;
	for (i = 0; i < n && i < SESSIONS_PER_REQUEST; i++)
		if (put_session(msg, &sessions[i]->desc, sessions[i]->policy))
			break;
	*taken = i;
	return checked(msg, !i);
}

struct nl_msg *ag_kernel_session_del(struct ag_kernel *k, struct ag_ksession **sessions,
				     size_t n, size_t *taken)
{
	struct nl_msg *msg = request_msg(k, XRELAY_CMD_SESSION_DEL, 128);
	const struct ag_session_desc *d = &sessions[0]->desc;

	(void)n;
	*taken = 1;
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

struct lane {
	struct ag_kernel *k;
	struct xr_nl *nl;
	ag_build_fn build;
	void **items;
	struct ag_answer *answers;
	size_t n;
	pthread_t thread;
	bool started;
};

/* A request of a round: items [first, first + n) of the round's list. */
struct request {
	size_t first, n;
	size_t replied;		/* ids its reply gave */
	bool failed;		/* at item first + replied */
};

/* Requests sent together; those cut short are resent in the next round. */
struct round {
	void **items;
	struct ag_answer **answers;
	size_t n;
	struct request *requests;
};

/* The ids of a session-new-batch reply, in the order of its sessions. */
static size_t reply_ids(struct nlmsghdr *nlh, struct ag_answer **answers, size_t n)
{
	struct nlattr *a;
	size_t i = 0;
	int rem;

	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem)
		if (nla_type(a) == XRELAY_A_SESSION_BATCH_ID && nla_len(a) >= 4 && i < n)
			answers[i++]->id = nla_get_u32(a);
	return i;
}

static void answer(struct ag_answer *a, int error, const char *errmsg)
{
	a->error = error;
	a->errmsg = ag_strdup(errmsg);
}

static void request_cb(void *cookie, int error, const char *errmsg, struct nlmsghdr *reply,
		       void *arg)
{
	struct request *r = cookie;
	struct round *rd = arg;

	if (reply)
		r->replied = reply_ids(reply, rd->answers + r->first, r->n);
	/* A request whose reply named all its items had nothing left to fail. */
	if (!error || r->replied == r->n)
		return;
	r->failed = true;
	answer(rd->answers[r->first + r->replied], error, errmsg);
}

/* The first failure of the socket in a round, which leaves outcomes unknown. */
struct breakage {
	int error;
	char errmsg[sizeof(((struct xr_nl *)0)->errmsg)];
};

static void broke(struct breakage *br, const struct xr_nl *nl)
{
	if (br->error)
		return;
	br->error = nl->error ? nl->error : EIO;
	snprintf(br->errmsg, sizeof(br->errmsg), "%s", nl->errmsg);
}

/*
 * Sends the round's requests. Returns how many items were not attempted:
 * those after a failure in a request of several, moved to the front of
 * the round's lists to be sent again. They are failed instead when the
 * socket failed or answers were lost during the round, as what became of
 * them is then unknown.
 */
static size_t round_send(struct lane *l, struct round *rd)
{
	size_t pos = 0, nreq = 0, left = 0, i, j;
	struct breakage br = { 0 };
	struct xr_nl_batch b;

	if (xr_nl_batch_init(&b, l->nl, request_cb, rd)) {
		for (i = 0; i < rd->n; i++)
			answer(rd->answers[i], l->nl->error, l->nl->errmsg);
		return 0;
	}
	while (pos < rd->n) {
		struct request *r = &rd->requests[nreq];
		struct nl_msg *msg;

		memset(r, 0, sizeof(*r));
		r->first = pos;
		msg = l->build(l->k, rd->items + pos, rd->n - pos, &r->n);
		if (!msg) {
			answer(rd->answers[pos++], ENOMEM, "out of memory, or a request too large");
			continue;
		}
		nreq++;
		pos += r->n;
		if (xr_nl_batch_add(&b, msg, r))
			broke(&br, l->nl);
	}
	if (xr_nl_batch_flush(&b))
		broke(&br, l->nl);
	xr_nl_batch_free(&b);
	for (i = 0; i < nreq; i++) {
		struct request *r = &rd->requests[i];

		if (!r->failed)
			continue;
		for (j = r->first + r->replied + 1; j < r->first + r->n; j++) {
			if (br.error) {
				answer(rd->answers[j], br.error, br.errmsg);
				continue;
			}
			rd->items[left] = rd->items[j];
			rd->answers[left++] = rd->answers[j];
		}
	}
	return left;
}

static void *lane_run(void *arg)
{
	struct lane *l = arg;
	struct round rd = {
		.items = ag_calloc(l->n, sizeof(*rd.items)),
		.answers = ag_calloc(l->n, sizeof(*rd.answers)),
		.requests = ag_calloc(l->n, sizeof(*rd.requests)),
		.n = l->n,
	};
	size_t i;

	for (i = 0; i < l->n; i++) {
		rd.items[i] = l->items[i];
		rd.answers[i] = &l->answers[i];
	}
	while (rd.n)
		rd.n = round_send(l, &rd);
	free(rd.items);
	free(rd.answers);
	free(rd.requests);
	return NULL;
}

void ag_kernel_send(struct ag_kernel *k, void **items, size_t n, ag_build_fn build,
		    struct ag_answer *answers)
{
	struct xr_nl sockets[SEND_LANES - 1];
	struct lane lanes[SEND_LANES];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = n / LANE_MIN, used = 1, i, from = 0;

	if (want > (size_t)cpus)
		want = cpus;
	if (want > SEND_LANES)
		want = SEND_LANES;
	/* The first lane is the request socket; a lane without a socket is not used. */
	lanes[0].nl = &k->req;
	while (used < want && !xr_nl_open(&sockets[used - 1])) {
		lanes[used].nl = &sockets[used - 1];
		used++;
	}
	for (i = 0; i < used; i++) {
		size_t share = n / used + (i < n % used);

		lanes[i].k = k;
		lanes[i].items = items + from;
		lanes[i].answers = answers + from;
		lanes[i].n = share;
		lanes[i].build = build;
		from += share;
	}
	for (i = 1; i < used; i++)
		lanes[i].started = !pthread_create(&lanes[i].thread, NULL, lane_run, &lanes[i]);
	lane_run(&lanes[0]);
	for (i = 1; i < used; i++) {
		if (lanes[i].started)
			pthread_join(lanes[i].thread, NULL);
		else
			lane_run(&lanes[i]);
		xr_nl_close(lanes[i].nl);
	}
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
