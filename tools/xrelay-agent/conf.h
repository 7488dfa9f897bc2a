/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's settings: /etc/xrelay/agent.conf (KEY = VALUE lines, #
 * comments), each of which the command line may override as --KEY VALUE.
 */
#ifndef AG_CONF_H
#define AG_CONF_H

#include <stdbool.h>
#include <stdint.h>

#define AG_CONF_DEFAULT "/etc/xrelay/agent.conf"

struct ag_conf {
	char *ctld_url;		/* https://HOST:PORT */
	char *relay;		/* this relay's name in ctld's configuration */
	char *cert, *key, *ca;	/* PEM files: client certificate, its key, ctld's CA */
	char *ctld_pin;		/* optional: sha256//BASE64 of ctld's public key */
	uint32_t poll_timeout_ms;	/* how long ctld may hold a poll */
	uint32_t resync_ms;		/* between full reads of the kernel's state */
	uint32_t backoff_max_ms;	/* longest wait between retries */
	bool reserve_ports;	/* add instances' ranges to ip_local_reserved_ports */
	char *metrics_file;	/* Prometheus text file, for node_exporter */
	char *state_file;	/* desired state read from this file, not from ctld */
	bool once;		/* reconcile once and exit */
	bool verbose;
};

/*
 * Fills @c from the configuration file and the command line. Exits with
 * status 2 and a message naming the file and line, or the option, on any
 * error; exits 0 after --help or --version.
 */
void ag_conf_load(struct ag_conf *c, int argc, char **argv);

#endif /* AG_CONF_H */
