// SPDX-License-Identifier: GPL-2.0-only
/*
 * udp_peer: the UDP endpoint the selftests put on either side of the relay.
 *
 *   udp_peer send --to ADDR:PORT [--bind ADDR:PORT] [--count N] [--size BYTES]
 *                 [--interval-ms MS | --rate PPS] [--duration-ms MS] [--head HEX]
 *                 [--shapes SIZE[:HEX][,...]] [--keep-going] [--ttl N] [--dont-fragment]
 *   udp_peer recv --bind ADDR:PORT [--count N] [--timeout-ms MS]
 *                 [--tally [--idle-ms MS]] [--quiet]
 *
 * recv prints "bound ADDR:PORT" once the socket is bound (scripts wait for it
 * before sending), then "from ADDR:PORT len N" per datagram and a final
 * "received N datagrams B bytes". It stops after --count datagrams and fails
 * if fewer arrived before the timeout; --count 0 listens for the whole
 * timeout and fails if anything arrived at all. --tally counts a flow of
 * unknown length instead: it stops at the timeout, after --idle-ms without
 * a datagram once one came (0: never), or at SIGTERM, and never fails for
 * the count. --quiet leaves out the line per datagram (floods).
 *
 * send sends --count datagrams of --size bytes (--count 0: until
 * --duration-ms has passed, or SIGTERM) and prints "sent N datagrams B bytes
 * in MS ms", also when stopped by SIGTERM or SIGINT.
 * --rate paces them to PPS datagrams a second (catching up at once when
 * late): the floods rate-limit tests need, which sleeps of whole
 * milliseconds cannot make. --head puts the given bytes at the start of the
 * payload (the rest is 'x'), e.g. to shape a WireGuard message header.
 * --shapes sends one datagram of each SIZE with each HEX at its start, in
 * order, in place of --count, --size and --head: one process for many
 * shapes, since starting one costs much under emulation. A
 * send error is fatal unless --keep-going, which counts it and carries on:
 * used to keep traffic flowing while the scenery is torn down around the
 * sender. --ttl sets the TTL or hop limit the datagrams leave with;
 * --dont-fragment sets DF (IPv4) or forbids local fragmentation (IPv6), as
 * a sender doing path MTU discovery would.
 *
 * ADDR:PORT is 192.0.2.1:5000 or [2001:db8::1]:5000.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAYLOAD	65507
#define MAX_SHAPES	32

/* Set by SIGTERM/SIGINT: a sender stopped from outside still reports. */
static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	stop_requested = 1;
}

/* One datagram's size and the bytes it starts with (the rest is 'x'). */
struct shape {
	unsigned long size;
	unsigned char head[64];
	size_t head_len;
};

struct options {
	struct sockaddr_storage bind_addr;
	struct sockaddr_storage to_addr;
	bool has_bind;
	bool has_to;
	unsigned long count;
	bool count_set;
	unsigned long interval_ms;
	unsigned long rate;
	unsigned long duration_ms;
	unsigned long timeout_ms;
	unsigned long idle_ms;
	struct shape shapes[MAX_SHAPES];	/* --size and --head, or --shapes */
	unsigned int n_shapes;
	bool keep_going;
	bool tally;
	bool quiet;
	unsigned long ttl;	/* 0: the system's default */
	bool dont_fragment;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: udp_peer send --to ADDR:PORT [--bind ADDR:PORT] [--count N] [--size BYTES]\n"
		"                     [--interval-ms MS | --rate PPS] [--duration-ms MS] [--head HEX]\n"
		"                     [--shapes SIZE[:HEX][,...]] [--keep-going] [--ttl N]\n"
		"                     [--dont-fragment]\n"
		"       udp_peer recv --bind ADDR:PORT [--count N] [--timeout-ms MS]\n"
		"                     [--tally [--idle-ms MS]] [--quiet]\n"
		"ADDR:PORT is 192.0.2.1:5000 or [2001:db8::1]:5000\n");
}

static int parse_endpoint(const char *text, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port_text;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':' || close - text - 1 >= (long)sizeof(host))
			return -1;
		memcpy(host, text + 1, close - text - 1);
		host[close - text - 1] = '\0';
		port_text = close + 2;
	} else {
		const char *colon = strrchr(text, ':');

		if (!colon || colon - text >= (long)sizeof(host))
			return -1;
		memcpy(host, text, colon - text);
		host[colon - text] = '\0';
		port_text = colon + 1;
	}

	errno = 0;
	port = strtoul(port_text, &end, 10);
	if (errno || *port_text == '\0' || *end != '\0' || port > 65535)
		return -1;

	if (text[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	}
	return 0;
}

static const char *format_endpoint(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	}
	return buf;
}

static socklen_t endpoint_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

static int parse_number(const char *text, unsigned long *value)
{
	char *end;

	errno = 0;
	*value = strtoul(text, &end, 10);
	return (errno || *text == '\0' || *end != '\0' || *text == '-') ? -1 : 0;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long now_ms(void)
{
	return now_ns() / 1000000;
}

/* Sleeps until CLOCK_MONOTONIC reaches @ns, or a stop is requested. */
static void sleep_until_ns(unsigned long long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !stop_requested)
		;
}

/* "0102ff" into @buf; returns the number of bytes, -1 if not hex or too long. */
static int parse_hex(const char *text, unsigned char *buf, size_t size)
{
	size_t len = strlen(text), i;

	if (len == 0 || len % 2 || len / 2 > size)
		return -1;
	for (i = 0; i < len / 2; i++) {
		unsigned int byte;

		if (!isxdigit((unsigned char)text[2 * i]) ||
		    !isxdigit((unsigned char)text[2 * i + 1]) ||
		    sscanf(text + 2 * i, "%2x", &byte) != 1)
			return -1;
		buf[i] = byte;
	}
	return len / 2;
}

static int open_socket(int family, const struct options *opt)
{
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0) {
		perror("socket");
		return -1;
	}
	if (opt->has_bind &&
	    bind(fd, (const struct sockaddr *)&opt->bind_addr, endpoint_len(&opt->bind_addr))) {
		perror("bind");
		close(fd);
		return -1;
	}
	if (opt->ttl && (family == AF_INET ?
			 setsockopt(fd, IPPROTO_IP, IP_TTL, &(int){ opt->ttl }, sizeof(int)) :
			 setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &(int){ opt->ttl },
				    sizeof(int)))) {
		perror("setsockopt(TTL)");
		close(fd);
		return -1;
	}
	if (opt->dont_fragment && (family == AF_INET ?
				   setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER,
					      &(int){ IP_PMTUDISC_DO }, sizeof(int)) :
				   setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &(int){ 1 },
					      sizeof(int)))) {
		perror("setsockopt(don't fragment)");
		close(fd);
		return -1;
	}
	return fd;
}

/* "SIZE[:HEX]" into @shape; returns -1 if it is not one. */
static int parse_shape(char *text, struct shape *shape)
{
	char *colon = strchr(text, ':');
	int len = 0;

	if (colon) {
		*colon = '\0';
		len = parse_hex(colon + 1, shape->head, sizeof(shape->head));
	}
	if (len < 0 || parse_number(text, &shape->size) || shape->size > MAX_PAYLOAD ||
	    (size_t)len > shape->size)
		return -1;
	shape->head_len = len;
	return 0;
}

/* A comma-separated list of shapes into @opt; returns -1 if it is not one. */
static int parse_shapes(const char *text, struct options *opt)
{
	char copy[MAX_SHAPES * 140], *item, *save = NULL;

	if (strlen(text) >= sizeof(copy))
		return -1;
	strcpy(copy, text);
	opt->n_shapes = 0;
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (opt->n_shapes == MAX_SHAPES || parse_shape(item, &opt->shapes[opt->n_shapes]))
			return -1;
		opt->n_shapes++;
	}
	return opt->n_shapes ? 0 : -1;
}

static int do_send(const struct options *opt)
{
	unsigned long long start = now_ns(), elapsed_ms, bytes = 0;
	unsigned long long deadline = opt->duration_ms ? now_ms() + opt->duration_ms : 0;
	unsigned long sent = 0, failed = 0;
	static char payload[MAX_PAYLOAD];
	const struct shape *shape;
	int fd, ret = 0;

	if (!opt->has_to || (opt->count == 0 && !opt->duration_ms)) {
		usage(stderr);
		return 2;
	}
	if (opt->shapes[0].head_len > opt->shapes[0].size) {
		fprintf(stderr, "udp_peer: --head is longer than --size\n");
		return 2;
	}
	if (opt->has_bind && opt->bind_addr.ss_family != opt->to_addr.ss_family) {
		fprintf(stderr, "udp_peer: --bind and --to are of different address families\n");
		return 2;
	}
	fd = open_socket(opt->to_addr.ss_family, opt);
	if (fd < 0)
		return 1;

	while (opt->count == 0 || sent + failed < opt->count) {
		shape = &opt->shapes[(sent + failed) % opt->n_shapes];
		memset(payload, 'x', shape->size);
		memcpy(payload, shape->head, shape->head_len);
		if (opt->rate)
			sleep_until_ns(start + (sent + failed) * 1000000000ULL / opt->rate);
		if (stop_requested || (deadline && now_ms() >= deadline))
			break;
		if (sendto(fd, payload, shape->size, 0, (const struct sockaddr *)&opt->to_addr,
			   endpoint_len(&opt->to_addr)) == (ssize_t)shape->size) {
			sent++;
			bytes += shape->size;
		} else if (stop_requested) {
			break;
		} else if (opt->keep_going) {
			failed++;
		} else {
			perror("sendto");
			ret = 1;
			break;
		}
		if (opt->interval_ms)
			sleep_until_ns(now_ns() + opt->interval_ms * 1000000ULL);
	}

	elapsed_ms = (now_ns() - start) / 1000000;
	printf("sent %lu datagrams %llu bytes in %llu ms\n", sent, bytes, elapsed_ms);
	if (failed)
		printf("failed %lu datagrams\n", failed);
	close(fd);
	return ret;
}

static int do_recv(const struct options *opt)
{
	unsigned long long deadline = now_ms() + opt->timeout_ms;
	unsigned long received = 0;
	unsigned long long bytes = 0;
	static char payload[MAX_PAYLOAD + 1];
	char text[INET6_ADDRSTRLEN + 8];
	int fd, bufsize = 4 << 20;

	if (!opt->has_bind) {
		usage(stderr);
		return 2;
	}
	fd = open_socket(opt->bind_addr.ss_family, opt);
	if (fd < 0)
		return 1;
	/* Counter tests need every datagram: don't let a burst overflow us. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));

	printf("bound %s\n", format_endpoint(&opt->bind_addr, text, sizeof(text)));

	while (opt->tally || opt->count == 0 || received < opt->count) {
		long long left = (long long)(deadline - now_ms());
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t len;

		if (opt->tally && received && opt->idle_ms && left > (long long)opt->idle_ms)
			left = opt->idle_ms;
		if (stop_requested || left <= 0 || poll(&pfd, 1, left) == 0)
			break;
		len = recvfrom(fd, payload, sizeof(payload), MSG_DONTWAIT,
			       (struct sockaddr *)&from, &fromlen);
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("recvfrom");
			break;
		}
		received++;
		bytes += len;
		if (!opt->quiet)
			printf("from %s len %zd\n", format_endpoint(&from, text, sizeof(text)), len);
	}

	printf("received %lu datagrams %llu bytes\n", received, bytes);
	close(fd);
	if (opt->tally)
		return 0;
	if (opt->count == 0)
		return received == 0 ? 0 : 1;
	return received == opt->count ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "to", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "rate", required_argument, NULL, 'r' },
		{ "head", required_argument, NULL, 'H' },
		{ "shapes", required_argument, NULL, 'S' },
		{ "tally", no_argument, NULL, 'y' },
		{ "idle-ms", required_argument, NULL, 'I' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "duration-ms", required_argument, NULL, 'd' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "ttl", required_argument, NULL, 'L' },
		{ "dont-fragment", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct options opt = {
		.count = 1, .timeout_ms = 2000, .shapes = { { .size = 64 } }, .n_shapes = 1,
	};
	bool has_shapes = false;
	const char *mode;
	int c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	mode = argv[1];
	if (!strcmp(mode, "help") || !strcmp(mode, "--help") || !strcmp(mode, "-h")) {
		usage(stdout);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'b':
			bad = parse_endpoint(optarg, &opt.bind_addr);
			opt.has_bind = true;
			break;
		case 't':
			bad = parse_endpoint(optarg, &opt.to_addr);
			opt.has_to = true;
			break;
		case 'c':
			bad = parse_number(optarg, &opt.count);
			opt.count_set = true;
			break;
		case 's':
			bad = parse_number(optarg, &opt.shapes[0].size) ||
			      opt.shapes[0].size > MAX_PAYLOAD;
			break;
		case 'i':
			bad = parse_number(optarg, &opt.interval_ms);
			break;
		case 'r':
			bad = parse_number(optarg, &opt.rate) || opt.rate == 0;
			break;
		case 'H': {
			int len = parse_hex(optarg, opt.shapes[0].head, sizeof(opt.shapes[0].head));

			bad = len < 0;
			opt.shapes[0].head_len = bad ? 0 : len;
			break;
		}
		case 'S':
			bad = parse_shapes(optarg, &opt);
			has_shapes = true;
			break;
		case 'y':
			opt.tally = true;
			break;
		case 'I':
			bad = parse_number(optarg, &opt.idle_ms);
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'd':
			bad = parse_number(optarg, &opt.duration_ms);
			break;
		case 'T':
			bad = parse_number(optarg, &opt.timeout_ms);
			break;
		case 'k':
			opt.keep_going = true;
			break;
		case 'L':
			bad = parse_number(optarg, &opt.ttl) || !opt.ttl || opt.ttl > 255;
			break;
		case 'D':
			opt.dont_fragment = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "udp_peer: bad option value '%s'\n", optarg);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	if (opt.rate && opt.interval_ms) {
		fprintf(stderr, "udp_peer: --rate and --interval-ms exclude each other\n");
		return 2;
	}
	/* No SA_RESTART: a blocked call returns at once, and the report follows. */
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = request_stop }, NULL);
	sigaction(SIGINT, &(struct sigaction){ .sa_handler = request_stop }, NULL);
	if (!strcmp(mode, "send")) {
		/* --duration-ms alone means "until then", not "one datagram". */
		if (!opt.count_set && opt.duration_ms)
			opt.count = 0;
		if (has_shapes)
			opt.count = opt.n_shapes;
		return do_send(&opt);
	}
	if (!strcmp(mode, "recv"))
		return do_recv(&opt);
	usage(stderr);
	return 2;
}
