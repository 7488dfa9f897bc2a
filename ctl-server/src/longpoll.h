/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Long polls: a relay that already has the current generation of its
 * state is held until the state changes or its timeout passes. A held
 * poll costs a timer and a close watcher, nothing runs while it waits.
 */
#ifndef CTLD_LONGPOLL_H
#define CTLD_LONGPOLL_H

#include <event2/http.h>

#include "daemon.h"

/*
 * What a relay asked for: the state, or with @delta the changes since
 * generation @base when ctld still has them (else the state).
 */
struct state_ask {
	bool delta;
	uint64_t base;
};

void longpoll_reply_state(struct ctld *c, struct evhttp_request *req,
			  const struct relay_state *rs, const struct state_ask *ask);
void longpoll_hold(struct ctld *c, struct relay_state *rs, struct evhttp_request *req,
		   unsigned timeout_s, const struct state_ask *ask);
/* Answer everyone waiting on rs with its new state. */
void longpoll_wake(struct ctld *c, struct relay_state *rs);
/* Answer everyone waiting on rs with code and message (relay removed, shutdown). */
void longpoll_abort(struct ctld *c, struct relay_state *rs, int code, const char *msg);

#endif
