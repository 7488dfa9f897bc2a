// SPDX-License-Identifier: GPL-2.0-only
/*
 * The serve command: load the configuration and the stored allocations,
 * then run everything on one libevent loop. One thread means requests
 * are handled one at a time, which is what keeps allocations consistent.
 */
#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "longpoll.h"
#include "reload.h"

int64_t now_seconds(void)
{
	return time(NULL);
}

static void clear_reload_errors(struct ctld *c)
{
	size_t i;

	for (i = 0; i < c->n_reload_errors; i++)
		free(c->reload_errors[i]);
	c->n_reload_errors = 0;
	c->n_reload_errors_total = 0;
}

void ctld_reload(struct ctld *c, const char *why, bool force)
{
	const char *paths[] = { c->opts->config_dir };
	uint64_t files = reload_fingerprint(c->opts->config_dir);
	struct diags diags = { 0 };
	struct config *cfg;
	char line[1024];
	size_t i;

	c->last_reload_at = now_seconds();
	cfg = config_load(paths, 1, &diags);
	if (reload_fingerprint(c->opts->config_dir) != files) {
		/* A checkout was writing meanwhile: what was read may be half of it. */
		log_info("reload (%s): files changed while they were read; reading them again", why);
		config_free(cfg);
		diags_free(&diags);
		c->force_pending |= force;
		reload_again(c->reloader);
		return;
	}
	force |= c->force_pending;
	c->force_pending = false;
	free(c->held);
	c->held = NULL;
	if (!cfg) {
		diags_sort(&diags);
		clear_reload_errors(c);
		c->config_valid = false;
		c->stats.reloads_failed++;
		c->n_reload_errors_total = diags.n;
		log_err("reload (%s): configuration refused, %zu errors; still serving the one loaded before",
			why, diags.n);
		for (i = 0; i < diags.n; i++) {
			diag_format(&diags.v[i], line, sizeof(line));
			log_err("%s", line);
			if (i < RELOAD_ERRORS_KEPT)
				c->reload_errors[c->n_reload_errors++] = xstrdup(line);
		}
		diags_free(&diags);
		return;
	}
	diags_free(&diags);
	if (!force && state_removal(&c->state, cfg, c->opts->reload_guard, line, sizeof(line))) {
		config_free(cfg);
		c->stats.reloads_held++;
		c->held = xstrdup(line);
		log_warn("reload (%s): held, %s; the configuration before keeps serving (SIGUSR1 applies it)",
			 why, line);
		return;
	}
	clear_reload_errors(c);
	c->config_valid = true;
	c->config_loaded_at = c->last_reload_at;
	c->stats.reloads_ok++;
	state_apply_config(&c->state, cfg);
	alloc_readopt(&c->state, c->store);
	/* After the answers to waiting relays have gone out. */
	if (c->state.n_stale)
		evtimer_add(c->settle, &(struct timeval){ 0 });
	log_info("reload (%s): %zu relays, %zu sessions, %zu allocations", why,
		 cfg->n_relays, cfg->n_sessions, c->state.n_allocs);
}

static void hook_changed(struct state *st, struct relay_state *rs)
{
	longpoll_wake(st->hook_arg, rs);
}

static void hook_removed(struct state *st, struct relay_state *rs)
{
	longpoll_abort(st->hook_arg, rs, 404, "the relay left the configuration");
}

/*
 * An allocation the new configuration does not fit is kept, off its
 * relay, for --orphan-grace: a relay removed by mistake and restored in the
 * next commit gets its allocations back.
 */
static void hook_orphaned(struct state *st, struct alloc *a, const char *why)
{
	struct ctld *c = st->hook_arg;

	log_info("allocation %s on relay %s orphaned: %s", a->id, a->relay, why);
	c->stats.allocs_orphaned++;
	a->orphaned_at = now_seconds();
	if (store_set_orphaned(c->store, a->id, a->orphaned_at))
		log_err("store: orphan %s: %s", a->id, store_error(c->store));
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct ctld *c = arg;

	c->stats.allocs_expired += alloc_expire(&c->state, c->store, now_seconds());
	c->stats.allocs_reclaimed += alloc_expire_orphans(&c->state, c->store, now_seconds(),
							  c->opts->orphan_grace);
}

static void on_settle(evutil_socket_t fd, short what, void *arg)
{
	struct ctld *c = arg;

	state_settle(&c->state);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct ctld *c = arg;

	log_info("stopping");
	event_base_loopexit(c->base, NULL);
}

static void restore_one(struct alloc *a, void *arg)
{
	struct ctld *c = arg;

	alloc_restore(&c->state, c->store, a, now_seconds());
}

/* Many relays each hold a connection: take every descriptor allowed. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int write_ready_file(const char *path, const char *bound)
{
	char tmp[4096];
	FILE *f;

	/* Written whole then renamed, so a reader never sees half of it. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", bound) < 0 || fclose(f) || rename(tmp, path)) {
		log_err("cannot write %s", path);
		return -1;
	}
	return 0;
}

static uint64_t clock_generation(void)
{
	struct timeval tv;

	/*
	 * Generations start from the clock in microseconds, so they keep
	 * increasing across restarts and a relay never mistakes a new
	 * document for the one it holds.
	 */
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static int start(struct ctld *c)
{
	const char *paths[] = { c->opts->config_dir };
	struct diags diags = { 0 };
	struct timeval second = { .tv_sec = 1 };
	struct config *cfg;
	char err[512], bound[128];
	size_t i;

	cfg = config_load(paths, 1, &diags);
	if (!cfg) {
		diags_sort(&diags);
		diags_print(&diags, stderr);
		log_err("configuration %s refused", c->opts->config_dir);
		diags_free(&diags);
		return -1;
	}
	diags_free(&diags);
	c->config_valid = true;
	c->config_loaded_at = c->last_reload_at = now_seconds();

	/* The TLS files first: a typo there must not leave a new database behind. */
	c->creds = credentials_start(c, err, sizeof(err));
	if (!c->creds) {
		log_err("%s", err);
		config_free(cfg);
		return -1;
	}
	c->store = store_open(c->opts->db, err, sizeof(err));
	if (!c->store) {
		log_err("cannot open the allocation store %s", err);
		config_free(cfg);
		return -1;
	}
	state_init(&c->state, clock_generation());
	c->state.hooks = (struct state_hooks){ hook_changed, hook_removed, hook_orphaned };
	c->state.hook_arg = c;
	state_apply_config(&c->state, cfg);
	if (store_load(c->store, restore_one, c)) {
		log_err("cannot read the allocation store: %s", store_error(c->store));
		return -1;
	}
	for (i = 0; i < c->state.n_relays; i++)
		state_refresh_relay(&c->state, c->state.relays[i]);
	c->state.defer_idle = true;

	if (http_start(c, bound, sizeof(bound), err, sizeof(err))) {
		log_err("%s", err);
		return -1;
	}
	c->reloader = reload_start(c, err, sizeof(err));
	if (!c->reloader) {
		log_err("%s", err);
		return -1;
	}
	c->sweep = event_new(c->base, -1, EV_PERSIST, on_sweep, c);
	c->settle = evtimer_new(c->base, on_settle, c);
	if (!c->sweep || !c->settle)
		die_oom();
	event_add(c->sweep, &second);
	log_info("serving %zu relays, %zu sessions, %zu allocations on %s", cfg->n_relays,
		 cfg->n_sessions, c->state.n_allocs, bound);
	if (c->opts->ready_file && write_ready_file(c->opts->ready_file, bound))
		return -1;
	return 0;
}

static void stop(struct ctld *c)
{
	size_t i;

	for (i = 0; i < c->state.n_relays; i++)
		longpoll_abort(c, c->state.relays[i], 503, "xrelay-ctld is stopping");
	/* Let the answers go out before the connections are torn down. */
	event_base_loop(c->base, EVLOOP_NONBLOCK);
	if (c->sweep)
		event_free(c->sweep);
	if (c->settle)
		event_free(c->settle);
	reload_stop(c->reloader);
	http_stop(c);
	credentials_stop(c->creds);
	c->state.hooks = (struct state_hooks){ 0 };
	state_free(&c->state);
	store_close(c->store);
	if (c->ssl)
		SSL_CTX_free(c->ssl);
	clear_reload_errors(c);
	free(c->held);
	api_alloc_rates_free(c);
}

int daemon_run(const struct daemon_opts *opts)
{
	struct ctld c = { .opts = opts };
	struct event *term, *intr;
	int rc = 1;

	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	conn_log_libevent();
	hm_init_str(&c.alloc_rates);
	c.base = event_base_new();
	if (!c.base)
		die_oom();
	if (!(event_base_get_features(c.base) & EV_FEATURE_EARLY_CLOSE))
		log_warn("event backend cannot see a closed connection early; abandoned polls linger until their timeout");
	term = evsignal_new(c.base, SIGTERM, on_stop, &c);
	intr = evsignal_new(c.base, SIGINT, on_stop, &c);
	event_add(term, NULL);
	event_add(intr, NULL);
	if (!start(&c)) {
		event_base_dispatch(c.base);
		rc = 0;
	}
	stop(&c);
	event_free(term);
	event_free(intr);
	event_base_free(c.base);
	return rc;
}
