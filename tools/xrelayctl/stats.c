// SPDX-License-Identifier: GPL-2.0-only
/* Counters, and the namespace-wide view: totals and the session limit. */
#include <errno.h>
#include <stdio.h>

#include "xrelayctl.h"

static const struct {
	const char *key;	/* JSON */
	const char *drop;	/* text, for drop counters */
} counters[XRELAY_A_STATS_MAX + 1] = {
	[XRELAY_A_STATS_PACKETS] = { "packets", NULL },
	[XRELAY_A_STATS_BYTES] = { "bytes", NULL },
	[XRELAY_A_STATS_PACKETS_XDP] = { "packets_xdp", NULL },
	[XRELAY_A_STATS_DROP_NO_SESSION] = { "drop_no_session", "no-session" },
	[XRELAY_A_STATS_DROP_UNKNOWN_SOURCE] = { "drop_unknown_source", "unknown-source" },
	[XRELAY_A_STATS_DROP_NOT_PAIRED] = { "drop_not_paired", "not-paired" },
	[XRELAY_A_STATS_DROP_EXPIRED] = { "drop_expired", "expired" },
	[XRELAY_A_STATS_DROP_DENIED] = { "drop_denied", "denied" },
	[XRELAY_A_STATS_DROP_NO_ROUTE] = { "drop_no_route", "no-route" },
	[XRELAY_A_STATS_DROP_BAD_SOURCE] = { "drop_bad_source", "bad-source" },
	[XRELAY_A_STATS_DROP_MALFORMED] = { "drop_malformed", "malformed" },
	[XRELAY_A_STATS_DROP_PROTOCOL] = { "drop_protocol", "protocol" },
	[XRELAY_A_STATS_DROP_RATE_LIMIT] = { "drop_rate_limit", "rate-limit" },
	[XRELAY_A_STATS_DROP_QUOTA] = { "drop_quota", "quota" },
	[XRELAY_A_STATS_DROP_ACL] = { "drop_acl", "acl" },
	[XRELAY_A_STATS_DROP_HOP_LIMIT] = { "drop_hop_limit", "hop-limit" },
};

/*
 * Text: "<prefix>transfer: N packets, SIZE", then, if any drop counter is
 * nonzero, "<drops_sep>drops: NAME N, ..." with the nonzero ones; no
 * newline. JSON: a "stats" member holding every counter.
 */
void stats_print(const struct xr_stats *stats, const char *prefix, const char *drops_sep)
{
	const uint64_t *c = stats->counter;
	bool first_drop = true;
	int i;

	out_obj_open("stats");
	out_text("%stransfer: ", prefix);
	out_uint(counters[XRELAY_A_STATS_PACKETS].key,
		 c[XRELAY_A_STATS_PACKETS] == 1 ? "%llu packet, " : "%llu packets, ",
		 c[XRELAY_A_STATS_PACKETS]);
	out_bytes(counters[XRELAY_A_STATS_BYTES].key, "%s", c[XRELAY_A_STATS_BYTES]);
	if (c[XRELAY_A_STATS_PACKETS_XDP])
		out_text(" (%llu packets by XDP)", (unsigned long long)c[XRELAY_A_STATS_PACKETS_XDP]);
	out_uint(counters[XRELAY_A_STATS_PACKETS_XDP].key, NULL, c[XRELAY_A_STATS_PACKETS_XDP]);
	for (i = 1; i <= XRELAY_A_STATS_MAX; i++) {
		if (!counters[i].drop)
			continue;
		out_uint(counters[i].key, NULL, c[i]);
		if (!c[i])
			continue;
		if (first_drop)
			out_text("%sdrops: ", drops_sep);
		else
			out_text(", ");
		out_text("%s %llu", counters[i].drop, (unsigned long long)c[i]);
		first_drop = false;
	}
	out_obj_close();
}

/* Every counter, each after a tab, in attribute order. */
void stats_dump(const struct xr_stats *stats)
{
	int i;

	for (i = 1; i <= XRELAY_A_STATS_MAX; i++)
		printf("\t%llu", (unsigned long long)stats->counter[i]);
}

static int netns_print(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_NETNS_MAX + 1];
	struct xr_stats stats;

	(void)arg;
	if (xr_attr_parse(nlh, XRELAY_A_NETNS_MAX, xr_netns_policy, tb) ||
	    xr_stats_get(tb[XRELAY_A_NETNS_STATS], &stats))
		return -EPROTO;
	out_uint("session_limit", "session-limit: %llu\n",
		 xr_attr_u32(tb[XRELAY_A_NETNS_SESSION_LIMIT]));
	out_uint("sessions", "sessions: %llu\n", xr_attr_u32(tb[XRELAY_A_NETNS_SESSIONS]));
	out_uint("instances", "instances: %llu\n", xr_attr_u32(tb[XRELAY_A_NETNS_INSTANCES]));
	out_uint("networks", "networks: %llu\n", xr_attr_u32(tb[XRELAY_A_NETNS_NETWORKS]));
	stats_print(&stats, "", "\n");
	out_text("\n");
	return 0;
}

int stats_show(struct args *a)
{
	int ret;

	args_end(a);
	out_obj_open(NULL);
	ret = request_run(request_new(XRELAY_CMD_NETNS_GET, 0), netns_print, NULL);
	if (!ret) {
		out_arr_open("instance");
		ret = request_run(request_new(XRELAY_CMD_INSTANCE_GET, NLM_F_DUMP),
				  instance_print, NULL);
		out_arr_close();
	}
	out_obj_close();
	return ret;
}

static int limit_print(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_NETNS_MAX + 1];

	(void)arg;
	if (xr_attr_parse(nlh, XRELAY_A_NETNS_MAX, xr_netns_policy, tb))
		return -EPROTO;
	out_obj_open(NULL);
	out_uint("session_limit", "%llu\n", xr_attr_u32(tb[XRELAY_A_NETNS_SESSION_LIMIT]));
	out_obj_close();
	return 0;
}

int limit_run(struct args *a)
{
	struct nl_msg *msg;
	uint32_t limit;

	if (!a->argc)
		return request_run(request_new(XRELAY_CMD_NETNS_GET, 0), limit_print, NULL);
	limit = args_u32(a, "limit", 0, UINT32_MAX);
	args_end(a);
	msg = request_new(XRELAY_CMD_NETNS_SET, 0);
	request_check_put(nla_put_u32(msg, XRELAY_A_NETNS_SESSION_LIMIT, limit));
	return request_run(msg, NULL, NULL);
}
