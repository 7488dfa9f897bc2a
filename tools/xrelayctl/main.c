// SPDX-License-Identifier: GPL-2.0-only
/*
 * xrelayctl: configure and watch the xrelay kernel module.
 * Every argument is parsed before the kernel is contacted, so bad input
 * changes nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netlink/socket.h>

#include "xrelayctl.h"

struct command {
	const char *object;
	const char *name;	/* NULL when the object is the command */
	int (*run)(struct args *a);
	const char *usage;	/* the words after the name, then maybe more lines */
};

static const struct command commands[] = {
	{ "instance", "add", instance_add, "[id ID] [network NET] addr ADDR ports MIN-MAX" },
	{ "instance", "del", instance_del, "id ID" },
	{ "instance", "show", instance_show, "[id ID]" },
	{ "instance", "dump", instance_dump, "" },
	{ "session", "add", session_add,
	  "instance ID [network NET] [idle SECS] [lifetime SECS]\n"
	  "           [rate RATE] [quota BYTES] [protocol any|wireguard] a SIDE b SIDE\n"
	  "           SIDE := PORT [peer ADDR:PORT | learn [from PREFIX] [relearn SECS]]\n"
	  "                   [allow PREFIX[,PREFIX...]] [deny PREFIX[,PREFIX...]]" },
	{ "session", "del", session_del, "id ID | instance ID port PORT" },
	{ "session", "show", session_show, "[id ID | instance ID [port PORT] | network NET]" },
	{ "session", "dump", session_dump, "[instance ID | network NET]" },
	{ "session", "flush", session_flush, "[instance ID | network NET]" },
	{ "network", "add", network_add, "id NET [POLICY...]" },
	{ "network", "set", network_set,
	  "id NET [POLICY...]   (replaces the whole policy, a hub included)" },
	{ "network", "del", network_del, "id NET" },
	{ "network", "show", network_show, "[id NET]" },
	{ "network", "dump", network_dump, "" },
	{ "stats", NULL, stats_show, "" },
	{ "limit", NULL, limit_run, "[N]" },
	{ "monitor", NULL, monitor_run, "" },
	{ "xdp", "attach", xdp_attach, "dev DEV [mode native|generic]" },
	{ "xdp", "detach", xdp_detach, "dev DEV" },
	{ "xdp", "show", xdp_show, "" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* What a usage error shows the usage of: a command, an object, or all. */
static const struct command *current_command;
static const char *current_object;

static const char *const notes =
	"ADDR := IPv4 or IPv6 address\n"
	"ADDR:PORT := 192.0.2.1:5000 | [2001:db8::1]:5000\n"
	"PREFIX := ADDR/LEN\n"
	"N, BYTES := decimal, optionally with k, M or G (x1000): bps 10M, session-quota 50G\n"
	"Options: -j, --json  print JSON (dump prints tab-separated text only)\n"
	"Any command followed by -h or help prints its usage.\n";

#define RATE_DEFS \
	"           RATE := one or more of: pps N | burst N | bps N | burst-bytes N\n"

static const char policy_defs[] =
	"           POLICY := allow PREFIX[,PREFIX...] | deny PREFIX[,PREFIX...]\n"
	"                   | allow-file FILE | deny-file FILE\n"
	"                   | rate RATE | session-rate RATE | session-quota BYTES\n"
	"                   | max-sessions N | protocol any|wireguard | hub-file FILE\n"
	RATE_DEFS
	"           hub-file: one statement a line, '#' comments, rules in order, first match wins:\n"
	"             interface IFNAME [IFNAME...]\n"
	"             default open|locked\n"
	"             group NAME PREFIX [PREFIX...]\n"
	"             allow|deny [from GROUP|PREFIX|any] [to GROUP|PREFIX|any]\n"
	"                        [proto tcp|udp|udplite|sctp|icmp|ipv6-icmp|NUMBER] [port N[-M]]\n";

/* Lines defining words of @c's usage, shown once after the commands sharing them. */
static const char *usage_defs(const struct command *c)
{
	if (c->run == network_add || c->run == network_set)
		return policy_defs;
	if (c->run == session_add)
		return RATE_DEFS;
	return NULL;
}

static void print_command(FILE *f, const struct command *c, const char *lead)
{
	fprintf(f, "%sxrelayctl [-j] %s", lead, c->object);
	if (c->name)
		fprintf(f, " %s", c->name);
	if (*c->usage)
		fprintf(f, " %s", c->usage);
	fputc('\n', f);
}

/* Usage of @command, else of every command of @object, else of all. */
static void print_usage(FILE *f, const struct command *command, const char *object)
{
	bool all = !command && !object;
	const char *lead = "Usage: ";
	const char *defs = NULL;
	size_t i;

	if (all) {
		fprintf(f, "Usage: xrelayctl [-j|--json] [-h|--help] OBJECT COMMAND [ARGS]\n");
		lead = "       ";
	}
	for (i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		if (command ? c != command : object && strcmp(c->object, object))
			continue;
		if (defs && usage_defs(c) != defs)
			fputs(defs, f);
		print_command(f, c, lead);
		lead = "       ";
		defs = usage_defs(c);
	}
	if (defs)
		fputs(defs, f);
	if (all)
		fputs(notes, f);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "Error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	print_usage(stderr, current_command, current_object);
	exit(EXIT_USAGE);
}

static bool is_help(const char *word)
{
	return !strcmp(word, "-h") || !strcmp(word, "--help") || !strcmp(word, "help");
}

/* With a NULL @name: the object's first command, or the object itself. */
static const struct command *find_command(const char *object, const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		if (!strcmp(c->object, object) &&
		    (!name || !c->name || !strcmp(c->name, name)))
			return c;
	}
	return NULL;
}

static const struct command *choose_command(struct args *a)
{
	const char *object = args_next(a);
	const struct command *command;
	const char *name;

	if (!object)
		usage_error("missing object");
	if (is_help(object)) {
		print_usage(stdout, NULL, NULL);
		exit(EXIT_SUCCESS);
	}
	command = find_command(object, NULL);
	if (!command)
		usage_error("unknown object \"%s\"", object);
	current_object = command->object;
	if (!command->name)
		return command;

	name = a->argc ? args_next(a) : "show";
	if (is_help(name)) {
		print_usage(stdout, NULL, object);
		exit(EXIT_SUCCESS);
	}
	command = find_command(object, name);
	if (!command)
		usage_error("unknown command \"%s\" for \"%s\"", name, object);
	return command;
}

int main(int argc, char **argv)
{
	struct args a = { argc - 1, argv + 1 };
	int ret;
	int i;

	while (a.argc && a.argv[0][0] == '-') {
		const char *option = args_next(&a);

		if (!strcmp(option, "-j") || !strcmp(option, "--json")) {
			out_json = true;
		} else if (is_help(option)) {
			print_usage(stdout, NULL, NULL);
			return EXIT_SUCCESS;
		} else {
			usage_error("unknown option \"%s\"", option);
		}
	}
	current_command = choose_command(&a);
	for (i = 0; i < a.argc; i++) {
		if (is_help(a.argv[i])) {
			print_usage(stdout, current_command, NULL);
			return EXIT_SUCCESS;
		}
	}
	ret = current_command->run(&a);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "Error: writing the output failed\n");
		return EXIT_RUNTIME;
	}
	return ret;
}

void out_of_memory(void)
{
	fprintf(stderr, "Error: out of memory\n");
	exit(EXIT_RUNTIME);
}

void kernel_open(struct xr_nl *nl)
{
	if (xr_nl_open(nl)) {
		fprintf(stderr, "Error: %s\n", nl->errmsg);
		exit(EXIT_RUNTIME);
	}
}

/* The socket for requests, opened by the first one. */
static struct xr_nl request_nl;

struct nl_msg *request_new(uint8_t cmd, int flags)
{
	struct nl_msg *msg;

	if (!request_nl.sock)
		kernel_open(&request_nl);
	msg = xr_nl_msg(&request_nl, cmd, flags);
	if (!msg)
		out_of_memory();
	return msg;
}

/* @err: the nla_put() results of a request, or-ed together. */
void request_check_put(int err)
{
	if (err) {
		fprintf(stderr, "Error: request does not fit in a netlink message\n");
		exit(EXIT_RUNTIME);
	}
}

/* Set after request_expect_large_replies() could not raise the receive buffer. */
static int small_rcvbuf;

static int request_failed(void)
{
	fprintf(stderr, "Error: %s\n", request_nl.errmsg);
	/* Not the kernel's refusal: the reply or the ACK after it did not fit. */
	if (small_rcvbuf && request_nl.error == EIO)
		fprintf(stderr, "The socket's receive buffer (%d bytes) may be too small for the "
			"reply; raising it needs CAP_NET_ADMIN or a larger net.core.rmem_max\n",
			small_rcvbuf);
	return EXIT_RUNTIME;
}

int request_run(struct nl_msg *msg, xr_nl_msg_fn fn, void *arg)
{
	if (xr_nl_request(&request_nl, msg, fn, arg))
		return request_failed();
	return EXIT_SUCCESS;
}

int request_run_or_missing(struct nl_msg *msg, xr_nl_msg_fn fn, void *arg)
{
	if (xr_nl_request(&request_nl, msg, fn, arg) && request_nl.error != ENOENT)
		return request_failed();
	return EXIT_SUCCESS;
}

/*
 * Raises a buffer of the request socket to at least @bytes: past the
 * net.core.[rw]mem_max cap with the FORCE option (CAP_NET_ADMIN), else as
 * far as the cap allows. The kernel doubles the value set, for its own
 * bookkeeping, and enforces and reports the doubled value. Returns that.
 */
static int socket_buffer_raise(int force_option, int option, size_t bytes)
{
	int fd = nl_socket_get_fd(request_nl.sock);
	int want = bytes > INT_MAX / 2 ? INT_MAX / 2 : bytes;
	socklen_t len = sizeof(int);
	int have = 0;

	if (!getsockopt(fd, SOL_SOCKET, option, &have, &len) && have >= want)
		return have;
	if (setsockopt(fd, SOL_SOCKET, force_option, &want, sizeof(want)))
		setsockopt(fd, SOL_SOCKET, option, &want, sizeof(want));
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, option, &have, &len))
		return 0;
	return have;
}

struct nl_msg *request_new_large(uint8_t cmd, int flags, size_t attrs_size)
{
	/* Headers and the other attributes of any request take far less. */
	size_t size = attrs_size + 4096;
	size_t page = getpagesize();
	struct nl_msg *msg;
	int sndbuf;

	if (size <= page)
		return request_new(cmd, flags);
	if (!request_nl.sock)
		kernel_open(&request_nl);
	/* The kernel refuses a message longer than the send buffer, less 32 bytes. */
	sndbuf = socket_buffer_raise(SO_SNDBUFFORCE, SO_SNDBUF, size + 32);
	if (sndbuf < 32 || (size_t)sndbuf - 32 < size) {
		fprintf(stderr, "Error: the request needs up to %zu bytes, more than the "
			"socket's send buffer holds (%d bytes); raising it needs CAP_NET_ADMIN "
			"or a larger net.core.wmem_max\n", size, sndbuf);
		exit(EXIT_RUNTIME);
	}
	/* libnl sizes every new message by this default: set it for this one only. */
	nlmsg_set_default_size(size);
	msg = request_new(cmd, flags);
	nlmsg_set_default_size(page);
	return msg;
}

/* A network's reply with two full lists of IPv6 prefixes, with room to spare. */
#define LARGE_REPLY_BYTES	(16 << 20)

void request_expect_large_replies(void)
{
	int rcvbuf;

	if (!request_nl.sock)
		kernel_open(&request_nl);
	rcvbuf = socket_buffer_raise(SO_RCVBUFFORCE, SO_RCVBUF, LARGE_REPLY_BYTES);
	small_rcvbuf = rcvbuf < LARGE_REPLY_BYTES ? rcvbuf : 0;
}
