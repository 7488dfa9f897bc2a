// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "config.h"
#include "http.h"
#include "log.h"

/*
 * The largest report an agent sends: 4000 sessions and 4096 networks of
 * about 260 bytes each, 100 errors of 1000 bytes, 64 counters (2.2 MB).
 */
#define MAX_BODY	(4 << 20)
#define MAX_HEADERS	(16 << 10)
#define IDLE_TIMEOUT	60	/* seconds a keep-alive connection may sit idle */

static void count_reply(struct ctld *c, int code)
{
	if (code >= 100 && code < 600)
		c->stats.http_by_class[code / 100]++;
}

void http_reply_buf(struct ctld *c, struct evhttp_request *req, int code,
		    const char *content_type, const char *data, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	if (!buf)
		die_oom();
	if (content_type)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  content_type);
	if (len)
		evbuffer_add(buf, data, len);
	count_reply(c, code);
	evhttp_send_reply(req, code, NULL, buf);
	evbuffer_free(buf);
}

void http_reply_json(struct ctld *c, struct evhttp_request *req, int code, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!s)
		die_oom();
	http_reply_buf(c, req, code, "application/json", s, strlen(s));
	free(s);
	json_decref(body);
}

void http_reply_error(struct ctld *c, struct evhttp_request *req, int code,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_reply_json(c, req, code, json_pack("{s:s}", "error", msg));
}

json_t *http_body_json(struct evhttp_request *req, char *err, size_t errlen)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_error_t jerr;
	json_t *j;

	if (!len)
		return json_object();
	j = json_loadb((const char *)evbuffer_pullup(in, len), len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		snprintf(err, errlen, "request body is not valid JSON: %s (line %d, column %d)",
			 jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		snprintf(err, errlen, "request body must be a JSON object");
		json_decref(j);
		return NULL;
	}
	return j;
}

const char *http_query(struct evhttp_request *req, const char *key, char *buf, size_t len)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq params;
	const char *v;

	if (!q)
		return NULL;
	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(q, &params))
		return NULL;
	v = evhttp_find_header(&params, key);
	if (v)
		snprintf(buf, len, "%s", v);
	evhttp_clear_headers(&params);
	return v ? buf : NULL;
}

bool peer_has_identity(const struct peer *p, const char *identity)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->names[i], identity))
			return true;
	return false;
}

const struct client *peer_client(const struct ctld *c, const struct peer *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct principal *pr = config_principal(c->state.cfg, p->names[i]);

		if (pr && pr->client)
			return pr->client;
	}
	return NULL;
}

static bool get_peer(struct evhttp_request *req, struct peer *p)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	p->n = ssl ? tls_peer_names(ssl, p->names, TLS_NAMES_MAX) : 0;
	return p->n > 0;
}

#define MAX_SEGS 5

/* Split the path into at most MAX_SEGS segments; -1 if malformed. */
static int split_path(const char *path, char segs[MAX_SEGS][TLS_NAME_MAX])
{
	int n = 0;

	if (!path || path[0] != '/')
		return -1;
	while (*path == '/') {
		const char *start = ++path;
		size_t len;

		while (*path && *path != '/')
			path++;
		len = path - start;
		if (!len && !*path)
			break;	/* a trailing slash */
		if (!len || len >= TLS_NAME_MAX || n == MAX_SEGS)
			return -1;
		memcpy(segs[n], start, len);
		segs[n][len] = '\0';
		n++;
	}
	return n;
}

static bool require_observer(struct ctld *c, struct evhttp_request *req, const struct peer *p)
{
	if (peer_client(c, p))
		return true;
	http_reply_error(c, req, 403, "this certificate is not a configured client");
	return false;
}

/* Route a request; returns false when nothing matched. */
static bool route(struct ctld *c, struct evhttp_request *req, const struct peer *p,
		  char segs[MAX_SEGS][TLS_NAME_MAX], int n)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct client *cl;

	if (n == 4 && !strcmp(segs[0], "v1") && !strcmp(segs[1], "relays")) {
		if (!strcmp(segs[3], "state") && method == EVHTTP_REQ_GET)
			api_relay_state(c, req, p, segs[2]);
		else if (!strcmp(segs[3], "report") && method == EVHTTP_REQ_POST)
			api_relay_report(c, req, p, segs[2]);
		else
			return false;
		return true;
	}
	if (n == 1 && !strcmp(segs[0], "metrics") && method == EVHTTP_REQ_GET) {
		if (require_observer(c, req, p))
			api_metrics(c, req);
		return true;
	}
	if (n == 2 && !strcmp(segs[0], "v1") && !strcmp(segs[1], "status") &&
	    method == EVHTTP_REQ_GET) {
		if (require_observer(c, req, p))
			api_status(c, req);
		return true;
	}
	if (n < 2 || n > 4 || strcmp(segs[0], "v1") || strcmp(segs[1], "allocations"))
		return false;
	cl = peer_client(c, p);
	if (!cl || cl->role != ROLE_ALLOCATOR) {
		http_reply_error(c, req, 403, "this certificate is not an allocator client");
		return true;
	}
	if (n == 2 && method == EVHTTP_REQ_POST)
		api_alloc_create(c, req, cl);
	else if (n == 2 && method == EVHTTP_REQ_GET)
		api_alloc_list(c, req, cl);
	else if (n == 3 && method == EVHTTP_REQ_GET)
		api_alloc_get(c, req, cl, segs[2]);
	else if (n == 3 && method == EVHTTP_REQ_DELETE)
		api_alloc_release(c, req, cl, segs[2]);
	else if (n == 4 && !strcmp(segs[3], "refresh") && method == EVHTTP_REQ_POST)
		api_alloc_refresh(c, req, cl, segs[2]);
	else
		return false;
	return true;
}

static void dispatch(struct evhttp_request *req, void *arg)
{
	struct ctld *c = arg;
	char segs[MAX_SEGS][TLS_NAME_MAX];
	struct peer p;
	int n;

	conn_request_started(req);
	if (!get_peer(req, &p)) {
		http_reply_error(c, req, 403, "no verified client certificate");
		return;
	}
	n = split_path(evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)), segs);
	if (!route(c, req, &p, segs, n))
		http_reply_error(c, req, 404, "no such resource or method");
}

/*
 * Descriptors kept back from connections for everything else ctld opens:
 * the store, the configuration's files, inotify, the log.
 */
#define FD_RESERVE 64

/* The most connections the descriptor limit leaves room for. */
static unsigned fd_max_connections(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 1000000;
	if (rl.rlim_cur <= 2 * FD_RESERVE)
		return rl.rlim_cur / 2;
	return rl.rlim_cur - FD_RESERVE;
}

static int split_listen(const char *listen, char *host, size_t hostlen, unsigned *port)
{
	const char *colon;
	char *end;
	unsigned long p;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= hostlen)
			return -1;
		memcpy(host, listen + 1, close - listen - 1);
		host[close - listen - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || (size_t)(colon - listen) >= hostlen)
			return -1;
		memcpy(host, listen, colon - listen);
		host[colon - listen] = '\0';
	}
	p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || p > 65535)
		return -1;
	*port = p;
	return 0;
}

int http_start(struct ctld *c, char *bound, size_t boundlen, char *err, size_t errlen)
{
	struct evhttp_bound_socket *sock;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[INET6_ADDRSTRLEN], addr[INET6_ADDRSTRLEN];
	struct conn_limits limits;
	unsigned port;
	int one = 1;

	if (split_listen(c->opts->listen, host, sizeof(host), &port)) {
		snprintf(err, errlen, "--listen must be ADDR:PORT or [ADDR]:PORT, got '%s'",
			 c->opts->listen);
		return -1;
	}
	c->http = evhttp_new(c->base);
	if (!c->http)
		die_oom();
	evhttp_set_gencb(c->http, dispatch, c);
	evhttp_set_allowed_methods(c->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
	evhttp_set_timeout(c->http, IDLE_TIMEOUT);
	evhttp_set_max_body_size(c->http, MAX_BODY);
	evhttp_set_max_headers_size(c->http, MAX_HEADERS);
	sock = evhttp_bind_socket_with_handle(c->http, host, port);
	if (!sock) {
		snprintf(err, errlen, "cannot listen on %s: %s", c->opts->listen,
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return -1;
	}
	limits = c->opts->conn;
	if (limits.max > fd_max_connections())
		log_warn("--max-connections %u: the descriptor limit leaves room for %u, the limit used",
			 limits.max, fd_max_connections());
	if (!limits.max || limits.max > fd_max_connections())
		limits.max = fd_max_connections();
	c->conns = conn_guard_start(c->base, c->ssl, c->http, sock, &limits, err, errlen);
	if (!c->conns)
		return -1;
	/*
	 * Answers are small and written in pieces (TLS records for headers and
	 * body): without this, Nagle and the peer's delayed ACK hold the last
	 * piece for 40 ms. Accepted sockets inherit the option on Linux.
	 */
	setsockopt(evhttp_bound_socket_get_fd(sock), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &sslen)) {
		snprintf(err, errlen, "getsockname failed");
		return -1;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		snprintf(bound, boundlen, "[%s]:%u", addr, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(bound, boundlen, "%s:%u", addr, ntohs(s4->sin_port));
	}
	return 0;
}

void http_stop(struct ctld *c)
{
	if (c->http)
		evhttp_free(c->http);
	c->http = NULL;
	/* libevent finishes freeing the connections' bufferevents on its next turn. */
	event_base_loop(c->base, EVLOOP_NONBLOCK);
	conn_guard_stop(c->conns);
	c->conns = NULL;
}
