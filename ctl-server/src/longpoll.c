// SPDX-License-Identifier: GPL-2.0-only
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>

#include "http.h"
#include "log.h"
#include "longpoll.h"

struct waiter {
	TAILQ_ENTRY(waiter) link;
	struct ctld *c;
	struct relay_state *rs;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct event *timer;
	struct event *closed;
	struct state_ask ask;
};

void longpoll_reply_state(struct ctld *c, struct evhttp_request *req,
			  const struct relay_state *rs, const struct state_ask *ask)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
	char gen[24], *delta = NULL;
	size_t len = 0;

	snprintf(gen, sizeof(gen), "%llu", (unsigned long long)rs->generation);
	evhttp_add_header(headers, "X-Xrelay-Generation", gen);
	if (ask->delta)
		delta = delta_render(&rs->deltas, rs->name, ask->base, delta_limit(rs->body_len),
				     &len);
	if (!delta) {
		c->stats.states_full++;
		http_reply_buf(c, req, 200, "application/json", rs->body, rs->body_len);
		return;
	}
	c->stats.states_delta++;
	snprintf(gen, sizeof(gen), "%llu", (unsigned long long)ask->base);
	evhttp_add_header(headers, "X-Xrelay-Delta-Base", gen);
	http_reply_buf(c, req, 200, "application/json", delta, len);
	free(delta);
}

/* Detach w from its relay and events; the request is still unanswered. */
static struct evhttp_request *release(struct waiter *w)
{
	struct evhttp_request *req = w->req;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(w->evcon);

	event_free(w->timer);
	event_free(w->closed);
	TAILQ_REMOVE(&w->rs->waiters, w, link);
	w->rs->n_waiters--;
	w->c->n_waiters--;
	/* Reading resumes after the reply, for the next request on the connection. */
	bufferevent_enable(bev, EV_READ);
	free(w);
	return req;
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *w = arg;
	struct ctld *c = w->c;
	const struct relay_state *rs = w->rs;
	struct evhttp_request *req = release(w);
	char gen[24];

	c->stats.polls_timed_out++;
	snprintf(gen, sizeof(gen), "%llu", (unsigned long long)rs->generation);
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Xrelay-Generation", gen);
	http_reply_buf(c, req, 304, NULL, NULL, 0);
}

/* The client went away: drop the connection and its unanswered request. */
static void on_closed(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *w = arg;
	struct evhttp_connection *evcon = w->evcon;

	w->c->stats.polls_abandoned++;
	release(w);
	evhttp_connection_free(evcon);
}

void longpoll_hold(struct ctld *c, struct relay_state *rs, struct evhttp_request *req,
		   unsigned timeout_s, const struct state_ask *ask)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	struct timeval tv = { .tv_sec = timeout_s };
	struct waiter *w = xcalloc(1, sizeof(*w));

	w->c = c;
	w->rs = rs;
	w->req = req;
	w->evcon = evcon;
	w->ask = *ask;
	/*
	 * evhttp aborts the process if a client sends another request on this
	 * connection before the answer (a read in its "writing" state), so stop
	 * reading until then and watch for the peer's close on the socket alone.
	 */
	bufferevent_disable(bev, EV_READ);
	w->closed = event_new(c->base, bufferevent_getfd(bev), EV_CLOSED, on_closed, w);
	w->timer = evtimer_new(c->base, on_timeout, w);
	if (!w->closed || !w->timer)
		die_oom();
	event_add(w->closed, NULL);
	evtimer_add(w->timer, &tv);
	TAILQ_INSERT_TAIL(&rs->waiters, w, link);
	rs->n_waiters++;
	c->n_waiters++;
}

void longpoll_wake(struct ctld *c, struct relay_state *rs)
{
	struct waiter *w;

	while ((w = TAILQ_FIRST(&rs->waiters))) {
		struct state_ask ask = w->ask;
		struct evhttp_request *req = release(w);

		c->stats.polls_answered++;
		longpoll_reply_state(c, req, rs, &ask);
	}
}

void longpoll_abort(struct ctld *c, struct relay_state *rs, int code, const char *msg)
{
	struct waiter *w;

	while ((w = TAILQ_FIRST(&rs->waiters)))
		http_reply_error(c, release(w), code, "%s", msg);
}
