// SPDX-License-Identifier: GPL-2.0-only
/*
 * xrelayctl: configure and watch the xrelay kernel module.
 * Every argument is parsed before the kernel is contacted, so bad input
 * changes nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	  "instance ID [network NET] [idle SECS] [lifetime SECS] a SIDE b SIDE\n"
	  "           SIDE := PORT [peer ADDR:PORT | learn [from PREFIX] [relearn SECS]]" },
	{ "session", "del", session_del, "id ID | instance ID port PORT" },
	{ "session", "show", session_show, "[id ID | instance ID [port PORT] | network NET]" },
	{ "session", "dump", session_dump, "[instance ID | network NET]" },
	{ "session", "flush", session_flush, "[instance ID | network NET]" },
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
	"Options: -j, --json  print JSON (dump prints tab-separated text only)\n"
	"Any command followed by -h or help prints its usage.\n";

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
	size_t i;

	if (all) {
		fprintf(f, "Usage: xrelayctl [-j|--json] [-h|--help] OBJECT COMMAND [ARGS]\n");
		lead = "       ";
	}
	for (i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		if (command ? c != command : object && strcmp(c->object, object))
			continue;
		print_command(f, c, lead);
		lead = "       ";
	}
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
	if (!msg) {
		fprintf(stderr, "Error: out of memory\n");
		exit(EXIT_RUNTIME);
	}
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

int request_run(struct nl_msg *msg, xr_nl_msg_fn fn, void *arg)
{
	if (xr_nl_request(&request_nl, msg, fn, arg)) {
		fprintf(stderr, "Error: %s\n", request_nl.errmsg);
		return EXIT_RUNTIME;
	}
	return EXIT_SUCCESS;
}
