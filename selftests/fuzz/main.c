// SPDX-License-Identifier: GPL-2.0-only
/*
 * xrelay_fuzz: a netlink fuzzer for the xrelay family, driven by the YAML
 * spec (see gen.c and scripts/fuzzgen.py).
 *
 * usage: xrelay_fuzz [--seed N] [--threads N] [--requests N] [--seconds N]
 *                    [--stall-ms N] [--max-hub N] [--save FILE]
 *        xrelay_fuzz --replay FILE
 *
 * Each thread has its own socket and its own random stream (the seed and
 * its index), and sends requests for every operation, do and dump, until
 * the request budget or the time is spent: valid, edge and mutated ones,
 * dumps read with small and large buffers or abandoned half-way by closing
 * the socket. The module may go away and come back meanwhile (the family
 * is resolved again), and other threads delete what a thread created.
 *
 * Checked on the way, cheaply:
 *   - what a create or a network-set reported as done is there, whole,
 *     when read back at once, unless something that deletes ran meanwhile;
 *   - every request is answered, within --stall-ms;
 * and once the threads have stopped, that each dump ends cleanly and
 * lists exactly what get finds (check_dumps()). A broken one is a
 * violation: printed, and the exit status is 1.
 * At the end: requests per operation and errno, the read-backs, the rate,
 * the slowest requests, the dump check. --save writes the slowest
 * request's bytes to FILE; --replay sends such a file again and times it
 * (the family id is patched in).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/xrelay.h>

#include "fuzz.h"

#define MAX_THREADS	64
#define MAX_OPS		64
/* Answer slots: 0 is success, 1..ERRNO_SLOTS-1 an errno, then these. */
#define ERRNO_SLOTS	200
#define SLOT_NO_ANSWER	200	/* a request the kernel ignored (a mutated length) */
#define SLOT_SEND	201	/* sendmsg() refused it (too big for the socket) */
#define SLOT_HUNG	202	/* no answer within the receive timeout */
#define SLOT_CLOSED	203	/* a dump abandoned by closing its socket */
#define SLOTS		204
#define SLOWEST		5

static const char *const strategy_names[] = { "valid", "edge", "mutated" };

struct options {
	uint64_t seed;
	int threads;
	long requests;
	int seconds;
	int stall_ms;
	int max_hub;
	const char *save;
};

static struct options opt = {
	.seed = 1, .threads = 4, .requests = 10000, .seconds = 60, .stall_ms = 10000,
	.max_hub = 4096,
};

/* ---- randomness ---- */

/* splitmix64: tiny, and any seed gives a good stream */
uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	return rng_next(r) % n;
}

bool rng_one_in(struct rng *r, uint32_t n)
{
	return rng_below(r, n) == 0;
}

/* ---- what the threads learned, shared so that they race for it ---- */

static pthread_mutex_t known_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fz_instance known_instances[64];
static uint32_t known_sessions[256], known_networks[16];
static unsigned int n_instances, n_sessions, n_networks;

void known_add_instance(const struct fz_instance *inst)
{
	pthread_mutex_lock(&known_lock);
	known_instances[n_instances++ % 64] = *inst;
	pthread_mutex_unlock(&known_lock);
}

bool known_pick_instance(struct rng *r, struct fz_instance *inst)
{
	bool found;

	pthread_mutex_lock(&known_lock);
	found = n_instances > 0;
	if (found)
		*inst = known_instances[rng_below(r, n_instances < 64 ? n_instances : 64)];
	pthread_mutex_unlock(&known_lock);
	return found;
}

void known_add_session(uint32_t id)
{
	pthread_mutex_lock(&known_lock);
	known_sessions[n_sessions++ % 256] = id;
	pthread_mutex_unlock(&known_lock);
}

uint32_t known_pick_session(struct rng *r)
{
	uint32_t id = 0;

	pthread_mutex_lock(&known_lock);
	if (n_sessions)
		id = known_sessions[rng_below(r, n_sessions < 256 ? n_sessions : 256)];
	pthread_mutex_unlock(&known_lock);
	return id;
}

void known_add_network(uint32_t id)
{
	pthread_mutex_lock(&known_lock);
	known_networks[n_networks++ % 16] = id;
	pthread_mutex_unlock(&known_lock);
}

uint32_t known_pick_network(struct rng *r)
{
	uint32_t id = 0;

	pthread_mutex_lock(&known_lock);
	if (n_networks)
		id = known_networks[rng_below(r, n_networks < 16 ? n_networks : 16)];
	pthread_mutex_unlock(&known_lock);
	return id;
}

/* ---- shared run state ---- */

static struct fz_addrs addrs;
static atomic_int family_id;
static atomic_long issued;
/*
 * Requests that may delete, in flight and ended: a read-back miss proves
 * nothing if one ran meanwhile. One that started before the create was
 * sent may still be in flight, or have ended (and counted) since.
 */
static atomic_int deletes_running;
static atomic_ulong deletes_ended;
static double deadline;

struct slow {
	double ms;
	int op;
	bool dump;
	enum fz_strategy strategy;
	size_t bytes;
	int thread;
	long index;
	int slot;
};

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slow slowest[SLOWEST];
static char *slowest_bytes;
static size_t slowest_len;
static atomic_int violations;

/* Object ids, as a dump lists them. */
struct id_list {
	uint32_t *ids;
	size_t n, cap;
};

static void id_add(struct id_list *l, uint32_t id)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->ids = realloc(l->ids, l->cap * sizeof(*l->ids));
		if (!l->ids)
			abort();
	}
	l->ids[l->n++] = id;
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Sorts @l and drops the ids it holds twice; returns how many it dropped. */
static size_t id_sort(struct id_list *l)
{
	size_t i, n = 0, dropped;

	if (l->n)
		qsort(l->ids, l->n, sizeof(*l->ids), id_cmp);
	for (i = 0; i < l->n; i++)
		if (!n || l->ids[i] != l->ids[n - 1])
			l->ids[n++] = l->ids[i];
	dropped = l->n - n;
	l->n = n;
	return dropped;
}

/* Whether sorted @l holds @id. */
static bool id_listed(const struct id_list *l, uint32_t id)
{
	return l->n && bsearch(&id, l->ids, l->n, sizeof(id), id_cmp);
}

/* How a read-back went: complete, missing after a delete or reload, failed. */
enum { READ_BACK_OK, READ_BACK_EXCUSED, READ_BACK_FAILED, READ_BACK_OUTCOMES };

struct thread {
	pthread_t tid;
	int index;
	struct rng rng;
	struct fz_gen gen;
	int fd;
	uint32_t seq;
	char *rbuf;
	size_t rsize;
	uint64_t counts[MAX_OPS][2][SLOTS];
	uint64_t by_strategy[FZ_NSTRATEGIES][2];	/* requests, successes */
	uint64_t truncated;				/* dump datagrams cut by a small buffer */
	uint64_t read_backs[MAX_OPS][READ_BACK_OUTCOMES];	/* by the create's op */
	struct id_list *listed;		/* if set, exchange() adds each reply's id */
	char refusal[MAX_OPS][160];	/* the first refusal of a valid request, per op */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void violation(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&violations, 1) >= 50)
		return;
	pthread_mutex_lock(&report_lock);
	printf("VIOLATION: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&report_lock);
}

/* ---- the socket ---- */

static int sock_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int one = 1, big = 16 << 20;
	struct timeval tv = { .tv_sec = 120 };

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* errors echo only the header: a megabyte request is not sent back */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* long lists need a big send buffer; an unprivileged owner gets what it may */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/*
 * Receives one datagram. The kernel sizes a dump's messages by the largest
 * buffer its reader offered so far, so how we read matters:
 *   READ_WHOLE  peek at the length, then read it all (the buffer grows)
 *   READ_SMALL  peek with 512 bytes, then read exactly the datagram
 *   8192...     a fixed buffer: what does not fit is cut (and counted)
 */
#define READ_WHOLE	0
#define READ_SMALL	512

static ssize_t sock_recv(struct thread *t, int fd, size_t limit)
{
	size_t want = limit > READ_SMALL ? limit : 0;
	char small[READ_SMALL];
	ssize_t len;

	len = recv(fd, small, limit == READ_SMALL ? sizeof(small) : 0, MSG_PEEK | MSG_TRUNC);
	if (len < 0)
		return -1;
	if ((size_t)len > want)
		want = len;
	if (want > t->rsize) {
		t->rbuf = realloc(t->rbuf, want);
		if (!t->rbuf)
			abort();
		t->rsize = want;
	}
	if (limit > READ_SMALL && (size_t)len > limit) {
		t->truncated++;
		return recv(fd, t->rbuf, limit, 0) < 0 ? -1 : (ssize_t)limit;
	}
	return recv(fd, t->rbuf, limit > READ_SMALL ? limit : (size_t)len, 0);
}

static const struct nlattr *attr_find(const void *head, int len, uint16_t type)
{
	const struct nlattr *nla;

	for (nla = head; len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN && nla->nla_len <= len;
	     len -= NLA_ALIGN(nla->nla_len),
	     nla = (const void *)((const char *)nla + NLA_ALIGN(nla->nla_len)))
		if ((nla->nla_type & NLA_TYPE_MASK) == type)
			return nla;
	return NULL;
}

static uint32_t attr_u32(const struct nlattr *nla)
{
	uint32_t v = 0;

	if (nla && nla->nla_len >= NLA_HDRLEN + 4)
		memcpy(&v, (const char *)nla + NLA_HDRLEN, 4);
	return v;
}

/* The extack text of an NLMSG_ERROR or NLMSG_DONE (whose request echo is capped). */
static void extack_message(const struct nlmsghdr *nlh, char *msg, size_t size)
{
	size_t skip = nlh->nlmsg_type == NLMSG_DONE ? sizeof(int) : sizeof(struct nlmsgerr);
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	const struct nlattr *nla;

	if (nlh->nlmsg_type == NLMSG_ERROR && !(nlh->nlmsg_flags & NLM_F_CAPPED))
		skip += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	if (nlh->nlmsg_len <= NLMSG_HDRLEN + skip)
		return;
	nla = attr_find((const char *)NLMSG_DATA(nlh) + skip, nlh->nlmsg_len - NLMSG_HDRLEN - skip,
			NLMSGERR_ATTR_MSG);
	if (nla)
		snprintf(msg, size, "%.*s", (int)(nla->nla_len - NLA_HDRLEN),
			 (const char *)nla + NLA_HDRLEN);
}

/* The family's id, or a negative errno (ENOENT: the module is not loaded). */
static int resolve_family(int fd)
{
	struct fz_msg m = { 0 };
	char buf[8192];
	struct nlmsghdr *nlh;
	ssize_t len;
	int id = -EIO;

	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	msg_put(&m, CTRL_ATTR_FAMILY_NAME, XRELAY_FAMILY_NAME, sizeof(XRELAY_FAMILY_NAME));
	msg_hdr(&m)->nlmsg_seq = 0x7fffffff;
	if (send(fd, m.buf, m.len, 0) < 0) {
		msg_free(&m);
		return -errno;
	}
	msg_free(&m);
	while ((len = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != 0x7fffffff)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				int err = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;

				return err ? err : id;
			}
			if (nlh->nlmsg_type == GENL_ID_CTRL) {
				const struct nlattr *nla = attr_find((char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
					nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, CTRL_ATTR_FAMILY_ID);

				if (nla && nla->nla_len >= NLA_HDRLEN + 2)
					id = *(const uint16_t *)((const char *)nla + NLA_HDRLEN);
			}
		}
	}
	return -errno;
}

/* Waits (until the deadline) for the family to be there; false if it never came back. */
static bool family_wait(struct thread *t)
{
	int id;

	while (now() < deadline) {
		id = resolve_family(t->fd);
		if (id > 0) {
			atomic_store(&family_id, id);
			t->gen.family_id = id;
			return true;
		}
		usleep(50000);
	}
	return false;
}

/* ---- one exchange ---- */

struct answer {
	int slot;
	bool extack;		/* the error came with a message */
	bool done;		/* ended by NLMSG_DONE, as a dump must be */
	int parts;		/* reply messages */
	int datagrams;
	uint32_t id;		/* the first reply's attribute 1 (an id, in every set) */
	char msg[128];		/* the extack message, "" if none */
};

static int slot_of(int error)
{
	return error >= 0 ? 0 : -error < ERRNO_SLOTS ? -error : ERRNO_SLOTS - 1;
}

/* What a reply or dump message teaches: instances, sessions. */
static void learn(const struct fz_request *req, struct nlmsghdr *nlh)
{
	const char *attrs = (char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	const char *name = fz_ops[req->op].name;
	const struct nlattr *nla;
	struct fz_instance inst = { 0 };

	if (len <= 0)
		return;
	if (!strcmp(name, "instance-get") || !strcmp(name, "instance-new")) {
		inst.id = attr_u32(attr_find(attrs, len, XRELAY_A_INSTANCE_ID));
		if (!strcmp(name, "instance-new")) {
			if (!req->inst.port_min)
				return;
			inst = req->inst;
			inst.id = attr_u32(attr_find(attrs, len, XRELAY_A_INSTANCE_ID));
		} else {
			inst.network = attr_u32(attr_find(attrs, len, XRELAY_A_INSTANCE_NETWORK));
			nla = attr_find(attrs, len, XRELAY_A_INSTANCE_PORT_MIN);
			inst.port_min = nla ? *(uint16_t *)((char *)nla + NLA_HDRLEN) : 0;
			nla = attr_find(attrs, len, XRELAY_A_INSTANCE_PORT_MAX);
			inst.port_max = nla ? *(uint16_t *)((char *)nla + NLA_HDRLEN) : 0;
			inst.family = AF_INET;
			nla = attr_find(attrs, len, XRELAY_A_INSTANCE_LOCAL_IPV4);
			if (!nla) {
				inst.family = AF_INET6;
				nla = attr_find(attrs, len, XRELAY_A_INSTANCE_LOCAL_IPV6);
			}
			if (nla)
				memcpy(inst.addr, (char *)nla + NLA_HDRLEN,
				       inst.family == AF_INET ? 4 : 16);
		}
		if (inst.id && inst.port_min && inst.port_max >= inst.port_min)
			known_add_instance(&inst);
	} else if (!strcmp(name, "session-get") || !strcmp(name, "session-new")) {
		if ((inst.id = attr_u32(attr_find(attrs, len, XRELAY_A_SESSION_ID))))
			known_add_session(inst.id);
	} else if (!strcmp(name, "session-new-batch")) {
		for (nla = (const void *)attrs; len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN &&
		     nla->nla_len <= len; len -= NLA_ALIGN(nla->nla_len),
		     nla = (const void *)((const char *)nla + NLA_ALIGN(nla->nla_len)))
			if ((nla->nla_type & NLA_TYPE_MASK) == XRELAY_A_SESSION_BATCH_ID)
				known_add_session(attr_u32(nla));
	}
}

/*
 * Sends @send_len bytes of @m and reads to its answer. A mutated request
 * may get none (a length that lies makes the kernel drop it, a cleared
 * NLM_F_ACK leaves a success silent), so a NOOP asking for an ACK follows
 * it: the kernel handles a socket's messages in order, so once that ACK is
 * in, whatever the request was going to get has come, dumps apart (their
 * parts carry NLM_F_MULTI and end with NLMSG_DONE). @limit caps each
 * receive, as a reader with a small buffer does (0: whole datagrams).
 */
static void exchange(struct thread *t, int fd, struct fz_msg *m, size_t send_len, bool sentinel,
		     size_t limit, const struct fz_request *req, struct answer *a)
{
	struct nlmsghdr noop = {
		.nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = NLMSG_NOOP,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
	};
	bool answered = false, noop_acked = !sentinel, multi = false;
	uint32_t seq = ++t->seq, id;
	struct nlmsghdr *nlh;
	ssize_t len;

	memset(a, 0, sizeof(*a));
	msg_hdr(m)->nlmsg_seq = seq;
	if (send(fd, m->buf, send_len, 0) < 0) {
		a->slot = errno == EMSGSIZE || errno == ENOBUFS || errno == ENOMEM ?
			SLOT_SEND : slot_of(-errno);
		return;
	}
	if (sentinel) {
		noop.nlmsg_seq = ++t->seq;
		send(fd, &noop, sizeof(noop), 0);
	}
	while (!answered || !noop_acked) {
		if (sentinel && noop_acked && !multi) {
			a->slot = a->parts ? 0 : SLOT_NO_ANSWER;
			return;
		}
		len = sock_recv(t, fd, limit);
		if (len < 0) {
			a->slot = errno == EAGAIN ? SLOT_HUNG : slot_of(-errno);
			return;
		}
		a->datagrams++;
		for (nlh = (struct nlmsghdr *)t->rbuf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (sentinel && nlh->nlmsg_seq == noop.nlmsg_seq) {
				noop_acked |= nlh->nlmsg_type == NLMSG_ERROR;
				continue;
			}
			if (nlh->nlmsg_seq != seq || answered)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					a->slot = slot_of(e->error);
				a->extack = nlh->nlmsg_flags & NLM_F_ACK_TLVS;
				a->done = nlh->nlmsg_type == NLMSG_DONE;
				if (a->extack)
					extack_message(nlh, a->msg, sizeof(a->msg));
				answered = true;
				continue;
			}
			multi |= nlh->nlmsg_flags & NLM_F_MULTI;
			id = attr_u32(attr_find((char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
						nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, 1));
			if (!a->parts++)
				a->id = id;
			if (t->listed)
				id_add(t->listed, id);
			learn(req, nlh);
		}
	}
}

/* A dump whose reader goes away: its socket closed after at most one datagram. */
static int dump_abandoned(struct thread *t, struct fz_msg *m)
{
	int fd = sock_open();

	if (fd < 0)
		return SLOT_SEND;
	msg_hdr(m)->nlmsg_seq = 1;
	if (send(fd, m->buf, m->len, 0) < 0) {
		close(fd);
		return SLOT_SEND;
	}
	if (rng_one_in(&t->rng, 2))
		recv(fd, t->rbuf, t->rsize, MSG_DONTWAIT);
	close(fd);
	return SLOT_CLOSED;
}

/* The last value of top-level attribute @type in request @m: the one the kernel takes. */
static uint32_t request_u32(const struct fz_msg *m, uint16_t type)
{
	const char *p = m->buf + NLMSG_HDRLEN + GENL_HDRLEN;
	int len = m->len - NLMSG_HDRLEN - GENL_HDRLEN;
	const struct nlattr *nla;
	uint32_t v = 0;

	while ((nla = attr_find(p, len, type))) {
		v = attr_u32(nla);
		len -= (const char *)nla - p + NLA_ALIGN(nla->nla_len);
		p = (const char *)nla + NLA_ALIGN(nla->nla_len);
	}
	return v;
}

/* Sends get op @op for the object whose id attribute @id_type is @id. */
static void get_by_id(struct thread *t, int op, uint16_t id_type, uint32_t id, struct answer *a)
{
	struct fz_request get = { .op = op, .dump = false, .strategy = FZ_VALID };
	struct fz_msg m = { 0 };

	msg_init(&m, t->gen.family_id, fz_ops[op].cmd, NLM_F_ACK);
	msg_put(&m, id_type, &id, sizeof(id));
	exchange(t, t->fd, &m, m.len, false, READ_WHOLE, &get, a);
	msg_free(&m);
}

/*
 * What a create or a network-set reported as done must be there: read it
 * back with get, whole (a reply too big to build is a failure too). Only
 * a miss, ENOENT, has an excuse: something that deletes ran since the
 * request was sent, or the family is another one (a reload in between).
 */
static void read_back(struct thread *t, const struct fz_request *req, const struct fz_msg *sent,
		      const struct answer *created, unsigned long epoch)
{
	const char *name = fz_ops[req->op].name;
	struct answer a;
	uint16_t id_type;
	uint32_t id;
	int get, outcome;
	bool deleted;

	if (!strcmp(name, "instance-new")) {
		get = fz_op_index("instance-get");
		id_type = XRELAY_A_INSTANCE_ID;
		id = created->id;
	} else if (!strcmp(name, "session-new")) {
		if (req->expiring)
			return;
		get = fz_op_index("session-get");
		id_type = XRELAY_A_SESSION_ID;
		id = created->id;
	} else if (!strcmp(name, "network-new") || !strcmp(name, "network-set")) {
		get = fz_op_index("network-get");
		id_type = XRELAY_A_NETWORK_ID;
		id = request_u32(sent, XRELAY_A_NETWORK_ID);
	} else {
		return;
	}
	get_by_id(t, get, id_type, id, &a);
	/* running, then ended: a delete that ends between the two loads is seen by the second */
	deleted = atomic_load(&deletes_running) || atomic_load(&deletes_ended) != epoch;
	if (!a.slot && a.parts == 1 && a.id == id)
		outcome = READ_BACK_OK;
	else if (a.slot == ENOENT && (deleted || resolve_family(t->fd) != t->gen.family_id))
		outcome = READ_BACK_EXCUSED;
	else
		outcome = READ_BACK_FAILED;
	t->read_backs[req->op][outcome]++;
	if (outcome != READ_BACK_FAILED)
		return;
	if (a.slot)
		violation("%s (%s) succeeded, id %u, but %s then failed: %s%s", name,
			  strategy_names[req->strategy], id, fz_ops[get].name,
			  a.slot < ERRNO_SLOTS ? strerrorname_np(a.slot) : "no answer",
			  a.slot == EMSGSIZE ? " (the reply does not fit)" : "");
	else
		violation("%s (%s) succeeded, id %u, but %s then answered %d message(s), for id %u",
			  name, strategy_names[req->strategy], id, fz_ops[get].name, a.parts, a.id);
}

static void note_slow(struct thread *t, const struct fz_request *req, const struct fz_msg *m,
		      size_t bytes, double ms, long index, int slot)
{
	struct slow s = {
		.ms = ms, .op = req->op, .dump = req->dump, .strategy = req->strategy,
		.bytes = bytes, .thread = t->index, .index = index, .slot = slot,
	};
	int i;

	if (ms <= slowest[SLOWEST - 1].ms)
		return;
	pthread_mutex_lock(&report_lock);
	for (i = SLOWEST - 1; i > 0 && slowest[i - 1].ms < ms; i--)
		slowest[i] = slowest[i - 1];
	slowest[i] = s;
	if (i == 0) {
		free(slowest_bytes);
		slowest_bytes = malloc(bytes);
		if (slowest_bytes)
			memcpy(slowest_bytes, m->buf, bytes);
		slowest_len = bytes;
	}
	pthread_mutex_unlock(&report_lock);
}

static enum fz_strategy pick_strategy(struct rng *r)
{
	uint32_t x = rng_below(r, 20);

	return x < 9 ? FZ_VALID : x < 15 ? FZ_EDGE : FZ_MUTATED;
}

static void *thread_main(void *arg)
{
	static const size_t limits[] = { READ_WHOLE, READ_SMALL, 8192, 32768 };
	struct thread *t = arg;
	struct fz_msg m = { 0 };
	struct fz_request req;
	struct answer a;
	unsigned long epoch;
	double start, ms;
	size_t send_len;
	int op, slot, fd;
	size_t limit;
	long index;

	t->fd = sock_open();
	if (t->fd < 0 || !family_wait(t))
		return NULL;
	while ((index = atomic_fetch_add(&issued, 1)) < opt.requests && now() < deadline) {
		op = rng_below(&t->rng, fz_nops);
		req.dump = fz_ops[op].has_dump &&
			(!fz_ops[op].has_do || rng_one_in(&t->rng, 3));
		gen_request(&t->gen, op, req.dump, pick_strategy(&t->rng), &m, &req);
		send_len = m.len;
		if (req.strategy == FZ_MUTATED)
			send_len = gen_mutate(&t->gen, &m);
		if (req.destructive)
			atomic_fetch_add(&deletes_running, 1);
		epoch = atomic_load(&deletes_ended);

		start = now();
		if (req.dump && req.strategy != FZ_MUTATED && rng_one_in(&t->rng, 8)) {
			slot = dump_abandoned(t, &m);
		} else {
			/* a reader's first buffers size the dump: small ones need a new socket */
			limit = req.dump ? limits[rng_below(&t->rng, 4)] : READ_WHOLE;
			fd = limit == READ_WHOLE ? t->fd : sock_open();
			exchange(t, fd, &m, send_len, req.strategy == FZ_MUTATED, limit, &req, &a);
			if (fd != t->fd)
				close(fd);
			slot = a.slot;
		}
		ms = (now() - start) * 1000;
		/* ended before it stops running: read_back() sees it as one or the other */
		if (req.destructive) {
			atomic_fetch_add(&deletes_ended, 1);
			atomic_fetch_sub(&deletes_running, 1);
		}
		t->counts[op][req.dump][slot]++;
		t->by_strategy[req.strategy][0]++;
		t->by_strategy[req.strategy][1] += !slot;
		note_slow(t, &req, &m, send_len, ms, index, slot);
		if (req.strategy == FZ_VALID && slot && slot < ERRNO_SLOTS && !t->refusal[op][0])
			snprintf(t->refusal[op], sizeof(t->refusal[op]), "%s%s: %s%s%s",
				 fz_ops[op].name, req.dump ? " dump" : "", strerrorname_np(slot),
				 a.msg[0] ? ", " : "", a.msg);
		if (ms > opt.stall_ms)
			violation("%s %s (%s, %zu bytes) took %.0f ms (thread %d, request %ld)",
				  fz_ops[op].name, req.dump ? "dump" : "do",
				  strategy_names[req.strategy], send_len, ms, t->index, index);

		if (slot == SLOT_HUNG) {
			violation("%s %s (%s, %zu bytes) got no answer (thread %d, request %ld)",
				  fz_ops[op].name, req.dump ? "dump" : "do",
				  strategy_names[req.strategy], send_len, t->index, index);
			close(t->fd);
			t->fd = sock_open();
			continue;
		}
		/* an unknown family is an ENOENT without message: reloaded, or gone */
		if (slot == ENOENT && !a.extack && resolve_family(t->fd) != t->gen.family_id) {
			if (!family_wait(t))
				break;
			continue;
		}
		if (!slot && !req.dump && req.strategy != FZ_MUTATED) {
			if (!strcmp(fz_ops[op].name, "network-new"))
				known_add_network(request_u32(&m, XRELAY_A_NETWORK_ID));
			read_back(t, &req, &m, &a, epoch);
		}
	}
	if (t->fd >= 0)
		close(t->fd);
	msg_free(&m);
	return NULL;
}

/* ---- the report ---- */

static const char *slot_name(int slot)
{
	switch (slot) {
	case 0: return "ok";
	case SLOT_NO_ANSWER: return "no-answer";
	case SLOT_SEND: return "send-refused";
	case SLOT_HUNG: return "HUNG";
	case SLOT_CLOSED: return "closed-mid-dump";
	default: return strerrorname_np(slot) ?: "E?";
	}
}

static void report(struct thread *threads, double seconds)
{
	static uint64_t counts[MAX_OPS][2][SLOTS], by_slot[SLOTS], by_strategy[FZ_NSTRATEGIES][2];
	static uint64_t read_backs[MAX_OPS][READ_BACK_OUTCOMES];
	uint64_t total = 0, truncated = 0, row;
	int i, op, d, s;
	char line[2048];
	size_t n;

	for (i = 0; i < opt.threads; i++) {
		for (op = 0; op < fz_nops; op++) {
			for (d = 0; d < 2; d++)
				for (s = 0; s < SLOTS; s++)
					counts[op][d][s] += threads[i].counts[op][d][s];
			for (s = 0; s < READ_BACK_OUTCOMES; s++)
				read_backs[op][s] += threads[i].read_backs[op][s];
		}
		for (s = 0; s < FZ_NSTRATEGIES; s++) {
			by_strategy[s][0] += threads[i].by_strategy[s][0];
			by_strategy[s][1] += threads[i].by_strategy[s][1];
		}
		truncated += threads[i].truncated;
	}
	printf("%-20s %-4s %9s  %s\n", "op", "mode", "requests", "answers");
	for (op = 0; op < fz_nops; op++)
		for (d = 0; d < 2; d++) {
			if (!(d ? fz_ops[op].has_dump : fz_ops[op].has_do))
				continue;
			row = 0;
			n = 0;
			line[0] = '\0';
			for (s = 0; s < SLOTS; s++) {
				if (!counts[op][d][s])
					continue;
				row += counts[op][d][s];
				by_slot[s] += counts[op][d][s];
				n += snprintf(line + n, sizeof(line) - n, "%s%s %llu", n ? ", " : "",
					      slot_name(s), (unsigned long long)counts[op][d][s]);
			}
			total += row;
			printf("%-20s %-4s %9llu  %s\n", fz_ops[op].name, d ? "dump" : "do",
			       (unsigned long long)row, line);
		}
	printf("by answer:");
	for (s = 0, n = 0; s < SLOTS; s++)
		if (by_slot[s])
			printf("%s %s %llu", n++ ? "," : "", slot_name(s),
			       (unsigned long long)by_slot[s]);
	printf("\nby strategy:");
	for (s = 0; s < FZ_NSTRATEGIES; s++)
		printf("%s %s %llu (%llu ok)", s ? "," : "", strategy_names[s],
		       (unsigned long long)by_strategy[s][0], (unsigned long long)by_strategy[s][1]);
	printf("\ndump datagrams cut by a small receive buffer: %llu\n",
	       (unsigned long long)truncated);
	for (op = 0; op < fz_nops; op++)
		if (read_backs[op][READ_BACK_OK] + read_backs[op][READ_BACK_EXCUSED] +
		    read_backs[op][READ_BACK_FAILED])
			printf("read back after %s: %llu whole, %llu gone (deleted or reloaded "
			       "meanwhile), %llu failed\n", fz_ops[op].name,
			       (unsigned long long)read_backs[op][READ_BACK_OK],
			       (unsigned long long)read_backs[op][READ_BACK_EXCUSED],
			       (unsigned long long)read_backs[op][READ_BACK_FAILED]);
	printf("total %llu requests in %.1f s: %.0f requests/s (seed %llu, %d threads)\n",
	       (unsigned long long)total, seconds, total / seconds,
	       (unsigned long long)opt.seed, opt.threads);
	printf("why valid requests were refused (the first refusal per op):\n");
	for (op = 0; op < fz_nops; op++)
		for (i = 0; i < opt.threads; i++)
			if (threads[i].refusal[op][0]) {
				printf("  %s\n", threads[i].refusal[op]);
				break;
			}
	for (i = 0; i < SLOWEST && slowest[i].ms > 0; i++)
		printf("slowest %d: %.0f ms, %s %s (%s, %zu bytes): %s (thread %d, request %ld)\n",
		       i + 1, slowest[i].ms, fz_ops[slowest[i].op].name,
		       slowest[i].dump ? "dump" : "do", strategy_names[slowest[i].strategy],
		       slowest[i].bytes, slot_name(slowest[i].slot), slowest[i].thread,
		       slowest[i].index);
}

/* ---- the dump check, once the threads have stopped ---- */

/* The ids the threads learned for the objects of get op @op (they have stopped: no lock). */
static void known_ids(const char *op, struct id_list *l)
{
	unsigned int i;

	if (!strcmp(op, "instance-get")) {
		for (i = 0; i < n_instances && i < 64; i++)
			id_add(l, known_instances[i].id);
	} else if (!strcmp(op, "session-get")) {
		for (i = 0; i < n_sessions && i < 256; i++)
			id_add(l, known_sessions[i]);
	} else {
		for (i = 0; i < n_networks && i < 16; i++)
			id_add(l, known_networks[i]);
	}
}

/* Dumps @op, read as sock_recv() reads with @limit, into @ids. */
static void dump_ids(struct thread *t, int op, size_t limit, struct id_list *ids,
		     struct answer *a)
{
	struct fz_request req = { .op = op, .dump = true, .strategy = FZ_VALID };
	struct fz_msg m = { 0 };
	/* a reader's first buffers size the dump: each gets a socket of its own */
	int fd = sock_open();

	msg_init(&m, t->gen.family_id, fz_ops[op].cmd, NLM_F_ACK | NLM_F_DUMP);
	t->listed = ids;
	exchange(t, fd, &m, m.len, false, limit, &req, a);
	t->listed = NULL;
	if (fd >= 0)
		close(fd);
	msg_free(&m);
}

/*
 * Only expiry changes the relay now: the dump of @op, read in small
 * datagrams and then in large ones, must end with NLMSG_DONE and no error
 * and list exactly what get finds, among the ids listed and those the
 * threads learned. Objects that @expire may end meanwhile: what one step
 * (small dump, large dump, gets, in this order) saw may be gone at the
 * next, never the other way round. False if the module went away under
 * the check (a reload): then nothing it saw counts.
 */
static bool check_dump(struct thread *t, const char *op_name, uint16_t id_type, bool expire)
{
	static const size_t limits[] = { READ_SMALL, 32768 };
	static const char *const buffers[] = { "small", "large" };
	int op = fz_op_index(op_name), *got, i;
	struct id_list listed[2] = { 0 }, asked = { 0 };
	struct answer dumped[2], a;
	size_t repeats[2], j, n_found = 0;
	bool found, in_small, in_large, ok, module_stayed;
	uint32_t id;

	for (i = 0; i < 2; i++) {
		dump_ids(t, op, limits[i], &listed[i], &dumped[i]);
		repeats[i] = id_sort(&listed[i]);
		for (j = 0; j < listed[i].n; j++)
			id_add(&asked, listed[i].ids[j]);
	}
	known_ids(op_name, &asked);
	id_sort(&asked);
	got = calloc(asked.n + 1, sizeof(*got));
	if (!got)
		abort();
	for (j = 0; j < asked.n; j++) {
		get_by_id(t, op, id_type, asked.ids[j], &a);
		got[j] = a.slot;
		n_found += !a.slot;
	}
	/*
	 * Going, the module is still registered and answers gets, but netlink
	 * cannot take the hold on it a dump needs: EPROTONOSUPPORT. Gone, its
	 * family is another one, or none.
	 */
	module_stayed = dumped[0].slot != EPROTONOSUPPORT && dumped[1].slot != EPROTONOSUPPORT &&
			resolve_family(t->fd) == t->gen.family_id;
	if (!module_stayed)
		goto out;

	for (i = 0; i < 2; i++) {
		if (dumped[i].slot || !dumped[i].done)
			violation("%s dump (%s buffer): %s, answer %s%s%s", op_name, buffers[i],
				  dumped[i].done ? "NLMSG_DONE" : "no NLMSG_DONE",
				  slot_name(dumped[i].slot), dumped[i].msg[0] ? ": " : "",
				  dumped[i].msg);
		if (repeats[i])
			violation("%s dump (%s buffer) listed %zu id(s) twice", op_name, buffers[i],
				  repeats[i]);
	}
	for (j = 0; j < asked.n; j++) {
		id = asked.ids[j];
		found = !got[j];
		in_small = id_listed(&listed[0], id);
		in_large = id_listed(&listed[1], id);
		if (got[j] && got[j] != ENOENT) {
			violation("%s of id %u, listed or learned: %s", op_name, id,
				  slot_name(got[j]));
			continue;
		}
		if (expire)
			ok = (!found || in_large) && (!in_large || in_small);
		else
			ok = found == in_large && in_large == in_small;
		if (!ok)
			violation("%s id %u: get %s it, the dump lists it %s", op_name, id,
				  found ? "finds" : "does not find",
				  in_small && in_large ? "with both buffers" :
				  in_small ? "with the small buffer only" :
				  in_large ? "with the large buffer only" : "with neither buffer");
	}
	printf("dump check, %s: %zu listed in %d datagrams with a small buffer, %zu in %d "
	       "with a large one; %zu ids asked with get, %zu found\n", op_name, listed[0].n,
	       dumped[0].datagrams, listed[1].n, dumped[1].datagrams, asked.n, n_found);
out:
	free(got);
	free(asked.ids);
	free(listed[0].ids);
	free(listed[1].ids);
	return module_stayed;
}

/* The dump check of each kind of object, on a socket of its own. */
static void check_dumps(void)
{
	static const struct {
		const char *op;
		uint16_t id_type;
		bool expire;
	} kinds[] = {
		{ "instance-get", XRELAY_A_INSTANCE_ID, false },
		{ "session-get", XRELAY_A_SESSION_ID, true },
		{ "network-get", XRELAY_A_NETWORK_ID, false },
	};
	static struct thread t;
	size_t i;
	int id;

	t.fd = sock_open();
	id = t.fd < 0 ? -errno : resolve_family(t.fd);
	t.gen.family_id = id > 0 ? id : 0;
	if (id <= 0)
		printf("dump check: skipped, no family (%s)\n", strerrorname_np(-id));
	for (i = 0; id > 0 && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!check_dump(&t, kinds[i].op, kinds[i].id_type, kinds[i].expire)) {
			printf("dump check: void, the module went away meanwhile (a reload)\n");
			break;
		}
	if (t.fd >= 0)
		close(t.fd);
	free(t.rbuf);
}

static bool save(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		return false;
	}
	return true;
}

/* Sends a saved request again, with the family's current id, and times it. */
static int replay(const char *path)
{
	struct thread t = { .rsize = 0 };
	struct fz_request req = { .op = 0 };
	struct fz_msg m = { 0 };
	struct answer a;
	FILE *f = fopen(path, "r");
	double start;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < NLMSG_HDRLEN || fseek(f, 0, SEEK_SET)) {
		perror(path);
		return 2;
	}
	m.cap = m.len = len;
	m.buf = malloc(len);
	if (!m.buf || fread(m.buf, 1, len, f) != (size_t)len)
		return 2;
	fclose(f);
	t.fd = sock_open();
	deadline = now() + 10;
	if (t.fd < 0 || !family_wait(&t)) {
		fprintf(stderr, "xrelay_fuzz: the xrelay family is not there\n");
		return 2;
	}
	msg_hdr(&m)->nlmsg_type = t.gen.family_id;
	start = now();
	exchange(&t, t.fd, &m, len, true, READ_WHOLE, &req, &a);
	printf("%s: %ld bytes, answer %s after %.0f ms\n", path, len, slot_name(a.slot),
	       (now() - start) * 1000);
	return 0;
}

/* The namespace's own addresses: where valid instances go. */
static void read_addrs(void)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET && addrs.n4 < 8)
			memcpy(addrs.v4[addrs.n4++], &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		else if (i->ifa_addr->sa_family == AF_INET6 && addrs.n6 < 8)
			memcpy(addrs.v6[addrs.n6++], &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       16);
	}
	freeifaddrs(ifa);
}

static void usage(void)
{
	fprintf(stderr, "usage: xrelay_fuzz [--seed N] [--threads N] [--requests N] [--seconds N]\n"
			"                   [--stall-ms N] [--max-hub N] [--save FILE]\n"
			"       xrelay_fuzz --replay FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "requests", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 'd' },
		{ "stall-ms", required_argument, NULL, 'l' },
		{ "max-hub", required_argument, NULL, 'h' },
		{ "save", required_argument, NULL, 'w' },
		{ "replay", required_argument, NULL, 'r' },
		{ 0 }
	};
	static struct thread threads[MAX_THREADS];
	double start;
	int c, i;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 't': opt.threads = atoi(optarg); break;
		case 'n': opt.requests = atol(optarg); break;
		case 'd': opt.seconds = atoi(optarg); break;
		case 'l': opt.stall_ms = atoi(optarg); break;
		case 'h': opt.max_hub = atoi(optarg); break;
		case 'w': opt.save = optarg; break;
		case 'r': return replay(optarg);
		default: usage();
		}
	}
	if (optind != argc || opt.threads < 1 || opt.threads > MAX_THREADS || fz_nops > MAX_OPS)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	read_addrs();
	start = now();
	deadline = start + opt.seconds;
	for (i = 0; i < opt.threads; i++) {
		threads[i].index = i;
		threads[i].rng.state = opt.seed * 0x100000001b3ULL + i;
		threads[i].gen = (struct fz_gen){
			.rng = &threads[i].rng, .addrs = &addrs, .max_hub = opt.max_hub,
		};
		if (pthread_create(&threads[i].tid, NULL, thread_main, &threads[i])) {
			perror("pthread_create");
			return 2;
		}
	}
	for (i = 0; i < opt.threads; i++)
		pthread_join(threads[i].tid, NULL);
	if (!atomic_load(&family_id)) {
		fprintf(stderr, "xrelay_fuzz: the xrelay family never appeared\n");
		return 2;
	}
	report(threads, now() - start);
	check_dumps();
	if (opt.save && slowest_bytes && !save(opt.save, slowest_bytes, slowest_len))
		return 2;
	if (atomic_load(&violations)) {
		printf("%d violation(s)\n", atomic_load(&violations));
		return 1;
	}
	return 0;
}
