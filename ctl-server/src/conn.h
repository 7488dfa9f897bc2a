/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Connection limits and deadlines in front of evhttp, which in libevent 2.1
 * has neither: a cap on open connections in total and per source, a
 * deadline by which a new connection must have finished its TLS handshake
 * and sent a whole request (and a keep-alive one its next request), a
 * pause on accept() errors, and libevent's own log through ours.
 *
 * evhttp gives no hook between accept() and a parsed request but the
 * bufferevent callback, which does not see the socket. Each connection's
 * SSL object carries its guard instead: created with the bufferevent,
 * freed with it (an ex_data free callback), and it holds the timer that
 * first looks at the peer's address, then enforces the deadline. A
 * connection over a limit or past its deadline has its socket shut down,
 * and evhttp frees it as it would any connection the peer closed.
 */
#ifndef CTLD_CONN_H
#define CTLD_CONN_H

#include <event2/http.h>
#include <openssl/ssl.h>
#include <stdint.h>

struct conn_guard;

struct conn_limits {
	unsigned max;			/* open connections in total */
	unsigned per_source;		/* per IPv4 address or IPv6 /64 */
	unsigned request_deadline;	/* seconds: handshake plus whole request */
	unsigned idle_deadline;		/* seconds from an answer to the next request */
};

struct conn_stats {
	uint64_t accepted;
	uint64_t refused_source;	/* over the per-source cap */
	uint64_t timed_out;		/* past a deadline */
	uint64_t accept_errors;		/* accept() failed, listener paused */
	uint64_t paused_full;		/* times the total cap paused accepting */
	unsigned open;
};

/*
 * Start guarding the connections evhttp accepts on sock: installs the
 * bufferevent callback (a TLS bufferevent from ssl_ctx per connection)
 * and the listener's error callback. NULL if the limits are unusable,
 * with the reason in err. One guard per process.
 */
struct conn_guard *conn_guard_start(struct event_base *base, SSL_CTX *ssl_ctx,
				    struct evhttp *http, struct evhttp_bound_socket *sock,
				    const struct conn_limits *limits, char *err, size_t errlen);
void conn_guard_stop(struct conn_guard *g);
/* New connections get this context (open ones keep theirs). */
void conn_guard_set_ssl_ctx(struct conn_guard *g, SSL_CTX *ssl_ctx);

/* A request of this connection is being handled: no deadline until answered. */
void conn_request_started(struct evhttp_request *req);

const struct conn_stats *conn_guard_stats(const struct conn_guard *g);

/* Route libevent's log lines through ours, rate-limited. */
void conn_log_libevent(void);

#endif
