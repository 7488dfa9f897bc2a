// SPDX-License-Identifier: GPL-2.0-only
#include <event2/event.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "credentials.h"
#include "daemon.h"
#include "log.h"
#include "tls.h"

#define WATCH_SECONDS 5

/* What a file was when last loaded: a rotation changes one of these. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct credentials {
	struct ctld *c;
	struct event *watch;
	struct file_id ids[4];	/* cert, key, ca, crl */
};

static const char *path_of(const struct ctld *c, size_t i)
{
	const char *paths[] = { c->opts->cert, c->opts->key, c->opts->ca, c->opts->crl };

	return paths[i];
}

static struct file_id identify(const char *path)
{
	struct file_id id = { 0 };
	struct stat st;

	if (path && !stat(path, &st))
		id = (struct file_id){ st.st_dev, st.st_ino, st.st_size, st.st_mtim };
	return id;
}

static bool changed(struct credentials *cr)
{
	bool any = false;
	size_t i;

	for (i = 0; i < 4; i++) {
		struct file_id now = identify(path_of(cr->c, i));

		if (memcmp(&now, &cr->ids[i], sizeof(now)))
			any = true;
		cr->ids[i] = now;
	}
	return any;
}

static SSL_CTX *load(struct ctld *c, char *err, size_t errlen)
{
	return tls_server_ctx(c->opts->cert, c->opts->key, c->opts->ca, c->opts->crl, err, errlen);
}

void credentials_reload(struct credentials *cr, const char *why)
{
	struct ctld *c = cr->c;
	char err[512];
	SSL_CTX *ctx;

	changed(cr);
	ctx = load(c, err, sizeof(err));
	if (!ctx) {
		c->stats.tls_reloads_failed++;
		log_err("TLS credentials (%s): %s; still serving those loaded before", why, err);
		return;
	}
	conn_guard_set_ssl_ctx(c->conns, ctx);
	SSL_CTX_free(c->ssl);
	c->ssl = ctx;
	c->stats.tls_reloads_ok++;
	log_info("TLS credentials reloaded (%s)", why);
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct credentials *cr = arg;

	if (changed(cr))
		credentials_reload(cr, "files changed");
}

struct credentials *credentials_start(struct ctld *c, char *err, size_t errlen)
{
	struct timeval every = { .tv_sec = WATCH_SECONDS };
	struct credentials *cr;

	c->ssl = load(c, err, errlen);
	if (!c->ssl)
		return NULL;
	cr = xcalloc(1, sizeof(*cr));
	cr->c = c;
	changed(cr);
	cr->watch = event_new(c->base, -1, EV_PERSIST, on_watch, cr);
	if (!cr->watch)
		die_oom();
	event_add(cr->watch, &every);
	return cr;
}

void credentials_stop(struct credentials *cr)
{
	if (!cr)
		return;
	event_free(cr->watch);
	free(cr);
}
