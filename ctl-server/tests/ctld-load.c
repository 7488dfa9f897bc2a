// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load generator for the tests and the benchmark, built on libcurl multi.
 *
 *   ctld-load poll  --url URL --ca CA (--cert C --key K | --mint CA.pem:CA.key)
 *                   (--relays a,b,... | --relay-prefix P --relay-count N)
 *                   --count N [--timeout S] [--observer C:K]
 *                   [--idle S --pid PID] [--trigger CMD | --trigger-post PATH:BODY --trigger-id C:K]
 *                   [--loop-until FILE] [--delta 1] [--source-prefix A.B.C.]
 *   ctld-load alloc --url URL --ca CA --cert C --key K --count N --parallel P --body JSON
 *
 * poll holds COUNT long polls (spread over the relays), waits until ctld
 * reports them all held, optionally measures ctld's CPU while idle, fires
 * the trigger and times every answer from it. With --loop-until it keeps
 * re-polling (a reload storm runs meanwhile) until FILE exists, then until
 * every poller has had an answer to a poll sent after that, and checks
 * every poller ended on its relay's current generation. It prints one JSON
 * summary line; with --delta the held polls ask for delta states, and the
 * summary counts the answers that were deltas and the largest body. With
 * --source-prefix, poller N connects from A.B.C.(N % 250 + 1), as relays
 * on hosts of their own would (loopback has all of 127/8). alloc makes COUNT allocations, PARALLEL at a time, and
 * prints "relay port_a port_b" per success.
 *
 * Every wait is bounded by a deadline far beyond what an idle machine
 * needs, so that a loaded CI machine is slow rather than failing.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct ident {
	char *cert_pem, *key_pem;	/* minted in memory, or NULL */
	const char *cert, *key;		/* files */
};

struct poller {
	CURL *h;
	int relay;
	uint64_t gen;
	uint64_t hdr_gen;
	long code;
	int busy;
	double sent_ms;
	double done_ms;
	size_t bytes;		/* of the last answer's body */
	int is_delta;		/* it carried X-Xrelay-Delta-Base */
	char url[512];
};

static const char *url, *ca;
static char **relays;
static int n_relays;
static struct ident *idents;	/* one per relay */
static int timeout_s = 60;
static int ask_delta;
static int active;	/* transfers added and not finished */

/* TLS handshakes started at once: a thousand together time out on a busy machine. */
#define HANDSHAKE_WAVE 32
#define PHASE_MS 300e3		/* bound of the first polls, and of a storm */
#define HOLD_WAIT_MS 180e3

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *msg)
{
	fprintf(stderr, "ctld-load: %s\n", msg);
	exit(2);
}

static char *split_pair(char *s, char **second)
{
	char *colon = strchr(s, ':');

	if (!colon)
		die("expected A:B");
	*colon = '\0';
	*second = colon + 1;
	return s;
}

static char *pem_of(int (*write)(BIO *, void *), void *obj)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long len;

	write(b, obj);
	len = BIO_get_mem_data(b, &data);
	out = malloc(len + 1);
	memcpy(out, data, len);
	out[len] = '\0';
	BIO_free(b);
	return out;
}

static int write_cert(BIO *b, void *x)
{
	return PEM_write_bio_X509(b, x);
}

static int write_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
}

/* A client certificate for name, signed by the CA, kept in memory. */
static void mint(struct ident *id, const char *name, X509 *ca_cert, EVP_PKEY *ca_key)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	char san[300];
	static long serial = 1000;

	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(ca_cert));
	snprintf(san, sizeof(san), "DNS:%s", name);
	add_ext(cert, ca_cert, NID_subject_alt_name, san);
	add_ext(cert, ca_cert, NID_ext_key_usage, "clientAuth");
	X509_sign(cert, ca_key, EVP_sha256());
	id->cert_pem = pem_of(write_cert, cert);
	id->key_pem = pem_of(write_key, key);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void set_ident(CURL *h, const struct ident *id)
{
	if (id->cert_pem) {
		struct curl_blob c = { id->cert_pem, strlen(id->cert_pem), CURL_BLOB_COPY };
		struct curl_blob k = { id->key_pem, strlen(id->key_pem), CURL_BLOB_COPY };

		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &c);
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &k);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	} else {
		curl_easy_setopt(h, CURLOPT_SSLCERT, id->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, id->key);
	}
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

static size_t count_body(char *p, size_t size, size_t n, void *arg)
{
	((struct poller *)arg)->bytes += size * n;
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct poller *pl = arg;

	if (!strncasecmp(p, "x-xrelay-delta-base:", 20))
		pl->is_delta = 1;
	static const char name[] = "x-xrelay-generation:";

	if (size * n > sizeof(name) && !strncasecmp(p, name, sizeof(name) - 1))
		pl->hdr_gen = strtoull(p + sizeof(name) - 1, NULL, 10);
	return size * n;
}

static void setup(CURL *h, const struct ident *id)
{
	curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	set_ident(h, id);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 120L);
}

static void start_poll(CURLM *m, struct poller *p, int with_gen, int hold)
{
	p->sent_ms = now_ms();
	if (with_gen)
		snprintf(p->url, sizeof(p->url), "%s/v1/relays/%s/state?generation=%llu&timeout=%d%s",
			 url, relays[p->relay], (unsigned long long)p->gen, hold,
			 ask_delta ? "&delta=1" : "");
	else
		snprintf(p->url, sizeof(p->url), "%s/v1/relays/%s/state", url, relays[p->relay]);
	curl_easy_setopt(p->h, CURLOPT_URL, p->url);
	curl_easy_setopt(p->h, CURLOPT_TIMEOUT, (long)hold + 120);
	p->hdr_gen = 0;
	p->bytes = 0;
	p->is_delta = 0;
	p->busy = 1;
	active++;
	curl_multi_add_handle(m, p->h);
}

/* Run until no transfer is left or the deadline passes; fn sees each finished one. */
static void run(CURLM *m, double deadline, void (*fn)(CURLM *, struct poller *, CURLcode))
{
	int running, left;

	for (;;) {
		CURLMsg *msg;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left))) {
			struct poller *p;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
			curl_multi_remove_handle(m, msg->easy_handle);
			active--;
			if (!p)
				continue;	/* the trigger */
			curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &p->code);
			p->busy = 0;
			p->done_ms = now_ms();
			if (fn)
				fn(m, p, msg->data.result);
		}
		if (!active || now_ms() >= deadline)
			break;
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
}

static long observer_gauge(const struct ident *obs, const char *metric)
{
	CURL *h = curl_easy_init();
	char u[512], *buf = NULL, *line;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	long v = -1;

	snprintf(u, sizeof(u), "%s/metrics", url);
	setup(h, obs);
	curl_easy_setopt(h, CURLOPT_URL, u);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_perform(h);
	curl_easy_cleanup(h);
	fclose(f);
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, metric, strlen(metric)) && line[strlen(metric)] == ' ')
			v = atol(line + strlen(metric) + 1);
	free(buf);
	return v;
}

static double cpu_seconds(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		die("cannot read ctld's /proc stat");
	fclose(f);
	p = strrchr(buf, ')');
	/* Fields after the name: state is 3rd; utime and stime are 14th and 15th. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		die("cannot parse ctld's /proc stat");
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int errors;
static const char *loop_until;
static double loop_over_ms;	/* when loop_until appeared; 0 before */
static int loop_hold = 2;

static void first_done(CURLM *m, struct poller *p, CURLcode rc)
{
	if (rc != CURLE_OK || p->code != 200) {
		fprintf(stderr, "ctld-load: first poll of %s: curl %d, HTTP %ld\n",
			relays[p->relay], rc, p->code);
		errors++;
		return;
	}
	p->gen = p->hdr_gen;
}

static void loop_done(CURLM *m, struct poller *p, CURLcode rc)
{
	if (rc != CURLE_OK || (p->code != 200 && p->code != 304))
		errors++;
	else if (p->code == 200)
		p->gen = p->hdr_gen;
	if (!loop_over_ms && !access(loop_until, F_OK))
		loop_over_ms = now_ms();
	/* Done once answered for a poll sent after the storm was over. */
	if (!loop_over_ms || p->sent_ms < loop_over_ms)
		start_poll(m, p, 1, loop_hold);
}

static int cmd_poll(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *trigger = NULL, *prefix = NULL;
	const char *source_prefix = NULL;
	char *mint_arg = NULL, *obs_arg = NULL, *post_arg = NULL, *post_id = NULL, *relay_list = NULL;
	int count = 1, idle = 0, pid = 0, relay_count = 0, i, codes[3] = { 0 }, deltas = 0;
	size_t bytes_max = 0;
	double t0, cpu = -1, *lat;
	struct ident obs = { 0 }, trig = { 0 };
	struct poller *p;
	CURLM *m;
	CURL *th = NULL;
	json_t *out;
	char *s;

	for (i = 2; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--url")) url = v;
		else if (!strcmp(k, "--ca")) ca = v;
		else if (!strcmp(k, "--cert")) cert = v;
		else if (!strcmp(k, "--key")) key = v;
		else if (!strcmp(k, "--mint")) mint_arg = strdup(v);
		else if (!strcmp(k, "--relays")) relay_list = strdup(v);
		else if (!strcmp(k, "--relay-prefix")) prefix = v;
		else if (!strcmp(k, "--relay-count")) relay_count = atoi(v);
		else if (!strcmp(k, "--count")) count = atoi(v);
		else if (!strcmp(k, "--timeout")) timeout_s = atoi(v);
		else if (!strcmp(k, "--observer")) obs_arg = strdup(v);
		else if (!strcmp(k, "--idle")) idle = atoi(v);
		else if (!strcmp(k, "--pid")) pid = atoi(v);
		else if (!strcmp(k, "--trigger")) trigger = v;
		else if (!strcmp(k, "--trigger-post")) post_arg = strdup(v);
		else if (!strcmp(k, "--trigger-id")) post_id = strdup(v);
		else if (!strcmp(k, "--loop-until")) loop_until = v;
		else if (!strcmp(k, "--delta")) ask_delta = atoi(v);
		else if (!strcmp(k, "--source-prefix")) source_prefix = v;
		else die("unknown option");
	}
	if (!url || !ca || count < 1 || (!relay_list && !prefix))
		die("poll needs --url, --ca, --count and --relays or --relay-prefix");
	if (relay_list) {
		relays = calloc(count + 1, sizeof(*relays));
		for (s = strtok(relay_list, ","); s; s = strtok(NULL, ","))
			relays = realloc(relays, (n_relays + 1) * sizeof(*relays)), relays[n_relays++] = s;
	} else {
		relays = calloc(relay_count, sizeof(*relays));
		for (n_relays = 0; n_relays < relay_count; n_relays++)
			if (asprintf(&relays[n_relays], "%s%04d", prefix, n_relays) < 0)
				die("out of memory");
	}
	idents = calloc(n_relays, sizeof(*idents));
	if (mint_arg) {
		char *ca_key_path, *ca_path = split_pair(mint_arg, &ca_key_path);
		FILE *f = fopen(ca_path, "r");
		X509 *ca_cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
		EVP_PKEY *ca_key;

		if (f)
			fclose(f);
		f = fopen(ca_key_path, "r");
		ca_key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
		if (f)
			fclose(f);
		if (!ca_cert || !ca_key)
			die("cannot read the CA for --mint");
		for (i = 0; i < n_relays; i++)
			mint(&idents[i], relays[i], ca_cert, ca_key);
	} else {
		if (!cert || !key)
			die("poll needs --cert and --key, or --mint");
		for (i = 0; i < n_relays; i++) {
			idents[i].cert = cert;
			idents[i].key = key;
		}
	}
	if (obs_arg)
		obs.cert = split_pair(obs_arg, (char **)&obs.key);

	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)count + 16);
	p = calloc(count, sizeof(*p));
	for (i = 0; i < count; i++) {
		p[i].relay = i % n_relays;
		p[i].h = curl_easy_init();
		setup(p[i].h, &idents[p[i].relay]);
		if (source_prefix) {
			char source[64];

			snprintf(source, sizeof(source), "host!%s%d", source_prefix, i % 250 + 1);
			curl_easy_setopt(p[i].h, CURLOPT_INTERFACE, source);
		}
		curl_easy_setopt(p[i].h, CURLOPT_PRIVATE, &p[i]);
		curl_easy_setopt(p[i].h, CURLOPT_WRITEFUNCTION, count_body);
		curl_easy_setopt(p[i].h, CURLOPT_WRITEDATA, &p[i]);
		curl_easy_setopt(p[i].h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(p[i].h, CURLOPT_HEADERDATA, &p[i]);
	}
	/*
	 * Each poller's first request opens its own connection, which its
	 * long poll then reuses; the handshakes go in waves.
	 */
	t0 = now_ms();
	for (i = 0; i < count; i++) {
		curl_easy_setopt(p[i].h, CURLOPT_FRESH_CONNECT, 1L);
		start_poll(m, &p[i], 0, timeout_s);
		if ((i + 1) % HANDSHAKE_WAVE == 0 || i + 1 == count)
			run(m, t0 + PHASE_MS, first_done);
	}
	if (errors || active)
		die("the first polls failed");
	for (i = 0; i < count; i++)
		curl_easy_setopt(p[i].h, CURLOPT_FRESH_CONNECT, 0L);

	if (loop_until) {
		for (i = 0; i < count; i++)
			start_poll(m, &p[i], 1, loop_hold);
		run(m, now_ms() + PHASE_MS, loop_done);
		if (active)
			die("the storm did not end");
		/* The storm is over: everyone must hold its relay's current generation. */
		for (i = 0; i < count; i++) {
			uint64_t seen = p[i].gen;

			p[i].gen = 0;
			start_poll(m, &p[i], 0, timeout_s);
			run(m, now_ms() + 60e3, first_done);
			if (p[i].gen != seen)
				codes[2]++;
		}
		out = json_pack("{s:i, s:i, s:i}", "pollers", count, "errors", errors, "stale", codes[2]);
		goto print;
	}

	for (i = 0; i < count; i++)
		start_poll(m, &p[i], 1, timeout_s);
	/* Wait until ctld holds them all (curl has sent them all by then). */
	t0 = now_ms();
	for (;;) {
		curl_multi_perform(m, &i);
		curl_multi_poll(m, NULL, 0, 50, NULL);
		if (!obs_arg ? now_ms() - t0 > 1000 :
		    observer_gauge(&obs, "xrelay_ctld_polls_waiting") >= count)
			break;
		if (now_ms() - t0 > HOLD_WAIT_MS)
			die("ctld did not hold every poll");
	}
	if (idle) {
		double c0 = cpu_seconds(pid), w0 = now_ms();

		while (now_ms() - w0 < idle * 1e3) {
			curl_multi_perform(m, &i);
			curl_multi_poll(m, NULL, 0, 200, NULL);
		}
		cpu = (cpu_seconds(pid) - c0) / ((now_ms() - w0) / 1e3) * 100;
	}
	t0 = now_ms();
	if (trigger) {
		if (system(trigger))
			die("the trigger command failed");
	} else if (post_arg) {
		char *body, *path = split_pair(post_arg, &body);
		static char turl[512];

		trig.cert = split_pair(post_id, (char **)&trig.key);
		th = curl_easy_init();
		setup(th, &trig);
		snprintf(turl, sizeof(turl), "%s%s", url, path);
		curl_easy_setopt(th, CURLOPT_URL, turl);
		curl_easy_setopt(th, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(th, CURLOPT_WRITEFUNCTION, discard);
		active++;
		curl_multi_add_handle(m, th);
	}
	run(m, now_ms() + (timeout_s + 120) * 1e3, NULL);
	lat = calloc(count, sizeof(*lat));
	for (i = 0; i < count; i++) {
		codes[p[i].code == 200 ? 0 : p[i].code == 304 ? 1 : 2]++;
		lat[i] = p[i].busy ? 1e9 : p[i].done_ms - t0;
		deltas += p[i].is_delta;
		if (p[i].bytes > bytes_max)
			bytes_max = p[i].bytes;
	}
	qsort(lat, count, sizeof(*lat), cmp_double);
	out = json_pack("{s:i, s:i, s:i, s:i, s:{s:f, s:f, s:f, s:f}}", "pollers", count,
			"ok", codes[0], "not_modified", codes[1], "other", codes[2],
			"latency_ms", "min", lat[0], "p50", lat[count / 2],
			"p99", lat[count * 99 / 100], "max", lat[count - 1]);
	if (cpu >= 0)
		json_object_set_new(out, "idle_cpu_percent", json_real(cpu));
	json_object_set_new(out, "deltas", json_integer(deltas));
	json_object_set_new(out, "bytes_max", json_integer(bytes_max));
print:
	s = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	puts(s);
	return 0;
}

struct alloc_call {
	CURL *h;
	char *buf;
	size_t len;
	FILE *f;
};

static int cmd_alloc(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *body = "{}";
	int count = 1, parallel = 1, started = 0, running, left, i, c201 = 0, c503 = 0, other = 0;
	struct alloc_call *calls;
	struct ident id = { 0 };
	char u[512];
	CURLM *m;

	for (i = 2; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--url")) url = v;
		else if (!strcmp(k, "--ca")) ca = v;
		else if (!strcmp(k, "--cert")) cert = v;
		else if (!strcmp(k, "--key")) key = v;
		else if (!strcmp(k, "--count")) count = atoi(v);
		else if (!strcmp(k, "--parallel")) parallel = atoi(v);
		else if (!strcmp(k, "--body")) body = v;
		else die("unknown option");
	}
	if (!url || !ca || !cert || !key || count < 1 || parallel < 1)
		die("alloc needs --url, --ca, --cert, --key");
	id.cert = cert;
	id.key = key;
	snprintf(u, sizeof(u), "%s/v1/allocations", url);
	calls = calloc(count, sizeof(*calls));
	m = curl_multi_init();
	do {
		CURLMsg *msg;

		while (started < count && started - (c201 + c503 + other) < parallel) {
			struct alloc_call *c = &calls[started++];

			c->h = curl_easy_init();
			c->f = open_memstream(&c->buf, &c->len);
			setup(c->h, &id);
			curl_easy_setopt(c->h, CURLOPT_URL, u);
			curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c->f);
			curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
			curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 60L);
			curl_multi_add_handle(m, c->h);
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left))) {
			struct alloc_call *c;
			json_t *j;
			long code = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
			curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
			curl_multi_remove_handle(m, c->h);
			fclose(c->f);
			if (code == 201 && (j = json_loads(c->buf, 0, NULL))) {
				printf("%s %s %lld %lld\n",
				       json_string_value(json_object_get(j, "relay")),
				       json_string_value(json_object_get(j, "address")),
				       json_integer_value(json_object_get(json_object_get(j, "a"), "port")),
				       json_integer_value(json_object_get(json_object_get(j, "b"), "port")));
				json_decref(j);
				c201++;
			} else if (code == 503) {
				c503++;
			} else {
				fprintf(stderr, "ctld-load: HTTP %ld: %s\n", code, c->buf ? c->buf : "");
				other++;
			}
			curl_easy_cleanup(c->h);
			free(c->buf);
		}
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	} while (c201 + c503 + other < count);
	fprintf(stderr, "ctld-load: 201=%d 503=%d other=%d\n", c201, c503, other);
	return other ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc > 1 && !strcmp(argv[1], "poll"))
		return cmd_poll(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "alloc"))
		return cmd_alloc(argc, argv);
	die("usage: ctld-load poll|alloc OPTIONS (see the comment at the top of ctld-load.c)");
	return 2;
}
