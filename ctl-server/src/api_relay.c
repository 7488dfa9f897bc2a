// SPDX-License-Identifier: GPL-2.0-only
/*
 * The relay-facing API: a relay reads its desired state (long polling)
 * and reports what it applied. A relay's certificate opens its own
 * resources only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "longpoll.h"

#define POLL_TIMEOUT_MAX 300
#define REPORT_ERRORS_MAX 100
#define REPORT_COUNTERS_MAX 64
#define REPORT_NETWORKS_MAX 4096
#define REPORT_SESSIONS_MAX 20000
#define REPORT_OBJECT_COUNTERS_MAX 16

static struct relay_state *authorize(struct ctld *c, struct evhttp_request *req,
				     const struct peer *p, const char *relay)
{
	struct relay_state *rs = state_relay(&c->state, relay);

	/*
	 * One answer whether the relay exists or is another's, so that a
	 * certificate cannot tell which names the configuration holds. (The
	 * agent treats both alike: it keeps what it applied.)
	 */
	if (!rs || !peer_has_identity(p, rs->relay->identity)) {
		http_reply_error(c, req, 403, "this certificate is not that of a relay '%s' in the configuration",
				 relay);
		return NULL;
	}
	return rs;
}

static bool parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!s[0] || s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end && *out <= max;
}

void api_relay_state(struct ctld *c, struct evhttp_request *req, const struct peer *p,
		     const char *relay)
{
	struct relay_state *rs = authorize(c, req, p, relay);
	unsigned long long have, delta = 0, timeout = c->state.cfg->settings.poll_timeout;
	struct state_ask ask = { 0 };
	char buf[32];
	const char *q;

	if (!rs)
		return;
	state_current(&c->state, rs);
	q = http_query(req, "timeout", buf, sizeof(buf));
	if (q && !parse_u64(q, POLL_TIMEOUT_MAX, &timeout)) {
		http_reply_error(c, req, 400, "timeout must be 0-%d seconds", POLL_TIMEOUT_MAX);
		return;
	}
	q = http_query(req, "delta", buf, sizeof(buf));
	if (q && !parse_u64(q, 1, &delta)) {
		http_reply_error(c, req, 400, "delta must be 0 or 1");
		return;
	}
	q = http_query(req, "generation", buf, sizeof(buf));
	if (!q) {
		longpoll_reply_state(c, req, rs, &ask);
		return;
	}
	if (!parse_u64(q, UINT64_MAX, &have)) {
		http_reply_error(c, req, 400, "generation must be a non-negative integer");
		return;
	}
	ask.delta = delta;
	ask.base = have;
	if (have != rs->generation) {
		longpoll_reply_state(c, req, rs, &ask);
		return;
	}
	if (!timeout) {
		http_reply_buf(c, req, 304, NULL, NULL, 0);
		return;
	}
	longpoll_hold(c, rs, req, timeout, &ask);
}

static bool valid_counter_name(const char *k)
{
	size_t i;

	for (i = 0; k[i]; i++)
		if (!(k[i] >= 'a' && k[i] <= 'z') && !(k[i] >= '0' && k[i] <= '9') && k[i] != '_')
			return false;
	return i > 0 && i <= 64;
}

/* Session and network names as the configuration allows them (or ids). */
static bool valid_object_name(const char *k)
{
	size_t i;

	for (i = 0; k[i]; i++)
		if (!(k[i] >= 'a' && k[i] <= 'z') && !(k[i] >= 'A' && k[i] <= 'Z') &&
		    !(k[i] >= '0' && k[i] <= '9') && k[i] != '_' && k[i] != '-' && k[i] != '.')
			return false;
	return i > 0 && i <= 80;
}

static bool valid_counters(json_t *counters, size_t max)
{
	const char *k;
	json_t *v;

	if (!json_is_object(counters) || json_object_size(counters) > max)
		return false;
	json_object_foreach(counters, k, v)
		if (!valid_counter_name(k) || !json_is_integer(v) || json_integer_value(v) < 0)
			return false;
	return true;
}

/* Objects (networks, sessions) by name, each an object of counters or, if @null_ok, null. */
static bool valid_objects(json_t *objects, size_t max, bool null_ok)
{
	const char *k;
	json_t *v;

	if (!json_is_object(objects) || json_object_size(objects) > max)
		return false;
	json_object_foreach(objects, k, v)
		if (!valid_object_name(k) || (!(null_ok && json_is_null(v)) &&
		    !valid_counters(v, REPORT_OBJECT_COUNTERS_MAX)))
			return false;
	return true;
}

static const char *check_report(json_t *body)
{
	static const char *const keys[] = {
		"generation", "errors", "counters", "networks", "sessions", "complete"
	};
	json_t *gen = json_object_get(body, "generation");
	json_t *errors = json_object_get(body, "errors");
	json_t *counters = json_object_get(body, "counters");
	json_t *networks = json_object_get(body, "networks");
	json_t *sessions = json_object_get(body, "sessions");
	json_t *complete = json_object_get(body, "complete");
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(body, k, v) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && strcmp(k, keys[i]); i++)
			;
		if (i == sizeof(keys) / sizeof(keys[0]))
			return "unknown key in report (expected generation, errors, counters, networks, sessions, complete)";
	}
	if (!json_is_integer(gen) || json_integer_value(gen) < 0)
		return "'generation' must be a non-negative integer";
	if (errors) {
		if (!json_is_array(errors) || json_array_size(errors) > REPORT_ERRORS_MAX)
			return "'errors' must be a list of at most 100 strings";
		json_array_foreach(errors, i, v)
			if (!json_is_string(v) || json_string_length(v) > 1000)
				return "'errors' must be a list of strings of at most 1000 bytes";
	}
	if (counters && !valid_counters(counters, REPORT_COUNTERS_MAX))
		return "'counters' must be an object of at most 64 counters named [a-z0-9_]{1,64} holding non-negative integers";
	if (networks && !valid_objects(networks, REPORT_NETWORKS_MAX, false))
		return "'networks' must map at most 4096 network names to objects of at most 16 counters";
	if (sessions && !valid_objects(sessions, REPORT_SESSIONS_MAX, true))
		return "'sessions' must map at most 20000 session names to objects of at most 16 counters, or null";
	if (complete && !json_is_boolean(complete))
		return "'complete' must be true or false";
	return NULL;
}

/*
 * Session counters arrive as changes: a complete report replaces the
 * table, others update it (null removes a session). A change with no table
 * to apply it to, as after ctld restarted, is refused with 409 so that the
 * agent sends a complete report next.
 *
 * Only sessions of the relay's current document are kept, so that no
 * report can grow ctld's memory (or its metrics) past what ctld itself
 * sent: names it does not hold, as in a report a generation behind, are
 * counted and dropped, and so are names the document has lost since.
 */
static bool merge_sessions(struct ctld *c, struct relay_state *rs, json_t *sessions,
			   bool complete)
{
	struct relay_report *r = &rs->report;
	const char *k;
	json_t *v, *tmp;

	if (!sessions)
		return true;
	if (!complete && !r->sessions)
		return false;
	if (complete) {
		json_decref(r->sessions);
		r->sessions = json_object();
	}
	json_object_foreach(sessions, k, v) {
		if (json_is_null(v))
			json_object_del(r->sessions, k);
		else if (state_shows(rs, k))
			json_object_set(r->sessions, k, v);
		else
			c->stats.report_sessions_dropped++;
	}
	if (json_object_size(r->sessions) > state_shown_count(rs))
		json_object_foreach_safe(r->sessions, tmp, k, v)
			if (!state_shows(rs, k))
				json_object_del(r->sessions, k);
	return true;
}

void api_relay_report(struct ctld *c, struct evhttp_request *req, const struct peer *p,
		      const char *relay)
{
	struct relay_state *rs = authorize(c, req, p, relay);
	struct relay_report *r;
	const char *bad;
	char err[256];
	json_t *body;

	if (!rs)
		return;
	body = http_body_json(req, err, sizeof(err));
	if (!body) {
		http_reply_error(c, req, 400, "%s", err);
		return;
	}
	bad = check_report(body);
	if (bad) {
		http_reply_error(c, req, 400, "%s", bad);
		json_decref(body);
		return;
	}
	r = &rs->report;
	state_current(&c->state, rs);
	if (!merge_sessions(c, rs, json_object_get(body, "sessions"),
			    json_is_true(json_object_get(body, "complete")))) {
		http_reply_error(c, req, 409, "ctld holds no session counters for relay '%s': send a complete report",
				 relay);
		json_decref(body);
		return;
	}
	if (json_object_get(body, "networks")) {
		json_decref(r->networks);
		r->networks = json_incref(json_object_get(body, "networks"));
	}
	json_decref(r->errors);
	json_decref(r->counters);
	r->present = true;
	r->applied_generation = json_integer_value(json_object_get(body, "generation"));
	r->at = now_seconds();
	r->errors = json_incref(json_object_get(body, "errors"));
	if (!r->errors)
		r->errors = json_array();
	r->counters = json_incref(json_object_get(body, "counters"));
	if (!r->counters)
		r->counters = json_object();
	if (json_array_size(r->errors))
		log_warn("relay %s reports %zu errors applying generation %llu", rs->name,
			 json_array_size(r->errors), (unsigned long long)r->applied_generation);
	c->stats.reports++;
	json_decref(body);
	http_reply_buf(c, req, 204, NULL, NULL, 0);
}
