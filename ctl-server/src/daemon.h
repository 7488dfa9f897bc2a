/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef CTLD_DAEMON_H
#define CTLD_DAEMON_H

#include <event2/event.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "credentials.h"
#include "state.h"
#include "store.h"

struct daemon_opts {
	const char *config_dir;
	const char *listen;
	const char *cert, *key, *ca;
	const char *crl;		/* or NULL */
	const char *db;
	const char *ready_file;
	unsigned reload_guard;		/* percent of a relay's sessions a reload may take */
	unsigned orphan_grace;		/* seconds an allocation off its relay is kept */
	struct conn_limits conn;	/* max 0: from the descriptor limit */
};

#define RELOAD_ERRORS_KEPT 50

/* Counters exported on /metrics. */
struct ctld_stats {
	uint64_t reloads_ok, reloads_failed, reloads_held;
	uint64_t allocs_created, allocs_refused, allocs_released, allocs_expired;
	uint64_t allocs_orphaned;	/* set aside by a new configuration */
	uint64_t allocs_reclaimed;	/* orphans deleted: grace over, or expired */
	uint64_t tls_reloads_ok, tls_reloads_failed;
	uint64_t reports;
	uint64_t report_sessions_dropped;	/* not in the relay's document */
	uint64_t http_by_class[6];	/* index: status / 100 */
	uint64_t polls_answered, polls_timed_out, polls_abandoned;
	uint64_t states_full, states_delta;	/* documents served, by kind */
};

struct ctld {
	const struct daemon_opts *opts;
	struct event_base *base;
	struct state state;
	struct store *store;
	struct evhttp *http;
	struct conn_guard *conns;
	SSL_CTX *ssl;			/* for new connections */
	struct credentials *creds;
	struct hashmap alloc_rates;	/* client name -> struct alloc_rate */
	struct reloader *reloader;
	struct event *sweep;
	struct event *settle;		/* renders the relays a reload left stale */
	struct ctld_stats stats;
	size_t n_waiters;

	bool config_valid;		/* the files on disk are what is served */
	char *held;			/* why the files on disk are held back, or NULL */
	bool force_pending;		/* SIGUSR1 came while files were changing */
	int64_t config_loaded_at;	/* Unix seconds of the serving config */
	int64_t last_reload_at;
	char *reload_errors[RELOAD_ERRORS_KEPT];
	size_t n_reload_errors;
	size_t n_reload_errors_total;
};

int daemon_run(const struct daemon_opts *opts);
/* Load the configuration directory again; keep the current one if invalid. */
/*
 * Load the configuration directory again; keep the current one if invalid,
 * or unless @force, if it would take most of some relay's sessions
 * (--reload-guard).
 */
void ctld_reload(struct ctld *c, const char *why, bool force);
int64_t now_seconds(void);

#endif
