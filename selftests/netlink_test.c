// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bad input to every command of the xrelay generic netlink family.
 *
 * Each test runs in a fresh network namespace holding a known baseline
 * (three instances, one session, and a policy for the session's network),
 * sends one malformed or meaningless request over a raw netlink socket and
 * checks three things: the exact errno, a non-empty extack message
 * (prefixed "xrelay: " when the module itself, not the policy, refused),
 * and a namespace unchanged according to netns-get and network-get.
 * A few positive tests prove the requests are well formed to begin with, so
 * the refusals are caused by the one thing each test breaks.
 *
 * Policy refusals follow the kernel's netlink core: a wrong length for a
 * fixed-size type or an attribute the command does not take is EINVAL, a
 * value or binary length outside the spec's checks is ERANGE. The module
 * answers in kind: ERANGE for a value outside what the instance allows,
 * EAFNOSUPPORT for an address of the wrong family.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/xrelay.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define MSG_BUF_SIZE	8192
#define MAX_NESTING	4

/* The baseline every test starts from. */
#define INST4		1	/* 203.0.113.1, ports 20000-20099, network 10 */
#define INST6		2	/* 2001:db8:ff::1, ports 20000-20099, network 10 */
#define SHARED		3	/* 203.0.113.2, ports 21000-21099, shared (network 0) */
#define NETWORK		10
#define PORT_MIN	20000
#define PORT_MAX	20099
#define BASE_PORT_A	20000	/* the baseline session on INST4 */
#define BASE_PORT_B	20001
#define FREE_PORT_A	20010	/* unused on every instance */
#define FREE_PORT_B	20011

struct request {
	char *buf;			/* the message: inline_buf, or the heap's (req_reserve) */
	size_t size;
	struct nlmsghdr *nlh;		/* at buf */
	struct nlattr *nest[MAX_NESTING];
	int depth;
	union {
		struct nlmsghdr hdr;
		char bytes[MSG_BUF_SIZE];
	} inline_buf;
};

struct reply {
	int error;			/* the kernel's verdict: 0 or -errno */
	char message[256];		/* its extack message, "" if none */
	__u32 bad_attr;			/* its offending attribute's offset in the request, 0 if none */
	int parts;			/* messages before the ack or NLMSG_DONE */
	char first[MSG_BUF_SIZE];	/* the first of them */
};

struct nl_sock {
	int fd;
	__u32 seq;
};

struct netns_counts {
	__u32 session_limit;
	__u32 sessions;
	__u32 instances;
	__u32 networks;
};

/* ---- building requests ---- */

/* A request of TYPE whose fixed header (genlmsghdr, ifinfomsg...) is HDR. */
static void req_init(struct request *r, __u16 type, __u16 flags, const void *hdr, size_t hdrlen)
{
	memset(r, 0, sizeof(*r));
	r->buf = r->inline_buf.bytes;
	r->size = sizeof(r->inline_buf);
	r->nlh = &r->inline_buf.hdr;
	r->nlh->nlmsg_len = NLMSG_LENGTH(hdrlen);
	r->nlh->nlmsg_type = type;
	r->nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(NLMSG_DATA(r->nlh), hdr, hdrlen);
}

/* Room for a message of @size bytes, more than fits inline; req_release() frees it. */
static void req_reserve(struct request *r, size_t size)
{
	char *heap = malloc(size);
	int i;

	if (!heap) {
		perror("malloc");
		exit(KSFT_FAIL);
	}
	memcpy(heap, r->buf, r->nlh->nlmsg_len);
	for (i = 0; i < r->depth; i++)
		r->nest[i] = (struct nlattr *)(heap + ((char *)r->nest[i] - r->buf));
	r->buf = heap;
	r->size = size;
	r->nlh = (struct nlmsghdr *)heap;
}

static void req_release(struct request *r)
{
	if (r->buf != r->inline_buf.bytes)
		free(r->buf);
}

/* Where the next attribute of @len payload bytes goes; a test asking for too much is a bug. */
static struct nlattr *req_tail(struct request *r, size_t len)
{
	if (NLMSG_ALIGN(r->nlh->nlmsg_len) + NLA_HDRLEN + NLA_ALIGN(len) > r->size) {
		fprintf(stderr, "# request of %zu bytes overflows\n", r->size);
		exit(KSFT_FAIL);
	}
	return (struct nlattr *)(r->buf + NLMSG_ALIGN(r->nlh->nlmsg_len));
}

static void genl_req_init(struct request *r, __u16 family, __u8 cmd, __u16 flags)
{
	struct genlmsghdr gh = { .cmd = cmd, .version = 1 };

	req_init(r, family, flags, &gh, sizeof(gh));
}

static void put_attr(struct request *r, __u16 type, const void *data, __u16 len)
{
	struct nlattr *nla = req_tail(r, len);

	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	memcpy((char *)nla + NLA_HDRLEN, data, len);
	r->nlh->nlmsg_len = NLMSG_ALIGN(r->nlh->nlmsg_len) + NLA_ALIGN(nla->nla_len);
}

static void put_u8(struct request *r, __u16 type, __u8 v)
{
	put_attr(r, type, &v, sizeof(v));
}

static void put_u16(struct request *r, __u16 type, __u16 v)
{
	put_attr(r, type, &v, sizeof(v));
}

static void put_u32(struct request *r, __u16 type, __u32 v)
{
	put_attr(r, type, &v, sizeof(v));
}

static void put_u64(struct request *r, __u16 type, __u64 v)
{
	put_attr(r, type, &v, sizeof(v));
}

static void put_in4(struct request *r, __u16 type, const char *addr)
{
	struct in_addr a;

	inet_pton(AF_INET, addr, &a);
	put_attr(r, type, &a, sizeof(a));
}

static void put_in6(struct request *r, __u16 type, const char *addr)
{
	struct in6_addr a;

	inet_pton(AF_INET6, addr, &a);
	put_attr(r, type, &a, sizeof(a));
}

static void nest_start(struct request *r, __u16 type)
{
	struct nlattr *nla = req_tail(r, 0);

	nla->nla_type = type | NLA_F_NESTED;
	r->nest[r->depth++] = nla;
	r->nlh->nlmsg_len = NLMSG_ALIGN(r->nlh->nlmsg_len) + NLA_HDRLEN;
}

static void nest_end(struct request *r)
{
	struct nlattr *nla = r->nest[--r->depth];
	size_t len = r->buf + r->nlh->nlmsg_len - (char *)nla;

	/* nla_len is 16 bits: a bigger nest would be silently cut. */
	if (len > 0xffff) {
		fprintf(stderr, "# nest of %zu bytes, more than an attribute holds\n", len);
		exit(KSFT_FAIL);
	}
	nla->nla_len = len;
}

/* A prefix nest of TYPE (allow or deny): ADDR/LEN, IPv4 or IPv6. */
static void put_prefix(struct request *r, __u16 type, const char *addr, __u8 len)
{
	nest_start(r, type);
	if (strchr(addr, ':'))
		put_in6(r, XRELAY_A_PREFIX_IPV6, addr);
	else
		put_in4(r, XRELAY_A_PREFIX_IPV4, addr);
	put_u8(r, XRELAY_A_PREFIX_LEN, len);
	nest_end(r);
}

/* A rate nest of TYPE: a packet rate and its burst. */
static void put_rate(struct request *r, __u16 type, __u64 pps, __u64 burst)
{
	nest_start(r, type);
	put_u64(r, XRELAY_A_RATE_PACKETS_PER_SECOND, pps);
	put_u64(r, XRELAY_A_RATE_BURST_PACKETS, burst);
	nest_end(r);
}

/* A side nest holding only its port: a learned side with defaults. */
static void put_side(struct request *r, __u16 type, __u16 port)
{
	nest_start(r, type);
	put_u16(r, XRELAY_A_SIDE_PORT, port);
	nest_end(r);
}

/* ---- talking to the kernel ---- */

static const struct nlattr *attr_find(const void *head, int len, __u16 type)
{
	const struct nlattr *nla;

	for (nla = head; len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN &&
			 nla->nla_len <= len;
	     len -= NLA_ALIGN(nla->nla_len),
	     nla = (const void *)((const char *)nla + NLA_ALIGN(nla->nla_len)))
		if ((nla->nla_type & NLA_TYPE_MASK) == type)
			return nla;
	return NULL;
}

/* The extack message of an NLMSG_ERROR or NLMSG_DONE, "" if none. */
static void ack_message(const struct nlmsghdr *nlh, int skip, char *msg, size_t size)
{
	const struct nlattr *nla;
	int len = nlh->nlmsg_len - NLMSG_HDRLEN - skip;

	msg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0)
		return;
	nla = attr_find((const char *)NLMSG_DATA(nlh) + skip, len, NLMSGERR_ATTR_MSG);
	if (nla)
		snprintf(msg, size, "%.*s", (int)(nla->nla_len - NLA_HDRLEN),
			 (const char *)nla + NLA_HDRLEN);
}

/* Where in the request the attribute an NLMSG_ERROR blames starts, 0 if it names none. */
static __u32 ack_bad_attr(const struct nlmsghdr *nlh)
{
	int len = nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(struct nlmsgerr);
	const struct nlattr *nla;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0)
		return 0;
	nla = attr_find((const char *)NLMSG_DATA(nlh) + sizeof(struct nlmsgerr), len,
			NLMSGERR_ATTR_OFFS);
	return nla ? *(const __u32 *)((const char *)nla + NLA_HDRLEN) : 0;
}

/* Receives one datagram whole into *buf, grown as needed; returns its length or -1. */
static ssize_t nl_recv(int fd, char **buf, size_t *size)
{
	ssize_t len = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	char *bigger;

	if (len < 0)
		return -1;
	if ((size_t)len > *size) {
		bigger = realloc(*buf, len);
		if (!bigger)
			return -1;
		*buf = bigger;
		*size = len;
	}
	return recv(fd, *buf, *size, 0);
}

/* Sends r and collects everything up to its ack; returns -1 on socket trouble. */
static int nl_talk(struct nl_sock *g, struct request *r, struct reply *rep)
{
	static size_t size;
	static char *buf;

	memset(rep, 0, sizeof(*rep));
	r->nlh->nlmsg_seq = ++g->seq;
	if (send(g->fd, r->buf, r->nlh->nlmsg_len, 0) != (ssize_t)r->nlh->nlmsg_len)
		return -1;

	for (;;) {
		ssize_t len = nl_recv(g->fd, &buf, &size);
		struct nlmsghdr *nlh;

		if (len < 0)
			return -1;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != g->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = NLMSG_DATA(nlh);

				rep->error = err->error;
				ack_message(nlh, sizeof(*err), rep->message, sizeof(rep->message));
				rep->bad_attr = ack_bad_attr(nlh);
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				rep->error = *(const int *)NLMSG_DATA(nlh);
				ack_message(nlh, sizeof(int), rep->message, sizeof(rep->message));
				return 0;
			}
			if (!rep->parts++)
				memcpy(rep->first, nlh, nlh->nlmsg_len < MSG_BUF_SIZE ?
							nlh->nlmsg_len : MSG_BUF_SIZE);
		}
	}
}

/* An attribute of the first reply message, or NULL. */
static const struct nlattr *reply_attr(const struct reply *rep, __u16 type)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)rep->first;

	if (!rep->parts)
		return NULL;
	return attr_find((const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
			 nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), type);
}

static __u32 reply_u32(const struct reply *rep, __u16 type)
{
	const struct nlattr *nla = reply_attr(rep, type);

	return nla ? *(const __u32 *)((const char *)nla + NLA_HDRLEN) : 0;
}

static int nl_open(struct nl_sock *g, int protocol)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	g->seq = 0;
	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (g->fd < 0 || bind(g->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	setsockopt(g->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(g->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

/* The xrelay family's id, 0 if it is not registered. */
static __u16 genl_family_id(struct nl_sock *g)
{
	const struct nlattr *id;
	struct request r;
	struct reply rep;

	genl_req_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	put_attr(&r, CTRL_ATTR_FAMILY_NAME, XRELAY_FAMILY_NAME, sizeof(XRELAY_FAMILY_NAME));
	if (nl_talk(g, &r, &rep) || rep.error)
		return 0;
	id = reply_attr(&rep, CTRL_ATTR_FAMILY_ID);
	return id ? *(const __u16 *)((const char *)id + NLA_HDRLEN) : 0;
}

/* ---- the namespace each test runs in ---- */

static int rtnl_do(struct nl_sock *rt, struct request *r)
{
	struct reply rep;

	return nl_talk(rt, r, &rep) || rep.error ? -1 : 0;
}

static int add_address(struct nl_sock *rt, int ifindex, const char *addr)
{
	struct ifaddrmsg ifa = { .ifa_index = ifindex, .ifa_flags = IFA_F_NODAD };
	struct request r;

	if (strchr(addr, ':')) {
		ifa.ifa_family = AF_INET6;
		ifa.ifa_prefixlen = 128;
		req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
		put_in6(&r, IFA_LOCAL, addr);
	} else {
		ifa.ifa_family = AF_INET;
		ifa.ifa_prefixlen = 32;
		req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
		put_in4(&r, IFA_LOCAL, addr);
	}
	return rtnl_do(rt, &r);
}

/*
 * Wires up the fresh namespace: lo up, and the relay addresses on a dummy
 * device, since instances only take local addresses.
 */
static int netns_setup(void)
{
	struct ifinfomsg ifi = { .ifi_index = 1, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct nl_sock rt;
	struct request r;
	int ret = -1, dev;

	if (nl_open(&rt, NETLINK_ROUTE))
		return -1;
	req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));	/* lo is always ifindex 1 */
	if (rtnl_do(&rt, &r))
		goto out;

	ifi.ifi_index = 0;
	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	put_attr(&r, IFLA_IFNAME, "relay0", sizeof("relay0"));
	nest_start(&r, IFLA_LINKINFO);
	put_attr(&r, IFLA_INFO_KIND, "dummy", sizeof("dummy"));
	nest_end(&r);
	if (rtnl_do(&rt, &r))
		goto out;

	dev = if_nametoindex("relay0");
	if (dev && !add_address(&rt, dev, "203.0.113.1") && !add_address(&rt, dev, "203.0.113.2") &&
	    !add_address(&rt, dev, "2001:db8:ff::1"))
		ret = 0;
out:
	close(rt.fd);
	return ret;
}

/* ---- the fixture ---- */

/* Once for all tests: the test VM's kernel cannot autoload the driver. */
static void __attribute__((constructor)) load_dummy_driver(void)
{
	if (system("modprobe -q dummy"))
		fprintf(stderr, "# modprobe dummy failed\n");
}

FIXTURE(xrelay) {
	struct nl_sock nl;
	__u16 family;
	__u32 session;			/* the baseline session's id */
	struct netns_counts before;
	char policy[MSG_BUF_SIZE];	/* network-get of NETWORK, as the baseline had it */
	__u32 policy_len;
};

static void cmd_init(struct request *r, FIXTURE_DATA(xrelay) *self, __u8 cmd)
{
	genl_req_init(r, self->family, cmd, 0);
}

static void netns_counts(struct __test_metadata *_metadata, FIXTURE_DATA(xrelay) *self,
			 struct netns_counts *c)
{
	struct request r;
	struct reply rep;

	cmd_init(&r, self, XRELAY_CMD_NETNS_GET);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, &rep));
	ASSERT_EQ(0, rep.error) TH_LOG("netns-get: %s", rep.message);
	ASSERT_NE(NULL, reply_attr(&rep, XRELAY_A_NETNS_SESSION_LIMIT));
	ASSERT_NE(NULL, reply_attr(&rep, XRELAY_A_NETNS_SESSIONS));
	ASSERT_NE(NULL, reply_attr(&rep, XRELAY_A_NETNS_INSTANCES));
	ASSERT_NE(NULL, reply_attr(&rep, XRELAY_A_NETNS_NETWORKS));
	c->session_limit = reply_u32(&rep, XRELAY_A_NETNS_SESSION_LIMIT);
	c->sessions = reply_u32(&rep, XRELAY_A_NETNS_SESSIONS);
	c->instances = reply_u32(&rep, XRELAY_A_NETNS_INSTANCES);
	c->networks = reply_u32(&rep, XRELAY_A_NETNS_NETWORKS);
}

/* network-get of network @id: its reply's payload, policy, count and totals. */
static void network_snapshot(struct __test_metadata *_metadata, FIXTURE_DATA(xrelay) *self,
			     __u32 id, char *buf, __u32 *len)
{
	const struct nlmsghdr *nlh;
	struct request r;
	struct reply rep;

	cmd_init(&r, self, XRELAY_CMD_NETWORK_GET);
	put_u32(&r, XRELAY_A_NETWORK_ID, id);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, &rep));
	ASSERT_EQ(0, rep.error) TH_LOG("network-get %u: %s", id, rep.message);
	ASSERT_EQ(1, rep.parts);
	nlh = (const struct nlmsghdr *)rep.first;
	ASSERT_GT(MSG_BUF_SIZE, nlh->nlmsg_len);
	*len = nlh->nlmsg_len - NLMSG_HDRLEN;
	memcpy(buf, NLMSG_DATA(nlh), *len);
}

/* Counts and the baseline network's policy, as every test starts. */
static void take_baseline(struct __test_metadata *_metadata, FIXTURE_DATA(xrelay) *self)
{
	netns_counts(_metadata, self, &self->before);
	network_snapshot(_metadata, self, NETWORK, self->policy, &self->policy_len);
}

/* Sends a request that must succeed; returns the reply. */
static void expect_ok(struct __test_metadata *_metadata, FIXTURE_DATA(xrelay) *self,
		      struct request *r, struct reply *rep)
{
	ASSERT_EQ(0, nl_talk(&self->nl, r, rep));
	ASSERT_EQ(0, rep->error) TH_LOG("refused: %s (%s)", strerror(-rep->error), rep->message);
}

static void expect_counts_unchanged(struct __test_metadata *_metadata,
				    FIXTURE_DATA(xrelay) *self)
{
	struct netns_counts after;

	char policy[MSG_BUF_SIZE];
	__u32 policy_len;

	netns_counts(_metadata, self, &after);
	EXPECT_EQ(self->before.instances, after.instances);
	EXPECT_EQ(self->before.sessions, after.sessions);
	EXPECT_EQ(self->before.session_limit, after.session_limit);
	EXPECT_EQ(self->before.networks, after.networks);
	network_snapshot(_metadata, self, NETWORK, policy, &policy_len);
	EXPECT_TRUE(policy_len == self->policy_len && !memcmp(policy, self->policy, policy_len))
		TH_LOG("network %u's policy changed", NETWORK);
}

static void expect_refused(struct __test_metadata *_metadata, FIXTURE_DATA(xrelay) *self,
			   struct request *r, int err, bool by_module)
{
	struct reply rep;

	ASSERT_EQ(0, nl_talk(&self->nl, r, &rep));
	EXPECT_EQ(-err, rep.error) TH_LOG("expected %s, got %s (%s)", strerror(err),
					  rep.error ? strerror(-rep.error) : "success",
					  rep.message);
	EXPECT_NE(0, strlen(rep.message)) TH_LOG("no extack message");
	if (by_module)
		EXPECT_EQ(0, strncmp(rep.message, "xrelay: ", 8))
			TH_LOG("message not from the module: '%s'", rep.message);
	expect_counts_unchanged(_metadata, self);
}

/* Refused by the attribute policy (netlink core message). */
#define expect_policy_error(r, err)	expect_refused(_metadata, self, r, err, false)
/* Refused by the module's own checks ("xrelay: ..." message). */
#define expect_module_error(r, err)	expect_refused(_metadata, self, r, err, true)

static void create_instance(struct __test_metadata *_metadata, FIXTURE_DATA(xrelay) *self,
			    __u32 id, __u32 network, const char *addr, __u16 min, __u16 max)
{
	struct request r;
	struct reply rep;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_u32(&r, XRELAY_A_INSTANCE_ID, id);
	put_u32(&r, XRELAY_A_INSTANCE_NETWORK, network);
	if (strchr(addr, ':'))
		put_in6(&r, XRELAY_A_INSTANCE_LOCAL_IPV6, addr);
	else
		put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, addr);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, min);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, max);
	expect_ok(_metadata, self, &r, &rep);
	ASSERT_EQ(id, reply_u32(&rep, XRELAY_A_INSTANCE_ID));
}

/*
 * The baseline network's policy: every kind of setting, so that a refused
 * request changing any of it shows in the snapshot.
 */
static void put_baseline_policy(struct request *r)
{
	nest_start(r, XRELAY_A_NETWORK_ADMISSION);
	put_prefix(r, XRELAY_A_ADMISSION_ALLOW, "192.0.2.0", 24);
	put_prefix(r, XRELAY_A_ADMISSION_ALLOW, "2001:db8:a::", 64);
	put_prefix(r, XRELAY_A_ADMISSION_DENY, "192.0.2.66", 32);
	nest_end(r);
	put_rate(r, XRELAY_A_NETWORK_RATE_LIMIT, 1000, 100);
	put_rate(r, XRELAY_A_NETWORK_SESSION_RATE_LIMIT, 100, 10);
	put_u64(r, XRELAY_A_NETWORK_SESSION_QUOTA, 1000000);
	put_u32(r, XRELAY_A_NETWORK_MAX_SESSIONS, 8);
	put_u8(r, XRELAY_A_NETWORK_PROTOCOL, XRELAY_PROTOCOL_WIREGUARD);
}

FIXTURE_SETUP(xrelay)
{
	struct request r;
	struct reply rep;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, netns_setup());
	ASSERT_EQ(0, nl_open(&self->nl, NETLINK_GENERIC));
	self->family = genl_family_id(&self->nl);
	ASSERT_NE(0, self->family) TH_LOG("xrelay family not found: module loaded?");

	create_instance(_metadata, self, INST4, NETWORK, "203.0.113.1", PORT_MIN, PORT_MAX);
	create_instance(_metadata, self, INST6, NETWORK, "2001:db8:ff::1", PORT_MIN, PORT_MAX);
	create_instance(_metadata, self, SHARED, 0, "203.0.113.2", 21000, 21099);

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, BASE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, BASE_PORT_B);
	expect_ok(_metadata, self, &r, &rep);
	self->session = reply_u32(&rep, XRELAY_A_SESSION_ID);
	ASSERT_NE(0, self->session);

	/* After the session: a policy covers the network's sessions of before. */
	cmd_init(&r, self, XRELAY_CMD_NETWORK_NEW);
	put_u32(&r, XRELAY_A_NETWORK_ID, NETWORK);
	put_baseline_policy(&r);
	expect_ok(_metadata, self, &r, &rep);

	take_baseline(_metadata, self);
	ASSERT_EQ(3, self->before.instances);
	ASSERT_EQ(1, self->before.sessions);
	ASSERT_EQ(1, self->before.networks);
}

FIXTURE_TEARDOWN(xrelay)
{
	close(self->nl.fd);
}

/* A complete session-new request on INST4 but for its sides. */
static void session_new_init(struct request *r, FIXTURE_DATA(xrelay) *self, __u32 instance)
{
	cmd_init(r, self, XRELAY_CMD_SESSION_NEW);
	put_u32(r, XRELAY_A_SESSION_INSTANCE, instance);
}

/* ---- instance-new ---- */

TEST_F(xrelay, instance_new_allocates_id)
{
	struct request r;
	struct reply rep;
	struct netns_counts after;
	__u32 id;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_u32(&r, XRELAY_A_INSTANCE_NETWORK, NETWORK);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_ok(_metadata, self, &r, &rep);
	id = reply_u32(&rep, XRELAY_A_INSTANCE_ID);
	EXPECT_NE(0, id);
	EXPECT_NE(INST4, id);
	EXPECT_NE(INST6, id);
	EXPECT_NE(SHARED, id);
	netns_counts(_metadata, self, &after);
	EXPECT_EQ(self->before.instances + 1, after.instances);
}

TEST_F(xrelay, instance_new_missing_address)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, instance_new_missing_port_min)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, instance_new_missing_port_max)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, instance_new_id_as_u8)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_u8(&r, XRELAY_A_INSTANCE_ID, 7);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, instance_new_port_as_u32)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u32(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, instance_new_ipv4_of_16_bytes)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in6(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "2001:db8:ff::1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, instance_new_ipv6_of_17_bytes)
{
	static const char addr17[17] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_attr(&r, XRELAY_A_INSTANCE_LOCAL_IPV6, addr17, sizeof(addr17));
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, instance_new_ipv6_of_4_bytes)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV6, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, instance_new_port_zero)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 0);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, instance_new_id_zero)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_u32(&r, XRELAY_A_INSTANCE_ID, 0);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, instance_new_reply_only_attribute)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	put_u32(&r, XRELAY_A_INSTANCE_SESSIONS, 5);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, instance_new_unknown_attribute)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	put_u32(&r, 200, 1);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, instance_new_ports_reversed)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22099);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22000);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, instance_new_both_families)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_in6(&r, XRELAY_A_INSTANCE_LOCAL_IPV6, "2001:db8:ff::1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, instance_new_duplicate_id)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_u32(&r, XRELAY_A_INSTANCE_ID, INST4);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_module_error(&r, EEXIST);
}

TEST_F(xrelay, instance_new_overlapping_range)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, PORT_MAX);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, PORT_MAX + 100);
	expect_module_error(&r, EEXIST);
}

TEST_F(xrelay, instance_new_overlapping_range_ipv6)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in6(&r, XRELAY_A_INSTANCE_LOCAL_IPV6, "2001:db8:ff::1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, PORT_MIN - 10);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, PORT_MIN);
	expect_module_error(&r, EEXIST);
}

TEST_F(xrelay, instance_new_address_not_local)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "198.51.100.7");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_module_error(&r, EADDRNOTAVAIL);
}

/* The default net.ipv4.ip_local_port_range is 32768-60999. */
TEST_F(xrelay, instance_new_ephemeral_ports)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 40000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 40099);
	expect_module_error(&r, EADDRINUSE);
}

TEST_F(xrelay, instance_new_port_bound_by_a_socket)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(22050) };
	struct request r;
	int fd;

	inet_pton(AF_INET, "203.0.113.1", &sin.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_NEW);
	put_in4(&r, XRELAY_A_INSTANCE_LOCAL_IPV4, "203.0.113.1");
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, 22000);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MAX, 22099);
	expect_module_error(&r, EADDRINUSE);
	close(fd);
}

/* ---- instance-del ---- */

TEST_F(xrelay, instance_del_missing_id)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_DEL);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, instance_del_id_as_u8)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_DEL);
	put_u8(&r, XRELAY_A_INSTANCE_ID, INST4);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, instance_del_id_zero)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_DEL);
	put_u32(&r, XRELAY_A_INSTANCE_ID, 0);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, instance_del_unknown_attribute)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_DEL);
	put_u32(&r, XRELAY_A_INSTANCE_ID, INST4);
	put_u32(&r, XRELAY_A_INSTANCE_NETWORK, NETWORK);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, instance_del_nonexistent)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_DEL);
	put_u32(&r, XRELAY_A_INSTANCE_ID, 99);
	expect_module_error(&r, ENOENT);
}

/* ---- instance-get ---- */

TEST_F(xrelay, instance_get_dump_lists_all)
{
	struct request r;
	struct reply rep;

	genl_req_init(&r, self->family, XRELAY_CMD_INSTANCE_GET, NLM_F_DUMP);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_EQ(3, rep.parts);
}

TEST_F(xrelay, instance_get_missing_id)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_GET);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, instance_get_id_as_u8)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_GET);
	put_u8(&r, XRELAY_A_INSTANCE_ID, INST4);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, instance_get_id_zero)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_GET);
	put_u32(&r, XRELAY_A_INSTANCE_ID, 0);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, instance_get_unknown_attribute)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_GET);
	put_u32(&r, XRELAY_A_INSTANCE_ID, INST4);
	put_u16(&r, XRELAY_A_INSTANCE_PORT_MIN, PORT_MIN);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, instance_get_dump_unknown_attribute)
{
	struct request r;

	genl_req_init(&r, self->family, XRELAY_CMD_INSTANCE_GET, NLM_F_DUMP);
	put_u32(&r, XRELAY_A_INSTANCE_NETWORK, NETWORK);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, instance_get_nonexistent)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_INSTANCE_GET);
	put_u32(&r, XRELAY_A_INSTANCE_ID, 99);
	expect_module_error(&r, ENOENT);
}

/* ---- session-new ---- */

TEST_F(xrelay, session_new_every_option)
{
	struct request r;
	struct reply rep;
	struct netns_counts after;

	session_new_init(&r, self, INST4);
	put_u32(&r, XRELAY_A_SESSION_NETWORK, NETWORK);
	put_u32(&r, XRELAY_A_SESSION_IDLE_TIMEOUT, 60);
	put_u32(&r, XRELAY_A_SESSION_LIFETIME, XRELAY_MAX_TIMEOUT);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in4(&r, XRELAY_A_SIDE_PEER_IPV4, "192.0.2.2");
	put_u16(&r, XRELAY_A_SIDE_PEER_PORT, 5000);
	nest_end(&r);
	nest_start(&r, XRELAY_A_SESSION_SIDE_B);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_B);
	put_in4(&r, XRELAY_A_SIDE_ALLOW_IPV4, "198.51.100.0");
	put_u8(&r, XRELAY_A_SIDE_ALLOW_PREFIX_LEN, 24);
	put_u32(&r, XRELAY_A_SIDE_RELEARN_TIMEOUT, 5);
	nest_end(&r);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_NE(0, reply_u32(&rep, XRELAY_A_SESSION_ID));
	netns_counts(_metadata, self, &after);
	EXPECT_EQ(self->before.sessions + 1, after.sessions);
}

TEST_F(xrelay, session_new_missing_instance)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_missing_side_b)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_side_without_port)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	nest_start(&r, XRELAY_A_SESSION_SIDE_B);
	put_u32(&r, XRELAY_A_SIDE_RELEARN_TIMEOUT, 5);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_shared_instance_without_network)
{
	struct request r;

	session_new_init(&r, self, SHARED);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, 21000);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, 21001);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_peer_without_port)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in4(&r, XRELAY_A_SIDE_PEER_IPV4, "192.0.2.2");
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_peer_port_without_peer)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_u16(&r, XRELAY_A_SIDE_PEER_PORT, 5000);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_prefix_len_without_prefix)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_u8(&r, XRELAY_A_SIDE_ALLOW_PREFIX_LEN, 24);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_instance_as_u8)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW);
	put_u8(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_idle_timeout_as_u64)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u64(&r, XRELAY_A_SESSION_IDLE_TIMEOUT, 60);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_side_not_nested)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u32(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_side_port_as_u32)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u32(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_peer_port_as_u64)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in4(&r, XRELAY_A_SIDE_PEER_IPV4, "192.0.2.2");
	put_u64(&r, XRELAY_A_SIDE_PEER_PORT, 5000);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_peer_ipv6_of_17_bytes)
{
	static const char addr17[17] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, [15] = 2 };
	struct request r;

	session_new_init(&r, self, INST6);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_attr(&r, XRELAY_A_SIDE_PEER_IPV6, addr17, sizeof(addr17));
	put_u16(&r, XRELAY_A_SIDE_PEER_PORT, 5000);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_allow_ipv6_of_17_bytes)
{
	static const char addr17[17] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0a };
	struct request r;

	session_new_init(&r, self, INST6);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_attr(&r, XRELAY_A_SIDE_ALLOW_IPV6, addr17, sizeof(addr17));
	put_u8(&r, XRELAY_A_SIDE_ALLOW_PREFIX_LEN, 64);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_port_zero)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, 0);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_peer_port_zero)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in4(&r, XRELAY_A_SIDE_PEER_IPV4, "192.0.2.2");
	put_u16(&r, XRELAY_A_SIDE_PEER_PORT, 0);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_idle_timeout_zero)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u32(&r, XRELAY_A_SESSION_IDLE_TIMEOUT, 0);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_idle_timeout_above_max)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u32(&r, XRELAY_A_SESSION_IDLE_TIMEOUT, XRELAY_MAX_TIMEOUT + 1);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_lifetime_zero)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u32(&r, XRELAY_A_SESSION_LIFETIME, 0);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_lifetime_above_max)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u32(&r, XRELAY_A_SESSION_LIFETIME, XRELAY_MAX_TIMEOUT + 1);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_relearn_timeout_zero)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_u32(&r, XRELAY_A_SIDE_RELEARN_TIMEOUT, 0);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_prefix_len_129)
{
	struct request r;

	session_new_init(&r, self, INST6);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in6(&r, XRELAY_A_SIDE_ALLOW_IPV6, "2001:db8:a::");
	put_u8(&r, XRELAY_A_SIDE_ALLOW_PREFIX_LEN, 129);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_network_zero)
{
	struct request r;

	session_new_init(&r, self, SHARED);
	put_u32(&r, XRELAY_A_SESSION_NETWORK, 0);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, 21000);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, 21001);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_id_attribute)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u32(&r, XRELAY_A_SESSION_ID, 77);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_unknown_attribute)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	put_u8(&r, XRELAY_A_SESSION_EXPIRE_REASON, 0);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_unknown_side_attribute)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_u32(&r, XRELAY_A_SIDE_MAX + 1, 1);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_port_below_range)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, PORT_MIN - 1);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_port_above_range)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, PORT_MAX + 1);
	expect_module_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_same_port_twice)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_A);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_port_in_use)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, BASE_PORT_B);
	expect_module_error(&r, EEXIST);
}

TEST_F(xrelay, session_new_ipv6_peer_on_ipv4_instance)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in6(&r, XRELAY_A_SIDE_PEER_IPV6, "2001:db8:a::2");
	put_u16(&r, XRELAY_A_SIDE_PEER_PORT, 5000);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EAFNOSUPPORT);
}

/* ::ffff:a.b.c.d would pass for the IPv4 address it maps. */
TEST_F(xrelay, session_new_v4_mapped_peer_on_ipv4_instance)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in6(&r, XRELAY_A_SIDE_PEER_IPV6, "::ffff:192.0.2.2");
	put_u16(&r, XRELAY_A_SIDE_PEER_PORT, 5000);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EAFNOSUPPORT);
}

TEST_F(xrelay, session_new_ipv4_peer_on_ipv6_instance)
{
	struct request r;

	session_new_init(&r, self, INST6);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in4(&r, XRELAY_A_SIDE_PEER_IPV4, "192.0.2.2");
	put_u16(&r, XRELAY_A_SIDE_PEER_PORT, 5000);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EAFNOSUPPORT);
}

TEST_F(xrelay, session_new_both_peer_families)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in4(&r, XRELAY_A_SIDE_PEER_IPV4, "192.0.2.2");
	put_in6(&r, XRELAY_A_SIDE_PEER_IPV6, "2001:db8:a::2");
	put_u16(&r, XRELAY_A_SIDE_PEER_PORT, 5000);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_ipv6_prefix_on_ipv4_instance)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in6(&r, XRELAY_A_SIDE_ALLOW_IPV6, "2001:db8:a::");
	put_u8(&r, XRELAY_A_SIDE_ALLOW_PREFIX_LEN, 64);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EAFNOSUPPORT);
}

TEST_F(xrelay, session_new_ipv4_prefix_len_33)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	put_in4(&r, XRELAY_A_SIDE_ALLOW_IPV4, "192.0.2.0");
	put_u8(&r, XRELAY_A_SIDE_ALLOW_PREFIX_LEN, 33);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_network_mismatch)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u32(&r, XRELAY_A_SESSION_NETWORK, NETWORK + 1);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_nonexistent_instance)
{
	struct request r;

	session_new_init(&r, self, 99);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, ENOENT);
}

TEST_F(xrelay, session_new_bogus_pinned_peers)
{
	static const char * const bogus4[] = {
		"127.0.0.1", "224.0.0.1", "255.255.255.255", "0.0.0.0", "203.0.113.1",
	};
	static const char * const bogus6[] = {
		"::1", "ff02::1", "::", "2001:db8:ff::1",
	};
	struct request r;
	size_t i;

	for (i = 0; i < sizeof(bogus4) / sizeof(bogus4[0]); i++) {
		session_new_init(&r, self, INST4);
		nest_start(&r, XRELAY_A_SESSION_SIDE_A);
		put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
		put_in4(&r, XRELAY_A_SIDE_PEER_IPV4, bogus4[i]);
		put_u16(&r, XRELAY_A_SIDE_PEER_PORT, 5000);
		nest_end(&r);
		put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
		expect_module_error(&r, EINVAL);
		if (!_metadata->passed) {
			TH_LOG("with pinned peer %s", bogus4[i]);
			return;
		}
	}
	for (i = 0; i < sizeof(bogus6) / sizeof(bogus6[0]); i++) {
		session_new_init(&r, self, INST6);
		nest_start(&r, XRELAY_A_SESSION_SIDE_B);
		put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_B);
		put_in6(&r, XRELAY_A_SIDE_PEER_IPV6, bogus6[i]);
		put_u16(&r, XRELAY_A_SIDE_PEER_PORT, 5000);
		nest_end(&r);
		put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
		expect_module_error(&r, EINVAL);
		if (!_metadata->passed) {
			TH_LOG("with pinned peer %s", bogus6[i]);
			return;
		}
	}
}

/* ---- session-new-batch ---- */

/* A session nest of a session-new-batch on INST4, ports @a and @b. */
static void put_batch_session(struct request *r, __u16 a, __u16 b)
{
	nest_start(r, XRELAY_A_SESSION_BATCH_SESSION);
	put_u32(r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_side(r, XRELAY_A_SESSION_SIDE_A, a);
	put_side(r, XRELAY_A_SESSION_SIDE_B, b);
	nest_end(r);
}

/* The ids a session-new-batch reply lists, in order; returns how many. */
static int batch_ids(const struct reply *rep, __u32 *ids, int max)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)rep->first;
	const struct nlattr *nla;
	int len, n = 0;

	if (!rep->parts)
		return 0;
	nla = (const struct nlattr *)((const char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
	len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	for (; len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN && nla->nla_len <= len;
	     len -= NLA_ALIGN(nla->nla_len),
	     nla = (const struct nlattr *)((const char *)nla + NLA_ALIGN(nla->nla_len)))
		if (nla->nla_type == XRELAY_A_SESSION_BATCH_ID && n < max)
			ids[n++] = *(const __u32 *)((const char *)nla + NLA_HDRLEN);
	return n;
}

/* Whether INST4 has a session on @port. */
static bool port_in_use(struct __test_metadata *_metadata, FIXTURE_DATA(xrelay) *self,
			__u16 port)
{
	struct request r;
	struct reply rep;

	cmd_init(&r, self, XRELAY_CMD_SESSION_GET);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_u16(&r, XRELAY_A_SESSION_PORT, port);
	EXPECT_EQ(0, nl_talk(&self->nl, &r, &rep));
	return !rep.error;
}

TEST_F(xrelay, session_new_batch_opens_in_order)
{
	struct netns_counts after;
	struct request r;
	struct reply rep;
	__u32 ids[4];

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW_BATCH);
	put_batch_session(&r, FREE_PORT_A, FREE_PORT_B);
	put_batch_session(&r, FREE_PORT_A + 2, FREE_PORT_B + 2);
	put_batch_session(&r, FREE_PORT_A + 4, FREE_PORT_B + 4);
	expect_ok(_metadata, self, &r, &rep);
	ASSERT_EQ(3, batch_ids(&rep, ids, 4));
	EXPECT_NE(0, ids[0]);
	EXPECT_NE(ids[0], ids[1]);
	EXPECT_NE(ids[1], ids[2]);
	netns_counts(_metadata, self, &after);
	EXPECT_EQ(self->before.sessions + 3, after.sessions);
	EXPECT_TRUE(port_in_use(_metadata, self, FREE_PORT_B + 4));
}

/* The first failure ends it: the reply names what opened, the ack why not. */
TEST_F(xrelay, session_new_batch_stops_at_first_failure)
{
	struct netns_counts after;
	struct request r;
	struct reply rep;
	__u32 ids[4];

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW_BATCH);
	put_batch_session(&r, FREE_PORT_A, FREE_PORT_B);
	put_batch_session(&r, FREE_PORT_A + 2, PORT_MAX + 1);
	put_batch_session(&r, FREE_PORT_A + 4, FREE_PORT_B + 4);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, &rep));
	EXPECT_EQ(-ERANGE, rep.error) TH_LOG("got %d (%s)", rep.error, rep.message);
	EXPECT_STREQ("xrelay: side port is outside the instance's port range", rep.message);
	ASSERT_EQ(1, batch_ids(&rep, ids, 4));
	EXPECT_NE(0, ids[0]);
	netns_counts(_metadata, self, &after);
	EXPECT_EQ(self->before.sessions + 1, after.sessions);
	EXPECT_TRUE(port_in_use(_metadata, self, FREE_PORT_A));
	EXPECT_FALSE(port_in_use(_metadata, self, FREE_PORT_A + 2));
	EXPECT_FALSE(port_in_use(_metadata, self, FREE_PORT_A + 4));
}

TEST_F(xrelay, session_new_batch_port_taken_midway)
{
	struct request r;
	struct reply rep;
	__u32 ids[4];

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW_BATCH);
	put_batch_session(&r, FREE_PORT_A, FREE_PORT_B);
	put_batch_session(&r, FREE_PORT_B, FREE_PORT_B + 2);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, &rep));
	EXPECT_EQ(-EEXIST, rep.error) TH_LOG("got %d (%s)", rep.error, rep.message);
	EXPECT_STREQ("xrelay: port is already used by another session", rep.message);
	EXPECT_EQ(1, batch_ids(&rep, ids, 4));
	EXPECT_FALSE(port_in_use(_metadata, self, FREE_PORT_B + 2));
}

TEST_F(xrelay, session_new_batch_without_sessions)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW_BATCH);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_batch_session_with_id)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW_BATCH);
	nest_start(&r, XRELAY_A_SESSION_BATCH_SESSION);
	put_u32(&r, XRELAY_A_SESSION_ID, 77);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_batch_reply_only_attribute)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW_BATCH);
	put_batch_session(&r, FREE_PORT_A, FREE_PORT_B);
	put_u32(&r, XRELAY_A_SESSION_BATCH_ID, 1);
	expect_policy_error(&r, EINVAL);
}

/* The policy checks every nest first: a bad last session opens none. */
TEST_F(xrelay, session_new_batch_bad_value_opens_nothing)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW_BATCH);
	put_batch_session(&r, FREE_PORT_A, FREE_PORT_B);
	nest_start(&r, XRELAY_A_SESSION_BATCH_SESSION);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_u32(&r, XRELAY_A_SESSION_IDLE_TIMEOUT, 0);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A + 2);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B + 2);
	nest_end(&r);
	expect_policy_error(&r, ERANGE);
}

/* ---- session-del ---- */

TEST_F(xrelay, session_del_by_port)
{
	struct request r;
	struct reply rep;
	struct netns_counts after;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_u16(&r, XRELAY_A_SESSION_PORT, BASE_PORT_B);
	expect_ok(_metadata, self, &r, &rep);
	netns_counts(_metadata, self, &after);
	EXPECT_EQ(self->before.sessions - 1, after.sessions);
}

TEST_F(xrelay, session_del_missing_selector)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_del_instance_without_port)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_del_port_without_instance)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	put_u16(&r, XRELAY_A_SESSION_PORT, BASE_PORT_A);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_del_id_as_u8)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	put_u8(&r, XRELAY_A_SESSION_ID, self->session);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_del_port_as_u64)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_u64(&r, XRELAY_A_SESSION_PORT, BASE_PORT_A);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_del_id_zero)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	put_u32(&r, XRELAY_A_SESSION_ID, 0);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_del_port_zero)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_u16(&r, XRELAY_A_SESSION_PORT, 0);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_del_unknown_attribute)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	put_u32(&r, XRELAY_A_SESSION_ID, self->session);
	put_u32(&r, XRELAY_A_SESSION_NETWORK, NETWORK);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_del_nonexistent_id)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	put_u32(&r, XRELAY_A_SESSION_ID, self->session + 1000);
	expect_module_error(&r, ENOENT);
}

TEST_F(xrelay, session_del_unused_port)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_DEL);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_u16(&r, XRELAY_A_SESSION_PORT, FREE_PORT_A);
	expect_module_error(&r, ENOENT);
}

/* ---- session-get ---- */

TEST_F(xrelay, session_get_by_port)
{
	struct request r;
	struct reply rep;

	cmd_init(&r, self, XRELAY_CMD_SESSION_GET);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	put_u16(&r, XRELAY_A_SESSION_PORT, BASE_PORT_B);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_EQ(self->session, reply_u32(&rep, XRELAY_A_SESSION_ID));
	EXPECT_EQ(NETWORK, reply_u32(&rep, XRELAY_A_SESSION_NETWORK));
}

TEST_F(xrelay, session_get_missing_selector)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_GET);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_get_id_as_u8)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_GET);
	put_u8(&r, XRELAY_A_SESSION_ID, self->session);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_get_id_zero)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_GET);
	put_u32(&r, XRELAY_A_SESSION_ID, 0);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_get_unknown_attribute)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_GET);
	put_u32(&r, XRELAY_A_SESSION_ID, self->session);
	put_u32(&r, XRELAY_A_SESSION_IDLE_TIMEOUT, 60);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_get_dump_unknown_attribute)
{
	struct request r;

	genl_req_init(&r, self->family, XRELAY_CMD_SESSION_GET, NLM_F_DUMP);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, BASE_PORT_A);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_get_dump_instance_as_u8)
{
	struct request r;

	genl_req_init(&r, self->family, XRELAY_CMD_SESSION_GET, NLM_F_DUMP);
	put_u8(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_get_nonexistent)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_GET);
	put_u32(&r, XRELAY_A_SESSION_ID, self->session + 1000);
	expect_module_error(&r, ENOENT);
}

/* ---- session-flush ---- */

TEST_F(xrelay, session_flush_instance_as_u8)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_FLUSH);
	put_u8(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_flush_network_as_u64)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_FLUSH);
	put_u64(&r, XRELAY_A_SESSION_NETWORK, NETWORK);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_flush_instance_zero)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_FLUSH);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, 0);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_flush_unknown_attribute)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_FLUSH);
	put_u32(&r, XRELAY_A_SESSION_ID, self->session);
	expect_policy_error(&r, EINVAL);
}

/* ---- netns-get / netns-set ---- */

TEST_F(xrelay, netns_get_unknown_attribute)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_NETNS_GET);
	put_u32(&r, XRELAY_A_NETNS_SESSION_LIMIT, 5);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, netns_set_missing_limit)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_NETNS_SET);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, netns_set_limit_as_u8)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_NETNS_SET);
	put_u8(&r, XRELAY_A_NETNS_SESSION_LIMIT, 5);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, netns_set_limit_as_u64)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_NETNS_SET);
	put_u64(&r, XRELAY_A_NETNS_SESSION_LIMIT, 5);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, netns_set_reply_only_attribute)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_NETNS_SET);
	put_u32(&r, XRELAY_A_NETNS_SESSION_LIMIT, 5);
	put_u32(&r, XRELAY_A_NETNS_SESSIONS, 5);
	expect_policy_error(&r, EINVAL);
}

/* ---- overlay networks: network-new, -set, -del, -get ---- */

#define OTHER_NETWORK		20	/* no policy in the baseline */
/* Prefix nests per admission nest in big requests: each nest holds 64 KiB. */
#define PREFIXES_PER_NEST	3000

static void network_init(struct request *r, FIXTURE_DATA(xrelay) *self, __u8 cmd, __u32 id)
{
	cmd_init(r, self, cmd);
	put_u32(r, XRELAY_A_NETWORK_ID, id);
}

/* A network request whose admission allows the one prefix ADDR/LEN. */
static void network_with_prefix(struct request *r, FIXTURE_DATA(xrelay) *self, __u8 cmd,
				__u32 id, const char *addr, __u8 len)
{
	network_init(r, self, cmd, id);
	nest_start(r, XRELAY_A_NETWORK_ADMISSION);
	put_prefix(r, XRELAY_A_ADMISSION_ALLOW, addr, len);
	nest_end(r);
}

/*
 * A network request allowing @count distinct /24s (10.0.0.0/24 onwards),
 * spread over as many admission nests as they need; the caller releases it.
 */
static void network_with_many_prefixes(struct request *r, FIXTURE_DATA(xrelay) *self,
				       __u8 cmd, __u32 id, __u32 count)
{
	/* A prefix nest: its header, an IPv4 and a length attribute, 20 bytes. */
	size_t prefix_size = 3 * NLA_HDRLEN + 4 + NLA_ALIGN(1);
	int big = 4 << 20;
	__u32 i;

	network_init(r, self, cmd, id);
	req_reserve(r, r->nlh->nlmsg_len + count * prefix_size +
		       (count / PREFIXES_PER_NEST + 1) * NLA_HDRLEN);
	for (i = 0; i < count; i++) {
		char addr[INET_ADDRSTRLEN];

		if (i % PREFIXES_PER_NEST == 0) {
			if (i)
				nest_end(r);
			nest_start(r, XRELAY_A_NETWORK_ADMISSION);
		}
		snprintf(addr, sizeof(addr), "%u.%u.%u.0", 10 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
		put_prefix(r, XRELAY_A_ADMISSION_ALLOW, addr, 24);
	}
	if (count)
		nest_end(r);
	/* As root the socket may take what the default send buffer would not. */
	setsockopt(self->nl.fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
}

/* Entries of @type in the nests of type @nest_type among @len bytes at @head. */
static int count_nested(const void *head, int len, __u16 nest_type, __u16 type)
{
	const struct nlattr *nla, *inner;
	int inner_len, n = 0;

	for (nla = head; len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN && nla->nla_len <= len;
	     len -= NLA_ALIGN(nla->nla_len),
	     nla = (const void *)((const char *)nla + NLA_ALIGN(nla->nla_len))) {
		if ((nla->nla_type & NLA_TYPE_MASK) != nest_type)
			continue;
		inner_len = nla->nla_len - NLA_HDRLEN;
		for (inner = (const void *)((const char *)nla + NLA_HDRLEN);
		     inner_len >= NLA_HDRLEN && inner->nla_len >= NLA_HDRLEN &&
		     inner->nla_len <= inner_len;
		     inner_len -= NLA_ALIGN(inner->nla_len),
		     inner = (const void *)((const char *)inner + NLA_ALIGN(inner->nla_len)))
			if (type == 0 || (inner->nla_type & NLA_TYPE_MASK) == type)
				n++;
	}
	return n;
}

/* How many prefixes of list @type (allow, deny) a network message's admission nests hold. */
static int msg_prefixes(const struct nlmsghdr *nlh, __u16 type)
{
	return count_nested((const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
			    nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), XRELAY_A_NETWORK_ADMISSION,
			    type);
}

static int reply_prefixes(const struct reply *rep, __u16 type)
{
	return rep->parts ? msg_prefixes((const struct nlmsghdr *)rep->first, type) : -1;
}

/*
 * network-get of network @id, however big the reply: how many allowed and
 * denied prefixes it reports (-1 each without a reply). Returns the
 * request's error or the socket's, 0 or -errno.
 */
static int network_prefixes(FIXTURE_DATA(xrelay) *self, __u32 id, int *allow, int *deny)
{
	int error = -EIO, big = 16 << 20;
	struct request r;
	size_t size = 0;
	char *buf = NULL;
	ssize_t len;

	*allow = *deny = -1;
	/* Room for the reply and the ack after it, as root may ask. */
	setsockopt(self->nl.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	network_init(&r, self, XRELAY_CMD_NETWORK_GET, id);
	r.nlh->nlmsg_seq = ++self->nl.seq;
	if (send(self->nl.fd, r.buf, r.nlh->nlmsg_len, 0) != (ssize_t)r.nlh->nlmsg_len)
		return error;
	while ((len = nl_recv(self->nl.fd, &buf, &size)) > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

		if (!NLMSG_OK(nlh, len) || nlh->nlmsg_seq != self->nl.seq)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			error = ((const struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			break;
		}
		*allow = msg_prefixes(nlh, XRELAY_A_ADMISSION_ALLOW);
		*deny = msg_prefixes(nlh, XRELAY_A_ADMISSION_DENY);
	}
	if (len < 0)
		error = -errno;
	free(buf);
	return error;
}

static __u8 reply_u8(const struct reply *rep, __u16 type)
{
	const struct nlattr *nla = reply_attr(rep, type);

	return nla ? *((const __u8 *)nla + NLA_HDRLEN) : 0xff;
}

static __u64 reply_u64(const struct reply *rep, __u16 type)
{
	const struct nlattr *nla = reply_attr(rep, type);
	__u64 v = 0;

	if (nla)
		memcpy(&v, (const char *)nla + NLA_HDRLEN, sizeof(v));
	return v;
}

TEST_F(xrelay, network_new_every_option)
{
	struct request r;
	struct reply rep;
	struct netns_counts after;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_ADMISSION);
	put_prefix(&r, XRELAY_A_ADMISSION_ALLOW, "198.51.100.0", 24);
	put_prefix(&r, XRELAY_A_ADMISSION_ALLOW, "2001:db8:b::", 48);
	put_prefix(&r, XRELAY_A_ADMISSION_DENY, "198.51.100.128", 25);
	put_prefix(&r, XRELAY_A_ADMISSION_DENY, "2001:db8:b::66", 128);
	put_prefix(&r, XRELAY_A_ADMISSION_DENY, "0.0.0.0", 0);
	nest_end(&r);
	nest_start(&r, XRELAY_A_NETWORK_RATE_LIMIT);
	put_u64(&r, XRELAY_A_RATE_PACKETS_PER_SECOND, 100000);
	put_u64(&r, XRELAY_A_RATE_BURST_PACKETS, 1000);
	put_u64(&r, XRELAY_A_RATE_BITS_PER_SECOND, 1000000000);
	put_u64(&r, XRELAY_A_RATE_BURST_BYTES, 1500000);
	nest_end(&r);
	nest_start(&r, XRELAY_A_NETWORK_SESSION_RATE_LIMIT);
	put_u64(&r, XRELAY_A_RATE_BITS_PER_SECOND, 8);
	nest_end(&r);
	put_u64(&r, XRELAY_A_NETWORK_SESSION_QUOTA, 50000000000ULL);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 1);
	put_u8(&r, XRELAY_A_NETWORK_PROTOCOL, XRELAY_PROTOCOL_ANY);
	expect_ok(_metadata, self, &r, &rep);
	netns_counts(_metadata, self, &after);
	EXPECT_EQ(self->before.networks + 1, after.networks);

	network_init(&r, self, XRELAY_CMD_NETWORK_GET, OTHER_NETWORK);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_EQ(OTHER_NETWORK, reply_u32(&rep, XRELAY_A_NETWORK_ID));
	EXPECT_EQ(2, reply_prefixes(&rep, XRELAY_A_ADMISSION_ALLOW));
	EXPECT_EQ(3, reply_prefixes(&rep, XRELAY_A_ADMISSION_DENY));
	EXPECT_NE(NULL, reply_attr(&rep, XRELAY_A_NETWORK_RATE_LIMIT));
	EXPECT_NE(NULL, reply_attr(&rep, XRELAY_A_NETWORK_SESSION_RATE_LIMIT));
	EXPECT_EQ(50000000000ULL, reply_u64(&rep, XRELAY_A_NETWORK_SESSION_QUOTA));
	EXPECT_EQ(1, reply_u32(&rep, XRELAY_A_NETWORK_MAX_SESSIONS));
	EXPECT_EQ(0, reply_u32(&rep, XRELAY_A_NETWORK_SESSIONS));
	EXPECT_NE(NULL, reply_attr(&rep, XRELAY_A_NETWORK_STATS));
}

TEST_F(xrelay, network_new_without_policy)
{
	struct request r;
	struct reply rep;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	expect_ok(_metadata, self, &r, &rep);
	network_init(&r, self, XRELAY_CMD_NETWORK_GET, OTHER_NETWORK);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_EQ(NULL, reply_attr(&rep, XRELAY_A_NETWORK_ADMISSION));
	EXPECT_EQ(NULL, reply_attr(&rep, XRELAY_A_NETWORK_RATE_LIMIT));
	EXPECT_EQ(NULL, reply_attr(&rep, XRELAY_A_NETWORK_MAX_SESSIONS));
}

/*
 * The longest list, 65536 prefixes: more than one attribute holds, so the
 * request spreads them over several admission nests, and so does the reply.
 */
TEST_F(xrelay, network_new_most_prefixes)
{
	struct netns_counts after;
	struct request r;
	struct reply rep;
	int allow, deny, err;

	network_with_many_prefixes(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK,
				   XRELAY_MAX_PREFIXES);
	expect_ok(_metadata, self, &r, &rep);
	req_release(&r);
	netns_counts(_metadata, self, &after);
	EXPECT_EQ(self->before.networks + 1, after.networks);
	err = network_prefixes(self, OTHER_NETWORK, &allow, &deny);
	EXPECT_EQ(0, err) TH_LOG("network-get of the longest list: %s", strerror(-err));
	EXPECT_EQ(XRELAY_MAX_PREFIXES, allow);
	EXPECT_EQ(0, deny);
}

TEST_F(xrelay, network_new_too_many_prefixes)
{
	struct request r;

	network_with_many_prefixes(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK,
				   XRELAY_MAX_PREFIXES + 1);
	expect_module_error(&r, E2BIG);
	req_release(&r);
}

TEST_F(xrelay, network_new_missing_id)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_NETWORK_NEW);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 5);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_id_zero)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, 0);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_id_as_u64)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_NETWORK_NEW);
	put_u64(&r, XRELAY_A_NETWORK_ID, OTHER_NETWORK);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_duplicate)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, NETWORK);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 5);
	expect_module_error(&r, EEXIST);
}

TEST_F(xrelay, network_new_reply_only_attribute)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	put_u32(&r, XRELAY_A_NETWORK_SESSIONS, 3);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_unknown_attribute)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	put_u32(&r, XRELAY_A_NETWORK_MAX + 1, 3);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_prefix_host_bits)
{
	struct request r;

	network_with_prefix(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK, "192.0.2.1", 24);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_prefix_host_bits_ipv6)
{
	struct request r;

	network_with_prefix(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK, "2001:db8:a::1", 64);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_ipv4_prefix_len_33)
{
	struct request r;

	network_with_prefix(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK, "192.0.2.0", 33);
	expect_module_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_prefix_len_129)
{
	struct request r;

	network_with_prefix(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK, "2001:db8:a::", 129);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_prefix_without_len)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_ADMISSION);
	nest_start(&r, XRELAY_A_ADMISSION_DENY);
	put_in4(&r, XRELAY_A_PREFIX_IPV4, "192.0.2.0");
	nest_end(&r);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_prefix_without_address)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_ADMISSION);
	nest_start(&r, XRELAY_A_ADMISSION_DENY);
	put_u8(&r, XRELAY_A_PREFIX_LEN, 24);
	nest_end(&r);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_prefix_both_families)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_ADMISSION);
	nest_start(&r, XRELAY_A_ADMISSION_ALLOW);
	put_in4(&r, XRELAY_A_PREFIX_IPV4, "192.0.2.0");
	put_in6(&r, XRELAY_A_PREFIX_IPV6, "2001:db8:a::");
	put_u8(&r, XRELAY_A_PREFIX_LEN, 24);
	nest_end(&r);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_prefix_ipv6_of_15_bytes)
{
	static const char addr15[15] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_ADMISSION);
	nest_start(&r, XRELAY_A_ADMISSION_ALLOW);
	put_attr(&r, XRELAY_A_PREFIX_IPV6, addr15, sizeof(addr15));
	put_u8(&r, XRELAY_A_PREFIX_LEN, 32);
	nest_end(&r);
	nest_end(&r);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_prefix_ipv4_as_u8)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_ADMISSION);
	nest_start(&r, XRELAY_A_ADMISSION_ALLOW);
	put_u8(&r, XRELAY_A_PREFIX_IPV4, 192);
	put_u8(&r, XRELAY_A_PREFIX_LEN, 8);
	nest_end(&r);
	nest_end(&r);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_allow_not_nested)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_ADMISSION);
	put_u32(&r, XRELAY_A_ADMISSION_ALLOW, 0xc0000200);
	nest_end(&r);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_unknown_admission_attribute)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_ADMISSION);
	put_prefix(&r, XRELAY_A_ADMISSION_ALLOW, "192.0.2.0", 24);
	put_u32(&r, XRELAY_A_ADMISSION_MAX + 1, 1);
	nest_end(&r);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_unknown_prefix_attribute)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_ADMISSION);
	nest_start(&r, XRELAY_A_ADMISSION_ALLOW);
	put_in4(&r, XRELAY_A_PREFIX_IPV4, "192.0.2.0");
	put_u8(&r, XRELAY_A_PREFIX_LEN, 24);
	put_u8(&r, XRELAY_A_PREFIX_MAX + 1, 1);
	nest_end(&r);
	nest_end(&r);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_rate_pps_zero)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	put_rate(&r, XRELAY_A_NETWORK_RATE_LIMIT, 0, 10);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_rate_burst_zero)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	put_rate(&r, XRELAY_A_NETWORK_SESSION_RATE_LIMIT, 100, 0);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_rate_bps_below_8)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_RATE_LIMIT);
	put_u64(&r, XRELAY_A_RATE_BITS_PER_SECOND, 7);
	nest_end(&r);
	expect_policy_error(&r, ERANGE);
}

/* Faster than the buckets can tell apart: refused, not silently slower. */
TEST_F(xrelay, network_new_rate_u64_max)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_RATE_LIMIT);
	put_u64(&r, XRELAY_A_RATE_PACKETS_PER_SECOND, UINT64_MAX);
	nest_end(&r);
	expect_policy_error(&r, ERANGE);

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_RATE_LIMIT);
	put_u64(&r, XRELAY_A_RATE_BITS_PER_SECOND, UINT64_MAX);
	nest_end(&r);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_rate_burst_bytes_zero)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_RATE_LIMIT);
	put_u64(&r, XRELAY_A_RATE_BITS_PER_SECOND, 8000);
	put_u64(&r, XRELAY_A_RATE_BURST_BYTES, 0);
	nest_end(&r);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_rate_pps_as_u32)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_RATE_LIMIT);
	put_u32(&r, XRELAY_A_RATE_PACKETS_PER_SECOND, 100);
	nest_end(&r);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_unknown_rate_attribute)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_RATE_LIMIT);
	put_u64(&r, XRELAY_A_RATE_PACKETS_PER_SECOND, 100);
	put_u64(&r, XRELAY_A_RATE_MAX + 1, 100);
	nest_end(&r);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_new_session_quota_zero)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	put_u64(&r, XRELAY_A_NETWORK_SESSION_QUOTA, 0);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_max_sessions_zero)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 0);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_unknown_protocol)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	put_u8(&r, XRELAY_A_NETWORK_PROTOCOL, XRELAY_PROTOCOL_MAX + 1);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, network_new_protocol_as_u32)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	put_u32(&r, XRELAY_A_NETWORK_PROTOCOL, XRELAY_PROTOCOL_WIREGUARD);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_set_replaces_everything)
{
	struct request r;
	struct reply rep;

	network_init(&r, self, XRELAY_CMD_NETWORK_SET, NETWORK);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 5);
	expect_ok(_metadata, self, &r, &rep);
	network_init(&r, self, XRELAY_CMD_NETWORK_GET, NETWORK);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_EQ(5, reply_u32(&rep, XRELAY_A_NETWORK_MAX_SESSIONS));
	EXPECT_EQ(NULL, reply_attr(&rep, XRELAY_A_NETWORK_ADMISSION));
	EXPECT_EQ(NULL, reply_attr(&rep, XRELAY_A_NETWORK_RATE_LIMIT));
	EXPECT_EQ(NULL, reply_attr(&rep, XRELAY_A_NETWORK_SESSION_RATE_LIMIT));
	EXPECT_EQ(NULL, reply_attr(&rep, XRELAY_A_NETWORK_SESSION_QUOTA));
	EXPECT_EQ(NULL, reply_attr(&rep, XRELAY_A_NETWORK_PROTOCOL));
	EXPECT_EQ(1, reply_u32(&rep, XRELAY_A_NETWORK_SESSIONS));
}

TEST_F(xrelay, network_set_nonexistent)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_SET, OTHER_NETWORK);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 5);
	expect_module_error(&r, ENOENT);
}

TEST_F(xrelay, network_set_missing_id)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_NETWORK_SET);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 5);
	expect_module_error(&r, EINVAL);
}

/* One bad prefix among good ones: the whole replace is refused. */
TEST_F(xrelay, network_set_prefix_host_bits)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_SET, NETWORK);
	nest_start(&r, XRELAY_A_NETWORK_ADMISSION);
	put_prefix(&r, XRELAY_A_ADMISSION_ALLOW, "192.0.2.0", 24);
	put_prefix(&r, XRELAY_A_ADMISSION_DENY, "192.0.2.64", 25);
	nest_end(&r);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 5);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_set_too_many_prefixes)
{
	struct request r;

	network_with_many_prefixes(&r, self, XRELAY_CMD_NETWORK_SET, NETWORK,
				   XRELAY_MAX_PREFIXES + 1);
	expect_module_error(&r, E2BIG);
	req_release(&r);
}

TEST_F(xrelay, network_set_rate_pps_zero)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_SET, NETWORK);
	put_rate(&r, XRELAY_A_NETWORK_RATE_LIMIT, 0, 10);
	expect_policy_error(&r, ERANGE);
}

/* A replace's cap holds from the next session-new on. */
TEST_F(xrelay, network_set_cap_reached)
{
	struct request r;
	struct reply rep;

	network_init(&r, self, XRELAY_CMD_NETWORK_SET, NETWORK);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 1);
	expect_ok(_metadata, self, &r, &rep);
	take_baseline(_metadata, self);

	session_new_init(&r, self, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, &rep));
	EXPECT_EQ(-ENOSPC, rep.error) TH_LOG("got %s (%s)", strerror(-rep.error), rep.message);
	EXPECT_NE(NULL, strstr(rep.message, "network")) TH_LOG("message: '%s'", rep.message);
	EXPECT_NE(NULL, strstr(rep.message, "session limit")) TH_LOG("message: '%s'", rep.message);
	expect_counts_unchanged(_metadata, self);
}

TEST_F(xrelay, network_del_with_sessions)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_DEL, NETWORK);
	expect_module_error(&r, EBUSY);
}

TEST_F(xrelay, network_del_without_sessions)
{
	struct netns_counts after;
	struct request r;
	struct reply rep;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	expect_ok(_metadata, self, &r, &rep);
	network_init(&r, self, XRELAY_CMD_NETWORK_DEL, OTHER_NETWORK);
	expect_ok(_metadata, self, &r, &rep);
	netns_counts(_metadata, self, &after);
	EXPECT_EQ(self->before.networks, after.networks);
	network_init(&r, self, XRELAY_CMD_NETWORK_GET, OTHER_NETWORK);
	expect_module_error(&r, ENOENT);
}

TEST_F(xrelay, network_del_nonexistent)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_DEL, OTHER_NETWORK);
	expect_module_error(&r, ENOENT);
}

TEST_F(xrelay, network_del_missing_id)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_NETWORK_DEL);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_del_unknown_attribute)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_DEL, NETWORK);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 5);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, network_get_lists_and_totals)
{
	struct request r;
	struct reply rep;

	network_init(&r, self, XRELAY_CMD_NETWORK_GET, NETWORK);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_EQ(2, reply_prefixes(&rep, XRELAY_A_ADMISSION_ALLOW));
	EXPECT_EQ(1, reply_prefixes(&rep, XRELAY_A_ADMISSION_DENY));
	EXPECT_EQ(1, reply_u32(&rep, XRELAY_A_NETWORK_SESSIONS));
	EXPECT_EQ(8, reply_u32(&rep, XRELAY_A_NETWORK_MAX_SESSIONS));
	EXPECT_EQ(XRELAY_PROTOCOL_WIREGUARD, reply_u8(&rep, XRELAY_A_NETWORK_PROTOCOL));
	EXPECT_NE(NULL, reply_attr(&rep, XRELAY_A_NETWORK_STATS));
}

TEST_F(xrelay, network_get_dump_without_lists)
{
	struct request r;
	struct reply rep;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	expect_ok(_metadata, self, &r, &rep);
	genl_req_init(&r, self->family, XRELAY_CMD_NETWORK_GET, NLM_F_DUMP);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_EQ(2, rep.parts);
	EXPECT_NE(0, reply_u32(&rep, XRELAY_A_NETWORK_ID));
	EXPECT_EQ(NULL, reply_attr(&rep, XRELAY_A_NETWORK_ADMISSION));
}

TEST_F(xrelay, network_get_nonexistent)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_GET, OTHER_NETWORK);
	expect_module_error(&r, ENOENT);
}

TEST_F(xrelay, network_get_missing_id)
{
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_NETWORK_GET);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_get_unknown_attribute)
{
	struct request r;

	network_init(&r, self, XRELAY_CMD_NETWORK_GET, NETWORK);
	put_u8(&r, XRELAY_A_NETWORK_PROTOCOL, 0);
	expect_policy_error(&r, EINVAL);
}

/* ---- hubs: a network's ruleset for the traffic it forwards ---- */

#define HUB_IFNAME	"wg-base"	/* the baseline network's hub, once hub_baseline() ran */

static void put_string(struct request *r, __u16 type, const char *s)
{
	put_attr(r, type, s, strlen(s) + 1);
}

/* A hub group nest: @name, with the one member ADDR/LEN. */
static void put_hub_group(struct request *r, const char *name, const char *addr, __u8 len)
{
	nest_start(r, XRELAY_A_HUB_GROUP);
	put_string(r, XRELAY_A_HUB_GROUP_NAME, name);
	put_prefix(r, XRELAY_A_HUB_GROUP_MEMBER, addr, len);
	nest_end(r);
}

/*
 * A hub nest on interface @ifname (none if NULL), default locked, with the
 * group "admins" (10.9.0.0/24) and a rule letting admins reach tcp/22;
 * left open for more, nest_end() closes it.
 */
static void hub_start(struct request *r, const char *ifname)
{
	nest_start(r, XRELAY_A_NETWORK_HUB);
	if (ifname)
		put_string(r, XRELAY_A_HUB_INTERFACE, ifname);
	put_u8(r, XRELAY_A_HUB_DEFAULT, XRELAY_HUB_DEFAULT_LOCKED);
	put_hub_group(r, "admins", "10.9.0.0", 24);
	nest_start(r, XRELAY_A_HUB_RULE);
	put_u8(r, XRELAY_A_HUB_RULE_ACTION, XRELAY_ACL_ACTION_ALLOW);
	put_string(r, XRELAY_A_HUB_RULE_FROM_GROUP, "admins");
	put_u8(r, XRELAY_A_HUB_RULE_PROTOCOL, IPPROTO_TCP);
	put_u16(r, XRELAY_A_HUB_RULE_PORT_MIN, 22);
	nest_end(r);
}

/* A network-set of the baseline network: its policy, and a hub still open. */
static void hub_set_init(struct request *r, FIXTURE_DATA(xrelay) *self, const char *ifname)
{
	network_init(r, self, XRELAY_CMD_NETWORK_SET, NETWORK);
	put_baseline_policy(r);
	hub_start(r, ifname);
}

/*
 * The baseline network gets a hub on HUB_IFNAME, and the baseline is taken
 * again: a refused request must leave that hub as it was.
 */
static void hub_baseline(struct __test_metadata *_metadata, FIXTURE_DATA(xrelay) *self)
{
	struct request r;
	struct reply rep;

	hub_set_init(&r, self, HUB_IFNAME);
	nest_end(&r);
	expect_ok(_metadata, self, &r, &rep);
	take_baseline(_metadata, self);
	ASSERT_NE(NULL, attr_find(self->policy + GENL_HDRLEN, self->policy_len - GENL_HDRLEN,
				  XRELAY_A_NETWORK_HUB));
}

static const char *attr_str(const struct nlattr *nla)
{
	return nla ? (const char *)nla + NLA_HDRLEN : "(absent)";
}

static __u64 attr_u64(const struct nlattr *nla)
{
	__u64 v = 0;

	if (nla)
		memcpy(&v, (const char *)nla + NLA_HDRLEN, sizeof(v));
	return v;
}

TEST_F(xrelay, network_new_hub_reads_back)
{
	const struct nlattr *hub, *rule;
	struct request r;
	struct reply rep;
	int len;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	hub_start(&r, "wg-other");
	nest_end(&r);
	expect_ok(_metadata, self, &r, &rep);
	network_init(&r, self, XRELAY_CMD_NETWORK_GET, OTHER_NETWORK);
	expect_ok(_metadata, self, &r, &rep);
	hub = reply_attr(&rep, XRELAY_A_NETWORK_HUB);
	ASSERT_NE(NULL, hub);
	len = hub->nla_len - NLA_HDRLEN;
	hub = (const void *)((const char *)hub + NLA_HDRLEN);
	EXPECT_STREQ("wg-other", attr_str(attr_find(hub, len, XRELAY_A_HUB_INTERFACE)));
	EXPECT_NE(NULL, attr_find(hub, len, XRELAY_A_HUB_GROUP));
	EXPECT_NE(NULL, attr_find(hub, len, XRELAY_A_HUB_DEFAULT_HITS));
	EXPECT_EQ(0, attr_u64(attr_find(hub, len, XRELAY_A_HUB_DEFAULT_HITS)));
	rule = attr_find(hub, len, XRELAY_A_HUB_RULE);
	ASSERT_NE(NULL, rule);
	len = rule->nla_len - NLA_HDRLEN;
	rule = (const void *)((const char *)rule + NLA_HDRLEN);
	EXPECT_STREQ("admins", attr_str(attr_find(rule, len, XRELAY_A_HUB_RULE_FROM_GROUP)));
	/* A port-min alone is a range of one. */
	EXPECT_NE(NULL, attr_find(rule, len, XRELAY_A_HUB_RULE_PORT_MAX));
	EXPECT_NE(NULL, attr_find(rule, len, XRELAY_A_HUB_RULE_HITS));
}

TEST_F(xrelay, network_set_hub_unknown_group)
{
	struct request r;

	hub_baseline(_metadata, self);
	hub_set_init(&r, self, HUB_IFNAME);
	nest_start(&r, XRELAY_A_HUB_RULE);
	put_u8(&r, XRELAY_A_HUB_RULE_ACTION, XRELAY_ACL_ACTION_DENY);
	put_string(&r, XRELAY_A_HUB_RULE_TO_GROUP, "nobody");
	nest_end(&r);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_set_hub_without_interface)
{
	struct request r;

	hub_baseline(_metadata, self);
	hub_set_init(&r, self, NULL);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_set_hub_ports_without_protocol)
{
	struct request r;

	hub_baseline(_metadata, self);
	hub_set_init(&r, self, HUB_IFNAME);
	nest_start(&r, XRELAY_A_HUB_RULE);
	put_u8(&r, XRELAY_A_HUB_RULE_ACTION, XRELAY_ACL_ACTION_DENY);
	put_u16(&r, XRELAY_A_HUB_RULE_PORT_MIN, 23);
	nest_end(&r);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_set_hub_port_max_below_min)
{
	struct request r;

	hub_baseline(_metadata, self);
	hub_set_init(&r, self, HUB_IFNAME);
	nest_start(&r, XRELAY_A_HUB_RULE);
	put_u8(&r, XRELAY_A_HUB_RULE_ACTION, XRELAY_ACL_ACTION_DENY);
	put_u8(&r, XRELAY_A_HUB_RULE_PROTOCOL, IPPROTO_UDP);
	put_u16(&r, XRELAY_A_HUB_RULE_PORT_MIN, 1000);
	put_u16(&r, XRELAY_A_HUB_RULE_PORT_MAX, 999);
	nest_end(&r);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_set_hub_duplicate_group)
{
	struct request r;

	hub_baseline(_metadata, self);
	hub_set_init(&r, self, HUB_IFNAME);
	put_hub_group(&r, "admins", "10.8.0.0", 16);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

/* An interface belongs to one network's hub at most. */
TEST_F(xrelay, network_new_hub_interface_taken)
{
	struct request r;

	hub_baseline(_metadata, self);
	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	hub_start(&r, HUB_IFNAME);
	nest_end(&r);
	expect_module_error(&r, EEXIST);
}

TEST_F(xrelay, network_set_hub_rule_hits)
{
	struct request r;

	hub_baseline(_metadata, self);
	hub_set_init(&r, self, HUB_IFNAME);
	nest_start(&r, XRELAY_A_HUB_RULE);
	put_u8(&r, XRELAY_A_HUB_RULE_ACTION, XRELAY_ACL_ACTION_DENY);
	put_u64(&r, XRELAY_A_HUB_RULE_HITS, 5);
	nest_end(&r);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, network_set_hub_default_hits)
{
	struct request r;

	hub_baseline(_metadata, self);
	hub_set_init(&r, self, HUB_IFNAME);
	put_u64(&r, XRELAY_A_HUB_DEFAULT_HITS, 5);
	nest_end(&r);
	expect_module_error(&r, EINVAL);
}

/*
 * A network request whose hub lists @count interfaces "n<id>-<i>", i from
 * @first on, with the ruleset of hub_start() after them; the caller
 * releases it.
 */
static void hub_with_interfaces(struct request *r, FIXTURE_DATA(xrelay) *self, __u8 cmd,
				__u32 id, __u32 first, __u32 count)
{
	char name[IFNAMSIZ];
	__u32 i;

	network_init(r, self, cmd, id);
	req_reserve(r, r->nlh->nlmsg_len + count * NLA_ALIGN(NLA_HDRLEN + IFNAMSIZ) + 512);
	nest_start(r, XRELAY_A_NETWORK_HUB);
	for (i = first; i < first + count; i++) {
		snprintf(name, sizeof(name), "n%u-%u", id, i);
		put_string(r, XRELAY_A_HUB_INTERFACE, name);
	}
	nest_end(r);
	hub_start(r, NULL);
	nest_end(r);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec + (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Sends @r, which must succeed, and releases it; returns how long it took. */
static double timed_ok(struct __test_metadata *_metadata, FIXTURE_DATA(xrelay) *self,
		       struct request *r)
{
	struct timespec start;
	struct reply rep;

	clock_gettime(CLOCK_MONOTONIC, &start);
	expect_ok(_metadata, self, r, &rep);
	req_release(r);
	return seconds_since(&start);
}

/*
 * A hub as large as it may be, and a namespace full of them: every change
 * costs the changed network's interfaces, not the namespace's. Indexing
 * them all again on every change, as hubs once were, took minutes here.
 */
#define HUB_NETWORKS		32
#define HUB_FIRST_NETWORK	100
#define HUB_BOUND_SECONDS	20.0

TEST_F(xrelay, network_hubs_many_changes_bounded)
{
	double create = 0, replace = 0, delete = 0;
	struct timespec start;
	struct request r;
	__u32 id, round;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (id = HUB_FIRST_NETWORK; id < HUB_FIRST_NETWORK + HUB_NETWORKS; id++) {
		hub_with_interfaces(&r, self, XRELAY_CMD_NETWORK_NEW, id, 0,
				    XRELAY_MAX_HUB_INTERFACES);
		create += timed_ok(_metadata, self, &r);
	}
	/* Each replacement keeps half of the interfaces and takes as many new ones. */
	for (round = 1; round <= 2; round++) {
		for (id = HUB_FIRST_NETWORK; id < HUB_FIRST_NETWORK + HUB_NETWORKS; id++) {
			hub_with_interfaces(&r, self, XRELAY_CMD_NETWORK_SET, id,
					    round * XRELAY_MAX_HUB_INTERFACES / 2,
					    XRELAY_MAX_HUB_INTERFACES);
			replace += timed_ok(_metadata, self, &r);
		}
	}
	for (id = HUB_FIRST_NETWORK; id < HUB_FIRST_NETWORK + HUB_NETWORKS; id++) {
		network_init(&r, self, XRELAY_CMD_NETWORK_DEL, id);
		delete += timed_ok(_metadata, self, &r);
	}
	TH_LOG("%d networks of %d hub interfaces: network-new %.2f ms, network-set %.2f ms, "
	       "network-del %.2f ms on average", HUB_NETWORKS, XRELAY_MAX_HUB_INTERFACES,
	       create * 1e3 / HUB_NETWORKS, replace * 1e3 / (2 * HUB_NETWORKS),
	       delete * 1e3 / HUB_NETWORKS);
	EXPECT_GT(HUB_BOUND_SECONDS, seconds_since(&start));
	expect_counts_unchanged(_metadata, self);
}

/* What a replacement drops is free for another network; what it keeps is not. */
TEST_F(xrelay, network_set_hub_frees_dropped_interfaces)
{
	char name[IFNAMSIZ];
	struct request r;
	struct reply rep;

	hub_with_interfaces(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK, 0, 4);
	expect_ok(_metadata, self, &r, &rep);
	req_release(&r);
	hub_with_interfaces(&r, self, XRELAY_CMD_NETWORK_SET, OTHER_NETWORK, 2, 4);
	expect_ok(_metadata, self, &r, &rep);
	req_release(&r);
	take_baseline(_metadata, self);

	/* Interface 1 was dropped, 2 kept: the latter is still taken. */
	snprintf(name, sizeof(name), "n%u-2", OTHER_NETWORK);
	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK + 1);
	nest_start(&r, XRELAY_A_NETWORK_HUB);
	put_string(&r, XRELAY_A_HUB_INTERFACE, name);
	nest_end(&r);
	expect_module_error(&r, EEXIST);
	snprintf(name, sizeof(name), "n%u-1", OTHER_NETWORK);
	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK + 1);
	nest_start(&r, XRELAY_A_NETWORK_HUB);
	put_string(&r, XRELAY_A_HUB_INTERFACE, name);
	nest_end(&r);
	expect_ok(_metadata, self, &r, &rep);
}

TEST_F(xrelay, network_set_hub_max_interfaces)
{
	const struct nlattr *hub;
	struct request r;
	struct reply rep;
	int len, n = 0;

	hub_with_interfaces(&r, self, XRELAY_CMD_NETWORK_SET, NETWORK, 0,
			    XRELAY_MAX_HUB_INTERFACES);
	TH_LOG("network-set of %d hub interfaces: %.2f ms", XRELAY_MAX_HUB_INTERFACES,
	       timed_ok(_metadata, self, &r) * 1e3);
	network_init(&r, self, XRELAY_CMD_NETWORK_GET, NETWORK);
	expect_ok(_metadata, self, &r, &rep);
	hub = reply_attr(&rep, XRELAY_A_NETWORK_HUB);
	ASSERT_NE(NULL, hub);
	len = hub->nla_len - NLA_HDRLEN;
	for (hub = (const void *)((const char *)hub + NLA_HDRLEN);
	     len >= NLA_HDRLEN && hub->nla_len >= NLA_HDRLEN && hub->nla_len <= len;
	     len -= NLA_ALIGN(hub->nla_len),
	     hub = (const void *)((const char *)hub + NLA_ALIGN(hub->nla_len)))
		n += (hub->nla_type & NLA_TYPE_MASK) == XRELAY_A_HUB_INTERFACE;
	EXPECT_EQ(XRELAY_MAX_HUB_INTERFACES, n);
}

TEST_F(xrelay, network_set_hub_too_many_interfaces)
{
	struct request r;

	hub_baseline(_metadata, self);
	hub_with_interfaces(&r, self, XRELAY_CMD_NETWORK_SET, NETWORK, 0,
			    XRELAY_MAX_HUB_INTERFACES + 1);
	expect_module_error(&r, E2BIG);
	req_release(&r);
}

TEST_F(xrelay, network_set_hub_too_many_rules)
{
	struct request r;
	int i;

	hub_baseline(_metadata, self);
	hub_set_init(&r, self, HUB_IFNAME);
	req_reserve(&r, r.nlh->nlmsg_len + (XRELAY_MAX_HUB_RULES + 1) * 16 + 64);
	for (i = 0; i < XRELAY_MAX_HUB_RULES; i++) {
		nest_start(&r, XRELAY_A_HUB_RULE);
		put_u8(&r, XRELAY_A_HUB_RULE_ACTION, XRELAY_ACL_ACTION_DENY);
		nest_end(&r);
	}
	nest_end(&r);
	expect_module_error(&r, E2BIG);
	req_release(&r);
}

/*
 * Names dev_valid_name() refuses are no interface's: refused, the message
 * naming the attribute.
 */
TEST_F(xrelay, network_set_hub_invalid_interface_names)
{
	static const char *const names[] = { "a/b", "a b", ".", "..", "a:b", "tab\tx", "nl\n" };
	struct request r;
	struct reply rep;
	__u32 offset;
	size_t i;

	hub_baseline(_metadata, self);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		hub_set_init(&r, self, HUB_IFNAME);
		offset = NLMSG_ALIGN(r.nlh->nlmsg_len);
		put_string(&r, XRELAY_A_HUB_INTERFACE, names[i]);
		nest_end(&r);
		ASSERT_EQ(0, nl_talk(&self->nl, &r, &rep));
		EXPECT_EQ(-EINVAL, rep.error) TH_LOG("\"%s\": %s", names[i], rep.message);
		EXPECT_EQ(offset, rep.bad_attr) TH_LOG("\"%s\": the message names another attribute",
						       names[i]);
		EXPECT_EQ(0, strncmp(rep.message, "xrelay: ", 8));
	}
	expect_counts_unchanged(_metadata, self);
}

/* Found as a duplicate however far apart; the message names the second. */
TEST_F(xrelay, network_set_hub_duplicate_interface)
{
	struct request r;
	struct reply rep;
	__u32 offset;

	hub_baseline(_metadata, self);
	hub_with_interfaces(&r, self, XRELAY_CMD_NETWORK_SET, NETWORK, 0, 200);
	/* Into the hub nest hub_with_interfaces() closed: a second one, taken together. */
	nest_start(&r, XRELAY_A_NETWORK_HUB);
	offset = NLMSG_ALIGN(r.nlh->nlmsg_len);
	put_string(&r, XRELAY_A_HUB_INTERFACE, "n10-7");
	nest_end(&r);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, &rep));
	EXPECT_EQ(-EINVAL, rep.error) TH_LOG("%s", rep.message);
	EXPECT_EQ(offset, rep.bad_attr);
	req_release(&r);
	expect_counts_unchanged(_metadata, self);
}

/* ---- session-new: the session's own policy ---- */

/* A side on @port whose admission lists the one prefix ADDR/LEN. */
static void put_side_with_prefix(struct request *r, __u16 side, __u16 port, __u16 list,
				 const char *addr, __u8 len)
{
	nest_start(r, side);
	put_u16(r, XRELAY_A_SIDE_PORT, port);
	nest_start(r, XRELAY_A_SIDE_ADMISSION);
	put_prefix(r, list, addr, len);
	nest_end(r);
	nest_end(r);
}

/* A side on @port allowing @count distinct /32s of 192.0.2.0/24. */
static void put_side_with_prefixes(struct request *r, __u16 side, __u16 port, int count)
{
	int i;

	nest_start(r, side);
	put_u16(r, XRELAY_A_SIDE_PORT, port);
	nest_start(r, XRELAY_A_SIDE_ADMISSION);
	for (i = 0; i < count; i++) {
		char addr[INET_ADDRSTRLEN];

		snprintf(addr, sizeof(addr), "192.0.2.%d", i);
		put_prefix(r, XRELAY_A_ADMISSION_ALLOW, addr, 32);
	}
	nest_end(r);
	nest_end(r);
}

TEST_F(xrelay, session_new_policy_options)
{
	struct netns_counts after;
	struct request r;
	struct reply rep;
	__u32 id;

	session_new_init(&r, self, INST4);
	put_rate(&r, XRELAY_A_SESSION_RATE_LIMIT, 500, 50);
	put_u64(&r, XRELAY_A_SESSION_QUOTA, 1000000);
	put_u8(&r, XRELAY_A_SESSION_PROTOCOL, XRELAY_PROTOCOL_ANY);
	put_side_with_prefixes(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A, XRELAY_MAX_SIDE_PREFIXES);
	put_side_with_prefix(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B, XRELAY_A_ADMISSION_DENY,
			     "198.51.100.66", 32);
	expect_ok(_metadata, self, &r, &rep);
	id = reply_u32(&rep, XRELAY_A_SESSION_ID);
	netns_counts(_metadata, self, &after);
	EXPECT_EQ(self->before.sessions + 1, after.sessions);

	cmd_init(&r, self, XRELAY_CMD_SESSION_GET);
	put_u32(&r, XRELAY_A_SESSION_ID, id);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_NE(NULL, reply_attr(&rep, XRELAY_A_SESSION_RATE_LIMIT));
	EXPECT_EQ(1000000, reply_u64(&rep, XRELAY_A_SESSION_QUOTA));
	EXPECT_EQ(XRELAY_PROTOCOL_ANY, reply_u8(&rep, XRELAY_A_SESSION_PROTOCOL));
}

TEST_F(xrelay, session_new_rate_pps_zero)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_rate(&r, XRELAY_A_SESSION_RATE_LIMIT, 0, 50);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_rate_bps_below_8)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_RATE_LIMIT);
	put_u64(&r, XRELAY_A_RATE_BITS_PER_SECOND, 7);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_rate_not_nested)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u64(&r, XRELAY_A_SESSION_RATE_LIMIT, 500);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_quota_zero)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u64(&r, XRELAY_A_SESSION_QUOTA, 0);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_unknown_protocol)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_u8(&r, XRELAY_A_SESSION_PROTOCOL, XRELAY_PROTOCOL_MAX + 1);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_side_prefix_host_bits)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side_with_prefix(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A, XRELAY_A_ADMISSION_DENY,
			     "192.0.2.65", 26);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_side_ipv4_prefix_len_33)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A);
	put_side_with_prefix(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B, XRELAY_A_ADMISSION_ALLOW,
			     "198.51.100.0", 33);
	expect_module_error(&r, ERANGE);
}

TEST_F(xrelay, session_new_side_prefix_both_families)
{
	struct request r;

	session_new_init(&r, self, INST6);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	nest_start(&r, XRELAY_A_SIDE_ADMISSION);
	nest_start(&r, XRELAY_A_ADMISSION_ALLOW);
	put_in4(&r, XRELAY_A_PREFIX_IPV4, "192.0.2.0");
	put_in6(&r, XRELAY_A_PREFIX_IPV6, "2001:db8:a::");
	put_u8(&r, XRELAY_A_PREFIX_LEN, 24);
	nest_end(&r);
	nest_end(&r);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, EINVAL);
}

TEST_F(xrelay, session_new_side_too_many_prefixes)
{
	struct request r;

	session_new_init(&r, self, INST4);
	put_side_with_prefixes(&r, XRELAY_A_SESSION_SIDE_A, FREE_PORT_A,
			       XRELAY_MAX_SIDE_PREFIXES + 1);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_module_error(&r, E2BIG);
}

TEST_F(xrelay, session_new_side_unknown_prefix_attribute)
{
	struct request r;

	session_new_init(&r, self, INST4);
	nest_start(&r, XRELAY_A_SESSION_SIDE_A);
	put_u16(&r, XRELAY_A_SIDE_PORT, FREE_PORT_A);
	nest_start(&r, XRELAY_A_SIDE_ADMISSION);
	nest_start(&r, XRELAY_A_ADMISSION_DENY);
	put_in4(&r, XRELAY_A_PREFIX_IPV4, "192.0.2.0");
	put_u8(&r, XRELAY_A_PREFIX_LEN, 24);
	put_u32(&r, XRELAY_A_PREFIX_MAX + 1, 0);
	nest_end(&r);
	nest_end(&r);
	nest_end(&r);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, FREE_PORT_B);
	expect_policy_error(&r, EINVAL);
}

/* Sessions of a shared instance count against their own network's cap. */
TEST_F(xrelay, session_new_network_at_cap)
{
	struct request r;
	struct reply rep;

	network_init(&r, self, XRELAY_CMD_NETWORK_NEW, OTHER_NETWORK);
	put_u32(&r, XRELAY_A_NETWORK_MAX_SESSIONS, 1);
	expect_ok(_metadata, self, &r, &rep);
	session_new_init(&r, self, SHARED);
	put_u32(&r, XRELAY_A_SESSION_NETWORK, OTHER_NETWORK);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, 21000);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, 21001);
	expect_ok(_metadata, self, &r, &rep);
	take_baseline(_metadata, self);

	session_new_init(&r, self, SHARED);
	put_u32(&r, XRELAY_A_SESSION_NETWORK, OTHER_NETWORK);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, 21002);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, 21003);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, &rep));
	EXPECT_EQ(-ENOSPC, rep.error) TH_LOG("got %s (%s)", strerror(-rep.error), rep.message);
	EXPECT_NE(NULL, strstr(rep.message, "network")) TH_LOG("message: '%s'", rep.message);
	EXPECT_NE(NULL, strstr(rep.message, "session limit")) TH_LOG("message: '%s'", rep.message);
	expect_counts_unchanged(_metadata, self);

	/* Another network on the same instance is not held back. */
	session_new_init(&r, self, SHARED);
	put_u32(&r, XRELAY_A_SESSION_NETWORK, OTHER_NETWORK + 1);
	put_side(&r, XRELAY_A_SESSION_SIDE_A, 21002);
	put_side(&r, XRELAY_A_SESSION_SIDE_B, 21003);
	expect_ok(_metadata, self, &r, &rep);
}

/* ---- commands that are events, not requests ---- */

TEST_F(xrelay, event_commands_refused)
{
	static const __u8 events[] = {
		XRELAY_CMD_SIDE_LEARNED_NTF, XRELAY_CMD_SESSION_EXPIRED_NTF,
		XRELAY_CMD_LIMIT_REACHED_NTF, XRELAY_CMD_POLICY_DROP_NTF, XRELAY_CMD_MAX + 1,
	};
	struct request r;
	struct reply rep;
	size_t i;

	for (i = 0; i < sizeof(events); i++) {
		cmd_init(&r, self, events[i]);
		ASSERT_EQ(0, nl_talk(&self->nl, &r, &rep));
		EXPECT_EQ(-EOPNOTSUPP, rep.error) TH_LOG("command %u", events[i]);
	}
	expect_counts_unchanged(_metadata, self);
}

/* ---- dumps take only their own filters ---- */

/* A dump request of @cmd with the do's selector @type: refused, not ignored. */
static void expect_dump_refuses(struct __test_metadata *_metadata, FIXTURE_DATA(xrelay) *self,
				__u8 cmd, __u16 type, __u32 value, const char *name)
{
	struct request r;
	struct reply rep;

	genl_req_init(&r, self->family, cmd, NLM_F_DUMP);
	if (type == XRELAY_A_SESSION_PORT && cmd == XRELAY_CMD_SESSION_GET)
		put_u16(&r, type, value);
	else
		put_u32(&r, type, value);
	ASSERT_EQ(0, nl_talk(&self->nl, &r, &rep));
	EXPECT_EQ(-EINVAL, rep.error) TH_LOG("dump with %s: %s (%s)", name,
					     rep.error ? strerror(-rep.error) : "success",
					     rep.message);
	EXPECT_EQ(0, rep.parts) TH_LOG("a refused dump listed %d objects", rep.parts);
	EXPECT_NE(NULL, strstr(rep.message, name)) TH_LOG("message '%s' names no %s",
							   rep.message, name);
	EXPECT_EQ(0, strncmp(rep.message, "xrelay: ", 8)) TH_LOG("message: '%s'", rep.message);
}

TEST_F(xrelay, instance_get_dump_refuses_id)
{
	expect_dump_refuses(_metadata, self, XRELAY_CMD_INSTANCE_GET, XRELAY_A_INSTANCE_ID,
			    INST4, "take id");
}

TEST_F(xrelay, session_get_dump_refuses_id)
{
	expect_dump_refuses(_metadata, self, XRELAY_CMD_SESSION_GET, XRELAY_A_SESSION_ID,
			    self->session, "take id");
}

TEST_F(xrelay, session_get_dump_refuses_port)
{
	expect_dump_refuses(_metadata, self, XRELAY_CMD_SESSION_GET, XRELAY_A_SESSION_PORT,
			    BASE_PORT_A, "take port");
}

TEST_F(xrelay, network_get_dump_refuses_id)
{
	expect_dump_refuses(_metadata, self, XRELAY_CMD_NETWORK_GET, XRELAY_A_NETWORK_ID,
			    NETWORK, "take id");
}

/* The filters a dump does take still work. */
TEST_F(xrelay, session_get_dump_by_instance)
{
	struct request r;
	struct reply rep;

	genl_req_init(&r, self->family, XRELAY_CMD_SESSION_GET, NLM_F_DUMP);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST6);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_EQ(0, rep.parts);
	genl_req_init(&r, self->family, XRELAY_CMD_SESSION_GET, NLM_F_DUMP);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, INST4);
	expect_ok(_metadata, self, &r, &rep);
	EXPECT_EQ(1, rep.parts);
}

/* ---- the largest objects read back whole: get, dump and small readers ---- */

/*
 * The most IPv6 prefixes a session's side lists hold together while the
 * session still fits in 8 KiB, as every object a dump lists must: a
 * session at its largest takes 712 bytes besides them, 32 per prefix.
 */
#define SESSION_MOST_V6_PREFIXES	233
#define SMALL_READER			8192	/* libmnl's buffer */

/* @count IPv6 /128s of 2001:db8:ad::/48 in list @list, from @first on. */
static void put_v6_prefixes(struct request *r, __u16 list, int first, int count)
{
	int i;

	for (i = 0; i < count; i++) {
		char addr[INET6_ADDRSTRLEN];

		snprintf(addr, sizeof(addr), "2001:db8:ad::%x", first + i);
		put_prefix(r, list, addr, 128);
	}
}

/* A side on @port with its own lists: @allow and @deny IPv6 prefixes. */
static void put_side_v6_lists(struct request *r, __u16 side, __u16 port, int allow, int deny)
{
	nest_start(r, side);
	put_u16(r, XRELAY_A_SIDE_PORT, port);
	nest_start(r, XRELAY_A_SIDE_ADMISSION);
	put_v6_prefixes(r, XRELAY_A_ADMISSION_ALLOW, 0, allow);
	put_v6_prefixes(r, XRELAY_A_ADMISSION_DENY, 0x1000, deny);
	nest_end(r);
	nest_end(r);
}

/*
 * A session-new on IPv6 instance @instance, ports @port and @port + 1,
 * whose side lists hold @prefixes IPv6 prefixes in all (side A's full, side
 * B's the rest), with a rate limit, quota, protocol and lifetime: a session
 * at its largest.
 */
static void session_new_largest(struct request *r, FIXTURE_DATA(xrelay) *self, __u32 instance,
				__u16 port, int prefixes)
{
	int max = XRELAY_MAX_SIDE_PREFIXES, b = prefixes - 2 * max;

	session_new_init(r, self, instance);
	req_reserve(r, 16384);
	put_u32(r, XRELAY_A_SESSION_LIFETIME, 3600);
	put_rate(r, XRELAY_A_SESSION_RATE_LIMIT, 500, 50);
	put_u64(r, XRELAY_A_SESSION_QUOTA, 1000000);
	put_u8(r, XRELAY_A_SESSION_PROTOCOL, XRELAY_PROTOCOL_ANY);
	put_side_v6_lists(r, XRELAY_A_SESSION_SIDE_A, port, max, max);
	put_side_v6_lists(r, XRELAY_A_SESSION_SIDE_B, port + 1, b > max ? max : b,
			  b > max ? b - max : 0);
}

/* The side prefixes a session message lists, both sides and lists together. */
static int session_msg_prefixes(const struct nlmsghdr *nlh)
{
	const char *attrs = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	__u16 sides[2] = { XRELAY_A_SESSION_SIDE_A, XRELAY_A_SESSION_SIDE_B };
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		const struct nlattr *side = attr_find(attrs, len, sides[i]);

		if (side)
			n += count_nested((const char *)side + NLA_HDRLEN,
					  side->nla_len - NLA_HDRLEN, XRELAY_A_SIDE_ADMISSION, 0);
	}
	return n;
}

/*
 * Sends @r from a fresh socket and reads the answer as a reader with a
 * buffer of @bufsize bytes that never peeks: counts the messages and the
 * side prefixes in them; a datagram cut short is an error. Returns the
 * request's error (ack or NLMSG_DONE), or -EMSGSIZE for a cut datagram.
 */
static int read_with_buffer(struct request *r, size_t bufsize, int *msgs, int *prefixes)
{
	char *buf = malloc(bufsize);
	struct nl_sock g;
	int ret = -EIO;

	*msgs = *prefixes = 0;
	if (!buf || nl_open(&g, NETLINK_GENERIC)) {
		free(buf);
		return ret;
	}
	r->nlh->nlmsg_seq = 1;
	if (send(g.fd, r->buf, r->nlh->nlmsg_len, 0) != (ssize_t)r->nlh->nlmsg_len)
		goto out;
	for (;;) {
		struct iovec iov = { .iov_base = buf, .iov_len = bufsize };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t len = recvmsg(g.fd, &mh, 0);
		struct nlmsghdr *nlh;

		if (len < 0)
			goto out;
		if (mh.msg_flags & MSG_TRUNC) {
			ret = -EMSGSIZE;
			goto out;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				ret = ((const struct nlmsgerr *)NLMSG_DATA(nlh))->error;
				goto out;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				ret = *(const int *)NLMSG_DATA(nlh);
				goto out;
			}
			++*msgs;
			*prefixes += session_msg_prefixes(nlh);
		}
	}
out:
	close(g.fd);
	free(buf);
	return ret;
}

/*
 * Twenty sessions at the largest a session may be, then get and dump with
 * an 8 KiB reader on a fresh socket (the kernel sizes its first dump
 * message before the reader has shown its buffer): nothing lost or cut.
 */
TEST_F(xrelay, session_largest_reads_back)
{
	int i, msgs, prefixes, err;
	struct request r;
	struct reply rep;
	__u32 id = 0;

	/* In a network without a session cap. */
	create_instance(_metadata, self, 4, OTHER_NETWORK, "2001:db8:ff::1", 22000, 22099);
	for (i = 0; i < 20; i++) {
		session_new_largest(&r, self, 4, 22000 + 2 * i, SESSION_MOST_V6_PREFIXES);
		expect_ok(_metadata, self, &r, &rep);
		req_release(&r);
		id = reply_u32(&rep, XRELAY_A_SESSION_ID);
	}

	cmd_init(&r, self, XRELAY_CMD_SESSION_GET);
	put_u32(&r, XRELAY_A_SESSION_ID, id);
	err = read_with_buffer(&r, SMALL_READER, &msgs, &prefixes);
	EXPECT_EQ(0, err) TH_LOG("session-get: %s", strerror(-err));
	EXPECT_EQ(1, msgs);
	EXPECT_EQ(SESSION_MOST_V6_PREFIXES, prefixes);

	genl_req_init(&r, self->family, XRELAY_CMD_SESSION_GET, NLM_F_DUMP);
	err = read_with_buffer(&r, SMALL_READER, &msgs, &prefixes);
	EXPECT_EQ(0, err) TH_LOG("session dump: %s", strerror(-err));
	EXPECT_EQ(21, msgs) TH_LOG("the dump listed %d of 21 sessions", msgs);
	EXPECT_EQ(20 * SESSION_MOST_V6_PREFIXES, prefixes);

	/* The first message of a dump is made before the reader shows its buffer. */
	genl_req_init(&r, self->family, XRELAY_CMD_SESSION_GET, NLM_F_DUMP);
	put_u32(&r, XRELAY_A_SESSION_INSTANCE, 4);
	err = read_with_buffer(&r, SMALL_READER, &msgs, &prefixes);
	EXPECT_EQ(0, err) TH_LOG("session dump of instance 4: %s", strerror(-err));
	EXPECT_EQ(20, msgs) TH_LOG("the dump listed %d of 20 sessions", msgs);
	EXPECT_EQ(20 * SESSION_MOST_V6_PREFIXES, prefixes);
}

TEST_F(xrelay, session_new_too_large_to_read_back)
{
	struct request r;

	session_new_largest(&r, self, INST6, FREE_PORT_A, SESSION_MOST_V6_PREFIXES + 1);
	expect_module_error(&r, E2BIG);
	req_release(&r);
}

/*
 * A network request with @allow and @deny prefixes, IPv6 /64s or IPv4 /24s
 * as @v6 says, spread over as many admission nests as they need.
 */
static void network_with_lists(struct request *r, FIXTURE_DATA(xrelay) *self, __u32 id,
			       __u32 allow, __u32 deny, bool v6)
{
	size_t prefix_size = v6 ? 32 : 20;
	__u32 i, per_nest = 60000 / prefix_size;
	int big = 16 << 20;

	network_init(r, self, XRELAY_CMD_NETWORK_NEW, id);
	req_reserve(r, r->nlh->nlmsg_len + (allow + deny) * prefix_size +
		       ((allow + deny) / per_nest + 2) * NLA_HDRLEN);
	for (i = 0; i < allow + deny; i++) {
		__u16 list = i < allow ? XRELAY_A_ADMISSION_ALLOW : XRELAY_A_ADMISSION_DENY;
		__u32 k = i < allow ? i : i - allow;
		char addr[INET6_ADDRSTRLEN];

		if (i % per_nest == 0) {
			if (i)
				nest_end(r);
			nest_start(r, XRELAY_A_NETWORK_ADMISSION);
		}
		if (v6)
			snprintf(addr, sizeof(addr), "2001:db8:%x:%x::", list, k);
		else
			snprintf(addr, sizeof(addr), "%u.%u.%u.0", 10 + list * 16 + (k >> 16),
				 (k >> 8) & 0xff, k & 0xff);
		put_prefix(r, list, addr, v6 ? 64 : 24);
	}
	if (allow + deny)
		nest_end(r);
	setsockopt(self->nl.fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
}

/* Lists of 4.2 MB would make a reply larger than the kernel can allocate. */
TEST_F(xrelay, network_new_too_large_to_read_back)
{
	struct request r;

	network_with_lists(&r, self, OTHER_NETWORK, XRELAY_MAX_PREFIXES, XRELAY_MAX_PREFIXES, true);
	expect_module_error(&r, E2BIG);
	req_release(&r);
}

/* Both lists full, of IPv6 prefixes: a reply of 4 MiB, the most allowed, less 64 KiB. */
TEST_F(xrelay, network_largest_reads_back)
{
	int allow, deny, err, n = XRELAY_MAX_PREFIXES - 2048;
	struct request r;
	struct reply rep;

	network_with_lists(&r, self, OTHER_NETWORK, XRELAY_MAX_PREFIXES, n, true);
	expect_ok(_metadata, self, &r, &rep);
	req_release(&r);
	err = network_prefixes(self, OTHER_NETWORK, &allow, &deny);
	EXPECT_EQ(0, err) TH_LOG("network-get: %s", strerror(-err));
	EXPECT_EQ(XRELAY_MAX_PREFIXES, allow);
	EXPECT_EQ(n, deny);
}

/* network-get of @id whole, into *@buf (malloc'd); returns its error. */
static int network_get_whole(FIXTURE_DATA(xrelay) *self, __u32 id, char **buf, ssize_t *len)
{
	char ack[1024];
	int big = 16 << 20;
	struct request r;
	size_t size = 0;

	*buf = NULL;
	setsockopt(self->nl.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	network_init(&r, self, XRELAY_CMD_NETWORK_GET, id);
	r.nlh->nlmsg_seq = ++self->nl.seq;
	if (send(self->nl.fd, r.buf, r.nlh->nlmsg_len, 0) != (ssize_t)r.nlh->nlmsg_len)
		return -EIO;
	*len = nl_recv(self->nl.fd, buf, &size);
	if (*len < (ssize_t)NLMSG_HDRLEN)
		return -EIO;
	if (((struct nlmsghdr *)*buf)->nlmsg_type == NLMSG_ERROR)
		return ((const struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)*buf))->error;
	/* Its ack, which the next request must not take for its own. */
	recv(self->nl.fd, ack, sizeof(ack), 0);
	return 0;
}

/*
 * A hub of as many groups as a hub may have, names of the longest and IPv6
 * members, read back whole. The reply's room used to be an estimate leaving
 * out each group's nest header; the allocation's rounding up to a power of
 * two hid that but for some sizes (1 260 groups, before hubs had a limit
 * of groups).
 */
TEST_F(xrelay, network_hub_many_groups_reads_back)
{
	const struct nlmsghdr *nlh;
	int i, groups = XRELAY_MAX_HUB_GROUPS - 1, err;	/* and hub_start()'s admins */
	struct request r;
	struct reply rep;
	ssize_t len;
	char *buf;

	hub_set_init(&r, self, HUB_IFNAME);
	req_reserve(&r, 1 << 18);
	for (i = 0; i < groups; i++) {
		char name[64], addr[INET6_ADDRSTRLEN];

		snprintf(name, sizeof(name), "%063d", i);
		snprintf(addr, sizeof(addr), "2001:db8:1:%x::", i);
		put_hub_group(&r, name, addr, 64);
		/* An attribute holds 64 KiB: the hub goes on in another. */
		if (i % 500 == 499) {
			nest_end(&r);
			nest_start(&r, XRELAY_A_NETWORK_HUB);
		}
	}
	nest_end(&r);
	expect_ok(_metadata, self, &r, &rep);
	req_release(&r);

	err = network_get_whole(self, NETWORK, &buf, &len);
	ASSERT_EQ(0, err) TH_LOG("network-get: %s", strerror(-err));
	nlh = (const struct nlmsghdr *)buf;
	EXPECT_EQ(groups + 1, count_nested((const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
					   nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN),
					   XRELAY_A_NETWORK_HUB, XRELAY_A_HUB_GROUP));
	free(buf);
}

/* ---- session-new-batch: bounded ---- */

TEST_F(xrelay, session_new_batch_too_many)
{
	int big = 4 << 20, i;
	struct request r;

	cmd_init(&r, self, XRELAY_CMD_SESSION_NEW_BATCH);
	req_reserve(&r, (XRELAY_MAX_BATCH_SESSIONS + 1) * 64);
	/* Without the cap, sessions would open until one took a port again. */
	for (i = 0; i <= XRELAY_MAX_BATCH_SESSIONS; i++)
		put_batch_session(&r, FREE_PORT_A + 2 * (i % 40), FREE_PORT_B + 2 * (i % 40));
	setsockopt(self->nl.fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	expect_module_error(&r, E2BIG);
	req_release(&r);
}

TEST_HARNESS_MAIN
