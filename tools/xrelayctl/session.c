// SPDX-License-Identifier: GPL-2.0-only
/* Sessions: two ports of an instance relaying to each other's peer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xrelayctl.h"

static const char *const side_names[] = { "a", "b" };
static const int side_attrs[] = { XRELAY_A_SESSION_SIDE_A, XRELAY_A_SESSION_SIDE_B };

/* One side of a session add request. */
struct side_args {
	bool seen;
	uint16_t port;
	bool pinned;
	struct xr_endpoint peer;
	bool has_allow;
	struct xr_prefix allow;
	bool has_relearn;
	uint32_t relearn;
	struct admission admission;
};

/*
 * SIDE := PORT [peer ADDR:PORT | learn [from PREFIX] [relearn SECS]]
 *         [allow PREFIX[,PREFIX...]] [deny PREFIX[,PREFIX...]]
 */
static void parse_side(struct args *a, const char *name, struct side_args *side)
{
	char owner[sizeof("side a")];

	args_once(&side->seen, name);
	side->port = args_port(a, name);
	if (args_take(a, "peer")) {
		args_endpoint(a, "peer", &side->peer);
		side->pinned = true;
	} else if (args_take(a, "learn")) {
		for (;;) {
			if (args_take(a, "from")) {
				args_once(&side->has_allow, "from");
				args_prefix(a, "from", &side->allow);
			} else if (args_take(a, "relearn")) {
				args_once(&side->has_relearn, "relearn");
				side->relearn = args_u32(a, "relearn", 1, XRELAY_MAX_TIMEOUT);
			} else {
				break;
			}
		}
	}
	while (args_admission(a, &side->admission, false))
		;
	snprintf(owner, sizeof(owner), "side %s", name);
	admission_check(&side->admission, XRELAY_MAX_SIDE_PREFIXES, owner);
}

static int put_side(struct nl_msg *msg, int type, const struct side_args *side)
{
	struct nlattr *nest = nla_nest_start(msg, type);
	int err;

	if (!nest)
		return -NLE_NOMEM;
	err = nla_put_u16(msg, XRELAY_A_SIDE_PORT, side->port);
	if (side->pinned) {
		err |= xr_attr_put_addr(msg, XRELAY_A_SIDE_PEER_IPV4, XRELAY_A_SIDE_PEER_IPV6,
					&side->peer.addr);
		err |= nla_put_u16(msg, XRELAY_A_SIDE_PEER_PORT, side->peer.port);
	}
	if (side->has_allow) {
		err |= xr_attr_put_addr(msg, XRELAY_A_SIDE_ALLOW_IPV4, XRELAY_A_SIDE_ALLOW_IPV6,
					&side->allow.addr);
		err |= nla_put_u8(msg, XRELAY_A_SIDE_ALLOW_PREFIX_LEN, side->allow.len);
	}
	if (side->has_relearn)
		err |= nla_put_u32(msg, XRELAY_A_SIDE_RELEARN_TIMEOUT, side->relearn);
	err |= admission_put(msg, XRELAY_A_SIDE_ADMISSION, &side->admission);
	return err | nla_nest_end(msg, nest);
}

static int new_id_print(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_SESSION_MAX + 1];

	(void)arg;
	if (xr_attr_parse(nlh, XRELAY_A_SESSION_MAX, xr_session_policy, tb) ||
	    !tb[XRELAY_A_SESSION_ID])
		return -EPROTO;
	out_obj_open(NULL);
	out_uint("id", "%llu\n", nla_get_u32(tb[XRELAY_A_SESSION_ID]));
	out_obj_close();
	return 0;
}

int session_add(struct args *a)
{
	bool has_instance = false, has_network = false, has_idle = false, has_lifetime = false;
	bool has_rate = false, has_quota = false, has_protocol = false;
	uint32_t instance = 0, network = 0, idle = 0, lifetime = 0;
	struct side_args sides[2] = {};
	struct rate rate = {};
	uint64_t quota = 0;
	uint8_t protocol = 0;
	struct nl_msg *msg;
	const char *word;
	int err = 0;
	int i;

	while ((word = args_next(a))) {
		if (!strcmp(word, "instance")) {
			args_once(&has_instance, word);
			instance = args_u32(a, word, 1, UINT32_MAX);
		} else if (!strcmp(word, "network")) {
			args_once(&has_network, word);
			network = args_u32(a, word, 1, UINT32_MAX);
		} else if (!strcmp(word, "idle")) {
			args_once(&has_idle, word);
			idle = args_u32(a, word, 1, XRELAY_MAX_TIMEOUT);
		} else if (!strcmp(word, "lifetime")) {
			args_once(&has_lifetime, word);
			lifetime = args_u32(a, word, 1, XRELAY_MAX_TIMEOUT);
		} else if (!strcmp(word, "rate")) {
			args_once(&has_rate, word);
			args_rate(a, word, &rate);
		} else if (!strcmp(word, "quota")) {
			args_once(&has_quota, word);
			quota = args_count(a, word, 1, UINT64_MAX);
		} else if (!strcmp(word, "protocol")) {
			args_once(&has_protocol, word);
			protocol = args_protocol(a, word);
		} else if (!strcmp(word, "a")) {
			parse_side(a, word, &sides[0]);
		} else if (!strcmp(word, "b")) {
			parse_side(a, word, &sides[1]);
		} else if (!strcmp(word, "from") || !strcmp(word, "relearn")) {
			usage_error("\"%s\" belongs after \"learn\" in a side", word);
		} else if (!strcmp(word, "allow") || !strcmp(word, "deny")) {
			usage_error("\"%s\" belongs in a side, after its PORT", word);
		} else {
			args_unknown(word);
		}
	}
	if (!has_instance)
		usage_error("missing \"instance ID\"");
	if (!sides[0].seen || !sides[1].seen)
		usage_error("missing side \"%s SIDE\"", sides[0].seen ? "b" : "a");

	msg = request_new_large(XRELAY_CMD_SESSION_NEW, 0,
				admission_size(&sides[0].admission) +
				admission_size(&sides[1].admission));
	err |= nla_put_u32(msg, XRELAY_A_SESSION_INSTANCE, instance);
	if (has_network)
		err |= nla_put_u32(msg, XRELAY_A_SESSION_NETWORK, network);
	if (has_idle)
		err |= nla_put_u32(msg, XRELAY_A_SESSION_IDLE_TIMEOUT, idle);
	if (has_lifetime)
		err |= nla_put_u32(msg, XRELAY_A_SESSION_LIFETIME, lifetime);
	if (has_rate)
		err |= rate_put(msg, XRELAY_A_SESSION_RATE_LIMIT, &rate);
	if (has_quota)
		err |= nla_put_u64(msg, XRELAY_A_SESSION_QUOTA, quota);
	if (has_protocol)
		err |= nla_put_u8(msg, XRELAY_A_SESSION_PROTOCOL, protocol);
	for (i = 0; i < 2; i++) {
		err |= put_side(msg, side_attrs[i], &sides[i]);
		admission_free(&sides[i].admission);
	}
	request_check_put(err);
	return request_run(msg, new_id_print, NULL);
}

/* Which sessions a command acts on; each command allows some of these. */
struct selector {
	bool has_id, has_instance, has_port, has_network;
	uint32_t id, instance, network;
	uint16_t port;
};

enum { SEL_ID = 1, SEL_INSTANCE = 2, SEL_PORT = 4, SEL_NETWORK = 8 };

static void parse_selector(struct args *a, int allowed, struct selector *sel)
{
	const char *word;

	memset(sel, 0, sizeof(*sel));
	while ((word = args_next(a))) {
		if ((allowed & SEL_ID) && !strcmp(word, "id")) {
			args_once(&sel->has_id, word);
			sel->id = args_u32(a, word, 1, UINT32_MAX);
		} else if ((allowed & SEL_INSTANCE) && !strcmp(word, "instance")) {
			args_once(&sel->has_instance, word);
			sel->instance = args_u32(a, word, 1, UINT32_MAX);
		} else if ((allowed & SEL_PORT) && !strcmp(word, "port")) {
			args_once(&sel->has_port, word);
			sel->port = args_port(a, word);
		} else if ((allowed & SEL_NETWORK) && !strcmp(word, "network")) {
			args_once(&sel->has_network, word);
			sel->network = args_u32(a, word, 1, UINT32_MAX);
		} else {
			args_unknown(word);
		}
	}
	if (sel->has_id && (sel->has_instance || sel->has_port || sel->has_network))
		usage_error("\"id\" cannot be combined with other selectors");
	if (sel->has_instance && sel->has_network)
		usage_error("\"instance\" and \"network\" cannot be combined");
	if (sel->has_port && !sel->has_instance)
		usage_error("\"port\" needs \"instance\"");
}

static int put_selector(struct nl_msg *msg, const struct selector *sel)
{
	int err = 0;

	if (sel->has_id)
		err |= nla_put_u32(msg, XRELAY_A_SESSION_ID, sel->id);
	if (sel->has_instance)
		err |= nla_put_u32(msg, XRELAY_A_SESSION_INSTANCE, sel->instance);
	if (sel->has_port)
		err |= nla_put_u16(msg, XRELAY_A_SESSION_PORT, sel->port);
	if (sel->has_network)
		err |= nla_put_u32(msg, XRELAY_A_SESSION_NETWORK, sel->network);
	return err;
}

/* One request for the sessions @sel names: a get when it names one, else a dump. */
static int select_sessions(uint8_t cmd, const struct selector *sel, xr_nl_msg_fn fn)
{
	bool one = sel->has_id || sel->has_port;
	struct nl_msg *msg = request_new(cmd, cmd == XRELAY_CMD_SESSION_GET && !one ?
					 NLM_F_DUMP : 0);

	request_check_put(put_selector(msg, sel));
	return request_run(msg, fn, NULL);
}

int session_del(struct args *a)
{
	struct selector sel;

	parse_selector(a, SEL_ID | SEL_INSTANCE | SEL_PORT, &sel);
	if (!sel.has_id && !sel.has_port)
		usage_error("missing \"id ID\" or \"instance ID port PORT\"");
	return select_sessions(XRELAY_CMD_SESSION_DEL, &sel, NULL);
}

int session_flush(struct args *a)
{
	struct selector sel;

	parse_selector(a, SEL_INSTANCE | SEL_NETWORK, &sel);
	return select_sessions(XRELAY_CMD_SESSION_FLUSH, &sel, NULL);
}

/* A session reply, parsed down to its sides. */
struct session {
	struct nlattr *tb[XRELAY_A_SESSION_MAX + 1];
	struct side {
		struct nlattr *tb[XRELAY_A_SIDE_MAX + 1];
		struct xr_stats stats;
		const char *state;
		char peer[XR_ENDPOINT_STRLEN];	/* "" while unknown */
		char allow[XR_PREFIX_STRLEN];	/* "" when not set */
		struct admission admission;
	} sides[2];
};

static const char *const state_names[] = {
	[XRELAY_SIDE_STATE_WAITING] = "waiting",
	[XRELAY_SIDE_STATE_LEARNED] = "learned",
	[XRELAY_SIDE_STATE_PINNED] = "pinned",
};

static int side_parse(struct nlattr *nest, struct side *side)
{
	struct nlattr **tb = side->tb;
	struct xr_endpoint peer;
	struct xr_prefix allow;
	uint8_t state;

	memset(side, 0, sizeof(*side));
	if ((nest && xr_attr_parse_nested(nest, XRELAY_A_SIDE_MAX, xr_side_policy, tb)) ||
	    xr_stats_get(tb[XRELAY_A_SIDE_STATS], &side->stats) ||
	    admission_get(tb[XRELAY_A_SIDE_ADMISSION], &side->admission))
		return -EPROTO;
	state = xr_attr_u8(tb[XRELAY_A_SIDE_STATE]);
	side->state = state <= XRELAY_SIDE_STATE_MAX ? state_names[state] : "unknown";
	if (!xr_attr_get_addr(tb[XRELAY_A_SIDE_PEER_IPV4], tb[XRELAY_A_SIDE_PEER_IPV6],
			      &peer.addr)) {
		peer.port = xr_attr_u16(tb[XRELAY_A_SIDE_PEER_PORT]);
		xr_endpoint_format(&peer, side->peer);
	}
	if (!xr_attr_get_addr(tb[XRELAY_A_SIDE_ALLOW_IPV4], tb[XRELAY_A_SIDE_ALLOW_IPV6],
			      &allow.addr)) {
		allow.len = xr_attr_u8(tb[XRELAY_A_SIDE_ALLOW_PREFIX_LEN]);
		xr_prefix_format(&allow, side->allow);
	}
	return 0;
}

static void session_free(struct session *s)
{
	int i;

	for (i = 0; i < 2; i++)
		admission_free(&s->sides[i].admission);
}

/* On success the caller frees @s with session_free(). */
static int session_parse(struct nlmsghdr *nlh, struct session *s)
{
	int i;

	memset(s->sides, 0, sizeof(s->sides));
	if (xr_attr_parse(nlh, XRELAY_A_SESSION_MAX, xr_session_policy, s->tb))
		return -EPROTO;
	for (i = 0; i < 2; i++) {
		if (side_parse(s->tb[side_attrs[i]], &s->sides[i])) {
			session_free(s);
			return -EPROTO;
		}
	}
	return 0;
}

/*
 * "  a: port 40000 learned 192.0.2.2:5000 (idle 1.2s, relearn 30s, from 192.0.2.0/24)"
 * "     allow 192.0.2.0/24,198.51.100.0/24"
 * "     deny 192.0.2.66/32"
 * "     transfer: 5 packets, 600 B; drops: unknown-source 1"
 */
static void side_print(const struct side *side, const char *name)
{
	static const char *const open_paren = " (";
	struct nlattr *const *tb = side->tb;
	const char *sep = open_paren;

	out_obj_open(name);
	out_text("  %s: ", name);
	out_uint("port", "port %llu", xr_attr_u16(tb[XRELAY_A_SIDE_PORT]));
	out_str("state", " %s", side->state);
	out_str("peer", " %s", *side->peer ? side->peer : NULL);
	if (tb[XRELAY_A_SIDE_IDLE_MSECS]) {
		out_text("%s", sep);
		out_msecs("idle_ms", "idle %s", nla_get_u64(tb[XRELAY_A_SIDE_IDLE_MSECS]));
		sep = ", ";
	}
	if (tb[XRELAY_A_SIDE_RELEARN_TIMEOUT]) {
		out_text("%s", sep);
		out_uint("relearn_timeout", "relearn %llus",
			 nla_get_u32(tb[XRELAY_A_SIDE_RELEARN_TIMEOUT]));
		sep = ", ";
	}
	/* "from", as in "learn from": "allow" is the admission list below. */
	if (*side->allow) {
		out_text("%s", sep);
		out_str("allow", "from %s", side->allow);
		sep = ", ";
	}
	if (sep != open_paren)
		out_text(")");
	out_text("\n");
	admission_print(&side->admission, "     ");
	stats_print(&side->stats, "     ", "; ");
	out_text("\n");
	out_obj_close();
}

/* "  protocol wireguard quota 50G rate pps 1k", in the syntax of session add. */
static int session_policy_print(struct nlattr **tb)
{
	if (!tb[XRELAY_A_SESSION_PROTOCOL] && !tb[XRELAY_A_SESSION_QUOTA] &&
	    !tb[XRELAY_A_SESSION_RATE_LIMIT])
		return 0;
	out_text(" ");
	if (tb[XRELAY_A_SESSION_PROTOCOL])
		out_str("protocol", " protocol %s",
			protocol_name(nla_get_u8(tb[XRELAY_A_SESSION_PROTOCOL])));
	if (tb[XRELAY_A_SESSION_QUOTA])
		out_count("quota", " quota %s", nla_get_u64(tb[XRELAY_A_SESSION_QUOTA]));
	if (rate_print(tb[XRELAY_A_SESSION_RATE_LIMIT], "rate_limit", " rate"))
		return -EPROTO;
	out_text("\n");
	return 0;
}

static int session_print(struct nlmsghdr *nlh, void *arg)
{
	struct session s;
	struct nlattr **tb = s.tb;
	uint32_t lifetime;
	int err;
	int i;

	(void)arg;
	if (session_parse(nlh, &s))
		return -EPROTO;
	lifetime = xr_attr_u32(tb[XRELAY_A_SESSION_LIFETIME]);
	out_obj_open(NULL);
	out_uint("id", "session %llu:", xr_attr_u32(tb[XRELAY_A_SESSION_ID]));
	out_uint("instance", " instance %llu", xr_attr_u32(tb[XRELAY_A_SESSION_INSTANCE]));
	out_uint("network", " network %llu", xr_attr_u32(tb[XRELAY_A_SESSION_NETWORK]));
	out_uint("idle_timeout", " idle-timeout %llus",
		 xr_attr_u32(tb[XRELAY_A_SESSION_IDLE_TIMEOUT]));
	out_uint("lifetime", lifetime ? " lifetime %llus" : NULL, lifetime);
	out_msecs("age_ms", " age %s\n", xr_attr_u64(tb[XRELAY_A_SESSION_AGE_MSECS]));
	err = session_policy_print(tb);
	for (i = 0; !err && i < 2; i++)
		side_print(&s.sides[i], side_names[i]);
	out_obj_close();
	session_free(&s);
	return err;
}

/* A list as one column: "P,P", or "-" when empty. */
static void prefix_list_column(const struct prefix_list *list)
{
	char text[XR_PREFIX_STRLEN];
	size_t i;

	printf("\t%s", list->n ? "" : "-");
	for (i = 0; i < list->n; i++)
		printf(i ? ",%s" : "%s", xr_prefix_format(&list->prefixes[i], text));
}

static int session_dump_line(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *rate_tb[XRELAY_A_RATE_MAX + 1] = {};
	struct session s;
	struct nlattr **tb = s.tb;
	int i;

	(void)arg;
	if (session_parse(nlh, &s))
		return -EPROTO;
	if (tb[XRELAY_A_SESSION_RATE_LIMIT] &&
	    xr_attr_parse_nested(tb[XRELAY_A_SESSION_RATE_LIMIT], XRELAY_A_RATE_MAX,
				 xr_rate_policy, rate_tb)) {
		session_free(&s);
		return -EPROTO;
	}
	printf("%u\t%u\t%u\t%u\t%u\t%llu",
	       xr_attr_u32(tb[XRELAY_A_SESSION_ID]),
	       xr_attr_u32(tb[XRELAY_A_SESSION_INSTANCE]),
	       xr_attr_u32(tb[XRELAY_A_SESSION_NETWORK]),
	       xr_attr_u32(tb[XRELAY_A_SESSION_IDLE_TIMEOUT]),
	       xr_attr_u32(tb[XRELAY_A_SESSION_LIFETIME]),
	       (unsigned long long)xr_attr_u64(tb[XRELAY_A_SESSION_AGE_MSECS]));
	for (i = 0; i < 2; i++) {
		const struct side *side = &s.sides[i];

		printf("\t%u\t%s\t%s\t%llu",
		       xr_attr_u16(side->tb[XRELAY_A_SIDE_PORT]),
		       side->state,
		       *side->peer ? side->peer : "-",
		       (unsigned long long)xr_attr_u64(side->tb[XRELAY_A_SIDE_IDLE_MSECS]));
		stats_dump(&side->stats);
	}
	/* The policy columns came later, so they come last. */
	printf("\t%s\t%llu",
	       tb[XRELAY_A_SESSION_PROTOCOL] ?
	       protocol_name(nla_get_u8(tb[XRELAY_A_SESSION_PROTOCOL])) : "-",
	       (unsigned long long)xr_attr_u64(tb[XRELAY_A_SESSION_QUOTA]));
	for (i = 1; i <= XRELAY_A_RATE_MAX; i++)
		printf("\t%llu", (unsigned long long)xr_attr_u64(rate_tb[i]));
	for (i = 0; i < 2; i++) {
		prefix_list_column(&s.sides[i].admission.allow);
		prefix_list_column(&s.sides[i].admission.deny);
	}
	printf("\n");
	session_free(&s);
	return 0;
}

int session_show(struct args *a)
{
	struct selector sel;
	int ret;

	parse_selector(a, SEL_ID | SEL_INSTANCE | SEL_PORT | SEL_NETWORK, &sel);
	out_arr_open(NULL);
	ret = select_sessions(XRELAY_CMD_SESSION_GET, &sel, session_print);
	out_arr_close();
	return ret;
}

int session_dump(struct args *a)
{
	struct selector sel;

	parse_selector(a, SEL_INSTANCE | SEL_NETWORK, &sel);
	if (out_json)
		usage_error("dump prints tab-separated text only; use show with -j");
	return select_sessions(XRELAY_CMD_SESSION_GET, &sel, session_dump_line);
}
