// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "reload.h"

/*
 * A burst of changes (a checkout writing many files) is read once it has
 * been quiet this long: short against the 100 ms goal, long for the gaps
 * between one program's writes. Never later than SETTLE_MAX_MS after the
 * burst began, so that a steady stream of changes is still followed.
 */
#define SETTLE_QUIET_MS 8
#define SETTLE_MAX_MS 250

struct reloader {
	struct ctld *c;
	int fd;
	int dir_wd, parent_wd;
	char *parent, *base;
	struct event *inotify_ev, *sighup_ev, *sigusr1_ev, *settle;
	int64_t burst_start_ms, last_change_ms;
};

static const uint32_t dir_mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
				 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
static const uint32_t parent_mask = IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_ONLYDIR;

static bool is_config_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' &&
	       ((len > 5 && !strcmp(name + len - 5, ".yaml")) ||
		(len > 4 && !strcmp(name + len - 4, ".yml")));
}

/* (Re)attach the watch to whatever the configured path names now. */
static void watch_dir(struct reloader *r)
{
	if (r->dir_wd >= 0)
		inotify_rm_watch(r->fd, r->dir_wd);
	r->dir_wd = inotify_add_watch(r->fd, r->c->opts->config_dir, dir_mask);
	if (r->dir_wd < 0)
		log_warn("cannot watch %s: %s (SIGHUP still reloads)", r->c->opts->config_dir,
			 strerror(errno));
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void settle_wait(struct reloader *r, long ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	evtimer_add(r->settle, &tv);
}

static void settle_done(evutil_socket_t fd, short what, void *arg)
{
	struct reloader *r = arg;
	int64_t now = monotonic_ms(), quiet = now - r->last_change_ms;

	if (quiet < SETTLE_QUIET_MS && now - r->burst_start_ms < SETTLE_MAX_MS) {
		settle_wait(r, SETTLE_QUIET_MS - quiet);
		return;
	}
	ctld_reload(r->c, "files changed", false);
}

static void schedule(struct reloader *r)
{
	r->last_change_ms = monotonic_ms();
	if (!evtimer_pending(r->settle, NULL)) {
		r->burst_start_ms = r->last_change_ms;
		settle_wait(r, SETTLE_QUIET_MS);
	}
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct reloader *r = arg;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false, rewatch = false;
	ssize_t len;

	while ((len = read(r->fd, buf, sizeof(buf))) > 0) {
		char *p;

		for (p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				changed = true;
			} else if (ev->wd == r->dir_wd) {
				if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
					rewatch = true;
				else if (ev->len && is_config_name(ev->name))
					changed = true;
			} else if (ev->wd == r->parent_wd && ev->len && !strcmp(ev->name, r->base)) {
				rewatch = true;
			}
		}
	}
	if (rewatch) {
		r->dir_wd = -1;	/* the kernel dropped or will drop the old watch */
		watch_dir(r);
		changed = true;
	}
	if (changed)
		schedule(r);
}

void reload_again(struct reloader *r)
{
	schedule(r);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint64_t mix(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;	/* FNV-1a */
	return h;
}

uint64_t reload_fingerprint(const char *dir)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t n = 0, cap = 0, i;
	char **names = NULL;
	struct dirent *de;
	DIR *dh = opendir(dir);

	if (!dh)
		return 0;
	while ((de = readdir(dh))) {
		if (!is_config_name(de->d_name))
			continue;
		if (n == cap)
			names = xrealloc(names, (cap = cap ? 2 * cap : 16) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dh);
	qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;
		int64_t id[4] = { 0 };

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!stat(path, &st)) {
			id[0] = st.st_ino;
			id[1] = st.st_size;
			id[2] = st.st_mtim.tv_sec;
			id[3] = st.st_mtim.tv_nsec;
		}
		h = mix(h, names[i], strlen(names[i]) + 1);
		h = mix(h, id, sizeof(id));
		free(names[i]);
	}
	free(names);
	return h;
}

static void on_sighup(evutil_socket_t fd, short what, void *arg)
{
	struct reloader *r = arg;

	credentials_reload(r->c->creds, "SIGHUP");
	ctld_reload(r->c, "SIGHUP", false);
}

static void on_sigusr1(evutil_socket_t fd, short what, void *arg)
{
	struct reloader *r = arg;

	ctld_reload(r->c, "SIGUSR1, guard overridden", true);
}

struct reloader *reload_start(struct ctld *c, char *err, size_t errlen)
{
	struct reloader *r = xcalloc(1, sizeof(*r));
	char *a = xstrdup(c->opts->config_dir), *b = xstrdup(c->opts->config_dir);
	char *trim;

	/* dirname/basename of "dir/" would be the parent's: drop trailing slashes. */
	for (trim = a + strlen(a) - 1; trim > a && *trim == '/'; trim--)
		*trim = '\0';
	for (trim = b + strlen(b) - 1; trim > b && *trim == '/'; trim--)
		*trim = '\0';
	r->c = c;
	r->parent = xstrdup(dirname(a));
	r->base = xstrdup(basename(b));
	free(a);
	free(b);
	r->dir_wd = r->parent_wd = -1;
	r->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->fd < 0) {
		snprintf(err, errlen, "inotify_init1: %s", strerror(errno));
		reload_stop(r);
		return NULL;
	}
	watch_dir(r);
	r->parent_wd = inotify_add_watch(r->fd, r->parent, parent_mask);
	r->inotify_ev = event_new(c->base, r->fd, EV_READ | EV_PERSIST, on_inotify, r);
	r->sighup_ev = evsignal_new(c->base, SIGHUP, on_sighup, r);
	r->sigusr1_ev = evsignal_new(c->base, SIGUSR1, on_sigusr1, r);
	r->settle = evtimer_new(c->base, settle_done, r);
	if (!r->inotify_ev || !r->sighup_ev || !r->sigusr1_ev || !r->settle)
		die_oom();
	event_add(r->inotify_ev, NULL);
	event_add(r->sighup_ev, NULL);
	event_add(r->sigusr1_ev, NULL);
	return r;
}

void reload_stop(struct reloader *r)
{
	if (!r)
		return;
	if (r->inotify_ev)
		event_free(r->inotify_ev);
	if (r->sighup_ev)
		event_free(r->sighup_ev);
	if (r->sigusr1_ev)
		event_free(r->sigusr1_ev);
	if (r->settle)
		event_free(r->settle);
	if (r->fd >= 0)
		close(r->fd);
	free(r->parent);
	free(r->base);
	free(r);
}
