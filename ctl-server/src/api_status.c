// SPDX-License-Identifier: GPL-2.0-only
/* /v1/status (JSON) and /metrics (Prometheus text), for observer clients. */
#include <event2/buffer.h>
#include <inttypes.h>
#include <string.h>

#include "http.h"
#include "log.h"

static json_t *config_status(struct ctld *c)
{
	const struct config *cfg = c->state.cfg;
	json_t *errors = json_array();
	size_t i;

	for (i = 0; i < c->n_reload_errors; i++)
		json_array_append_new(errors, json_string(c->reload_errors[i]));
	return json_pack("{s:b, s:s?, s:s, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}, s:I, s:o}",
			 "valid", c->config_valid, "held", c->held, "directory", c->opts->config_dir,
			 "loaded_at", (json_int_t)c->config_loaded_at,
			 "last_reload_at", (json_int_t)c->last_reload_at,
			 "counts",
			 "files", (json_int_t)cfg->n_files, "networks", (json_int_t)cfg->n_networks,
			 "relays", (json_int_t)cfg->n_relays, "sessions", (json_int_t)cfg->n_sessions,
			 "clients", (json_int_t)cfg->n_clients,
			 "error_count", (json_int_t)c->n_reload_errors_total,
			 "errors", errors);
}

static json_t *relay_status(const struct relay_state *rs)
{
	const struct relay_report *r = &rs->report;
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "name", rs->name,
			      "generation", (json_int_t)rs->generation,
			      "static_sessions", (json_int_t)rs->n_statics,
			      "allocated_sessions", (json_int_t)rs->n_allocs,
			      "capacity", (json_int_t)rs->relay->capacity,
			      "pollers", (json_int_t)rs->n_waiters);

	json_object_set_new(o, "in_sync", json_boolean(r->present &&
				r->applied_generation == rs->generation && !json_array_size(r->errors)));
	if (!r->present) {
		json_object_set_new(o, "report", json_null());
		return o;
	}
	json_object_set_new(o, "report", json_pack("{s:I, s:I, s:O, s:O, s:o, s:o}",
		"applied_generation", (json_int_t)r->applied_generation,
		"at", (json_int_t)r->at, "errors", r->errors, "counters", r->counters,
		"networks", r->networks ? json_incref(r->networks) : json_object(),
		"sessions", r->sessions ? json_incref(r->sessions) : json_object()));
	return o;
}

void api_status(struct ctld *c, struct evhttp_request *req)
{
	json_t *relays = json_array();
	size_t i;

	state_settle(&c->state);
	for (i = 0; i < c->state.n_relays; i++)
		json_array_append_new(relays, relay_status(c->state.relays[i]));
	http_reply_json(c, req, 200, json_pack("{s:o, s:o, s:{s:I, s:I}, s:I}",
		"config", config_status(c), "relays", relays,
		"allocations", "active", (json_int_t)c->state.n_allocs,
		"orphaned", (json_int_t)c->state.n_orphans,
		"pollers", (json_int_t)c->n_waiters));
}

static void metric(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP xrelay_ctld_%s %s\n# TYPE xrelay_ctld_%s %s\n",
			    name, help, name, type);
}

/* One line per counter of each object (network, session) a relay reported. */
static void object_metrics(struct evbuffer *b, const char *relay, const char *metric_name,
			   const char *label, json_t *objects)
{
	const char *name, *k;
	json_t *counters, *v;

	json_object_foreach(objects, name, counters)
		json_object_foreach(counters, k, v)
			evbuffer_add_printf(b, "xrelay_ctld_%s{relay=\"%s\",%s=\"%s\",counter=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
					    metric_name, relay, label, name, k, json_integer_value(v));
}

static void relay_metrics(struct evbuffer *b, const struct state *st)
{
	size_t i;

	metric(b, "relay_generation", "gauge", "Generation of the relay's desired state.");
	for (i = 0; i < st->n_relays; i++)
		evbuffer_add_printf(b, "xrelay_ctld_relay_generation{relay=\"%s\"} %" PRIu64 "\n",
				    st->relays[i]->name, st->relays[i]->generation);
	metric(b, "relay_applied_generation", "gauge",
	       "Generation the relay last reported applying (absent before its first report).");
	for (i = 0; i < st->n_relays; i++)
		if (st->relays[i]->report.present)
			evbuffer_add_printf(b, "xrelay_ctld_relay_applied_generation{relay=\"%s\"} %" PRIu64 "\n",
					    st->relays[i]->name,
					    st->relays[i]->report.applied_generation);
	metric(b, "relay_report_errors", "gauge", "Errors in the relay's last report.");
	for (i = 0; i < st->n_relays; i++)
		if (st->relays[i]->report.present)
			evbuffer_add_printf(b, "xrelay_ctld_relay_report_errors{relay=\"%s\"} %zu\n",
					    st->relays[i]->name,
					    json_array_size(st->relays[i]->report.errors));
	metric(b, "relay_last_report_timestamp_seconds", "gauge", "When the relay last reported.");
	for (i = 0; i < st->n_relays; i++)
		if (st->relays[i]->report.present)
			evbuffer_add_printf(b, "xrelay_ctld_relay_last_report_timestamp_seconds{relay=\"%s\"} %" PRId64 "\n",
					    st->relays[i]->name, st->relays[i]->report.at);
	metric(b, "relay_sessions", "gauge", "Sessions in the relay's desired state.");
	for (i = 0; i < st->n_relays; i++) {
		evbuffer_add_printf(b, "xrelay_ctld_relay_sessions{relay=\"%s\",kind=\"static\"} %zu\n",
				    st->relays[i]->name, st->relays[i]->n_statics);
		evbuffer_add_printf(b, "xrelay_ctld_relay_sessions{relay=\"%s\",kind=\"allocated\"} %zu\n",
				    st->relays[i]->name, st->relays[i]->n_allocs);
	}
	metric(b, "relay_capacity", "gauge", "Most sessions the relay takes.");
	for (i = 0; i < st->n_relays; i++)
		evbuffer_add_printf(b, "xrelay_ctld_relay_capacity{relay=\"%s\"} %u\n",
				    st->relays[i]->name, st->relays[i]->relay->capacity);
	metric(b, "relay_pollers", "gauge", "Long polls held open for the relay.");
	for (i = 0; i < st->n_relays; i++)
		evbuffer_add_printf(b, "xrelay_ctld_relay_pollers{relay=\"%s\"} %zu\n",
				    st->relays[i]->name, st->relays[i]->n_waiters);
	metric(b, "relay_reported", "gauge", "Counters from the relay's last report.");
	for (i = 0; i < st->n_relays; i++) {
		const char *k;
		json_t *v;

		if (!st->relays[i]->report.present)
			continue;
		json_object_foreach(st->relays[i]->report.counters, k, v)
			evbuffer_add_printf(b, "xrelay_ctld_relay_reported{relay=\"%s\",counter=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
					    st->relays[i]->name, k, json_integer_value(v));
	}
	metric(b, "relay_network_reported", "gauge",
	       "Per-network counters from the relay's reports (sessions now; packets, bytes, drops over the network's sessions).");
	for (i = 0; i < st->n_relays; i++)
		object_metrics(b, st->relays[i]->name, "relay_network_reported", "network",
			       st->relays[i]->report.networks);
	metric(b, "relay_session_reported", "gauge",
	       "Per-session counters from the relay's reports (each side's packets, bytes, drops).");
	for (i = 0; i < st->n_relays; i++)
		object_metrics(b, st->relays[i]->name, "relay_session_reported", "session",
			       st->relays[i]->report.sessions);
}

static void connection_metrics(struct evbuffer *b, const struct conn_stats *s)
{
	metric(b, "connections_open", "gauge", "Client connections open.");
	evbuffer_add_printf(b, "xrelay_ctld_connections_open %u\n", s->open);
	metric(b, "connections_accepted_total", "counter", "Client connections accepted.");
	evbuffer_add_printf(b, "xrelay_ctld_connections_accepted_total %" PRIu64 "\n", s->accepted);
	metric(b, "connections_closed_total", "counter",
	       "Connections ctld closed: over the per-source limit, or without a whole request by the deadline.");
	evbuffer_add_printf(b, "xrelay_ctld_connections_closed_total{reason=\"source-limit\"} %" PRIu64 "\n"
			    "xrelay_ctld_connections_closed_total{reason=\"deadline\"} %" PRIu64 "\n",
			    s->refused_source, s->timed_out);
	metric(b, "accept_pauses_total", "counter",
	       "Times accepting paused: accept() failed (out of descriptors), or the connection limit was reached.");
	evbuffer_add_printf(b, "xrelay_ctld_accept_pauses_total{reason=\"accept-error\"} %" PRIu64 "\n"
			    "xrelay_ctld_accept_pauses_total{reason=\"connection-limit\"} %" PRIu64 "\n",
			    s->accept_errors, s->paused_full);
}

void api_metrics(struct ctld *c, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	const struct ctld_stats *s = &c->stats;
	static const char *const results[] = {
		"created", "refused", "released", "expired", "orphaned", "reclaimed"
	};
	uint64_t by_result[] = {
		s->allocs_created, s->allocs_refused, s->allocs_released,
		s->allocs_expired, s->allocs_orphaned, s->allocs_reclaimed
	};
	size_t i, len;

	if (!b)
		die_oom();
	state_settle(&c->state);
	metric(b, "config_valid", "gauge",
	       "1 if the configuration on disk is the one served; 0 if the last reload failed and the previous one still serves.");
	evbuffer_add_printf(b, "xrelay_ctld_config_valid %d\n", c->config_valid);
	metric(b, "config_errors", "gauge", "Errors found by the last failed reload (0 once valid).");
	evbuffer_add_printf(b, "xrelay_ctld_config_errors %zu\n", c->n_reload_errors_total);
	metric(b, "config_loaded_timestamp_seconds", "gauge", "When the serving configuration was loaded.");
	evbuffer_add_printf(b, "xrelay_ctld_config_loaded_timestamp_seconds %" PRId64 "\n",
			    c->config_loaded_at);
	metric(b, "config_held", "gauge",
	       "1 if the configuration on disk would take most of a relay's sessions and is held back.");
	evbuffer_add_printf(b, "xrelay_ctld_config_held %d\n", c->held != NULL);
	metric(b, "config_reloads_total", "counter", "Reloads by result.");
	evbuffer_add_printf(b, "xrelay_ctld_config_reloads_total{result=\"ok\"} %" PRIu64 "\n"
			    "xrelay_ctld_config_reloads_total{result=\"error\"} %" PRIu64 "\n"
			    "xrelay_ctld_config_reloads_total{result=\"held\"} %" PRIu64 "\n",
			    s->reloads_ok, s->reloads_failed, s->reloads_held);
	metric(b, "config_sessions", "gauge", "Static sessions in the serving configuration.");
	evbuffer_add_printf(b, "xrelay_ctld_config_sessions %zu\n", c->state.cfg->n_sessions);
	metric(b, "allocations_active", "gauge", "Allocations currently held.");
	evbuffer_add_printf(b, "xrelay_ctld_allocations_active %zu\n", c->state.n_allocs);
	metric(b, "allocations_orphaned", "gauge",
	       "Allocations the configuration no longer fits, kept off their relays for --orphan-grace.");
	evbuffer_add_printf(b, "xrelay_ctld_allocations_orphaned %zu\n", c->state.n_orphans);
	metric(b, "allocations_total", "counter", "Allocation requests and ends, by result.");
	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		evbuffer_add_printf(b, "xrelay_ctld_allocations_total{result=\"%s\"} %" PRIu64 "\n",
				    results[i], by_result[i]);
	metric(b, "polls_waiting", "gauge", "Long polls held open.");
	evbuffer_add_printf(b, "xrelay_ctld_polls_waiting %zu\n", c->n_waiters);
	metric(b, "polls_total", "counter", "Held long polls by how they ended.");
	evbuffer_add_printf(b, "xrelay_ctld_polls_total{end=\"changed\"} %" PRIu64 "\n"
			    "xrelay_ctld_polls_total{end=\"timeout\"} %" PRIu64 "\n"
			    "xrelay_ctld_polls_total{end=\"closed\"} %" PRIu64 "\n",
			    s->polls_answered, s->polls_timed_out, s->polls_abandoned);
	metric(b, "states_total", "counter", "States served to relays, full or delta.");
	evbuffer_add_printf(b, "xrelay_ctld_states_total{kind=\"full\"} %" PRIu64 "\n"
			    "xrelay_ctld_states_total{kind=\"delta\"} %" PRIu64 "\n",
			    s->states_full, s->states_delta);
	metric(b, "reports_total", "counter", "Reports received from relays.");
	evbuffer_add_printf(b, "xrelay_ctld_reports_total %" PRIu64 "\n", s->reports);
	metric(b, "report_sessions_dropped_total", "counter",
	       "Sessions in relays' reports that their documents do not hold, dropped.");
	evbuffer_add_printf(b, "xrelay_ctld_report_sessions_dropped_total %" PRIu64 "\n",
			    s->report_sessions_dropped);
	metric(b, "http_responses_total", "counter", "HTTP responses by status class.");
	for (i = 1; i < 6; i++)
		evbuffer_add_printf(b, "xrelay_ctld_http_responses_total{class=\"%zuxx\"} %" PRIu64 "\n",
				    i, s->http_by_class[i]);
	metric(b, "tls_cert_expiry_timestamp_seconds", "gauge",
	       "When the server certificate new connections get expires.");
	evbuffer_add_printf(b, "xrelay_ctld_tls_cert_expiry_timestamp_seconds %" PRId64 "\n",
			    tls_cert_expiry(c->ssl));
	metric(b, "tls_reloads_total", "counter",
	       "Reloads of the TLS credentials (SIGHUP or a file changed), by result.");
	evbuffer_add_printf(b, "xrelay_ctld_tls_reloads_total{result=\"ok\"} %" PRIu64 "\n"
			    "xrelay_ctld_tls_reloads_total{result=\"error\"} %" PRIu64 "\n",
			    s->tls_reloads_ok, s->tls_reloads_failed);
	connection_metrics(b, conn_guard_stats(c->conns));
	relay_metrics(b, &c->state);
	len = evbuffer_get_length(b);
	http_reply_buf(c, req, 200, "text/plain; version=0.0.4",
		       (const char *)evbuffer_pullup(b, len), len);
	evbuffer_free(b);
}
