// SPDX-License-Identifier: GPL-2.0-only
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "counters.h"
#include "report.h"

/* A session's counters as ctld has them; or, in sent, a change to them. */
struct ag_reported {
	uint64_t key;
	char *name;
	struct ag_counters side[2];
	bool removed;		/* sent: ctld is to forget the name */
};

void ag_report_init(struct ag_report *r)
{
	ag_map_init(&r->acked);
	memset(&r->sent, 0, sizeof(r->sent));
	r->complete = true;
	r->more = false;
}

static void reported_free(struct ag_reported *e)
{
	if (e) {
		free(e->name);
		free(e);
	}
}

static void clear_sent(struct ag_report *r)
{
	size_t i;

	for (i = 0; i < r->sent.n; i++)
		reported_free(r->sent.v[i]);
	r->sent.n = 0;
}

static void clear_acked(struct ag_report *r)
{
	size_t pos = 0;
	uint64_t key;
	void *val;

	while (ag_map_next(&r->acked, &pos, &key, &val))
		reported_free(val);
	ag_map_free(&r->acked);
}

void ag_report_free(struct ag_report *r)
{
	clear_sent(r);
	ag_vec_free(&r->sent);
	clear_acked(r);
}

static json_t *session_json(const struct ag_counters side[2])
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
			 "a_packets", (json_int_t)side[0].packets,
			 "a_bytes", (json_int_t)side[0].bytes,
			 "a_drops", (json_int_t)side[0].drops,
			 "b_packets", (json_int_t)side[1].packets,
			 "b_bytes", (json_int_t)side[1].bytes,
			 "b_drops", (json_int_t)side[1].drops);
}

static void send_change(struct ag_report *r, json_t *sessions, uint64_t key, const char *name,
			const struct ag_counters *side)
{
	struct ag_reported *e = ag_calloc(1, sizeof(*e));

	e->key = key;
	e->name = ag_strdup(name);
	e->removed = !side;
	if (side)
		memcpy(e->side, side, sizeof(e->side));
	ag_vec_push(&r->sent, e);
	json_object_set_new(sessions, name, side ? session_json(side) : json_null());
}

/* The changes since what ctld acknowledged, up to AG_REPORT_SESSIONS. */
static json_t *sessions_json(struct ag_agent *a)
{
	struct ag_report *r = &a->report;
	const struct ag_desired *d = a->desired;
	json_t *sessions = json_object();
	size_t pos = 0, i;
	uint64_t key;
	void *val;

	clear_sent(r);
	r->more = false;
	for (i = 0; d && i < d->n_sessions; i++) {
		const struct ag_dsession *s = &d->sessions[i];
		struct ag_counters side[2];
		struct ag_reported *prev;

		key = ag_desc_key(&s->desc);
		ag_session_counters(a, s, side);
		prev = r->complete ? NULL : ag_map_get(&r->acked, key);
		if (prev && !strcmp(prev->name, s->name) && !memcmp(prev->side, side, sizeof(side)))
			continue;
		if (!prev && ag_counters_zero(&side[0]) && ag_counters_zero(&side[1]))
			continue;
		if (r->sent.n >= AG_REPORT_SESSIONS) {
			r->more = true;
			break;
		}
		if (prev && strcmp(prev->name, s->name))
			send_change(r, sessions, key, prev->name, NULL);
		send_change(r, sessions, key, s->name, side);
	}
	while (!r->complete && !r->more && ag_map_next(&r->acked, &pos, &key, &val)) {
		if (d && ag_map_get(&d->session_by_key, key))
			continue;
		if (r->sent.n >= AG_REPORT_SESSIONS) {
			r->more = true;
			break;
		}
		send_change(r, sessions, key, ((struct ag_reported *)val)->name, NULL);
	}
	return sessions;
}

static json_t *counters_json(struct ag_agent *a)
{
	struct ag_counter_list list;
	json_t *o = json_object();
	size_t i;

	ag_relay_counters(a, &list);
	for (i = 0; i < list.n; i++)
		json_object_set_new(o, list.v[i].name, json_integer(list.v[i].value));
	return o;
}

static json_t *networks_json(struct ag_agent *a)
{
	struct ag_network_counters *nets;
	json_t *o = json_object();
	size_t n, i;

	nets = ag_network_counters(a, &n);
	for (i = 0; i < n; i++)
		json_object_set_new(o, nets[i].name, json_pack("{s:I, s:I, s:I, s:I}",
			"sessions", (json_int_t)nets[i].sessions,
			"packets", (json_int_t)nets[i].c.packets,
			"bytes", (json_int_t)nets[i].c.bytes,
			"drops", (json_int_t)nets[i].c.drops));
	ag_network_counters_free(nets, n);
	return o;
}

char *ag_report_build(struct ag_agent *a)
{
	json_t *errors = json_array(), *body;
	size_t i;
	char *text;

	for (i = 0; i < a->errors.n; i++) {
		text = ag_error_text(&a->errors.v[i]);
		json_array_append_new(errors, json_string(text));
		free(text);
	}
	body = json_pack("{s:I, s:o, s:o, s:o, s:o, s:b}",
			 "generation", (json_int_t)a->generation,
			 "errors", errors,
			 "counters", counters_json(a),
			 "networks", networks_json(a),
			 "sessions", sessions_json(a),
			 "complete", a->report.complete);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		text = ag_strdup("{}");
	return text;
}

void ag_report_done(struct ag_agent *a, bool ok, bool conflict)
{
	struct ag_report *r = &a->report;
	size_t i;

	if (!ok) {
		clear_sent(r);
		r->more = false;
		if (conflict)
			r->complete = true;
		return;
	}
	if (r->complete)
		clear_acked(r);
	r->complete = false;
	for (i = 0; i < r->sent.n; i++) {
		struct ag_reported *e = r->sent.v[i];
		struct ag_reported *old = ag_map_get(&r->acked, e->key);

		if (e->removed) {
			if (old && !strcmp(old->name, e->name))
				reported_free(ag_map_del(&r->acked, e->key));
			reported_free(e);
			continue;
		}
		reported_free(ag_map_put(&r->acked, e->key, e));
	}
	r->sent.n = 0;
}
