// SPDX-License-Identifier: GPL-2.0-only
/*
 * xrelay-ctld: validates the YAML description of the relay fleet and
 * serves each relay its desired state over mutually authenticated HTTPS.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"

static void usage(FILE *f)
{
	fputs("Usage: xrelay-ctld check PATH...\n"
	      "       xrelay-ctld serve --config DIR --cert FILE --key FILE --ca FILE --db FILE\n"
	      "                         [--listen ADDR:PORT] [--ready-file FILE] [--quiet] [--crl FILE]\n"
	      "                         [--max-connections N] [--max-connections-per-source N]\n"
	      "                         [--request-timeout SECONDS] [--idle-timeout SECONDS]\n"
	      "                         [--reload-guard PERCENT] [--orphan-grace SECONDS]\n"
	      "       xrelay-ctld --help | --version\n"
	      "\n"
	      "check   validate a configuration (directories of *.yaml files, or files);\n"
	      "        print every problem as FILE:LINE:COLUMN: MESSAGE; exit 1 if any\n"
	      "serve   serve relays their state and the allocation API over HTTPS with\n"
	      "        mutual TLS; reload DIR on change or SIGHUP\n"
	      "  --listen ADDR:PORT   where to listen (default [::]:8443; port 0 picks one)\n"
	      "  --cert, --key        the server's certificate chain and key (PEM)\n"
	      "  --ca                 CA bundle client certificates must chain to (PEM)\n"
	      "  --crl FILE           CRLs (PEM) a client certificate must not be revoked by;\n"
	      "                       certificates, CA and CRLs reload on SIGHUP or change\n"
	      "  --db                 SQLite file holding the allocations\n"
	      "  --ready-file FILE    once listening, write the bound ADDR:PORT to FILE\n"
	      "  --max-connections N  open connections at most (default and most: the\n"
	      "                       descriptor limit less 64); past it, accepting pauses\n"
	      "  --max-connections-per-source N\n"
	      "                       per IPv4 address or IPv6 /64 (default 256); past it,\n"
	      "                       a new connection is closed\n"
	      "  --request-timeout S  a new connection's TLS handshake and first request,\n"
	      "                       whole, within S seconds (default 10)\n"
	      "  --idle-timeout S     the next request on a kept-alive connection, whole,\n"
	      "                       within S seconds of the last answer (default 60)\n"
	      "  --reload-guard P     hold a reload that would take more than P% of a relay's\n"
	      "                       sessions (default 50; 100: never); SIGUSR1 applies it\n"
	      "  --orphan-grace S     keep an allocation the configuration no longer fits\n"
	      "                       (its relay gone...) S seconds, to come back with it\n"
	      "                       (default 3600)\n"
	      "  --quiet              log only warnings and errors\n", f);
}

static int cmd_check(int argc, char **argv)
{
	struct diags diags = { 0 };
	struct config *cfg;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cfg = config_load((const char *const *)argv + 1, argc - 1, &diags);
	diags_sort(&diags);
	diags_print(&diags, stdout);
	if (cfg)
		printf("ok: %zu files, %zu networks, %zu relays, %zu sessions, %zu policies, %zu clients\n",
		       cfg->n_files, cfg->n_networks, cfg->n_relays, cfg->n_sessions,
		       cfg->n_policies, cfg->n_clients);
	diags_free(&diags);
	config_free(cfg);
	return cfg ? 0 : 1;
}

/* Name a required option that was not given. */
static bool missing(const char *option, const char *value)
{
	if (!value)
		fprintf(stderr, "xrelay-ctld serve: %s is required\n", option);
	return !value;
}

static int parse_count(const char *option, const char *arg, unsigned *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || !v || v > 1000000) {
		fprintf(stderr, "xrelay-ctld serve: %s must be a whole number from 1 to 1000000, got '%s'\n",
			option, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "ca", required_argument, NULL, 'A' },
		{ "crl", required_argument, NULL, 'R' },
		{ "db", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "max-connections", required_argument, NULL, 'M' },
		{ "max-connections-per-source", required_argument, NULL, 'S' },
		{ "request-timeout", required_argument, NULL, 'T' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "reload-guard", required_argument, NULL, 'G' },
		{ "orphan-grace", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o = {
		.listen = "[::]:8443",
		.conn = { .per_source = 256, .request_deadline = 10, .idle_deadline = 60 },
		.reload_guard = 50,
		.orphan_grace = 3600,
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config_dir = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'C': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'A': o.ca = optarg; break;
		case 'R': o.crl = optarg; break;
		case 'd': o.db = optarg; break;
		case 'r': o.ready_file = optarg; break;
		case 'q': log_set_quiet(1); break;
		case 'M':
			if (parse_count("--max-connections", optarg, &o.conn.max))
				return 2;
			break;
		case 'S':
			if (parse_count("--max-connections-per-source", optarg, &o.conn.per_source))
				return 2;
			break;
		case 'T':
			if (parse_count("--request-timeout", optarg, &o.conn.request_deadline))
				return 2;
			break;
		case 'O':
			if (parse_count("--orphan-grace", optarg, &o.orphan_grace))
				return 2;
			break;
		case 'G':
			if (parse_count("--reload-guard", optarg, &o.reload_guard))
				return 2;
			if (o.reload_guard > 100) {
				fputs("xrelay-ctld serve: --reload-guard is a percentage, 1 to 100\n", stderr);
				return 2;
			}
			break;
		case 'I':
			if (parse_count("--idle-timeout", optarg, &o.conn.idle_deadline))
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "xrelay-ctld serve: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (missing("--config", o.config_dir) | missing("--cert", o.cert) |
	    missing("--key", o.key) | missing("--ca", o.ca) | missing("--db", o.db))
		return 2;
	return daemon_run(&o);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("xrelay-ctld %s\n", XRELAY_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "serve"))
		return cmd_serve(argc - 1, argv + 1);
	fprintf(stderr, "xrelay-ctld: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
