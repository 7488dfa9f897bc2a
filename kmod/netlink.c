// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generic netlink family "xrelay": configuration, dumps and events.
 * Policies and the ops table are generated from the YAML spec into
 * netlink-gen.c; this file holds what the handlers do.
 */

#include <linux/jiffies.h>
#include <linux/sched.h>
#include <net/genetlink.h>

#include "datapath.h"
#include "instance.h"
#include "netlink-gen.h"
#include "netlink.h"
#include "netns.h"
#include "session.h"

/* Notifications stop before the family goes away, see xrelay_nl_uninit(). */
static bool xrelay_nl_live;

/**
 * xrelay_nl_get_addr() - an address from its attribute pair
 * @info: the request, for the message about a v4-mapped address
 * @v4: the pair's IPv4 attribute
 * @v6: its IPv6 attribute
 * @addr: set to the address, v4-mapped for IPv4
 *
 * Return: 0; -ENOENT for neither attribute and -EINVAL for both, each for
 * the caller to explain; or -EAFNOSUPPORT, explained, for an IPv4-mapped
 * IPv6 address, which would pass for the IPv4 address it maps.
 */
int xrelay_nl_get_addr(struct genl_info *info, struct nlattr *v4, struct nlattr *v6,
		       struct in6_addr *addr)
{
	if (v4 && v6)
		return -EINVAL;
	if (v4) {
		ipv6_addr_set_v4mapped(nla_get_in_addr(v4), addr);
	} else if (v6) {
		*addr = nla_get_in6_addr(v6);
		if (ipv6_addr_v4mapped(addr)) {
			XRELAY_ERR(info, v6, "IPv4-mapped IPv6 address: give an IPv4 address as IPv4");
			return -EAFNOSUPPORT;
		}
	} else {
		return -ENOENT;
	}
	return 0;
}

int xrelay_nl_put_addr(struct sk_buff *skb, int v4_type, int v6_type,
		       const struct in6_addr *addr)
{
	if (xrelay_addr_is_v4(addr))
		return nla_put_in_addr(skb, v4_type, addr->s6_addr32[3]);
	return nla_put_in6_addr(skb, v6_type, addr);
}

/* Each drop reason's counter in the stats set, by enum xrelay_drop. */
static const u16 xrelay_nl_drop_attrs[XRELAY_DROP_NR] = {
	[XRELAY_DROP_NO_SESSION] = XRELAY_A_STATS_DROP_NO_SESSION,
	[XRELAY_DROP_UNKNOWN_SOURCE] = XRELAY_A_STATS_DROP_UNKNOWN_SOURCE,
	[XRELAY_DROP_NOT_PAIRED] = XRELAY_A_STATS_DROP_NOT_PAIRED,
	[XRELAY_DROP_EXPIRED] = XRELAY_A_STATS_DROP_EXPIRED,
	[XRELAY_DROP_DENIED] = XRELAY_A_STATS_DROP_DENIED,
	[XRELAY_DROP_NO_ROUTE] = XRELAY_A_STATS_DROP_NO_ROUTE,
	[XRELAY_DROP_BAD_SOURCE] = XRELAY_A_STATS_DROP_BAD_SOURCE,
	[XRELAY_DROP_MALFORMED] = XRELAY_A_STATS_DROP_MALFORMED,
	[XRELAY_DROP_PROTOCOL] = XRELAY_A_STATS_DROP_PROTOCOL,
	[XRELAY_DROP_RATE_LIMIT] = XRELAY_A_STATS_DROP_RATE_LIMIT,
	[XRELAY_DROP_QUOTA] = XRELAY_A_STATS_DROP_QUOTA,
	[XRELAY_DROP_ACL] = XRELAY_A_STATS_DROP_ACL,
	[XRELAY_DROP_HOP_LIMIT] = XRELAY_A_STATS_DROP_HOP_LIMIT,
};

int xrelay_nl_put_stats(struct sk_buff *skb, int type, const struct xrelay_stats *st)
{
	struct nlattr *nest = nla_nest_start(skb, type);
	int i;

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, XRELAY_A_STATS_PACKETS, st->packets, XRELAY_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, XRELAY_A_STATS_PACKETS_XDP, st->packets_xdp,
			      XRELAY_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, XRELAY_A_STATS_BYTES, st->bytes, XRELAY_A_STATS_PAD))
		goto cancel;
	for (i = 0; i < XRELAY_DROP_NR; i++)
		if (nla_put_u64_64bit(skb, xrelay_nl_drop_attrs[i], st->drops[i],
				      XRELAY_A_STATS_PAD))
			goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/**
 * xrelay_nl_stats_size() - room for what xrelay_nl_put_stats() writes
 *
 * Return: bytes of the stats nest.
 */
size_t xrelay_nl_stats_size(void)
{
	return nla_total_size(0) + (3 + XRELAY_DROP_NR) * nla_total_size_64bit(sizeof(u64));
}

void xrelay_stats_add(struct xrelay_stats *sum, const struct xrelay_stats *st)
{
	int i;

	sum->packets += st->packets;
	sum->packets_xdp += st->packets_xdp;
	sum->bytes += st->bytes;
	for (i = 0; i < XRELAY_DROP_NR; i++)
		sum->drops[i] += st->drops[i];
}

static size_t xrelay_nl_instance_size(void)
{
	return 4 * nla_total_size(sizeof(u32)) + nla_total_size(sizeof(struct in6_addr)) +
	       2 * nla_total_size(sizeof(u16)) + xrelay_nl_stats_size();
}

static int xrelay_nl_fill_instance(struct sk_buff *skb, const struct xrelay_instance *inst,
				   u32 portid, u32 seq, int flags)
{
	struct xrelay_stats st;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &xrelay_nl_family, flags, XRELAY_CMD_INSTANCE_GET);
	if (!hdr)
		return -EMSGSIZE;
	xrelay_pcpu_stats_sum(inst->stats, &st);
	if (nla_put_u32(skb, XRELAY_A_INSTANCE_ID, inst->id) ||
	    nla_put_u32(skb, XRELAY_A_INSTANCE_NETWORK, inst->network) ||
	    xrelay_nl_put_addr(skb, XRELAY_A_INSTANCE_LOCAL_IPV4, XRELAY_A_INSTANCE_LOCAL_IPV6,
			       &inst->addr) ||
	    nla_put_u16(skb, XRELAY_A_INSTANCE_PORT_MIN, inst->port_min) ||
	    nla_put_u16(skb, XRELAY_A_INSTANCE_PORT_MAX, inst->port_max) ||
	    nla_put_u32(skb, XRELAY_A_INSTANCE_SESSIONS, inst->sessions) ||
	    xrelay_nl_put_stats(skb, XRELAY_A_INSTANCE_STATS, &st)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* @stats_only: expiry events carry the final counters, not the config. */
static int xrelay_nl_put_side(struct sk_buff *skb, const struct xrelay_side *side,
			      bool stats_only)
{
	int type = xrelay_side_index(side) ? XRELAY_A_SESSION_SIDE_B : XRELAY_A_SESSION_SIDE_A;
	struct xrelay_side_info info;
	struct nlattr *nest;

	xrelay_side_info(side, &info);
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, XRELAY_A_SIDE_PORT, info.port))
		goto cancel;
	if (!stats_only) {
		if (nla_put_u8(skb, XRELAY_A_SIDE_STATE, info.state) ||
		    nla_put_u32(skb, XRELAY_A_SIDE_RELEARN_TIMEOUT, info.relearn_timeout) ||
		    nla_put_u64_64bit(skb, XRELAY_A_SIDE_IDLE_MSECS, info.idle_msecs,
				      XRELAY_A_SIDE_PAD))
			goto cancel;
		if (info.state != XRELAY_SIDE_STATE_WAITING &&
		    (xrelay_nl_put_addr(skb, XRELAY_A_SIDE_PEER_IPV4, XRELAY_A_SIDE_PEER_IPV6,
					&info.peer.addr) ||
		     nla_put_u16(skb, XRELAY_A_SIDE_PEER_PORT, ntohs(info.peer.port))))
			goto cancel;
		if (info.allow.len &&
		    (xrelay_nl_put_addr(skb, XRELAY_A_SIDE_ALLOW_IPV4, XRELAY_A_SIDE_ALLOW_IPV6,
					&info.allow.addr) ||
		     nla_put_u8(skb, XRELAY_A_SIDE_ALLOW_PREFIX_LEN,
				info.allow.len - (xrelay_addr_is_v4(&info.allow.addr) ? 96 : 0))))
			goto cancel;
		if (xrelay_nl_put_side_admission(skb, side))
			goto cancel;
	}
	if (xrelay_nl_put_stats(skb, XRELAY_A_SIDE_STATS, &info.stats))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * Room for what xrelay_nl_put_side() writes: the most a side can hold, as
 * it may learn a peer later. @adm: the side's own admission, or NULL.
 */
static size_t xrelay_nl_side_size(const struct xrelay_admission *adm, bool stats_only)
{
	size_t size = nla_total_size(0) + nla_total_size(sizeof(u16)) + xrelay_nl_stats_size();

	if (stats_only)
		return size;
	return size + nla_total_size(sizeof(u8)) + nla_total_size(sizeof(u32)) +
	       nla_total_size_64bit(sizeof(u64)) +
	       2 * (nla_total_size(sizeof(struct in6_addr)) + nla_total_size(sizeof(u16))) +
	       xrelay_nl_admission_size(adm);
}

#define XRELAY_NL_SESSION_IDS_SIZE	(3 * nla_total_size(sizeof(u32)))

/**
 * xrelay_nl_session_size() - room for a session's reply
 * @policy: the session's own policy, or NULL
 *
 * The most the session's attributes can take, whatever it learns later:
 * session-new refuses a session whose reply could outgrow
 * XRELAY_NL_MAX_DUMP_MSG.
 *
 * Return: bytes of the attributes, without the message's headers.
 */
size_t xrelay_nl_session_size(const struct xrelay_policy *policy)
{
	return XRELAY_NL_SESSION_IDS_SIZE + 2 * nla_total_size(sizeof(u32)) +
	       nla_total_size_64bit(sizeof(u64)) + xrelay_nl_session_policy_size(policy) +
	       xrelay_nl_side_size(policy ? policy->admission[0] : NULL, false) +
	       xrelay_nl_side_size(policy ? policy->admission[1] : NULL, false);
}

/* What names a session in replies and events. */
static int xrelay_nl_put_session_ids(struct sk_buff *skb, const struct xrelay_session *s)
{
	if (nla_put_u32(skb, XRELAY_A_SESSION_ID, s->id) ||
	    nla_put_u32(skb, XRELAY_A_SESSION_INSTANCE, s->instance->id) ||
	    nla_put_u32(skb, XRELAY_A_SESSION_NETWORK, s->network))
		return -EMSGSIZE;
	return 0;
}

static int xrelay_nl_fill_session(struct sk_buff *skb, const struct xrelay_session *s,
				  u32 portid, u32 seq, int flags, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &xrelay_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (xrelay_nl_put_session_ids(skb, s) ||
	    nla_put_u32(skb, XRELAY_A_SESSION_IDLE_TIMEOUT, s->idle_timeout / HZ) ||
	    (s->lifetime && nla_put_u32(skb, XRELAY_A_SESSION_LIFETIME, s->lifetime / HZ)) ||
	    nla_put_u64_64bit(skb, XRELAY_A_SESSION_AGE_MSECS,
			      jiffies_to_msecs(jiffies - s->created), XRELAY_A_SESSION_PAD) ||
	    xrelay_nl_put_session_policy(skb, s) ||
	    xrelay_nl_put_side(skb, &s->sides[0], false) ||
	    xrelay_nl_put_side(skb, &s->sides[1], false)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * The reply to a request that created an object carries only its id. Sized
 * exactly: a page-sized message would be zeroed whole on allocation
 * (init_on_alloc) and copied into a smaller buffer by netlink_trim() before
 * it is queued, which was half the kernel's cost of creating a session.
 */
static struct sk_buff *xrelay_nl_reply_id_new(void)
{
	return genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
}

static int xrelay_nl_reply_id(struct genl_info *info, struct sk_buff *msg, int type, u32 id)
{
	void *hdr = genlmsg_put_reply(msg, info, &xrelay_nl_family, 0, info->genlhdr->cmd);

	if (!hdr || nla_put_u32(msg, type, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int xrelay_nl_instance_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	struct xrelay_instance_config cfg = {};
	struct nlattr **attrs = info->attrs;
	struct sk_buff *msg;
	int ret;

	ret = xrelay_nl_get_addr(info, attrs[XRELAY_A_INSTANCE_LOCAL_IPV4],
				 attrs[XRELAY_A_INSTANCE_LOCAL_IPV6], &cfg.addr);
	if (ret == -ENOENT) {
		XRELAY_ERR(info, NULL, "missing local address: give local-ipv4 or local-ipv6");
		return -EINVAL;
	}
	if (ret == -EINVAL) {
		XRELAY_ERR(info, attrs[XRELAY_A_INSTANCE_LOCAL_IPV6],
			   "give only one of local-ipv4 and local-ipv6");
		return ret;
	}
	if (ret)
		return ret;
	if (!attrs[XRELAY_A_INSTANCE_PORT_MIN] || !attrs[XRELAY_A_INSTANCE_PORT_MAX]) {
		XRELAY_ERR(info, NULL, "missing port range: give port-min and port-max");
		return -EINVAL;
	}
	if (attrs[XRELAY_A_INSTANCE_ID])
		cfg.id = nla_get_u32(attrs[XRELAY_A_INSTANCE_ID]);
	if (attrs[XRELAY_A_INSTANCE_NETWORK])
		cfg.network = nla_get_u32(attrs[XRELAY_A_INSTANCE_NETWORK]);
	cfg.port_min = nla_get_u16(attrs[XRELAY_A_INSTANCE_PORT_MIN]);
	cfg.port_max = nla_get_u16(attrs[XRELAY_A_INSTANCE_PORT_MAX]);

	msg = xrelay_nl_reply_id_new();
	if (!msg)
		return -ENOMEM;
	mutex_lock(&xn->lock);
	ret = xrelay_instance_create(xn, &cfg, info->extack);
	mutex_unlock(&xn->lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return xrelay_nl_reply_id(info, msg, XRELAY_A_INSTANCE_ID, cfg.id);
}

static struct xrelay_instance *xrelay_nl_find_instance(struct xrelay_net *xn,
						       struct genl_info *info, struct nlattr *attr)
{
	struct xrelay_instance *inst;

	if (!attr) {
		XRELAY_ERR(info, NULL, "missing instance id");
		return ERR_PTR(-EINVAL);
	}
	inst = xa_load(&xn->instances, nla_get_u32(attr));
	if (!inst) {
		XRELAY_ERR(info, attr, "no instance with this id");
		return ERR_PTR(-ENOENT);
	}
	return inst;
}

int xrelay_nl_instance_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	struct xrelay_instance *inst;
	int ret = 0;

	mutex_lock(&xn->lock);
	inst = xrelay_nl_find_instance(xn, info, info->attrs[XRELAY_A_INSTANCE_ID]);
	if (IS_ERR(inst))
		ret = PTR_ERR(inst);
	else
		xrelay_instance_destroy(inst);
	mutex_unlock(&xn->lock);
	return ret;
}

int xrelay_nl_instance_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	struct xrelay_instance *inst;
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(xrelay_nl_instance_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&xn->lock);
	inst = xrelay_nl_find_instance(xn, info, info->attrs[XRELAY_A_INSTANCE_ID]);
	if (IS_ERR(inst))
		ret = PTR_ERR(inst);
	else
		ret = xrelay_nl_fill_instance(msg, inst, info->snd_portid, info->snd_seq, 0);
	mutex_unlock(&xn->lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/**
 * xrelay_nl_dump_start() - check a dump's request and make room for its objects
 * @cb: the dump, its attributes parsed with the command's policy
 * @refused: per attribute type, the message refusing it, or NULL if taken
 * @n_refused: entries in @refused
 *
 * Kernel 6.1 has one policy per command for do and dump, so a dump's policy
 * lets the do's attributes through, and a dump ignoring them would list
 * everything it was asked to filter. 6.1 gives ->start no extack (cb->extack
 * is set around ->dumpit only), so the refusal is noted here and made by
 * the dump's first pass, before it lists anything: NLMSG_DONE carries the
 * error and the message, not the attribute's offset, so the message names
 * the attribute.
 *
 * Return: 0.
 */
int xrelay_nl_dump_start(struct netlink_callback *cb, const char * const *refused,
			 unsigned int n_refused)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	unsigned int type;

	/* Only a session can outgrow the smallest dump message. */
	if (info->op.cmd == XRELAY_CMD_SESSION_GET)
		cb->min_dump_alloc = XRELAY_NL_MAX_DUMP_MSG;
	for (type = 0; info->attrs && type < n_refused; type++) {
		if (info->attrs[type] && refused[type]) {
			cb->args[XRELAY_NL_DUMP_REFUSED] = (unsigned long)refused[type];
			break;
		}
	}
	return 0;
}

/**
 * xrelay_nl_dump_refused() - the refusal xrelay_nl_dump_start() noted
 * @cb: the dump
 *
 * Return: -EINVAL with the message set, or 0 to go on.
 */
int xrelay_nl_dump_refused(struct netlink_callback *cb)
{
	const char *msg = (const char *)cb->args[XRELAY_NL_DUMP_REFUSED];

	if (!msg)
		return 0;
	/* The messages are static, chosen at run time: NL_SET_ERR_MSG() takes literals. */
	xrelay_extack_set(cb->extack, msg);
	return -EINVAL;
}

/*
 * Dumps resume from the id after the last object that fitted: cb->args[0].
 * An object that fits no empty message ends the dump with the error:
 * returning the empty message's length would end it as if complete.
 */
int xrelay_nl_instance_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct xrelay_net *xn = xrelay_net(sock_net(cb->skb->sk));
	struct xrelay_instance *inst;
	unsigned long id;
	int ret;

	ret = xrelay_nl_dump_refused(cb);
	if (ret)
		return ret;
	mutex_lock(&xn->lock);
	xa_for_each_start(&xn->instances, id, inst, cb->args[0]) {
		ret = xrelay_nl_fill_instance(skb, inst, NETLINK_CB(cb->skb).portid,
					      cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (ret)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&xn->lock);
	return ret && !skb->len ? ret : skb->len;
}

static int xrelay_nl_get_prefix(struct genl_info *info, struct nlattr **tb,
				struct xrelay_prefix *prefix)
{
	struct nlattr *len_attr = tb[XRELAY_A_SIDE_ALLOW_PREFIX_LEN];
	int ret;

	ret = xrelay_nl_get_addr(info, tb[XRELAY_A_SIDE_ALLOW_IPV4], tb[XRELAY_A_SIDE_ALLOW_IPV6],
				 &prefix->addr);
	if (ret == -ENOENT && !len_attr)
		return 0;
	if (ret == -ENOENT) {
		XRELAY_ERR(info, len_attr, "allow-prefix-len needs allow-ipv4 or allow-ipv6");
		return -EINVAL;
	}
	if (ret == -EINVAL) {
		XRELAY_ERR(info, tb[XRELAY_A_SIDE_ALLOW_IPV6],
			   "give only one of allow-ipv4 and allow-ipv6");
		return ret;
	}
	if (ret)
		return ret;
	if (!len_attr) {
		XRELAY_ERR(info, NULL, "allowed prefix needs allow-prefix-len");
		return -EINVAL;
	}
	return xrelay_nl_prefix_len(info, tb[XRELAY_A_SIDE_ALLOW_IPV4] ?: tb[XRELAY_A_SIDE_ALLOW_IPV6],
				    len_attr, prefix);
}

static int xrelay_nl_get_side(struct genl_info *info, struct nlattr *nest,
			      struct xrelay_side_config *cfg)
{
	struct nlattr *tb[XRELAY_A_SIDE_MAX + 1];
	struct nlattr *peer_port;
	int ret;

	if (!nest) {
		XRELAY_ERR(info, NULL, "missing side-a or side-b");
		return -EINVAL;
	}
	/* The op's policy checked the nest: this only indexes it. */
	ret = nla_parse_nested(tb, XRELAY_A_SIDE_MAX, nest, NULL, info->extack);
	if (ret)
		return ret;
	if (tb[XRELAY_A_SIDE_STATE] || tb[XRELAY_A_SIDE_IDLE_MSECS] || tb[XRELAY_A_SIDE_STATS]) {
		XRELAY_ERR(info, nest, "side state, idle-msecs and stats are read-only");
		return -EINVAL;
	}
	if (!tb[XRELAY_A_SIDE_PORT]) {
		XRELAY_ERR(info, nest, "side is missing its port");
		return -EINVAL;
	}
	cfg->port = nla_get_u16(tb[XRELAY_A_SIDE_PORT]);
	cfg->relearn_timeout = XRELAY_DEFAULT_RELEARN_TIMEOUT;

	peer_port = tb[XRELAY_A_SIDE_PEER_PORT];
	ret = xrelay_nl_get_addr(info, tb[XRELAY_A_SIDE_PEER_IPV4], tb[XRELAY_A_SIDE_PEER_IPV6],
				 &cfg->peer.addr);
	if (ret == -EINVAL) {
		XRELAY_ERR(info, tb[XRELAY_A_SIDE_PEER_IPV6],
			   "give only one of peer-ipv4 and peer-ipv6");
		return ret;
	}
	if (ret == -EAFNOSUPPORT)
		return ret;
	if (!ret || peer_port) {
		if (ret) {
			XRELAY_ERR(info, peer_port, "peer-port needs peer-ipv4 or peer-ipv6");
			return -EINVAL;
		}
		if (!peer_port) {
			XRELAY_ERR(info, nest, "a pinned side needs peer-port");
			return -EINVAL;
		}
		if (tb[XRELAY_A_SIDE_ALLOW_IPV4] || tb[XRELAY_A_SIDE_ALLOW_IPV6] ||
		    tb[XRELAY_A_SIDE_ALLOW_PREFIX_LEN] || tb[XRELAY_A_SIDE_RELEARN_TIMEOUT]) {
			XRELAY_ERR(info, nest,
				   "allowed prefix and relearn-timeout apply to learned sides only");
			return -EINVAL;
		}
		cfg->pinned = true;
		cfg->peer.port = htons(nla_get_u16(peer_port));
		return 0;
	}
	if (tb[XRELAY_A_SIDE_RELEARN_TIMEOUT])
		cfg->relearn_timeout = nla_get_u32(tb[XRELAY_A_SIDE_RELEARN_TIMEOUT]);
	return xrelay_nl_get_prefix(info, tb, &cfg->allow);
}

/* Opens the session @info->attrs describe; both session-new and its batch. */
static int xrelay_nl_session_open(struct genl_info *info, u32 *id)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	struct xrelay_session_config cfg = {};
	struct nlattr **attrs = info->attrs;
	struct xrelay_session *s;
	int ret;

	if (!attrs[XRELAY_A_SESSION_INSTANCE]) {
		XRELAY_ERR(info, NULL, "missing instance id");
		return -EINVAL;
	}
	cfg.instance = nla_get_u32(attrs[XRELAY_A_SESSION_INSTANCE]);
	if (attrs[XRELAY_A_SESSION_NETWORK])
		cfg.network = nla_get_u32(attrs[XRELAY_A_SESSION_NETWORK]);
	cfg.idle_timeout = XRELAY_DEFAULT_IDLE_TIMEOUT;
	if (attrs[XRELAY_A_SESSION_IDLE_TIMEOUT])
		cfg.idle_timeout = nla_get_u32(attrs[XRELAY_A_SESSION_IDLE_TIMEOUT]);
	if (attrs[XRELAY_A_SESSION_LIFETIME])
		cfg.lifetime = nla_get_u32(attrs[XRELAY_A_SESSION_LIFETIME]);
	ret = xrelay_nl_get_side(info, attrs[XRELAY_A_SESSION_SIDE_A], &cfg.sides[0]);
	if (ret)
		return ret;
	ret = xrelay_nl_get_side(info, attrs[XRELAY_A_SESSION_SIDE_B], &cfg.sides[1]);
	if (ret)
		return ret;
	ret = xrelay_nl_get_session_policy(info, &cfg.policy);
	if (ret)
		return ret;

	s = xrelay_session_alloc(&cfg);
	if (!s)
		return -ENOMEM;
	mutex_lock(&xn->lock);
	ret = xrelay_session_create(xn, s, &cfg, id, info->extack);
	mutex_unlock(&xn->lock);
	return ret;
}

int xrelay_nl_session_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg = xrelay_nl_reply_id_new();
	u32 id;
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = xrelay_nl_session_open(info, &id);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return xrelay_nl_reply_id(info, msg, XRELAY_A_SESSION_ID, id);
}

/**
 * xrelay_nl_session_new_batch_doit() - open many sessions in one request
 * @skb: the request
 * @info: its attributes: session nests, already validated by the policy
 *
 * Each session is handled as session-new would handle it alone, its own
 * nest standing in for the message. The first failure ends the request:
 * the reply, sent even then, lists the ids of the sessions opened before
 * it, so that the requester knows which one failed and resends the rest.
 *
 * Return: 0, or the failing session's negative errno, with the message set.
 */
int xrelay_nl_session_new_batch_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[XRELAY_A_SESSION_MAX + 1];
	struct genl_info one = *info;
	struct nlattr *nest;
	struct sk_buff *msg;
	int n = 0, rem, ret = 0, sent;
	void *hdr;
	u32 id;

	nlmsg_for_each_attr(nest, info->nlhdr, GENL_HDRLEN, rem) {
		/* The reply, allocated up front, holds an id per session. */
		if (++n > XRELAY_MAX_BATCH_SESSIONS) {
			XRELAY_ERR(info, nest, "too many sessions in a batch");
			return -E2BIG;
		}
	}
	if (!n) {
		XRELAY_ERR(info, NULL, "no session to open");
		return -EINVAL;
	}
	msg = genlmsg_new(n * nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &xrelay_nl_family, 0, info->genlhdr->cmd);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	one.attrs = tb;
	nlmsg_for_each_attr(nest, info->nlhdr, GENL_HDRLEN, rem) {
		/* The policy checked the nest's attributes: this only indexes them. */
		ret = nla_parse_nested(tb, XRELAY_A_SESSION_MAX, nest, NULL, info->extack);
		if (!ret && (tb[XRELAY_A_SESSION_ID] || tb[XRELAY_A_SESSION_PORT] ||
			     tb[XRELAY_A_SESSION_AGE_MSECS] || tb[XRELAY_A_SESSION_EXPIRE_REASON])) {
			XRELAY_ERR(info, nest,
				   "id, port, age-msecs and expire-reason are not for a new session");
			ret = -EINVAL;
		}
		if (!ret)
			ret = xrelay_nl_session_open(&one, &id);
		if (ret) {
			/* Where the cause has no attribute, the session's nest is it. */
			if (info->extack && !info->extack->bad_attr)
				info->extack->bad_attr = nest;
			break;
		}
		/* Cannot fail: the reply has room for an id per nest. */
		nla_put_u32(msg, XRELAY_A_SESSION_BATCH_ID, id);
		/* A request may hold as many sessions as the socket buffer. */
		cond_resched();
	}
	genlmsg_end(msg, hdr);
	sent = genlmsg_reply(msg, info);
	return ret ?: sent;
}

/* A session is named by its id, or by its instance and either of its ports. */
static struct xrelay_session *xrelay_nl_find_session(struct xrelay_net *xn,
						     struct genl_info *info)
{
	struct nlattr *id = info->attrs[XRELAY_A_SESSION_ID];
	struct nlattr *port = info->attrs[XRELAY_A_SESSION_PORT];
	struct nlattr *instance = info->attrs[XRELAY_A_SESSION_INSTANCE];
	struct xrelay_instance *inst;
	struct xrelay_session *s;
	struct xrelay_side *side;

	if (id && (port || instance)) {
		XRELAY_ERR(info, id, "name the session by id, or by instance and port, not both");
		return ERR_PTR(-EINVAL);
	}
	if (id) {
		s = xa_load(&xn->sessions, nla_get_u32(id));
		if (!s) {
			XRELAY_ERR(info, id, "no session with this id");
			return ERR_PTR(-ENOENT);
		}
		return s;
	}
	if (!port || !instance) {
		XRELAY_ERR(info, NULL, "missing session: give its id, or its instance and port");
		return ERR_PTR(-EINVAL);
	}
	inst = xrelay_nl_find_instance(xn, info, instance);
	if (IS_ERR(inst))
		return ERR_CAST(inst);
	/*
	 * The table's buckets are freed after a grace period when it is
	 * resized, which xn->lock does not hold off; the side itself cannot go
	 * away while xn->lock is held.
	 */
	rcu_read_lock();
	side = xrelay_ports_lookup(xn, &inst->addr, htons(nla_get_u16(port)));
	rcu_read_unlock();
	if (!side || side->session->instance != inst) {
		XRELAY_ERR(info, port, "no session uses this port of the instance");
		return ERR_PTR(-ENOENT);
	}
	return side->session;
}

int xrelay_nl_session_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	struct xrelay_session *s;
	int ret = 0;

	mutex_lock(&xn->lock);
	s = xrelay_nl_find_session(xn, info);
	if (IS_ERR(s))
		ret = PTR_ERR(s);
	else
		xrelay_session_destroy(xn, s);
	mutex_unlock(&xn->lock);
	return ret;
}

int xrelay_nl_session_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	struct xrelay_session *s;
	struct sk_buff *msg;
	int ret;

	if (info->attrs[XRELAY_A_SESSION_NETWORK]) {
		XRELAY_ERR(info, info->attrs[XRELAY_A_SESSION_NETWORK],
			   "network filters dumps only: name the session by id, or by instance and port");
		return -EINVAL;
	}
	mutex_lock(&xn->lock);
	s = xrelay_nl_find_session(xn, info);
	if (IS_ERR(s)) {
		mutex_unlock(&xn->lock);
		return PTR_ERR(s);
	}
	msg = genlmsg_new(xrelay_nl_session_size(s->policy), GFP_KERNEL);
	ret = msg ? xrelay_nl_fill_session(msg, s, info->snd_portid, info->snd_seq, 0,
					   XRELAY_CMD_SESSION_GET) : -ENOMEM;
	mutex_unlock(&xn->lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

int xrelay_nl_session_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct xrelay_net *xn = xrelay_net(sock_net(cb->skb->sk));
	struct nlattr **attrs = genl_dumpit_info(cb)->attrs;
	u32 instance = 0, network = 0;
	struct xrelay_session *s;
	unsigned long id;
	int ret;

	ret = xrelay_nl_dump_refused(cb);
	if (ret)
		return ret;
	if (attrs[XRELAY_A_SESSION_INSTANCE])
		instance = nla_get_u32(attrs[XRELAY_A_SESSION_INSTANCE]);
	if (attrs[XRELAY_A_SESSION_NETWORK])
		network = nla_get_u32(attrs[XRELAY_A_SESSION_NETWORK]);

	mutex_lock(&xn->lock);
	xa_for_each_start(&xn->sessions, id, s, cb->args[0]) {
		if ((!instance || s->instance->id == instance) &&
		    (!network || s->network == network)) {
			ret = xrelay_nl_fill_session(skb, s, NETLINK_CB(cb->skb).portid,
						     cb->nlh->nlmsg_seq, NLM_F_MULTI,
						     XRELAY_CMD_SESSION_GET);
			if (ret)
				break;
		}
		cb->args[0] = id + 1;
	}
	mutex_unlock(&xn->lock);
	return ret && !skb->len ? ret : skb->len;
}

int xrelay_nl_session_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	struct nlattr *instance = info->attrs[XRELAY_A_SESSION_INSTANCE];
	struct nlattr *network = info->attrs[XRELAY_A_SESSION_NETWORK];
	struct xrelay_instance *inst = NULL;
	int ret = 0;

	mutex_lock(&xn->lock);
	if (instance) {
		inst = xrelay_nl_find_instance(xn, info, instance);
		if (IS_ERR(inst)) {
			ret = PTR_ERR(inst);
			goto out;
		}
	}
	xrelay_sessions_destroy_matching(xn, inst, network ? nla_get_u32(network) : 0);
out:
	mutex_unlock(&xn->lock);
	return ret;
}

static size_t xrelay_nl_netns_size(void)
{
	return 4 * nla_total_size(sizeof(u32)) + xrelay_nl_stats_size();
}

static int xrelay_nl_fill_netns(struct sk_buff *skb, struct xrelay_net *xn)
{
	struct xrelay_stats total = {}, st;
	struct xrelay_instance *inst;
	struct xrelay_network *nw;
	u32 networks = 0;
	unsigned long id;

	xa_for_each(&xn->instances, id, inst) {
		xrelay_pcpu_stats_sum(inst->stats, &st);
		xrelay_stats_add(&total, &st);
	}
	xa_for_each(&xn->networks, id, nw)
		networks++;
	if (nla_put_u32(skb, XRELAY_A_NETNS_SESSION_LIMIT, xn->session_limit) ||
	    nla_put_u32(skb, XRELAY_A_NETNS_SESSIONS, xn->session_count) ||
	    nla_put_u32(skb, XRELAY_A_NETNS_INSTANCES,
			xn->family_instances[0] + xn->family_instances[1]) ||
	    nla_put_u32(skb, XRELAY_A_NETNS_NETWORKS, networks) ||
	    xrelay_nl_put_stats(skb, XRELAY_A_NETNS_STATS, &total))
		return -EMSGSIZE;
	return 0;
}

int xrelay_nl_netns_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(xrelay_nl_netns_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &xrelay_nl_family, 0, XRELAY_CMD_NETNS_GET);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	mutex_lock(&xn->lock);
	ret = xrelay_nl_fill_netns(msg, xn);
	mutex_unlock(&xn->lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int xrelay_nl_netns_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xrelay_net *xn = xrelay_net(genl_info_net(info));
	struct nlattr *limit = info->attrs[XRELAY_A_NETNS_SESSION_LIMIT];

	if (!limit) {
		XRELAY_ERR(info, NULL, "missing session-limit");
		return -EINVAL;
	}
	mutex_lock(&xn->lock);
	xn->session_limit = nla_get_u32(limit);
	mutex_unlock(&xn->lock);
	return 0;
}

/*
 * Events: xrelay_nl_event_new() starts one with room for @size bytes of
 * attributes, or returns NULL when nobody listens to @group; the caller
 * fills it and hands it to xrelay_nl_event_send(), or frees it with
 * nlmsg_free() if it could not. Sessions ending and the limit go to
 * "events", which the agent keeps its kernel state by; the datapath's
 * samples (latches, policy drops) to "datapath", so that a burst of them
 * can never overflow the agent's socket and cost it a full resync.
 */
static struct sk_buff *xrelay_nl_event_new(struct xrelay_net *xn, unsigned int group, u8 cmd,
					   size_t size, gfp_t gfp, void **hdr)
{
	struct sk_buff *msg;

	if (!READ_ONCE(xrelay_nl_live) || !genl_has_listeners(&xrelay_nl_family, xn->net, group))
		return NULL;
	msg = genlmsg_new(size, gfp);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &xrelay_nl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void xrelay_nl_event_send(struct xrelay_net *xn, unsigned int group,
				 struct sk_buff *msg, void *hdr)
{
	genlmsg_end(msg, hdr);
	rcu_read_lock();
	if (READ_ONCE(xrelay_nl_live))
		genlmsg_multicast_netns(&xrelay_nl_family, xn->net, msg, 0, group, GFP_ATOMIC);
	else
		nlmsg_free(msg);
	rcu_read_unlock();
}

/**
 * xrelay_nl_notify_learned() - tell listeners that a side latched a peer
 * @xn: namespace state
 * @side: the side, with its new peer
 *
 * Context: softirq, rcu_read_lock() held.
 */
void xrelay_nl_notify_learned(struct xrelay_net *xn, const struct xrelay_side *side)
{
	const struct xrelay_policy *policy = side->session->policy;
	struct sk_buff *msg;
	size_t size;
	void *hdr;

	size = XRELAY_NL_SESSION_IDS_SIZE +
	       xrelay_nl_side_size(policy ? policy->admission[xrelay_side_index(side)] : NULL,
				   false);
	msg = xrelay_nl_event_new(xn, XRELAY_NLGRP_DATAPATH, XRELAY_CMD_SIDE_LEARNED_NTF, size,
				  GFP_ATOMIC, &hdr);
	if (!msg)
		return;
	if (xrelay_nl_put_session_ids(msg, side->session) ||
	    xrelay_nl_put_side(msg, side, false)) {
		nlmsg_free(msg);
		return;
	}
	xrelay_nl_event_send(xn, XRELAY_NLGRP_DATAPATH, msg, hdr);
}

/**
 * xrelay_nl_notify_expired() - tell listeners a session ended, with its counters
 * @xn: namespace state
 * @s: the session, still in the tables
 * @reason: enum xrelay_expire_reason
 *
 * Context: process context, holding xn->lock.
 */
void xrelay_nl_notify_expired(struct xrelay_net *xn, const struct xrelay_session *s, int reason)
{
	size_t size = XRELAY_NL_SESSION_IDS_SIZE + nla_total_size(sizeof(u8)) +
		      nla_total_size_64bit(sizeof(u64)) + 2 * xrelay_nl_side_size(NULL, true);
	struct sk_buff *msg;
	void *hdr;

	msg = xrelay_nl_event_new(xn, XRELAY_NLGRP_EVENTS, XRELAY_CMD_SESSION_EXPIRED_NTF, size,
				  GFP_KERNEL, &hdr);
	if (!msg)
		return;
	if (xrelay_nl_put_session_ids(msg, s) ||
	    nla_put_u8(msg, XRELAY_A_SESSION_EXPIRE_REASON, reason) ||
	    nla_put_u64_64bit(msg, XRELAY_A_SESSION_AGE_MSECS,
			      jiffies_to_msecs(jiffies - s->created), XRELAY_A_SESSION_PAD) ||
	    xrelay_nl_put_side(msg, &s->sides[0], true) ||
	    xrelay_nl_put_side(msg, &s->sides[1], true)) {
		nlmsg_free(msg);
		return;
	}
	xrelay_nl_event_send(xn, XRELAY_NLGRP_EVENTS, msg, hdr);
}

/**
 * xrelay_nl_notify_limit() - tell listeners a session was refused at the limit
 * @xn: namespace state
 *
 * Context: process context, holding xn->lock.
 */
void xrelay_nl_notify_limit(struct xrelay_net *xn)
{
	struct sk_buff *msg;
	void *hdr;

	msg = xrelay_nl_event_new(xn, XRELAY_NLGRP_EVENTS, XRELAY_CMD_LIMIT_REACHED_NTF,
				  2 * nla_total_size(sizeof(u32)), GFP_KERNEL, &hdr);
	if (!msg)
		return;
	if (nla_put_u32(msg, XRELAY_A_NETNS_SESSION_LIMIT, xn->session_limit) ||
	    nla_put_u32(msg, XRELAY_A_NETNS_SESSIONS, xn->session_count)) {
		nlmsg_free(msg);
		return;
	}
	xrelay_nl_event_send(xn, XRELAY_NLGRP_EVENTS, msg, hdr);
}

/* The most a policy-drop event holds: a hub's, with both addresses and ports. */
#define XRELAY_NL_DROP_SIZE	(3 * nla_total_size(sizeof(u32)) +			\
				 3 * nla_total_size(sizeof(u8)) +			\
				 2 * nla_total_size(sizeof(struct in6_addr)) +		\
				 2 * nla_total_size(sizeof(u16)))

/**
 * xrelay_nl_notify_policy_drop() - show listeners a sample of policy drops
 * @xn: namespace state
 * @side: the side whose port received the packet
 * @reason: why it was dropped; only the policy's reasons are reported
 * @flow: the packet as received
 *
 * A flood of refused packets must not become a flood of events: a few a
 * second per namespace are sent, the counters have the rest.
 *
 * Context: softirq, rcu_read_lock() held.
 */
void xrelay_nl_notify_policy_drop(struct xrelay_net *xn, const struct xrelay_side *side,
				  enum xrelay_drop reason, const struct xrelay_flow *flow)
{
	static const u8 policy_reasons[XRELAY_DROP_NR] = {
		[XRELAY_DROP_DENIED] = XRELAY_POLICY_DROP_DENIED + 1,
		[XRELAY_DROP_PROTOCOL] = XRELAY_POLICY_DROP_PROTOCOL + 1,
		[XRELAY_DROP_RATE_LIMIT] = XRELAY_POLICY_DROP_RATE_LIMIT + 1,
		[XRELAY_DROP_QUOTA] = XRELAY_POLICY_DROP_QUOTA + 1,
	};
	const struct xrelay_session *s = side->session;
	struct sk_buff *msg;
	void *hdr;

	if (!policy_reasons[reason] ||
	    !genl_has_listeners(&xrelay_nl_family, xn->net, XRELAY_NLGRP_DATAPATH) ||
	    !__ratelimit(&xn->drop_events))
		return;
	msg = xrelay_nl_event_new(xn, XRELAY_NLGRP_DATAPATH, XRELAY_CMD_POLICY_DROP_NTF,
				  XRELAY_NL_DROP_SIZE, GFP_ATOMIC, &hdr);
	if (!msg)
		return;
	if (nla_put_u32(msg, XRELAY_A_POLICY_DROP_SESSION, s->id) ||
	    nla_put_u32(msg, XRELAY_A_POLICY_DROP_NETWORK, s->network) ||
	    nla_put_u8(msg, XRELAY_A_POLICY_DROP_SIDE, xrelay_side_index(side)) ||
	    nla_put_u8(msg, XRELAY_A_POLICY_DROP_REASON, policy_reasons[reason] - 1) ||
	    xrelay_nl_put_addr(msg, XRELAY_A_POLICY_DROP_SOURCE_IPV4,
			       XRELAY_A_POLICY_DROP_SOURCE_IPV6, &flow->saddr) ||
	    nla_put_u16(msg, XRELAY_A_POLICY_DROP_SOURCE_PORT, ntohs(flow->sport))) {
		nlmsg_free(msg);
		return;
	}
	xrelay_nl_event_send(xn, XRELAY_NLGRP_DATAPATH, msg, hdr);
}

/**
 * xrelay_nl_notify_hub_drop() - show listeners a sample of what hubs refuse
 * @xn: namespace state
 * @network: the network whose hub refused the packet
 * @saddr: its source
 * @daddr: its destination
 * @protocol: its IP protocol
 * @sport: its source port, 0 if it has none
 * @dport: its destination port, 0 if it has none
 * @rule: the refusing rule counted from 1; 0 for the default, or for traffic
 *	between two networks' overlays
 *
 * Paced like xrelay_nl_notify_policy_drop(), sharing its budget.
 *
 * Context: softirq, rcu_read_lock() held.
 */
void xrelay_nl_notify_hub_drop(struct xrelay_net *xn, u32 network, const struct in6_addr *saddr,
			       const struct in6_addr *daddr, u8 protocol, u16 sport, u16 dport,
			       u32 rule)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&xrelay_nl_family, xn->net, XRELAY_NLGRP_DATAPATH) ||
	    !__ratelimit(&xn->drop_events))
		return;
	msg = xrelay_nl_event_new(xn, XRELAY_NLGRP_DATAPATH, XRELAY_CMD_POLICY_DROP_NTF,
				  XRELAY_NL_DROP_SIZE, GFP_ATOMIC, &hdr);
	if (!msg)
		return;
	if (nla_put_u32(msg, XRELAY_A_POLICY_DROP_SESSION, 0) ||
	    nla_put_u32(msg, XRELAY_A_POLICY_DROP_NETWORK, network) ||
	    nla_put_u8(msg, XRELAY_A_POLICY_DROP_REASON, XRELAY_POLICY_DROP_ACL) ||
	    xrelay_nl_put_addr(msg, XRELAY_A_POLICY_DROP_SOURCE_IPV4,
			       XRELAY_A_POLICY_DROP_SOURCE_IPV6, saddr) ||
	    xrelay_nl_put_addr(msg, XRELAY_A_POLICY_DROP_DESTINATION_IPV4,
			       XRELAY_A_POLICY_DROP_DESTINATION_IPV6, daddr) ||
	    nla_put_u8(msg, XRELAY_A_POLICY_DROP_PROTOCOL, protocol) ||
	    (sport && nla_put_u16(msg, XRELAY_A_POLICY_DROP_SOURCE_PORT, sport)) ||
	    (dport && nla_put_u16(msg, XRELAY_A_POLICY_DROP_DESTINATION_PORT, dport)) ||
	    nla_put_u32(msg, XRELAY_A_POLICY_DROP_RULE, rule)) {
		nlmsg_free(msg);
		return;
	}
	xrelay_nl_event_send(xn, XRELAY_NLGRP_DATAPATH, msg, hdr);
}

struct genl_family xrelay_nl_family __ro_after_init = {
	.name = XRELAY_FAMILY_NAME,
	.version = XRELAY_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = xrelay_nl_ops,
	.n_ops = ARRAY_SIZE(xrelay_nl_ops),
	.mcgrps = xrelay_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(xrelay_nl_mcgrps),
};

int __init xrelay_nl_init(void)
{
	int ret = genl_register_family(&xrelay_nl_family);

	if (!ret)
		WRITE_ONCE(xrelay_nl_live, true);
	return ret;
}

/*
 * Packets and expiry may still be sending events: stop them and wait for
 * those in flight before the family and its multicast group go away.
 */
void xrelay_nl_uninit(void)
{
	WRITE_ONCE(xrelay_nl_live, false);
	synchronize_rcu();
	genl_unregister_family(&xrelay_nl_family);
}
