/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Talking to xrelay-ctld: HTTPS through libcurl (OpenSSL), authenticated
 * both ways: the relay's client certificate, and ctld's certificate
 * checked against the configured CA only (optionally also pinned). A long
 * poll for the state and a report may be in flight at the same time; both
 * run on curl's multi interface, so the agent's one event loop also waits
 * on its netlink sockets while a poll is held.
 */
#ifndef AG_CTLD_H
#define AG_CTLD_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

enum ag_http_result {
	AG_HTTP_OK,		/* 200 (state) or 204 (report) */
	AG_HTTP_UNCHANGED,	/* 304: the poll timed out with no change */
	AG_HTTP_CONFLICT,	/* 409: ctld wants a complete report */
	AG_HTTP_FAILED,		/* unreachable, timed out, 5xx: try again later */
	AG_HTTP_REFUSED,	/* TLS or identity failure: nothing will change by itself */
};

struct ag_transfer {
	CURL *easy;
	bool busy;
	char *body;		/* the response */
	size_t len, cap;
	bool has_generation;	/* X-Xrelay-Generation */
	uint64_t generation;
	bool is_delta;		/* X-Xrelay-Delta-Base: the answer is a delta */
	char *post;
	char errbuf[CURL_ERROR_SIZE];
};

struct ag_ctld {
	const struct ag_conf *conf;
	CURLM *multi;
	struct curl_slist *json_header;
	char *state_url, *report_url;
	struct ag_transfer poll, report;
};

struct ag_http_done {
	struct ag_transfer *t;	/* &ctld->poll or &ctld->report */
	enum ag_http_result result;
	long status;
	char msg[512];		/* what went wrong, for the log */
};

int ag_ctld_init(struct ag_ctld *c, const struct ag_conf *conf);
void ag_ctld_free(struct ag_ctld *c);

/*
 * Asks for the state: at once without @has_generation, else held until it
 * differs; with @delta, as the changes since @generation if ctld has them.
 */
void ag_ctld_poll(struct ag_ctld *c, bool has_generation, uint64_t generation, bool delta);
/* Posts @json (taken over). */
void ag_ctld_report(struct ag_ctld *c, char *json);
/*
 * Waits up to @timeout_ms for the transfers and for @fds (whose revents
 * are set), and moves the transfers on.
 */
void ag_ctld_wait(struct ag_ctld *c, struct curl_waitfd *fds, unsigned int n, int timeout_ms);
/* The next finished transfer, if any. */
bool ag_ctld_next(struct ag_ctld *c, struct ag_http_done *d);

#endif /* AG_CTLD_H */
