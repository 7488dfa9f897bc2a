// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "hashmap.h"
#include "log.h"

#define ACCEPT_PAUSE_MS	250	/* after accept() fails (out of descriptors) */

struct source {
	char key[INET6_ADDRSTRLEN + 4];	/* the hashmap's key */
	unsigned n;
};

struct conn_guard {
	SSL_CTX *ssl_ctx;
	struct evconnlistener *listener;	/* NULL once stopped */
	struct event *resume;		/* ends an accept pause */
	bool accept_paused;
	bool full;			/* at the connection limit */
	bool stopped;			/* freed with its last connection */
	struct conn_limits limits;
	struct conn_stats stats;
	struct hashmap sources;		/* key -> struct source */
	struct log_ratelimit refused_log, deadline_log, accept_log;
};

enum conn_phase {
	CONN_NEW,		/* accepted; the timer first looks at the peer */
	CONN_WAITING,		/* the deadline runs until a whole request is in */
	CONN_BUSY,		/* a request is being handled */
};

struct conn {
	struct conn_guard *g;
	struct bufferevent *bev;
	struct event *timer;
	struct source *source;
	enum conn_phase phase;
};

static int conn_index = -1;	/* the SSL ex_data slot holding struct conn */

/*
 * The listener calls its error callback with evhttp's context, not ours;
 * ctld has one listener, and this is its guard.
 */
static struct conn_guard *listening_guard;

static void guard_free(struct conn_guard *g)
{
	hm_free(&g->sources);
	free(g);
}

static void update_listener(struct conn_guard *g)
{
	bool full = g->stats.open >= g->limits.max;

	if (!g->listener)
		return;
	if (full && !g->full)
		g->stats.paused_full++;
	g->full = full;
	if (g->accept_paused || full)
		evconnlistener_disable(g->listener);
	else
		evconnlistener_enable(g->listener);
}

static void release_source(struct conn_guard *g, struct source *s)
{
	if (--s->n)
		return;
	hm_del_str(&g->sources, s->key);
	free(s);
}

/* Called by OpenSSL as the connection's SSL object is freed with its bufferevent. */
static void conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
		      void *argp)
{
	struct conn *cn = ptr;
	struct conn_guard *g;

	if (!cn)
		return;
	g = cn->g;
	event_free(cn->timer);
	if (cn->source)
		release_source(g, cn->source);
	free(cn);
	g->stats.open--;
	if (g->stopped && !g->stats.open)
		guard_free(g);
	else
		update_listener(g);
}

/* Ends the connection the way a peer's close would: evhttp frees it. */
static void conn_drop(struct conn *cn)
{
	evutil_socket_t fd = bufferevent_getfd(cn->bev);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

static void arm(struct conn *cn, enum conn_phase phase, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	cn->phase = phase;
	event_add(cn->timer, &tv);
}

/*
 * The source an address counts against: an IPv4 address (also when mapped
 * into IPv6), or an IPv6 /64, since one host may hold all of one.
 */
static int source_key(evutil_socket_t fd, char *key, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];

	if (getpeername(fd, (struct sockaddr *)&ss, &sslen))
		return -1;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, key, len);
		return 0;
	}
	if (ss.ss_family == AF_INET6) {
		struct in6_addr a = ((struct sockaddr_in6 *)&ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&a)) {
			inet_ntop(AF_INET, &a.s6_addr[12], key, len);
			return 0;
		}
		memset(&a.s6_addr[8], 0, 8);
		inet_ntop(AF_INET6, &a, addr, sizeof(addr));
		snprintf(key, len, "%s/64", addr);
		return 0;
	}
	return -1;
}

/* First run: the socket is set by now; count it against its source. */
static bool admit_source(struct conn *cn)
{
	struct conn_guard *g = cn->g;
	evutil_socket_t fd = bufferevent_getfd(cn->bev);
	char key[sizeof(((struct source *)0)->key)];
	struct source *s;

	if (fd < 0 || source_key(fd, key, sizeof(key)))
		return false;
	s = hm_get_str(&g->sources, key);
	if (s && s->n >= g->limits.per_source) {
		g->stats.refused_source++;
		log_warn_limited(&g->refused_log,
				 "connection from %s refused: it has %u open, the limit per source",
				 key, s->n);
		return false;
	}
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		snprintf(s->key, sizeof(s->key), "%s", key);
		hm_put_str(&g->sources, s->key, s);
	}
	s->n++;
	cn->source = s;
	return true;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *cn = arg;
	struct conn_guard *g = cn->g;

	switch (cn->phase) {
	case CONN_NEW:
		if (!admit_source(cn)) {
			conn_drop(cn);
			return;
		}
		arm(cn, CONN_WAITING, g->limits.request_deadline);
		return;
	case CONN_WAITING:
		g->stats.timed_out++;
		log_warn_limited(&g->deadline_log,
				 "connection from %s closed: no whole request within its deadline",
				 cn->source ? cn->source->key : "?");
		conn_drop(cn);
		return;
	case CONN_BUSY:
		return;
	}
}

static struct bufferevent *new_connection(struct event_base *base, void *arg)
{
	struct conn_guard *g = arg;
	struct timeval now = { 0 };
	struct conn *cn;
	SSL *ssl = SSL_new(g->ssl_ctx);

	/*
	 * libevent 2.1 falls back to a plain bufferevent when this returns
	 * NULL; never let it. Out of memory is not recoverable here anyway.
	 */
	if (!ssl)
		die_oom();
	cn = xcalloc(1, sizeof(*cn));
	cn->g = g;
	cn->timer = evtimer_new(base, on_timer, cn);
	if (!cn->timer)
		die_oom();
	cn->bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
						 BEV_OPT_CLOSE_ON_FREE);
	if (!cn->bev)
		die_oom();
	bufferevent_openssl_set_allow_dirty_shutdown(cn->bev, 1);
	SSL_set_ex_data(ssl, conn_index, cn);
	g->stats.accepted++;
	g->stats.open++;
	update_listener(g);
	/* evhttp sets the socket after this returns: look at it on the next turn. */
	cn->phase = CONN_NEW;
	event_add(cn->timer, &now);
	return cn->bev;
}

static struct conn *request_conn(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	return ssl ? SSL_get_ex_data(ssl, conn_index) : NULL;
}

static void on_request_done(struct evhttp_request *req, void *arg)
{
	struct conn *cn = arg;

	arm(cn, CONN_WAITING, cn->g->limits.idle_deadline);
}

void conn_request_started(struct evhttp_request *req)
{
	struct conn *cn = request_conn(req);

	if (!cn)
		return;
	event_del(cn->timer);
	cn->phase = CONN_BUSY;
	evhttp_request_set_on_complete_cb(req, on_request_done, cn);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct conn_guard *g = arg;

	g->accept_paused = false;
	update_listener(g);
}

/*
 * accept() failed, most likely out of descriptors: the pending connection
 * stays in the backlog and the listener would be woken for it at once,
 * again and again. Pause instead.
 */
static void on_accept_error(struct evconnlistener *listener, void *arg)
{
	struct conn_guard *g = listening_guard;
	struct timeval pause = { .tv_usec = ACCEPT_PAUSE_MS * 1000 };
	int err = EVUTIL_SOCKET_ERROR();

	g->stats.accept_errors++;
	log_warn_limited(&g->accept_log, "accept() failed (%s, %u connections open): pausing %d ms",
			 evutil_socket_error_to_string(err), g->stats.open, ACCEPT_PAUSE_MS);
	g->accept_paused = true;
	update_listener(g);
	event_add(g->resume, &pause);
}

struct conn_guard *conn_guard_start(struct event_base *base, SSL_CTX *ssl_ctx,
				    struct evhttp *http, struct evhttp_bound_socket *sock,
				    const struct conn_limits *limits, char *err, size_t errlen)
{
	struct conn_guard *g;

	if (!limits->max || !limits->per_source || !limits->request_deadline ||
	    !limits->idle_deadline) {
		snprintf(err, errlen, "connection limits and deadlines must be at least 1");
		return NULL;
	}
	if (conn_index < 0) {
		conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free);
		if (conn_index < 0)
			die_oom();
	}
	g = xcalloc(1, sizeof(*g));
	g->ssl_ctx = ssl_ctx;
	g->listener = evhttp_bound_socket_get_listener(sock);
	g->limits = *limits;
	hm_init_str(&g->sources);
	g->resume = evtimer_new(base, on_resume, g);
	if (!g->resume)
		die_oom();
	listening_guard = g;
	evconnlistener_set_error_cb(g->listener, on_accept_error);
	evhttp_set_bevcb(http, new_connection, g);
	return g;
}

/*
 * After evhttp_free(), which frees the listener, then the connections:
 * libevent may finish freeing their bufferevents (and so their guards)
 * later, so the guard goes with the last of them.
 */
void conn_guard_stop(struct conn_guard *g)
{
	if (!g)
		return;
	event_free(g->resume);
	g->listener = NULL;
	listening_guard = NULL;
	if (g->stats.open)
		g->stopped = true;
	else
		guard_free(g);
}

void conn_guard_set_ssl_ctx(struct conn_guard *g, SSL_CTX *ssl_ctx)
{
	g->ssl_ctx = ssl_ctx;
}

const struct conn_stats *conn_guard_stats(const struct conn_guard *g)
{
	return &g->stats;
}

static struct log_ratelimit libevent_log;

static void on_libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warn_limited(&libevent_log, "libevent: %s", msg);
}

void conn_log_libevent(void)
{
	event_set_log_callback(on_libevent_log);
}
