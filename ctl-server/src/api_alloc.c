// SPDX-License-Identifier: GPL-2.0-only
/*
 * The allocation API, for allocator clients:
 *   POST   /v1/allocations               {network, a, b, region, ttl} -> 201
 *          (Idempotency-Key: K, a retry: 200 and the allocation K made)
 *   GET    /v1/allocations               -> 200, the client's own
 *   GET    /v1/allocations/ID            -> 200
 *   POST   /v1/allocations/ID/refresh    {ttl} -> 200
 *   DELETE /v1/allocations/ID            -> 204
 */
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "http.h"
#include "log.h"

static bool only_keys(json_t *obj, const char *const keys[], const char **bad)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v) {
		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i]) {
			*bad = k;
			return false;
		}
	}
	return true;
}

static const char *parse_ttl(json_t *body, uint32_t *ttl)
{
	json_t *t = json_object_get(body, "ttl");

	*ttl = 0;
	if (!t)
		return NULL;
	if (!json_is_integer(t) || json_integer_value(t) < 1 ||
	    json_integer_value(t) > UINT32_MAX)
		return "'ttl' must be a positive number of seconds";
	*ttl = json_integer_value(t);
	return NULL;
}

static const char *parse_side(json_t *side, const char *name, bool *has, struct prefix *allow,
			      char *err, size_t errlen)
{
	static const char *const keys[] = { "allow", NULL };
	const char *bad, *perr;
	json_t *a;

	if (!side)
		return NULL;
	if (!json_is_object(side) || !only_keys(side, keys, &bad)) {
		snprintf(err, errlen, "'%s' must be an object with an optional 'allow' prefix", name);
		return err;
	}
	a = json_object_get(side, "allow");
	if (!a)
		return NULL;
	if (!json_is_string(a)) {
		snprintf(err, errlen, "'%s.allow' must be a prefix string", name);
		return err;
	}
	perr = prefix_parse(json_string_value(a), allow);
	if (perr) {
		snprintf(err, errlen, "'%s.allow': %s", name, perr);
		return err;
	}
	*has = true;
	return NULL;
}

static const char *parse_request(json_t *body, const struct client *cl,
				 struct alloc_request *r, char *err, size_t errlen)
{
	static const char *const keys[] = { "network", "a", "b", "region", "ttl", NULL };
	json_t *net = json_object_get(body, "network");
	json_t *region = json_object_get(body, "region");
	const char *bad;

	memset(r, 0, sizeof(*r));
	r->client = cl;
	if (!only_keys(body, keys, &bad)) {
		snprintf(err, errlen, "unknown key '%s' (expected network, a, b, region, ttl)", bad);
		return err;
	}
	if (!json_is_string(net))
		return "'network' (a network name) is required";
	r->network = json_string_value(net);
	if (region && !json_is_string(region))
		return "'region' must be a string";
	r->region = region ? json_string_value(region) : NULL;
	if (parse_side(json_object_get(body, "a"), "a", &r->has_allow_a, &r->allow_a, err, errlen) ||
	    parse_side(json_object_get(body, "b"), "b", &r->has_allow_b, &r->allow_b, err, errlen))
		return err;
	return parse_ttl(body, &r->ttl);
}

/*
 * A client's allocations-per-minute, as a token bucket holding a minute's
 * worth: a burst of that many, then one every 60/N seconds. Kept by client
 * name across reloads.
 */
struct alloc_rate {
	char *name;
	double tokens;
	int64_t at_ms;
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* 0 if @cl may allocate now (taking a token), else seconds until it may. */
static unsigned rate_wait(struct ctld *c, const struct client *cl)
{
	double per_ms = cl->allocations_per_minute / 60000.0;
	struct alloc_rate *r;
	int64_t now = monotonic_ms();

	if (!cl->allocations_per_minute)
		return 0;
	r = hm_get_str(&c->alloc_rates, cl->name);
	if (!r) {
		r = xcalloc(1, sizeof(*r));
		r->name = xstrdup(cl->name);
		r->tokens = cl->allocations_per_minute;
		r->at_ms = now;
		hm_put_str(&c->alloc_rates, r->name, r);
	}
	r->tokens += (now - r->at_ms) * per_ms;
	if (r->tokens > cl->allocations_per_minute)
		r->tokens = cl->allocations_per_minute;
	r->at_ms = now;
	if (r->tokens >= 1) {
		r->tokens -= 1;
		return 0;
	}
	return (unsigned)((1 - r->tokens) / per_ms / 1000) + 1;
}

static void rate_free(void *value, void *arg)
{
	struct alloc_rate *r = value;

	free(r->name);
	free(r);
}

void api_alloc_rates_free(struct ctld *c)
{
	hm_each(&c->alloc_rates, rate_free, NULL);
	hm_free(&c->alloc_rates);
}

/* A key of 1 to 128 of [A-Za-z0-9._:-], as UUIDs and most schemes are. */
static bool valid_key(const char *k)
{
	size_t n = strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

	return n && n <= 128 && !k[n];
}

void api_alloc_create(struct ctld *c, struct evhttp_request *req, const struct client *cl)
{
	const char *key = evhttp_find_header(evhttp_request_get_input_headers(req),
					     "Idempotency-Key");
	struct alloc_request ar;
	struct alloc *a;
	char err[256], msg[256];
	const char *bad;
	unsigned wait;
	json_t *body;
	int code;

	body = http_body_json(req, err, sizeof(err));
	if (!body) {
		c->stats.allocs_refused++;
		http_reply_error(c, req, 400, "%s", err);
		return;
	}
	bad = parse_request(body, cl, &ar, err, sizeof(err));
	if (!bad && key && !valid_key(key))
		bad = "the Idempotency-Key header must be 1 to 128 of A-Z a-z 0-9 . _ : -";
	ar.idem = key;
	if (!bad && (wait = rate_wait(c, cl))) {
		char retry[16];

		c->stats.allocs_refused++;
		snprintf(retry, sizeof(retry), "%u", wait);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", retry);
		http_reply_error(c, req, 429, "client '%s' is past its allocations-per-minute (%u); retry in %u s",
				 cl->name, cl->allocations_per_minute, wait);
		json_decref(body);
		return;
	}
	if (bad) {
		c->stats.allocs_refused++;
		http_reply_error(c, req, 400, "%s", bad);
		json_decref(body);
		return;
	}
	code = alloc_create(&c->state, c->store, &ar, now_seconds(), &a, msg, sizeof(msg));
	json_decref(body);
	if (code == 200) {
		http_reply_json(c, req, 200, alloc_json(a, now_seconds()));
		return;
	}
	if (code != 201) {
		c->stats.allocs_refused++;
		http_reply_error(c, req, code, "%s", msg);
		return;
	}
	c->stats.allocs_created++;
	log_info("allocation %s for %s: relay %s ports %u/%u", a->id, cl->name, a->relay,
		 a->port_a, a->port_b);
	http_reply_json(c, req, 201, alloc_json(a, now_seconds()));
}

static void list_one(struct alloc *a, void *arg)
{
	json_array_append_new(arg, alloc_json(a, now_seconds()));
}

void api_alloc_list(struct ctld *c, struct evhttp_request *req, const struct client *cl)
{
	json_t *list = json_array();

	alloc_each_owned(&c->state, cl, list_one, list);
	http_reply_json(c, req, 200, json_pack("{s:o}", "allocations", list));
}

void api_alloc_get(struct ctld *c, struct evhttp_request *req, const struct client *cl,
		   const char *id)
{
	struct alloc *a;
	char msg[256];
	int code = alloc_lookup(&c->state, cl, id, &a, msg, sizeof(msg));

	if (code != 200)
		http_reply_error(c, req, code, "%s", msg);
	else
		http_reply_json(c, req, 200, alloc_json(a, now_seconds()));
}

void api_alloc_refresh(struct ctld *c, struct evhttp_request *req, const struct client *cl,
		       const char *id)
{
	static const char *const keys[] = { "ttl", NULL };
	struct alloc *a;
	char err[256], msg[256];
	const char *bad;
	uint32_t ttl;
	json_t *body;
	int code;

	body = http_body_json(req, err, sizeof(err));
	if (!body) {
		http_reply_error(c, req, 400, "%s", err);
		return;
	}
	if (!only_keys(body, keys, &bad)) {
		http_reply_error(c, req, 400, "unknown key '%s' (expected ttl)", bad);
		json_decref(body);
		return;
	}
	bad = parse_ttl(body, &ttl);
	json_decref(body);
	if (bad) {
		http_reply_error(c, req, 400, "%s", bad);
		return;
	}
	code = alloc_refresh(&c->state, c->store, cl, id, ttl, now_seconds(), &a, msg, sizeof(msg));
	if (code != 200)
		http_reply_error(c, req, code, "%s", msg);
	else
		http_reply_json(c, req, 200, alloc_json(a, now_seconds()));
}

void api_alloc_release(struct ctld *c, struct evhttp_request *req, const struct client *cl,
		       const char *id)
{
	char msg[256];
	int code = alloc_release(&c->state, c->store, cl, id, msg, sizeof(msg));

	if (code != 204) {
		http_reply_error(c, req, code, "%s", msg);
		return;
	}
	c->stats.allocs_released++;
	log_info("allocation %s released by %s", id, cl->name);
	http_reply_buf(c, req, 204, NULL, NULL, 0);
}
