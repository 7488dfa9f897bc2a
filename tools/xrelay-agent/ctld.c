// SPDX-License-Identifier: GPL-2.0-only
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctld.h"
#include "log.h"
#include "util.h"

#ifndef XRELAY_VERSION
#define XRELAY_VERSION "unknown"
#endif

/* A state of a hundred thousand sessions is about 15 MB. */
#define BODY_MAX		(512u << 20)
#define CONNECT_TIMEOUT_MS	10000
/* Beyond the poll's own timeout: time to send a large state. */
#define POLL_MARGIN_MS		60000
#define REPORT_TIMEOUT_MS	60000

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct ag_transfer *t = arg;
	size_t len = size * n;

	if (t->len + len + 1 > BODY_MAX)
		return 0;
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->body = ag_realloc(t->body, t->cap);
	}
	memcpy(t->body + t->len, data, len);
	t->len += len;
	t->body[t->len] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	static const char name[] = "x-xrelay-generation:";
	static const char delta[] = "x-xrelay-delta-base:";
	struct ag_transfer *t = arg;
	size_t len = size * n;
	char value[32];

	if (len > sizeof(delta) - 1 && !strncasecmp(data, delta, sizeof(delta) - 1))
		t->is_delta = true;
	if (len > sizeof(name) - 1 && len - (sizeof(name) - 1) < sizeof(value) &&
	    !strncasecmp(data, name, sizeof(name) - 1)) {
		memcpy(value, data + sizeof(name) - 1, len - (sizeof(name) - 1));
		value[len - (sizeof(name) - 1)] = '\0';
		t->has_generation = sscanf(value, " %" SCNu64, &t->generation) == 1;
	}
	return len;
}

/* How every connection to ctld is made and checked. */
static CURLcode tls_options(const struct ag_conf *conf, CURL *h, char *errbuf)
{
	CURLcode err = CURLE_OK;

#define SET(opt, val) do { if (!err) err = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_SSLCERT, conf->cert);
	SET(CURLOPT_SSLKEY, conf->key);
	SET(CURLOPT_CAINFO, conf->ca);
	/* Trust the configured CA alone, not the system's. */
	SET(CURLOPT_CAPATH, NULL);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (conf->ctld_pin)
		SET(CURLOPT_PINNEDPUBLICKEY, conf->ctld_pin);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
#undef SET
	return err;
}

static int setup(struct ag_ctld *c, struct ag_transfer *t)
{
	CURL *h = curl_easy_init();
	CURLcode err;

	if (!h)
		return -1;
	t->easy = h;
	err = tls_options(c->conf, h, t->errbuf);
#define SET(opt, val) do { if (!err) err = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_PRIVATE, t);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, t);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, t);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_USERAGENT, "xrelay-agent/" XRELAY_VERSION);
#undef SET
	if (err) {
		ag_err("libcurl: %s", curl_easy_strerror(err));
		return -1;
	}
	return 0;
}

int ag_ctld_init(struct ag_ctld *c, const struct ag_conf *conf)
{
	size_t len = strlen(conf->ctld_url);
	char *relay;
	CURL *h;

	memset(c, 0, sizeof(*c));
	c->conf = conf;
	while (len && conf->ctld_url[len - 1] == '/')
		len--;
	h = curl_easy_init();
	relay = h ? curl_easy_escape(h, conf->relay, 0) : NULL;
	if (!relay) {
		if (h)
			curl_easy_cleanup(h);
		return -1;
	}
	c->state_url = ag_asprintf("%.*s/v1/relays/%s/state", (int)len, conf->ctld_url, relay);
	c->report_url = ag_asprintf("%.*s/v1/relays/%s/report", (int)len, conf->ctld_url, relay);
	curl_free(relay);
	curl_easy_cleanup(h);
	c->json_header = curl_slist_append(NULL, "Content-Type: application/json");
	c->multi = curl_multi_init();
	if (!c->json_header || !c->multi || setup(c, &c->poll) || setup(c, &c->report))
		return -1;
	return 0;
}

static void transfer_free(struct ag_transfer *t)
{
	if (t->easy)
		curl_easy_cleanup(t->easy);
	free(t->body);
	free(t->post);
}

void ag_ctld_free(struct ag_ctld *c)
{
	if (c->poll.busy)
		curl_multi_remove_handle(c->multi, c->poll.easy);
	if (c->report.busy)
		curl_multi_remove_handle(c->multi, c->report.easy);
	transfer_free(&c->poll);
	transfer_free(&c->report);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->json_header);
	free(c->state_url);
	free(c->report_url);
}

static void start(struct ag_ctld *c, struct ag_transfer *t)
{
	t->len = 0;
	t->has_generation = false;
	t->is_delta = false;
	t->errbuf[0] = '\0';
	t->busy = true;
	curl_multi_add_handle(c->multi, t->easy);
}

void ag_ctld_poll(struct ag_ctld *c, bool has_generation, uint64_t generation, bool delta)
{
	struct ag_transfer *t = &c->poll;
	unsigned int timeout = c->conf->poll_timeout_ms / 1000;
	char *url;

	if (has_generation)
		url = ag_asprintf("%s?generation=%" PRIu64 "&timeout=%u%s", c->state_url,
				  generation, timeout, delta ? "&delta=1" : "");
	else
		url = ag_strdup(c->state_url);
	curl_easy_setopt(t->easy, CURLOPT_URL, url);
	curl_easy_setopt(t->easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long)(c->conf->poll_timeout_ms + POLL_MARGIN_MS));
	free(url);
	start(c, t);
}

void ag_ctld_report(struct ag_ctld *c, char *json)
{
	struct ag_transfer *t = &c->report;

	free(t->post);
	t->post = json;
	curl_easy_setopt(t->easy, CURLOPT_URL, c->report_url);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, c->json_header);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->post);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(t->post));
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long)REPORT_TIMEOUT_MS);
	start(c, t);
}

void ag_ctld_wait(struct ag_ctld *c, struct curl_waitfd *fds, unsigned int n, int timeout_ms)
{
	int running;

	curl_multi_poll(c->multi, fds, n, timeout_ms, NULL);
	curl_multi_perform(c->multi, &running);
}

/*
 * Failures of the TLS layer: our certificate or key, ctld's certificate,
 * or ctld refusing ours with an alert.
 */
static bool tls_failure(CURLcode code, const char *errbuf)
{
	switch (code) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		return true;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return strstr(errbuf, " alert ") != NULL;
	default:
		return false;
	}
}

/*
 * In TLS 1.3 the client's handshake ends before the server has checked
 * the client's certificate; a server that refuses it sends an alert that
 * the client often never reads, its request failing to send first. So a
 * connection that fails right after a new handshake is tried again with
 * TLS 1.2 at most, where the server decides within the handshake: a
 * refusal then comes back as what it is. @why gets curl's account of it.
 */
static bool refused_in_handshake(struct ag_ctld *c, char *why, size_t len)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = curl_easy_init();
	CURLcode code;

	if (!h)
		return false;
	code = tls_options(c->conf, h, errbuf);
	if (!code)
		code = curl_easy_setopt(h, CURLOPT_URL, c->state_url);
	if (!code)
		code = curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	if (!code)
		code = curl_easy_setopt(h, CURLOPT_SSLVERSION,
					(long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
	if (!code)
		code = curl_easy_perform(h);
	curl_easy_cleanup(h);
	snprintf(why, len, "%s", errbuf[0] ? errbuf : curl_easy_strerror(code));
	return tls_failure(code, errbuf);
}

/* ctld's {"error": "..."}, or the start of whatever it sent. */
static void error_text(const struct ag_transfer *t, char *buf, size_t len)
{
	json_t *j = t->len ? json_loadb(t->body, t->len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(j, "error"));

	snprintf(buf, len, "%s", msg ? msg : t->len ? t->body : "no explanation");
	json_decref(j);
}

static void classify(struct ag_ctld *c, struct ag_transfer *t, CURLcode code,
		     struct ag_http_done *d)
{
	char why[384];

	d->status = 0;
	if (code != CURLE_OK) {
		curl_off_t handshake = 0;

		snprintf(why, sizeof(why), "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
		curl_easy_getinfo(t->easy, CURLINFO_APPCONNECT_TIME_T, &handshake);
		if (tls_failure(code, t->errbuf) ||
		    ((code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR ||
		      code == CURLE_GOT_NOTHING) && handshake > 0 &&
		     refused_in_handshake(c, why, sizeof(why)))) {
			d->result = AG_HTTP_REFUSED;
			snprintf(d->msg, sizeof(d->msg),
				 "TLS failure talking to %s (check cert, key and ca, and that "
				 "ctld trusts this relay's certificate): %s", c->conf->ctld_url, why);
		} else {
			d->result = AG_HTTP_FAILED;
			snprintf(d->msg, sizeof(d->msg), "cannot reach %s: %s",
				 c->conf->ctld_url, why);
		}
		return;
	}
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &d->status);
	switch (d->status) {
	case 200:
	case 204:
		d->result = AG_HTTP_OK;
		return;
	case 304:
		d->result = AG_HTTP_UNCHANGED;
		return;
	}
	error_text(t, why, sizeof(why));
	switch (d->status) {
	case 409:
		d->result = AG_HTTP_CONFLICT;
		break;
	case 401:
	case 403:
	case 404:
		d->result = AG_HTTP_REFUSED;
		snprintf(d->msg, sizeof(d->msg),
			 "ctld refuses this certificate as relay '%s' (HTTP %ld): %s",
			 c->conf->relay, d->status, why);
		return;
	default:
		d->result = AG_HTTP_FAILED;
		break;
	}
	snprintf(d->msg, sizeof(d->msg), "ctld answered HTTP %ld: %s", d->status, why);
}

bool ag_ctld_next(struct ag_ctld *c, struct ag_http_done *d)
{
	struct ag_transfer *t;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		memset(d, 0, sizeof(*d));
		d->t = t;
		classify(c, t, msg->data.result, d);
		curl_multi_remove_handle(c->multi, t->easy);
		t->busy = false;
		return true;
	}
	return false;
}
