// SPDX-License-Identifier: GPL-2.0-only
/* Overlay networks: the policy a network's sessions get on this relay. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include "xrelayctl.h"

/* A network add or set request. */
struct network_args {
	uint32_t id;
	struct admission admission;
	bool has_rate, has_session_rate, has_session_quota, has_max_sessions, has_protocol;
	struct rate rate, session_rate;
	uint64_t session_quota;
	uint32_t max_sessions;
	uint8_t protocol;
	struct ruleset *hub;		/* NULL: none */
};

/* id NET [POLICY...] */
static void network_parse(struct args *a, struct network_args *net)
{
	bool has_id = false;
	const char *word;

	while (a->argc) {
		if (args_admission(a, &net->admission, true))
			continue;
		word = args_next(a);
		if (!strcmp(word, "id")) {
			args_once(&has_id, word);
			net->id = args_u32(a, word, 1, UINT32_MAX);
		} else if (!strcmp(word, "rate")) {
			args_once(&net->has_rate, word);
			args_rate(a, word, &net->rate);
		} else if (!strcmp(word, "session-rate")) {
			args_once(&net->has_session_rate, word);
			args_rate(a, word, &net->session_rate);
		} else if (!strcmp(word, "session-quota")) {
			args_once(&net->has_session_quota, word);
			net->session_quota = args_count(a, word, 1, UINT64_MAX);
		} else if (!strcmp(word, "max-sessions")) {
			args_once(&net->has_max_sessions, word);
			net->max_sessions = args_count(a, word, 1, UINT32_MAX);
		} else if (!strcmp(word, "protocol")) {
			args_once(&net->has_protocol, word);
			net->protocol = args_protocol(a, word);
		} else if (!strcmp(word, "hub-file")) {
			if (net->hub)
				usage_error("\"%s\" given twice", word);
			net->hub = ruleset_read(args_value(a, word));
		} else {
			args_unknown(word);
		}
	}
	if (!has_id)
		usage_error("missing \"id NET\"");
	admission_check(&net->admission, XRELAY_MAX_PREFIXES, "the network");
}

/* network-new and network-set carry the same attributes: the whole policy. */
static int network_put_policy(struct args *a, uint8_t cmd)
{
	struct network_args net = {};
	struct nl_msg *msg;
	int err;

	network_parse(a, &net);
	msg = request_new_large(cmd, 0, admission_size(&net.admission) +
				(net.hub ? ruleset_size(net.hub) : 0));
	err = nla_put_u32(msg, XRELAY_A_NETWORK_ID, net.id);
	err |= admission_put(msg, XRELAY_A_NETWORK_ADMISSION, &net.admission);
	if (net.hub)
		err |= ruleset_put(msg, net.hub);
	if (net.has_rate)
		err |= rate_put(msg, XRELAY_A_NETWORK_RATE_LIMIT, &net.rate);
	if (net.has_session_rate)
		err |= rate_put(msg, XRELAY_A_NETWORK_SESSION_RATE_LIMIT, &net.session_rate);
	if (net.has_session_quota)
		err |= nla_put_u64(msg, XRELAY_A_NETWORK_SESSION_QUOTA, net.session_quota);
	if (net.has_max_sessions)
		err |= nla_put_u32(msg, XRELAY_A_NETWORK_MAX_SESSIONS, net.max_sessions);
	if (net.has_protocol)
		err |= nla_put_u8(msg, XRELAY_A_NETWORK_PROTOCOL, net.protocol);
	request_check_put(err);
	admission_free(&net.admission);
	ruleset_free(net.hub);
	return request_run(msg, NULL, NULL);
}

int network_add(struct args *a)
{
	return network_put_policy(a, XRELAY_CMD_NETWORK_NEW);
}

int network_set(struct args *a)
{
	return network_put_policy(a, XRELAY_CMD_NETWORK_SET);
}

int network_del(struct args *a)
{
	struct nl_msg *msg;
	uint32_t id;

	args_id(a, true, &id);
	msg = request_new(XRELAY_CMD_NETWORK_DEL, 0);
	request_check_put(nla_put_u32(msg, XRELAY_A_NETWORK_ID, id));
	return request_run(msg, NULL, NULL);
}

/*
 * A reply for one network may carry its lists in several admission nests
 * (see admission_put()): gather them all.
 */
static int network_admission_get(struct nlmsghdr *nlh, struct admission *adm)
{
	const struct genlmsghdr *ghdr = nlmsg_data(nlh);
	struct nlattr *attr;
	int rem;

	nla_for_each_attr(attr, genlmsg_attrdata(ghdr, 0), genlmsg_attrlen(ghdr, 0), rem)
		if (nla_type(attr) == XRELAY_A_NETWORK_ADMISSION && admission_get(attr, adm))
			return -EPROTO;
	return 0;
}

/*
 * "network 10: max-sessions 100 protocol wireguard session-quota 50G"
 * "  rate pps 10k burst 1k", "  session-rate bps 1M", "  allow P,P", "  deny P",
 * the hub if any, "  sessions: 2", then the counters. Policy lines are in
 * POLICY syntax.
 */
static int network_print(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_NETWORK_MAX + 1];
	struct admission adm = {};
	struct xr_stats stats;
	int err = -EPROTO;

	(void)arg;
	if (xr_attr_parse(nlh, XRELAY_A_NETWORK_MAX, xr_network_policy, tb) ||
	    xr_stats_get(tb[XRELAY_A_NETWORK_STATS], &stats) ||
	    network_admission_get(nlh, &adm))
		goto out;
	out_obj_open(NULL);
	out_uint("id", "network %llu:", xr_attr_u32(tb[XRELAY_A_NETWORK_ID]));
	if (tb[XRELAY_A_NETWORK_MAX_SESSIONS])
		out_count("max_sessions", " max-sessions %s",
			  nla_get_u32(tb[XRELAY_A_NETWORK_MAX_SESSIONS]));
	if (tb[XRELAY_A_NETWORK_PROTOCOL])
		out_str("protocol", " protocol %s",
			protocol_name(nla_get_u8(tb[XRELAY_A_NETWORK_PROTOCOL])));
	if (tb[XRELAY_A_NETWORK_SESSION_QUOTA])
		out_count("session_quota", " session-quota %s",
			  nla_get_u64(tb[XRELAY_A_NETWORK_SESSION_QUOTA]));
	out_text("\n");
	if (tb[XRELAY_A_NETWORK_RATE_LIMIT]) {
		if (rate_print(tb[XRELAY_A_NETWORK_RATE_LIMIT], "rate_limit", "  rate"))
			goto out;
		out_text("\n");
	}
	if (tb[XRELAY_A_NETWORK_SESSION_RATE_LIMIT]) {
		if (rate_print(tb[XRELAY_A_NETWORK_SESSION_RATE_LIMIT], "session_rate_limit",
			       "  session-rate"))
			goto out;
		out_text("\n");
	}
	admission_print(&adm, "  ");
	if (hub_print(nlh))
		goto out;
	out_uint("sessions", "  sessions: %llu\n", xr_attr_u32(tb[XRELAY_A_NETWORK_SESSIONS]));
	stats_print(&stats, "  ", "\n  ");
	out_text("\n");
	out_obj_close();
	err = 0;
out:
	admission_free(&adm);
	return err;
}

/* id, sessions, max_sessions, protocol, session_quota, rate x4, session-rate x4, counters */
static int network_dump_line(struct nlmsghdr *nlh, void *arg)
{
	static const int rates[] = { XRELAY_A_NETWORK_RATE_LIMIT,
				     XRELAY_A_NETWORK_SESSION_RATE_LIMIT };
	struct nlattr *tb[XRELAY_A_NETWORK_MAX + 1];
	struct xr_stats stats;
	size_t r;
	int i;

	(void)arg;
	if (xr_attr_parse(nlh, XRELAY_A_NETWORK_MAX, xr_network_policy, tb) ||
	    xr_stats_get(tb[XRELAY_A_NETWORK_STATS], &stats))
		return -EPROTO;
	printf("%u\t%u\t%u\t%s\t%llu",
	       xr_attr_u32(tb[XRELAY_A_NETWORK_ID]),
	       xr_attr_u32(tb[XRELAY_A_NETWORK_SESSIONS]),
	       xr_attr_u32(tb[XRELAY_A_NETWORK_MAX_SESSIONS]),
	       tb[XRELAY_A_NETWORK_PROTOCOL] ?
	       protocol_name(nla_get_u8(tb[XRELAY_A_NETWORK_PROTOCOL])) : "-",
	       (unsigned long long)xr_attr_u64(tb[XRELAY_A_NETWORK_SESSION_QUOTA]));
	for (r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		struct nlattr *rate_tb[XRELAY_A_RATE_MAX + 1] = {};

		if (tb[rates[r]] && xr_attr_parse_nested(tb[rates[r]], XRELAY_A_RATE_MAX,
							 xr_rate_policy, rate_tb))
			return -EPROTO;
		for (i = 1; i <= XRELAY_A_RATE_MAX; i++)
			printf("\t%llu", (unsigned long long)xr_attr_u64(rate_tb[i]));
	}
	stats_dump(&stats);
	printf("\n");
	return 0;
}

struct id_list {
	uint32_t *ids;
	size_t n;
	size_t allocated;
};

static int id_collect(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_NETWORK_MAX + 1];
	struct id_list *list = arg;

	if (xr_attr_parse(nlh, XRELAY_A_NETWORK_MAX, xr_network_policy, tb) ||
	    !tb[XRELAY_A_NETWORK_ID])
		return -EPROTO;
	if (list->n == list->allocated) {
		size_t allocated = list->allocated ? 2 * list->allocated : 16;
		uint32_t *grown = reallocarray(list->ids, allocated, sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		list->ids = grown;
		list->allocated = allocated;
	}
	list->ids[list->n++] = nla_get_u32(tb[XRELAY_A_NETWORK_ID]);
	return 0;
}

/* Only the reply for one network has its lists, so "show" gets them one by one. */
int network_show(struct args *a)
{
	struct id_list list = {};
	struct nl_msg *msg;
	uint32_t id;
	int ret = 0;
	size_t i;

	if (args_id(a, false, &id)) {
		list.ids = &id;
		list.n = 1;
	} else {
		ret = request_run(request_new(XRELAY_CMD_NETWORK_GET, NLM_F_DUMP), id_collect,
				  &list);
	}
	request_expect_large_replies();
	out_arr_open(NULL);
	for (i = 0; !ret && i < list.n; i++) {
		msg = request_new(XRELAY_CMD_NETWORK_GET, 0);
		request_check_put(nla_put_u32(msg, XRELAY_A_NETWORK_ID, list.ids[i]));
		/* A network deleted since the dump is no longer there to show. */
		ret = list.ids == &id ? request_run(msg, network_print, NULL) :
			request_run_or_missing(msg, network_print, NULL);
	}
	out_arr_close();
	if (list.ids != &id)
		free(list.ids);
	return ret;
}

int network_dump(struct args *a)
{
	args_end(a);
	if (out_json)
		usage_error("dump prints tab-separated text only; use show with -j");
	return request_run(request_new(XRELAY_CMD_NETWORK_GET, NLM_F_DUMP),
			   network_dump_line, NULL);
}
