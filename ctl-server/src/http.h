/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The HTTPS front: libevent's evhttp over OpenSSL bufferevents, every
 * connection mutually authenticated. Routes live in the api_*.c files.
 */
#ifndef CTLD_HTTP_H
#define CTLD_HTTP_H

#include <event2/http.h>
#include <jansson.h>

#include "daemon.h"
#include "tls.h"

struct peer {
	char names[TLS_NAMES_MAX][TLS_NAME_MAX];
	size_t n;
};

int http_start(struct ctld *c, char *bound, size_t boundlen, char *err, size_t errlen);
void http_stop(struct ctld *c);

void http_reply_json(struct ctld *c, struct evhttp_request *req, int code, json_t *body);
void http_reply_error(struct ctld *c, struct evhttp_request *req, int code,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void http_reply_buf(struct ctld *c, struct evhttp_request *req, int code,
		    const char *content_type, const char *data, size_t len);
/* The request body as JSON (an empty body is an empty object); NULL on error. */
json_t *http_body_json(struct evhttp_request *req, char *err, size_t errlen);
const char *http_query(struct evhttp_request *req, const char *key, char *buf, size_t len);

bool peer_has_identity(const struct peer *p, const char *identity);
/* The configured client the peer's certificate names, or NULL. */
const struct client *peer_client(const struct ctld *c, const struct peer *p);

/* Routes, one handler per resource; segs are the path's segments. */
void api_relay_state(struct ctld *c, struct evhttp_request *req, const struct peer *p,
		     const char *relay);
void api_relay_report(struct ctld *c, struct evhttp_request *req, const struct peer *p,
		      const char *relay);
void api_alloc_create(struct ctld *c, struct evhttp_request *req, const struct client *cl);
void api_alloc_list(struct ctld *c, struct evhttp_request *req, const struct client *cl);
void api_alloc_rates_free(struct ctld *c);
void api_alloc_get(struct ctld *c, struct evhttp_request *req, const struct client *cl,
		   const char *id);
void api_alloc_refresh(struct ctld *c, struct evhttp_request *req, const struct client *cl,
		       const char *id);
void api_alloc_release(struct ctld *c, struct evhttp_request *req, const struct client *cl,
		       const char *id);
void api_status(struct ctld *c, struct evhttp_request *req);
void api_metrics(struct ctld *c, struct evhttp_request *req);

#endif
