// SPDX-License-Identifier: GPL-2.0-only
/*
 * Request generation: every attribute comes from the spec's tables, its
 * value from what the attribute means to the relay (its role: an instance
 * id the threads learned, a port of that instance, an address of this
 * namespace...). Roles are found by name once at start; an attribute the
 * fuzzer knows nothing about still gets values from its type and checks,
 * so a new attribute in the spec is fuzzed from the next build on.
 *
 * Three strategies:
 *   valid    plausible requests, mostly accepted, that build up state
 *   edge     valid requests with some values at or past their limits,
 *            lists at and past theirs, and wrong shapes (duplicates,
 *            unknown types, attributes of another set, deep or empty nests)
 *   mutated  valid requests whose bytes are then damaged (gen_mutate)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/xrelay.h>

#include "fuzz.h"

/* The fuzzer's instances live in 21000-27399: under the ephemeral ports, which
 * instances may not take, and clear of the test's own 20000-20099 and 30000. */
#define PORT_BASE	21000
#define PORT_BLOCKS	64
#define NETWORKS	8	/* valid network ids: 1..NETWORKS */
#define HUB_GROUPS	8

enum role {
	R_NONE,
	R_READ_ONLY,		/* reply-only: valid requests leave it out */
	R_INSTANCE_ID,
	R_SESSION_ID,
	R_NETWORK_ID,
	R_PORT_MIN,
	R_PORT_MAX,
	R_PORT,			/* a port of the request's instance */
	R_LOCAL_ADDR,
	R_PEER_ADDR,
	R_PEER_PORT,
	R_ALLOW,		/* a side's allowed prefix: its three attributes together */
	R_TIMEOUT,
	R_IFNAME,
	R_GROUP_NAME,
	R_MEMBER,
	R_GROUP_REF,
	R_SESSION_LIMIT,
	R_ACTION,
	R_RULE_PREFIX,		/* a hub rule's end given by prefix, unless by group */
	R_PROTOCOL_NUMBER,
	R_RULE_PORT_MIN,	/* ports only with a protocol that has them */
	R_RULE_PORT_MAX,
};

static const struct {
	const char *set, *attr;
	enum role role;
} role_names[] = {
	{ NULL, "stats", R_READ_ONLY }, { NULL, "hits", R_READ_ONLY },
	{ NULL, "default-hits", R_READ_ONLY }, { NULL, "state", R_READ_ONLY },
	{ NULL, "idle-msecs", R_READ_ONLY }, { NULL, "sessions", R_READ_ONLY },
	{ NULL, "age-msecs", R_READ_ONLY }, { NULL, "expire-reason", R_READ_ONLY },
	{ NULL, "pad", R_READ_ONLY },
	{ "instance", "id", R_INSTANCE_ID }, { "session", "instance", R_INSTANCE_ID },
	{ "session", "id", R_SESSION_ID }, { "session-batch", "id", R_READ_ONLY },
	{ "network", "id", R_NETWORK_ID }, { "instance", "network", R_NETWORK_ID },
	{ "session", "network", R_NETWORK_ID },
	{ "instance", "port-min", R_PORT_MIN }, { "instance", "port-max", R_PORT_MAX },
	{ "side", "port", R_PORT }, { "session", "port", R_PORT },
	{ "instance", "local-ipv4", R_LOCAL_ADDR }, { "instance", "local-ipv6", R_LOCAL_ADDR },
	{ "side", "peer-ipv4", R_PEER_ADDR }, { "side", "peer-ipv6", R_PEER_ADDR },
	{ "side", "peer-port", R_PEER_PORT },
	{ "side", "allow-ipv4", R_ALLOW }, { "side", "allow-ipv6", R_ALLOW },
	{ "side", "allow-prefix-len", R_ALLOW },
	{ "session", "idle-timeout", R_TIMEOUT }, { "session", "lifetime", R_TIMEOUT },
	{ "side", "relearn-timeout", R_TIMEOUT },
	{ "hub", "interface", R_IFNAME }, { "hub-group", "name", R_GROUP_NAME },
	{ "hub-group", "member", R_MEMBER },
	{ "hub-rule", "from-group", R_GROUP_REF }, { "hub-rule", "to-group", R_GROUP_REF },
	{ "hub-rule", "action", R_ACTION },
	{ "hub-rule", "from-prefix", R_RULE_PREFIX }, { "hub-rule", "to-prefix", R_RULE_PREFIX },
	{ "hub-rule", "protocol", R_PROTOCOL_NUMBER },
	{ "hub-rule", "port-min", R_RULE_PORT_MIN }, { "hub-rule", "port-max", R_RULE_PORT_MAX },
	{ "netns", "session-limit", R_SESSION_LIMIT },
};

/* The set-wide limits of the spec's lists (its consts, through the uapi header). */
static const struct {
	const char *set, *attr;
	int limit;
} list_limits[] = {
	{ "admission", "allow", XRELAY_MAX_PREFIXES },
	{ "admission", "deny", XRELAY_MAX_PREFIXES },
	{ "hub-group", "member", XRELAY_MAX_GROUP_MEMBERS },
	{ "hub", "interface", XRELAY_MAX_HUB_RULES },
	{ "hub", "group", XRELAY_MAX_HUB_RULES },
	{ "hub", "rule", XRELAY_MAX_HUB_RULES },
};

static enum role roles[64][64];
static int limits[64][64];
static int set_prefix, set_side, set_hub, set_rate, set_session, set_batch, set_network;
/* attribute types the prefix and side builders put by name */
static int prefix_v4, prefix_v6, prefix_len, allow_v4, allow_v6, allow_len;

static int set_index(const char *name)
{
	int i;

	for (i = 0; i < fz_nsets; i++)
		if (!strcmp(fz_sets[i].name, name))
			return i;
	return -1;
}

static int attr_index(int set, const char *name)
{
	int t;

	for (t = 1; set >= 0 && t <= fz_sets[set].max_attr; t++)
		if (!strcmp(fz_sets[set].attrs[t].name, name))
			return t;
	return 0;
}

int fz_op_index(const char *name)
{
	int i;

	for (i = 0; i < fz_nops; i++)
		if (!strcmp(fz_ops[i].name, name))
			return i;
	return -1;
}

/* Resolves roles and limits by name: once, before the threads start. */
static void gen_init(void)
{
	static bool done;
	int s, t;
	size_t i;

	if (done)
		return;
	done = true;
	for (s = 0; s < fz_nsets && s < 64; s++)
		for (t = 1; t <= fz_sets[s].max_attr && t < 64; t++) {
			const char *name = fz_sets[s].attrs[t].name;

			for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
				if ((!role_names[i].set || !strcmp(role_names[i].set, fz_sets[s].name)) &&
				    !strcmp(role_names[i].attr, name))
					roles[s][t] = role_names[i].role;
			for (i = 0; i < sizeof(list_limits) / sizeof(list_limits[0]); i++)
				if (!strcmp(list_limits[i].set, fz_sets[s].name) &&
				    !strcmp(list_limits[i].attr, name))
					limits[s][t] = list_limits[i].limit;
		}
	set_prefix = set_index("prefix");
	set_side = set_index("side");
	set_hub = set_index("hub");
	set_rate = set_index("rate");
	set_session = set_index("session");
	set_batch = set_index("session-batch");
	set_network = set_index("network");
	prefix_v4 = attr_index(set_prefix, "ipv4");
	prefix_v6 = attr_index(set_prefix, "ipv6");
	prefix_len = attr_index(set_prefix, "len");
	allow_v4 = attr_index(set_side, "allow-ipv4");
	allow_v6 = attr_index(set_side, "allow-ipv6");
	allow_len = attr_index(set_side, "allow-prefix-len");
}

/* ---- messages ---- */

static void msg_reserve(struct fz_msg *m, size_t more)
{
	if (m->len + more + 8 <= m->cap)
		return;
	while (m->len + more + 8 > m->cap)
		m->cap *= 2;
	m->buf = realloc(m->buf, m->cap);
	if (!m->buf)
		abort();
}

void msg_init(struct fz_msg *m, uint16_t family, uint8_t cmd, uint16_t flags)
{
	struct genlmsghdr *gh;

	if (!m->buf) {
		m->cap = 65536;
		m->buf = malloc(m->cap);
		if (!m->buf)
			abort();
	}
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->depth = 0;
	m->n_marks = 0;
	memset(m->buf, 0, m->len);
	msg_hdr(m)->nlmsg_type = family;
	msg_hdr(m)->nlmsg_flags = NLM_F_REQUEST | flags;
	gh = NLMSG_DATA(msg_hdr(m));
	gh->cmd = cmd;
	gh->version = 1;
	msg_hdr(m)->nlmsg_len = m->len;
}

void msg_free(struct fz_msg *m)
{
	free(m->buf);
	m->buf = NULL;
}

static void mark(struct fz_msg *m)
{
	if (m->n_marks < FZ_MAX_MARKS)
		m->marks[m->n_marks++] = m->len;
}

/* An attribute whose header says @len payload bytes while @data_len follow. */
static void msg_put_lying(struct fz_msg *m, uint16_t type, const void *data, size_t data_len,
			  uint16_t len)
{
	struct nlattr *nla;

	msg_reserve(m, NLA_HDRLEN + NLA_ALIGN(data_len));
	mark(m);
	nla = (struct nlattr *)(m->buf + m->len);
	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	memcpy((char *)nla + NLA_HDRLEN, data, data_len);
	memset((char *)nla + NLA_HDRLEN + data_len, 0, NLA_ALIGN(data_len) - data_len);
	m->len += NLA_HDRLEN + NLA_ALIGN(data_len);
	msg_hdr(m)->nlmsg_len = m->len;
}

void msg_put(struct fz_msg *m, uint16_t type, const void *data, size_t len)
{
	msg_put_lying(m, type, data, len, len);
}

void msg_nest_start(struct fz_msg *m, uint16_t type)
{
	msg_put(m, type | NLA_F_NESTED, NULL, 0);
	if (m->depth < 32)
		m->nest[m->depth] = m->len - NLA_HDRLEN;
	m->depth++;
}

/* A nest longer than an attribute can say is cut short, on purpose or not. */
void msg_nest_end(struct fz_msg *m)
{
	struct nlattr *nla;
	size_t len;

	if (--m->depth >= 32)
		return;
	nla = (struct nlattr *)(m->buf + m->nest[m->depth]);
	len = m->len - m->nest[m->depth];
	nla->nla_len = len > 0xffff ? 0xffff : len;
}

static size_t nest_size(const struct fz_msg *m)
{
	return m->depth && m->depth <= 32 ? m->len - m->nest[m->depth - 1] : 0;
}

/* ---- one request ---- */

struct ctx {
	struct fz_gen *g;
	struct rng *r;
	struct fz_msg *m;
	struct fz_request *req;
	bool edge;
	int edges;			/* edge values put so far */
	bool dump;
	bool have_inst;
	struct fz_instance inst;	/* the instance the request is about */
	struct fz_instance new_inst;	/* the one an instance-new asks for */
	int family;			/* of its addresses */
	uint16_t side_port;		/* of side A, so that side B takes another */
	bool in_side, pinned, named_by_id;
	bool rule_group;		/* this end of the hub rule named a group */
	uint8_t rule_protocol;
	uint16_t rule_port_min;
	int groups;			/* hub groups put so far */
	int ifnames;
	bool big_list;			/* one long list per request is enough */
};

static void put_attrs(struct ctx *c, int set, const unsigned short *types, int n, bool nested);
static void put_attr(struct ctx *c, int set, int type);

static void put_uint(struct fz_msg *m, const struct fz_attr *a, uint16_t type, uint64_t v)
{
	uint8_t u8 = v;
	uint16_t u16 = v;
	uint32_t u32 = v;

	switch (a->kind) {
	case FZ_U8:
		msg_put(m, type, &u8, 1);
		break;
	case FZ_U16:
		msg_put(m, type, &u16, 2);
		break;
	case FZ_U32:
		if (a->big_endian)
			u32 = htonl(u32);
		msg_put(m, type, &u32, 4);
		break;
	default:
		msg_put(m, type, &v, 8);
	}
}

static uint64_t type_max(const struct fz_attr *a)
{
	switch (a->kind) {
	case FZ_U8: return UINT8_MAX;
	case FZ_U16: return UINT16_MAX;
	case FZ_U32: return UINT32_MAX;
	default: return UINT64_MAX;
	}
}

static void random_bytes(struct rng *r, uint8_t *p, size_t n)
{
	while (n--)
		*p++ = rng_next(r);
}

/* An address of the family: this namespace's own, or a peer somewhere. */
static void pick_addr(struct ctx *c, int family, bool local, uint8_t *out)
{
	const struct fz_addrs *ad = c->g->addrs;

	if (family == AF_INET) {
		if (local && ad->n4) {
			memcpy(out, ad->v4[rng_below(c->r, ad->n4)], 4);
			return;
		}
		/* TEST-NET-1 and -2: where the selftests' peers live */
		out[0] = rng_one_in(c->r, 2) ? 192 : 198;
		out[1] = out[0] == 192 ? 0 : 51;
		out[2] = out[0] == 192 ? 2 : 100;
		out[3] = 2 + rng_below(c->r, 250);
		return;
	}
	if (local && ad->n6) {
		memcpy(out, ad->v6[rng_below(c->r, ad->n6)], 16);
		return;
	}
	inet_pton(AF_INET6, "2001:db8:a::2", out);
	out[15] = 2 + rng_below(c->r, 250);
}

static int pick_family(struct ctx *c)
{
	const struct fz_addrs *ad = c->g->addrs;

	if (ad->n4 && ad->n6)
		return rng_one_in(c->r, 3) ? AF_INET6 : AF_INET;
	return ad->n6 ? AF_INET6 : AF_INET;
}

/* ---- edge values ---- */

static const char *const v6_edges[] = {
	"::", "::1", "::ffff:203.0.113.1", "::ffff:0.0.0.0", "ff02::1", "fe80::1",
	"2001:db8:ff::1", "64:ff9b::c000:201", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};
static const uint32_t v4_edges[] = {
	0, 0x7f000001, 0xffffffff, 0xe0000001, 0xcb007101, 0xf0000001, 0xc0000201, 0xa9fe0001,
};

static void put_edge_uint(struct ctx *c, const struct fz_attr *a, uint16_t type)
{
	uint64_t lo = a->has_min ? a->min : 0;
	uint64_t hi = a->has_max ? a->max : a->enum_count ? a->enum_count - 1 : type_max(a);
	uint64_t candidates[] = { 0, 1, lo - 1, lo, lo + 1, hi, hi + 1, type_max(a),
				  type_max(a) - 1, UINT64_MAX, type_max(a) / 2 + 1 };
	uint64_t v = candidates[rng_below(c->r, sizeof(candidates) / sizeof(candidates[0]))];
	static const uint16_t wrong_sizes[] = { 0, 1, 2, 3, 5, 7, 8, 9 };
	uint8_t raw[16];

	if (a->hint == FZ_HINT_IPV4 && rng_one_in(c->r, 2))
		v = v4_edges[rng_below(c->r, sizeof(v4_edges) / sizeof(v4_edges[0]))];
	if (a->enum_count && rng_one_in(c->r, 2))
		v = rng_below(c->r, a->enum_count + 1);
	if (rng_one_in(c->r, 6)) {
		/* the right value in the wrong width */
		memcpy(raw, &v, 8);
		memset(raw + 8, 0xff, 8);
		msg_put(c->m, type, raw, wrong_sizes[rng_below(c->r, 8)]);
		return;
	}
	put_uint(c->m, a, type, v);
}

static void put_edge_binary(struct ctx *c, const struct fz_attr *a, uint16_t type)
{
	static const int lens[] = { 0, 1, 4, 15, 16, 17, 32, 255 };
	uint8_t buf[256];
	size_t len = a->exact_len ?: 16;

	random_bytes(c->r, buf, sizeof(buf));
	if (a->hint == FZ_HINT_IPV6 || a->exact_len == 16)
		inet_pton(AF_INET6, v6_edges[rng_below(c->r, sizeof(v6_edges) / sizeof(v6_edges[0]))],
			  buf);
	if (rng_one_in(c->r, 2))
		len = lens[rng_below(c->r, sizeof(lens) / sizeof(lens[0]))];
	msg_put(c->m, type, buf, len);
}

static void put_edge_string(struct ctx *c, const struct fz_attr *a, uint16_t type)
{
	size_t max = a->max_len ?: 64, len;
	char buf[600];

	memset(buf, 'a' + rng_below(c->r, 26), sizeof(buf));
	switch (rng_below(c->r, 7)) {
	case 0:		/* empty, terminated */
		msg_put(c->m, type, "", 1);
		return;
	case 1:		/* no payload at all */
		msg_put(c->m, type, NULL, 0);
		return;
	case 2:		/* the longest allowed */
		len = max;
		break;
	case 3:		/* one too long */
		len = max + 1;
		break;
	case 4:		/* unterminated */
		msg_put(c->m, type, buf, 1 + rng_below(c->r, max + 1));
		return;
	case 5:		/* a NUL inside */
		len = 1 + rng_below(c->r, max);
		buf[rng_below(c->r, len)] = '\0';
		break;
	default:	/* bytes that are not text */
		len = 1 + rng_below(c->r, 500);
		random_bytes(c->r, (uint8_t *)buf, len);
	}
	buf[len] = '\0';
	msg_put(c->m, type, buf, len + 1);
}

/* Nests of the wrong shape: empty, unflagged, deep, of another set, garbage. */
static void put_edge_nest(struct ctx *c, const struct fz_attr *a, uint16_t type)
{
	int depth, i, other;
	uint8_t junk[64];

	switch (rng_below(c->r, 6)) {
	case 0:
		msg_nest_start(c->m, type);
		msg_nest_end(c->m);
		return;
	case 1:		/* the right content without NLA_F_NESTED */
		msg_nest_start(c->m, type);
		put_attrs(c, a->nested, NULL, 0, true);
		msg_nest_end(c->m);
		((struct nlattr *)(c->m->buf + c->m->nest[c->m->depth]))->nla_type &= ~NLA_F_NESTED;
		return;
	case 2:		/* nests in nests, deeper than any set goes */
		depth = 2 + rng_below(c->r, 24);
		for (i = 0; i < depth; i++)
			msg_nest_start(c->m, rng_one_in(c->r, 2) ? type : 1 + rng_below(c->r, 4));
		put_attrs(c, a->nested, NULL, 0, true);
		for (i = 0; i < depth; i++)
			msg_nest_end(c->m);
		return;
	case 3:		/* another set's attributes */
		other = rng_below(c->r, fz_nsets);
		msg_nest_start(c->m, type);
		put_attrs(c, other, NULL, 0, true);
		msg_nest_end(c->m);
		return;
	case 4:		/* bytes that are not attributes */
		random_bytes(c->r, junk, sizeof(junk));
		msg_nest_start(c->m, type);
		msg_put(c->m, 1 + rng_below(c->r, 8), junk, rng_below(c->r, sizeof(junk)));
		c->m->len -= rng_below(c->r, 4);	/* even a ragged end */
		msg_nest_end(c->m);
		c->m->len = NLA_ALIGN(c->m->len);
		msg_hdr(c->m)->nlmsg_len = c->m->len;
		return;
	default:	/* an unknown type among the known ones */
		msg_nest_start(c->m, type);
		put_attrs(c, a->nested, NULL, 0, true);
		msg_put(c->m, fz_sets[a->nested].max_attr + 1 + rng_below(c->r, 3), junk, 4);
		msg_nest_end(c->m);
	}
}

static void put_edge(struct ctx *c, int set, int type)
{
	const struct fz_attr *a = &fz_sets[set].attrs[type];

	c->edges++;
	switch (a->kind) {
	case FZ_BINARY:
		put_edge_binary(c, a, type);
		break;
	case FZ_STRING:
		put_edge_string(c, a, type);
		break;
	case FZ_NEST:
		put_edge_nest(c, a, type);
		break;
	case FZ_FLAG:
		msg_put(c->m, type, "x", 1);
		break;
	default:
		put_edge_uint(c, a, type);
	}
}

/* ---- valid values ---- */

/* A prefix nest in the request's family; in edge requests, often a bad one. */
static void put_prefix(struct ctx *c, uint16_t type)
{
	static const uint8_t edge_lens[] = { 0, 32, 33, 128, 129, 255 };
	int family = c->family ?: pick_family(c);
	uint8_t addr[16];
	int bits = family == AF_INET ? 32 : 128, len, i;
	bool edge = c->edge && rng_one_in(c->r, 3);

	pick_addr(c, family, false, addr);
	len = rng_one_in(c->r, 8) ? 0 : (family == AF_INET ? 8 : 32) + rng_below(c->r, bits / 2 + 1);
	if (len > bits)
		len = bits;
	if (edge) {
		c->edges++;
		len = edge_lens[rng_below(c->r, sizeof(edge_lens))];
		if (rng_one_in(c->r, 3)) {
			inet_pton(AF_INET6, "::ffff:192.0.2.0", addr);
			family = AF_INET6;
		}
	} else {
		for (i = 0; i < bits / 8; i++)
			if (i * 8 >= len)
				addr[i] = 0;
			else if (i * 8 + 8 > len)
				addr[i] &= 0xff << (8 - (len - i * 8));
	}
	msg_nest_start(c->m, type);
	if (!edge || !rng_one_in(c->r, 6))
		msg_put(c->m, family == AF_INET ? prefix_v4 : prefix_v6, addr,
			family == AF_INET ? 4 : 16);
	if (edge && rng_one_in(c->r, 6))
		msg_put(c->m, prefix_v6, addr, 16);	/* both families */
	if (!edge || !rng_one_in(c->r, 6)) {
		uint8_t l = len;

		msg_put(c->m, prefix_len, &l, 1);
	}
	msg_nest_end(c->m);
}

static uint64_t pick_uint(struct ctx *c, const struct fz_attr *a)
{
	uint64_t lo = a->has_min ? a->min : 0;
	uint64_t hi = a->has_max ? a->max : a->enum_count ? a->enum_count - 1 : type_max(a);

	/* rates, quotas and counts: small ones mostly, so that they bite */
	if (!a->has_max && !a->enum_count && !rng_one_in(c->r, 4))
		hi = lo + 1000000;
	if (hi > type_max(a))
		hi = type_max(a);
	return lo + rng_next(c->r) % (hi - lo + 1 ?: UINT64_MAX);
}

static void put_valid_uint(struct ctx *c, int set, int type)
{
	const struct fz_attr *a = &fz_sets[set].attrs[type];
	uint8_t addr[16];
	uint64_t v;
	uint16_t port;

	switch (roles[set][type]) {
	case R_INSTANCE_ID:
		v = c->have_inst ? c->inst.id : 1 + rng_below(c->r, 100000);
		break;
	case R_SESSION_ID:
		v = known_pick_session(c->r) ?: 1 + rng_below(c->r, 1000);
		c->named_by_id = true;
		break;
	case R_NETWORK_ID:
		if (c->have_inst && c->inst.network && !rng_one_in(c->r, 8))
			v = c->inst.network;
		else if (rng_one_in(c->r, 2))
			v = 1 + rng_below(c->r, NETWORKS);
		else
			v = known_pick_network(c->r) ?: 1 + rng_below(c->r, NETWORKS);
		c->new_inst.network = v;
		break;
	case R_PORT_MIN:
		v = c->new_inst.port_min = PORT_BASE + 100 * rng_below(c->r, PORT_BLOCKS);
		break;
	case R_PORT_MAX:
		v = c->new_inst.port_max = (c->new_inst.port_min ?: PORT_BASE) + rng_below(c->r, 100);
		break;
	case R_PORT:
		if (!c->have_inst) {
			v = PORT_BASE + rng_below(c->r, 100 * PORT_BLOCKS);
			break;
		}
		do
			port = c->inst.port_min + rng_below(c->r, c->inst.port_max - c->inst.port_min + 1);
		while (port == c->side_port && c->inst.port_max > c->inst.port_min);
		v = c->side_port = port;
		break;
	case R_LOCAL_ADDR:
	case R_PEER_ADDR:
		pick_addr(c, AF_INET, roles[set][type] == R_LOCAL_ADDR, addr);
		memcpy(c->new_inst.addr, addr, 4);
		c->pinned = true;
		msg_put(c->m, type, addr, 4);
		return;
	case R_PEER_PORT:
		v = 5000 + rng_below(c->r, 2000);
		break;
	case R_TIMEOUT:
		v = rng_one_in(c->r, 10) ? 1 + rng_below(c->r, 3) : 60 + rng_below(c->r, 3600);
		c->req->expiring |= v < 60;
		break;
	case R_SESSION_LIMIT:
		v = 10000 + rng_below(c->r, 1000000);
		break;
	case R_PROTOCOL_NUMBER:
		v = c->rule_protocol = (const uint8_t[]){ 1, 6, 17, 58, 132 }[rng_below(c->r, 5)];
		break;
	case R_RULE_PORT_MIN:
		v = c->rule_port_min = 1 + rng_below(c->r, 65535);
		break;
	case R_RULE_PORT_MAX:
		v = c->rule_port_min + rng_below(c->r, 65536 - c->rule_port_min);
		break;
	default:
		v = pick_uint(c, a);
	}
	put_uint(c->m, a, type, v);
}

static void put_valid_string(struct ctx *c, int set, int type)
{
	const struct fz_attr *a = &fz_sets[set].attrs[type];
	char s[64];

	switch (roles[set][type]) {
	case R_IFNAME:
		/* an interface belongs to one network's hub: names apart per network */
		snprintf(s, sizeof(s), "f%u.%d", c->new_inst.network % 100000, c->ifnames++);
		break;
	case R_GROUP_NAME:
		snprintf(s, sizeof(s), "g%d", c->groups++);
		break;
	case R_GROUP_REF:
		c->rule_group = true;
		snprintf(s, sizeof(s), "g%u", rng_below(c->r, c->groups ?: HUB_GROUPS));
		break;
	default:
		snprintf(s, sizeof(s), "%.*s", (int)(a->max_len ?: 16),
			 "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz");
		s[1 + rng_below(c->r, strlen(s))] = '\0';
	}
	msg_put(c->m, type, s, strlen(s) + 1);
}

static void put_valid_binary(struct ctx *c, int set, int type)
{
	const struct fz_attr *a = &fz_sets[set].attrs[type];
	uint8_t buf[64];
	size_t len = a->exact_len ?: 16;

	if (len > sizeof(buf))
		len = sizeof(buf);
	random_bytes(c->r, buf, len);
	if (len == 16 && (roles[set][type] == R_LOCAL_ADDR || roles[set][type] == R_PEER_ADDR)) {
		pick_addr(c, AF_INET6, roles[set][type] == R_LOCAL_ADDR, buf);
		memcpy(c->new_inst.addr, buf, 16);
		c->pinned = true;
	}
	msg_put(c->m, type, buf, len);
}

/* How many of a multi-attr list: a few; in edge requests also none, the limit or past it. */
static int list_count(struct ctx *c, int set, int type)
{
	int limit = c->in_side ? XRELAY_MAX_SIDE_PREFIXES : limits[set][type];

	if (c->edge && !c->big_list && rng_one_in(c->r, 3)) {
		c->edges++;
		switch (rng_below(c->r, 4)) {
		case 0:
			return 0;
		case 1:
			if (!limit)
				return 64 + rng_below(c->r, 256);
			break;
		default:
			if (!limit)
				return 1 + rng_below(c->r, 16);
		}
		c->big_list = true;
		if (set == set_hub && limit > c->g->max_hub)
			return c->g->max_hub;
		return limit + rng_below(c->r, 2);
	}
	return 1 + rng_below(c->r, 3);
}

/*
 * A long list inside a nest: an attribute holds 64 KiB at most, so the
 * parent is closed and opened again at 60 000 bytes, as the spec
 * says long lists come (several admission or hub attributes, taken
 * together).
 */
static void put_list(struct ctx *c, int set, int type, int count)
{
	bool edge = c->edge;
	int i, parent_type;

	/* valid entries: the length is what is on trial */
	c->edge = false;
	for (i = 0; i < count; i++) {
		if (c->m->depth >= 1 && c->m->depth <= 32 && nest_size(c->m) > 60000) {
			parent_type = ((struct nlattr *)(c->m->buf +
							 c->m->nest[c->m->depth - 1]))->nla_type;
			msg_nest_end(c->m);
			msg_nest_start(c->m, parent_type & NLA_TYPE_MASK);
		}
		put_attr(c, set, type);
	}
	c->edge = edge;
}

static void put_nest(struct ctx *c, int set, int type)
{
	const struct fz_attr *a = &fz_sets[set].attrs[type];

	if (a->nested == set_prefix) {
		put_prefix(c, type);
		return;
	}
	msg_nest_start(c->m, type);
	if (a->nested == set_session) {
		/* a session of session-new-batch: as session-new takes it */
		const struct fz_op *op = &fz_ops[fz_op_index("session-new")];

		c->side_port = 0;
		put_attrs(c, a->nested, op->do_attrs, op->n_do, false);
	} else if (a->nested == set_side) {
		c->in_side = true;
		c->pinned = false;
		put_attrs(c, a->nested, NULL, 0, true);
		c->in_side = false;
	} else {
		put_attrs(c, a->nested, NULL, 0, true);
	}
	msg_nest_end(c->m);
}

static void put_valid(struct ctx *c, int set, int type)
{
	switch (fz_sets[set].attrs[type].kind) {
	case FZ_NEST:
		put_nest(c, set, type);
		break;
	case FZ_STRING:
		put_valid_string(c, set, type);
		break;
	case FZ_BINARY:
		put_valid_binary(c, set, type);
		break;
	case FZ_FLAG:
		msg_put(c->m, type, NULL, 0);
		break;
	default:
		put_valid_uint(c, set, type);
	}
}

static void put_attr(struct ctx *c, int set, int type)
{
	if (c->edge && rng_one_in(c->r, 5))
		put_edge(c, set, type);
	else
		put_valid(c, set, type);
}

/* Whether a valid request carries the attribute: what it needs, some of the rest. */
static bool wanted(struct ctx *c, int set, int type, int n, bool nested)
{
	const struct fz_attr *a = &fz_sets[set].attrs[type];
	bool v6 = a->hint == FZ_HINT_IPV6 || a->exact_len == 16;

	if (c->dump)
		return rng_one_in(c->r, 3);
	switch (roles[set][type]) {
	case R_READ_ONLY:
		return c->edge && rng_one_in(c->r, 10);
	case R_ALLOW:		/* put together at the end of the side */
		return c->edge && rng_one_in(c->r, 10);
	case R_LOCAL_ADDR:
		return v6 == (c->family == AF_INET6);
	case R_PEER_ADDR:
		return v6 == (c->family == AF_INET6) && rng_one_in(c->r, 3);
	case R_PEER_PORT:
		return c->pinned || rng_one_in(c->r, 20);
	case R_TIMEOUT:		/* relearning is for learned sides only */
		return !c->pinned && rng_one_in(c->r, 3);
	case R_PORT:
		return set == set_side || !c->named_by_id;
	case R_PORT_MIN:
	case R_PORT_MAX:
		return !nested || rng_one_in(c->r, 3);
	case R_SESSION_ID:
		return rng_one_in(c->r, 2);
	case R_INSTANCE_ID:
		return !c->named_by_id && !rng_one_in(c->r, 8);
	case R_NETWORK_ID:
		return set == set_network || !rng_one_in(c->r, 4);
	case R_IFNAME:		/* a hub needs its interfaces, a group its members */
	case R_MEMBER:
	case R_GROUP_NAME:
	case R_ACTION:
		c->rule_group = false;
		c->rule_protocol = 0;
		c->rule_port_min = 0;
		return true;
	case R_GROUP_REF:
		return c->groups && rng_one_in(c->r, 3);
	case R_RULE_PREFIX:
		if (c->rule_group)
			return c->rule_group = false;
		return rng_one_in(c->r, 2);
	case R_PROTOCOL_NUMBER:
		return rng_one_in(c->r, 2);
	case R_RULE_PORT_MIN:
		return c->rule_protocol == 6 || c->rule_protocol == 17 || c->rule_protocol == 132;
	case R_RULE_PORT_MAX:
		return c->rule_port_min && rng_one_in(c->r, 2);
	default:
		break;
	}
	if (a->kind == FZ_NEST && (a->nested == set_side || a->nested == set_session))
		return true;
	if (a->kind == FZ_NEST && set != set_hub)
		return rng_one_in(c->r, 3);
	return nested ? rng_one_in(c->r, 2) : n == 1 || rng_one_in(c->r, 3);
}

/* The attributes @types of @set (all of them if NULL), each with its list. */
static void put_attrs(struct ctx *c, int set, const unsigned short *types, int n, bool nested)
{
	const struct fz_attr *a;
	int i, type, count, j;

	if (nested && c->m->depth > 28)
		return;
	if (!types)
		n = fz_sets[set].max_attr;
	if (set == set_rate) {
		/* a bucket needs its rate before its burst: both, or the rate alone */
		for (i = 1; i <= n; i++)
			if (rng_one_in(c->r, 2) || i == 1)
				put_attr(c, set, i);
		return;
	}
	for (i = 0; i < n; i++) {
		type = types ? types[i] : i + 1;
		a = &fz_sets[set].attrs[type];
		if (!wanted(c, set, type, n, nested))
			continue;
		count = a->multi ? list_count(c, set, type) : 1;
		if (count > 16)
			put_list(c, set, type, count);
		else
			for (j = 0; j < count; j++)
				put_attr(c, set, type);
		if (c->edge && !a->multi && rng_one_in(c->r, 20)) {
			c->edges++;
			put_attr(c, set, type);		/* a duplicate */
		}
	}
	if (set == set_side && c->family && !c->dump && !c->pinned && rng_one_in(c->r, 5)) {
		uint8_t addr[16], len = c->family == AF_INET ? 24 : 64;

		pick_addr(c, c->family, false, addr);
		memset(addr + len / 8, 0, c->family == AF_INET ? 1 : 8);
		msg_put(c->m, c->family == AF_INET ? allow_v4 : allow_v6, addr,
			c->family == AF_INET ? 4 : 16);
		msg_put(c->m, allow_len, &len, 1);
	}
}

/* Request-level damage for edge requests: unknown types, another set's attributes. */
static void put_strays(struct ctx *c, int set)
{
	int other = rng_below(c->r, fz_nsets);
	uint32_t junk = rng_next(c->r);

	c->edges++;
	switch (rng_below(c->r, 4)) {
	case 0:
		msg_put(c->m, fz_sets[set].max_attr + 1 + rng_below(c->r, 2), &junk, 4);
		break;
	case 1:
		msg_put(c->m, (const uint16_t[]){ 0, 0x3fff, 0x7fff, 0xffff }[rng_below(c->r, 4)],
			&junk, 4);
		break;
	default:
		put_attr(c, other, 1 + rng_below(c->r, fz_sets[other].max_attr));
	}
}

void gen_request(struct fz_gen *g, int op, bool dump, enum fz_strategy strategy,
		 struct fz_msg *m, struct fz_request *req)
{
	const struct fz_op *o = &fz_ops[op];
	const char *name = o->name;
	struct ctx c = {
		.g = g, .r = g->rng, .m = m, .req = req,
		.edge = strategy == FZ_EDGE, .dump = dump,
	};

	gen_init();
	memset(req, 0, sizeof(*req));
	req->op = op;
	req->dump = dump;
	req->strategy = strategy;
	req->destructive = strstr(name, "-del") || strstr(name, "-flush") || strategy == FZ_MUTATED;
	msg_init(m, g->family_id, o->cmd, NLM_F_ACK | (dump ? NLM_F_DUMP : 0));

	if (!strcmp(name, "instance-new")) {
		c.family = c.new_inst.family = pick_family(&c);
	} else if ((o->set == set_session || o->set == set_batch ||
		    !strcmp(fz_sets[o->set].name, "instance")) &&
		   known_pick_instance(c.r, &c.inst)) {
		c.have_inst = true;
		c.family = c.inst.family;
	}

	put_attrs(&c, o->set, dump ? o->dump_attrs : o->do_attrs, dump ? o->n_dump : o->n_do,
		  false);
	if (c.edge && (!c.edges || rng_one_in(c.r, 4)))
		put_strays(&c, o->set);

	/* remembered as sent: the reply names only the id */
	if (strategy == FZ_VALID && !strcmp(name, "instance-new"))
		req->inst = c.new_inst;
}

/* ---- byte-level mutation ---- */

size_t gen_mutate(struct fz_gen *g, struct fz_msg *m)
{
	struct rng *r = g->rng;
	size_t send_len = m->len, at;
	struct nlattr *nla;
	int n = 1 + rng_below(r, 4), i;

	for (i = 0; i < n; i++) {
		nla = m->n_marks ? (struct nlattr *)(m->buf + m->marks[rng_below(r, m->n_marks)]) : NULL;
		at = NLMSG_HDRLEN + rng_below(r, m->len - NLMSG_HDRLEN);
		switch (rng_below(r, 10)) {
		case 0:		/* a bit anywhere past the netlink header */
			m->buf[at] ^= 1 << rng_below(r, 8);
			break;
		case 1:		/* a byte at an edge value */
			m->buf[at] = (const uint8_t[]){ 0, 0xff, 0x7f, 0x80 }[rng_below(r, 4)];
			break;
		case 2:		/* cut short, the header telling the truth */
			send_len = NLMSG_HDRLEN + rng_below(r, m->len - NLMSG_HDRLEN + 1);
			msg_hdr(m)->nlmsg_len = send_len;
			break;
		case 3:		/* cut short, the header still saying the full length */
			send_len = NLMSG_HDRLEN + rng_below(r, m->len - NLMSG_HDRLEN + 1);
			break;
		case 4:		/* an attribute's length lies */
			if (nla)
				nla->nla_len = (const uint16_t[]){ 0, 1, 3, 4, 5, nla->nla_len - 1,
					nla->nla_len + 1, nla->nla_len + 4, 0xffff }[rng_below(r, 9)];
			break;
		case 5:		/* nested or not, byte order flag */
			if (nla)
				nla->nla_type ^= rng_one_in(r, 3) ? NLA_F_NET_BYTEORDER : NLA_F_NESTED;
			break;
		case 6:		/* an attribute's type */
			if (nla)
				nla->nla_type = (nla->nla_type & ~NLA_TYPE_MASK) | rng_below(r, 24);
			break;
		case 7:		/* the message's length lies */
			msg_hdr(m)->nlmsg_len = rng_one_in(r, 2) ? m->len + 4 * (1 + rng_below(r, 64)) :
				NLMSG_HDRLEN + rng_below(r, m->len - NLMSG_HDRLEN);
			break;
		case 8:		/* another command, version or flags */
			if (rng_one_in(r, 3))
				msg_hdr(m)->nlmsg_flags ^= 1 << rng_below(r, 12);
			else
				((struct genlmsghdr *)NLMSG_DATA(msg_hdr(m)))->cmd = rng_below(r, fz_nops + 4);
			break;
		default:	/* an attribute again at the end */
			if (nla && nla->nla_len >= NLA_HDRLEN &&
			    (char *)nla + NLA_ALIGN(nla->nla_len) <= m->buf + m->len &&
			    nla->nla_len < 4096) {
				size_t len = NLA_ALIGN(nla->nla_len);
				char copy[4096];

				memcpy(copy, nla, len);
				msg_reserve(m, len);
				memcpy(m->buf + m->len, copy, len);
				m->len += len;
				send_len = m->len;
				msg_hdr(m)->nlmsg_len = m->len;
			}
		}
	}
	return send_len;
}
