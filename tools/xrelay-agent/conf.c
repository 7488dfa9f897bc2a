// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"
#include "xrelay-parse.h"

#ifndef XRELAY_VERSION
#define XRELAY_VERSION "unknown"
#endif

enum kind { STRING, DURATION, BOOLEAN };

struct key {
	const char *name;
	enum kind kind;
	size_t offset;
	uint32_t min_ms, max_ms;	/* durations */
	const char *help;
};

#define STR(name, field, help) { name, STRING, offsetof(struct ag_conf, field), 0, 0, help }
#define DUR(name, field, min, max, help) \
	{ name, DURATION, offsetof(struct ag_conf, field), min, max, help }
#define BOOL(name, field, help) { name, BOOLEAN, offsetof(struct ag_conf, field), 0, 0, help }

static const struct key keys[] = {
	STR("ctld-url", ctld_url, "https://HOST:PORT of xrelay-ctld"),
	STR("relay", relay, "this relay's name in ctld's configuration"),
	STR("cert", cert, "client certificate (PEM) ctld knows this relay by"),
	STR("key", key, "its private key (PEM)"),
	STR("ca", ca, "CA (PEM) that ctld's certificate must chain to"),
	STR("ctld-pin", ctld_pin, "optional sha256//BASE64 pin of ctld's public key"),
	DUR("poll-timeout", poll_timeout_ms, 1000, 300000, "longest a poll waits (30s)"),
	DUR("resync-interval", resync_ms, 100, 86400000, "between full reads of the kernel (60s)"),
	DUR("backoff-max", backoff_max_ms, 100, 3600000, "longest wait between retries (30s)"),
	BOOL("reserve-ports", reserve_ports, "add instance ranges to ip_local_reserved_ports (yes)"),
	STR("metrics-file", metrics_file, "Prometheus text file to write (none)"),
	STR("state-file", state_file, "desired state from this JSON file instead of ctld"),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: xrelay-agent [--config FILE] [--once] [--verbose] [--KEY VALUE]...\n"
		"Keeps this relay's xrelay kernel state in step with xrelay-ctld.\n"
		"  --config FILE  settings file (default " AG_CONF_DEFAULT ", if it exists)\n"
		"  --once         reconcile once, report, and exit (1 if anything failed)\n"
		"  --verbose      log every change and every poll\n"
		"Settings (file: KEY = VALUE; command line: --KEY VALUE):\n");
	for (i = 0; i < N_KEYS; i++)
		fprintf(out, "  %-16s %s\n", keys[i].name, keys[i].help);
	fprintf(out, "Durations: 30, 30s, 500ms, 5m, 1h. Booleans: yes or no.\n");
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xrelay-agent: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static const struct key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* N, Nms, Ns, Nm or Nh; NULL or why not. */
static const char *parse_duration(const char *s, uint32_t min_ms, uint32_t max_ms, uint32_t *ms)
{
	static const struct { const char *suffix; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 },
	};
	char digits[24];
	size_t n = 0, i;
	uint64_t v;

	while (isdigit((unsigned char)s[n]) && n < sizeof(digits) - 1)
		n++;
	if (!n)
		return "not a duration (30, 30s, 500ms, 5m, 1h)";
	memcpy(digits, s, n);
	digits[n] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(s + n, units[i].suffix))
			break;
	if (i == sizeof(units) / sizeof(units[0]) || xr_uint_parse(digits, 0, UINT32_MAX, &v))
		return "not a duration (30, 30s, 500ms, 5m, 1h)";
	v *= units[i].ms;
	if (v < min_ms || v > max_ms)
		return "duration out of range";
	*ms = v;
	return NULL;
}

/* Sets @k from @value; NULL or why not. */
static const char *set_key(struct ag_conf *c, const struct key *k, const char *value)
{
	char *field = (char *)c + k->offset;

	switch (k->kind) {
	case STRING:
		if (!*value)
			return "empty value";
		free(*(char **)field);
		*(char **)field = ag_strdup(value);
		return NULL;
	case DURATION:
		return parse_duration(value, k->min_ms, k->max_ms, (uint32_t *)field);
	case BOOLEAN:
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1"))
			*(bool *)field = true;
		else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0"))
			*(bool *)field = false;
		else
			return "not yes or no";
		return NULL;
	}
	return "unknown kind";
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static void load_file(struct ag_conf *c, const char *path, bool must_exist)
{
	bool seen[N_KEYS] = { false };
	char *line = NULL;
	size_t cap = 0;
	unsigned int lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return;
		die("%s: %s", path, strerror(errno));
	}
	while (getline(&line, &cap, f) > 0) {
		const struct key *k;
		char *hash, *eq, *name, *value;
		const char *why;

		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		name = trim(line);
		if (!*name)
			continue;
		eq = strchr(name, '=');
		if (!eq)
			die("%s:%u: expected KEY = VALUE", path, lineno);
		*eq = '\0';
		name = trim(name);
		value = trim(eq + 1);
		k = find_key(name);
		if (!k)
			die("%s:%u: unknown key '%s'", path, lineno, name);
		if (seen[k - keys])
			die("%s:%u: '%s' is set twice", path, lineno, name);
		seen[k - keys] = true;
		why = set_key(c, k, value);
		if (why)
			die("%s:%u: %s: %s", path, lineno, name, why);
	}
	if (ferror(f))
		die("%s: %s", path, strerror(errno));
	free(line);
	fclose(f);
}

enum { OPT_CONFIG = 256, OPT_ONCE, OPT_VERBOSE, OPT_HELP, OPT_VERSION, OPT_KEY };

static void check_required(const struct ag_conf *c, const char *path)
{
	const char *missing = NULL;

	if (c->state_file)
		return;
	if (!c->ctld_url)
		missing = "ctld-url";
	else if (!c->relay)
		missing = "relay";
	else if (!c->cert)
		missing = "cert";
	else if (!c->key)
		missing = "key";
	else if (!c->ca)
		missing = "ca";
	if (missing)
		die("no %s: set it in %s or give --%s (or give state-file to run without ctld)",
		    missing, path, missing);
	if (strncmp(c->ctld_url, "https://", 8))
		die("ctld-url must start with https:// (ctld speaks TLS only)");
}

void ag_conf_load(struct ag_conf *c, int argc, char **argv)
{
	struct option opts[N_KEYS + 6];
	const char *path = AG_CONF_DEFAULT;
	bool explicit = false;
	size_t i;
	int opt;

	memset(c, 0, sizeof(*c));
	c->poll_timeout_ms = 30000;
	c->resync_ms = 60000;
	c->backoff_max_ms = 30000;
	c->reserve_ports = true;

	opts[0] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	opts[1] = (struct option){ "once", no_argument, NULL, OPT_ONCE };
	opts[2] = (struct option){ "verbose", no_argument, NULL, OPT_VERBOSE };
	opts[3] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	opts[4] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	for (i = 0; i < N_KEYS; i++)
		opts[5 + i] = (struct option){ keys[i].name, required_argument, NULL,
					       OPT_KEY + (int)i };
	opts[5 + N_KEYS] = (struct option){ NULL, 0, NULL, 0 };

	/* The file first, so that the command line overrides it. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_CONFIG) {
			path = optarg;
			explicit = true;
		}
	}
	load_file(c, path, explicit);

	opterr = 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *why;

		switch (opt) {
		case OPT_CONFIG:
			break;
		case OPT_ONCE:
			c->once = true;
			break;
		case OPT_VERBOSE:
			c->verbose = true;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("xrelay-agent %s\n", XRELAY_VERSION);
			exit(0);
		default:
			if (opt < OPT_KEY || opt >= OPT_KEY + (int)N_KEYS) {
				usage(stderr);
				exit(2);
			}
			why = set_key(c, &keys[opt - OPT_KEY], optarg);
			if (why)
				die("--%s: %s", keys[opt - OPT_KEY].name, why);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xrelay-agent: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
	check_required(c, path);
}
