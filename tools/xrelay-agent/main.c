// SPDX-License-Identifier: GPL-2.0-only
/*
 * xrelay-agent: keeps this relay's kernel state (instances and sessions
 * of the xrelay module) in step with the desired state xrelay-ctld serves.
 *
 * One thread, one event loop: a long poll to ctld (and a report, when one
 * is due) on curl's multi interface, the generic netlink controller's
 * announcements, the module's events and the signals, with timers for the
 * periodic full read of the kernel and for retries. See
 * Documentation/agent.rst.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "backoff.h"
#include "ctld.h"
#include "log.h"
#include "metrics.h"
#include "reconcile.h"
#include "util.h"
#include "watch.h"

/* The first retry after a failure; later ones double up to backoff-max. */
#define FIRST_RETRY_MS 200

struct loop {
	struct ag_agent a;
	bool use_ctld;
	struct ag_ctld ctld;
	struct ag_watch watch;
	int sigfd;
	bool stop;
	/* Deadlines in ag_now_ms() terms; 0: not set. */
	int64_t resync_at, retry_at, poll_at, report_at;
	bool reconcile_soon;	/* a desired session expired */
	bool want_report;
	struct ag_backoff poll_backoff, apply_backoff, report_backoff;
	bool waiting_for_module;	/* said so once */
	bool module_lost;	/* seen going: its return is a restore */
	char poll_error[512];	/* the last one logged */
};

static const char *const reason_names[] = {
	[AG_CHANGED] = "new state",
	[AG_RESYNC] = "resync",
	[AG_RETURNED] = "module loaded",
	[AG_EXPIRED] = "expired session",
	[AG_RETRY] = "retry",
};

static void log_outcome(struct loop *l, enum ag_reason why, const struct ag_outcome *out)
{
	struct ag_agent *a = &l->a;
	bool changed = out->sessions_created || out->sessions_deleted ||
		       out->instances_created || out->instances_deleted ||
		       out->networks_changed || out->failed;
	size_t i;

	if (changed || why == AG_CHANGED)
		ag_info("generation %" PRIu64 " (%s): %zu sessions created, %zu deleted, "
			"%zu instances created, %zu deleted, %zu networks changed, %zu failed%s; "
			"parse %.1f ms, diff %.1f ms, kernel %.1f ms",
			a->generation, reason_names[why], out->sessions_created,
			out->sessions_deleted, out->instances_created, out->instances_deleted,
			out->networks_changed, out->failed, out->ended ? ", some ended by their lifetime" : "",
			why == AG_CHANGED ? a->stats.parse_ms : 0.0, out->diff_ms, out->kernel_ms);
	for (i = 0; i < a->errors.n; i++) {
		char *text = ag_error_text(&a->errors.v[i]);

		ag_warn("%s", text);
		free(text);
	}
	if (a->errors.dropped)
		ag_warn("%zu more failures with other messages", a->errors.dropped);
}

/* With the module gone, the state is not applied: ctld must not think it is. */
static void kernel_missing(struct loop *l)
{
	ag_errors_clear(&l->a.errors);
	ag_errors_add(&l->a.errors, "kernel",
		      "the xrelay module is not loaded: the state is applied once it is");
	l->want_report = true;
}

static void reconcile(struct loop *l, enum ag_reason why)
{
	struct ag_agent *a = &l->a;
	struct ag_outcome out;

	if (!a->desired)
		return;
	if (!a->kernel.up) {
		kernel_missing(l);
		return;
	}
	ag_reconcile(a, why, &out);
	if (why == AG_CHANGED) {
		a->stats.diff_ms = out.diff_ms;
		a->stats.kernel_ms = out.kernel_ms;
	}
	log_outcome(l, why, &out);
	if (out.failed) {
		uint32_t delay = ag_backoff_next(&l->apply_backoff);

		l->retry_at = ag_now_ms() + delay;
		ag_info("retrying what failed in %u ms", delay);
	} else {
		ag_backoff_reset(&l->apply_backoff);
		l->retry_at = 0;
	}
	if (out.mirror_suspect)
		l->resync_at = ag_now_ms();
	l->want_report = true;
	ag_metrics_write(a);
}

static int kernel_open(struct loop *l)
{
	char err[300];

	if (!ag_kernel_open(&l->a.kernel, err, sizeof(err))) {
		l->waiting_for_module = false;
		return 0;
	}
	if (errno != ENOENT)
		ag_warn("%s", err);
	else if (!l->waiting_for_module && !l->a.conf.once)
		ag_info("%s: waiting for it", err);
	l->waiting_for_module = errno == ENOENT;
	return -1;
}

static void kernel_lost(struct loop *l, bool quiet)
{
	if (!l->a.kernel.up)
		return;
	ag_kernel_close(&l->a.kernel);
	ag_mirror_retire(&l->a.mirror);
	l->a.in_step = false;
	l->retry_at = 0;
	if (!quiet)
		ag_warn("xrelay module unloaded: its state is gone with it; waiting for it to come back");
	l->waiting_for_module = true;
	l->module_lost = true;
	kernel_missing(l);
	ag_metrics_write(&l->a);
}

/* Reads the kernel's whole state into the mirror, then reconciles. */
static void resync(struct loop *l, enum ag_reason why)
{
	struct ag_agent *a = &l->a;
	struct ag_mirror fresh;
	uint64_t start;

	l->resync_at = ag_now_ms() + a->conf.resync_ms;
	if (!a->kernel.up) {
		if (kernel_open(l))
			return;
		/* Found back by this read or by its announcement, whichever came first. */
		if (l->module_lost) {
			l->module_lost = false;
			a->stats.kernel_returns++;
			ag_info("xrelay module loaded: restoring the desired state");
			why = AG_RETURNED;
		}
	}
	ag_mirror_init(&fresh);
	start = ag_now_ns();
	if (ag_kernel_dump(&a->kernel, &fresh)) {
		ag_warn("reading the kernel's state: %s", a->kernel.req.errmsg);
		ag_mirror_free(&fresh);
		/* The module may have gone between its announcement and now. */
		kernel_lost(l, true);
		if (!kernel_open(l))
			l->resync_at = ag_now_ms() + ag_backoff_next(&l->apply_backoff);
		return;
	}
	ag_mirror_replace(&a->mirror, &fresh);
	ag_mirror_free(&fresh);
	a->stats.resyncs++;
	ag_debug("kernel read: %zu instances, %zu sessions in %.1f ms", a->mirror.instances.n,
		 a->mirror.sessions.n, ag_ms_since(start));
	reconcile(l, why);
	l->want_report = true;
	ag_metrics_write(a);
}

static void module_change(struct loop *l)
{
	int family = 0;

	switch (ag_watch_read(&l->watch, &family)) {
	case AG_FAMILY_NONE:
		return;
	case AG_FAMILY_GONE:
		kernel_lost(l, false);
		return;
	case AG_FAMILY_BACK:
		/* A periodic read may have found it first, on its new id. */
		if (l->a.kernel.up && family == l->a.kernel.req.family)
			return;
		/* A new family id and new groups: start over on new sockets. */
		kernel_lost(l, true);
		resync(l, AG_RETURNED);
		return;
	case AG_FAMILY_UNKNOWN:
		ag_warn("generic netlink announcements were lost: reading the kernel again");
		l->resync_at = ag_now_ms();
		return;
	}
}

static void session_expired(struct loop *l, const struct ag_expiry *e)
{
	struct ag_agent *a = &l->a;
	struct ag_ksession *k = ag_map_get(&a->mirror.sessions, e->key);
	const struct ag_dsession *want;
	char name[AG_SESSION_NAME_LEN];

	/* A session with another id took the key since: not that one. */
	if (!k || k->id != e->id)
		return;
	a->stats.sessions_expired++;
	a->in_step = false;
	want = a->desired ? ag_map_get(&a->desired->session_by_key, e->key) : NULL;
	if (want && e->lifetime && ag_session_desc_equal(&want->desc, &k->desc)) {
		struct ag_session_desc *copy = ag_malloc(sizeof(*copy));

		*copy = k->desc;
		free(ag_map_put(&a->ended, e->key, copy));
		a->stats.sessions_ended++;
		ag_info("session %s (%s) reached the end of its lifetime: not creating it again "
			"until its description changes", want->name, ag_session_name(&k->desc, name));
	} else if (want) {
		ag_debug("session %s expired while idle: creating it again", want->name);
		l->reconcile_soon = true;
	}
	k->side[0] = e->side[0];
	k->side[1] = e->side[1];
	ag_mirror_remove_session(&a->mirror, k);
}

static int kernel_event(struct nlmsghdr *nlh, void *arg)
{
	struct ag_expiry e;

	if (!ag_kernel_parse_expiry(nlh, &e))
		session_expired(arg, &e);
	return 0;
}

static void kernel_events(struct loop *l)
{
	if (!xr_nl_receive(&l->a.kernel.events, kernel_event, l))
		return;
	if (l->a.kernel.events.error == ENOBUFS)
		ag_warn("kernel events were lost: reading the kernel again");
	else
		ag_warn("kernel events: %s", l->a.kernel.events.errmsg);
	l->resync_at = ag_now_ms();
}

/*
 * A delta that cannot be applied to the state held is no reason to keep
 * the kernel behind: the full state is asked for at once.
 */
static int delta_refused(struct loop *l, const char *err)
{
	struct ag_agent *a = &l->a;

	a->stats.deltas_refused++;
	a->want_full = true;
	ag_warn("delta state refused, the full state is needed: %s", err);
	return -1;
}

static int delta_received(struct loop *l, struct ag_delta *dl, uint64_t start)
{
	struct ag_agent *a = &l->a;
	char err[512];

	a->stats.deltas_received++;
	a->touched.n = 0;
	if (!a->desired) {
		ag_delta_free(dl);
		return delta_refused(l, "no full state is held to apply it to");
	}
	if (ag_desired_apply(a->desired, dl, &a->touched, err, sizeof(err))) {
		ag_delta_free(dl);
		return delta_refused(l, err);
	}
	a->stats.parse_ms = ag_ms_since(start);
	a->generation = dl->generation;
	a->have_generation = true;
	ag_info("delta state generation %" PRIu64 " from %" PRIu64 ": %zu sessions upserted, "
		"%zu removed, %zu held (read and applied in %.1f ms)", dl->generation, dl->base,
		dl->n_upserts, dl->n_removes, a->desired->n_sessions, a->stats.parse_ms);
	ag_delta_free(dl);
	a->have_touched = true;
	reconcile(l, AG_CHANGED);
	a->have_touched = false;
	a->touched.n = 0;
	l->want_report = true;
	return 0;
}

/*
 * A state arrived (from ctld or the state file), full or a delta (which
 * @is_delta says before it is read). Returns 0 if it was applied.
 */
static int state_received(struct loop *l, const char *body, size_t len, bool has_generation,
			  uint64_t generation, bool is_delta)
{
	struct ag_agent *a = &l->a;
	struct ag_desired *d;
	struct ag_delta *dl;
	uint64_t start = ag_now_ns();
	char err[512];

	a->stats.states_received++;
	if (ag_state_parse(body, len, &d, &dl, err, sizeof(err)) && is_delta)
		return delta_refused(l, err);
	if (dl)
		return delta_received(l, dl, start);
	a->want_full = false;
	if (d && strcmp(d->relay, a->conf.relay ? a->conf.relay : d->relay)) {
		snprintf(err, sizeof(err), "the state is relay '%s''s, not '%s''s", d->relay,
			 a->conf.relay);
		ag_desired_free(d);
		d = NULL;
	}
	if (!d) {
		a->stats.states_refused++;
		ag_errors_clear(&a->errors);
		ag_errors_add(&a->errors, "state refused, the kernel keeps the last one applied", err);
		ag_err("state refused, the kernel keeps the last one applied: %s", err);
		if (has_generation) {
			a->generation = generation;
			a->have_generation = true;
		}
		l->want_report = true;
		return -1;
	}
	a->stats.parse_ms = ag_ms_since(start);
	a->previous = a->desired;
	a->desired = d;
	a->generation = d->generation;
	a->have_generation = true;
	ag_debug("state generation %" PRIu64 ": %zu instances, %zu sessions (parsed in %.1f ms)",
		 d->generation, d->n_instances, d->n_sessions, a->stats.parse_ms);
	if (!a->kernel.up && !a->conf.once)
		ag_info("state generation %" PRIu64 " received: applying it once the module is loaded",
			d->generation);
	reconcile(l, AG_CHANGED);
	ag_desired_free(a->previous);
	a->previous = NULL;
	l->want_report = true;
	return 0;
}

static int read_state_file(struct loop *l)
{
	const char *path = l->a.conf.state_file;
	size_t len = 0, cap = 1 << 16;
	char *buf = ag_malloc(cap);
	FILE *f = fopen(path, "r");
	int ret;

	if (!f) {
		ag_err("%s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	for (;;) {
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (len < cap)
			break;
		cap *= 2;
		buf = ag_realloc(buf, cap);
	}
	fclose(f);
	ret = state_received(l, buf, len, false, 0, false);
	free(buf);
	return ret;
}

static void start_poll(struct loop *l)
{
	const struct ag_agent *a = &l->a;
	bool delta = a->desired && !a->desired->no_delta && !a->want_full &&
		     a->have_generation && a->generation == a->desired->generation;

	ag_ctld_poll(&l->ctld, a->have_generation, a->generation, delta);
}

/* ctld errors are logged when they change, not at every retry. */
static void poll_failed(struct loop *l, const struct ag_http_done *d)
{
	struct ag_agent *a = &l->a;
	uint32_t delay;

	a->stats.poll_failures++;
	if (d->result == AG_HTTP_REFUSED)
		delay = ag_backoff_max(&l->poll_backoff);
	else
		delay = ag_backoff_next(&l->poll_backoff);
	if (strcmp(l->poll_error, d->msg)) {
		snprintf(l->poll_error, sizeof(l->poll_error), "%s", d->msg);
		if (d->result == AG_HTTP_REFUSED)
			ag_err("%s; the kernel keeps its state; retrying every %u s or so",
			       d->msg, l->poll_backoff.max_ms / 1000);
		else
			ag_warn("%s; the kernel keeps its state; retrying", d->msg);
	}
	if (a->ctld_up) {
		a->ctld_up = false;
		ag_metrics_write(a);
	}
	ag_debug("next poll in %u ms", delay);
	l->poll_at = ag_now_ms() + delay;
}

static void poll_done(struct loop *l, const struct ag_http_done *d)
{
	struct ag_transfer *t = d->t;

	if (d->result != AG_HTTP_OK && d->result != AG_HTTP_UNCHANGED) {
		poll_failed(l, d);
		return;
	}
	if (!l->a.ctld_up && l->poll_error[0])
		ag_info("ctld answers again");
	l->a.ctld_up = true;
	l->poll_error[0] = '\0';
	ag_backoff_reset(&l->poll_backoff);
	if (d->result == AG_HTTP_OK)
		state_received(l, t->body ? t->body : "", t->len, t->has_generation, t->generation,
			       t->is_delta);
	start_poll(l);
}

static void report_done(struct loop *l, const struct ag_http_done *d)
{
	struct ag_agent *a = &l->a;

	if (d->result == AG_HTTP_OK) {
		ag_report_done(a, true, false);
		a->stats.reports_sent++;
		ag_backoff_reset(&l->report_backoff);
		l->want_report |= a->report.more;
		return;
	}
	ag_report_done(a, false, d->result == AG_HTTP_CONFLICT);
	l->want_report = true;
	if (d->result == AG_HTTP_CONFLICT) {
		ag_debug("ctld asks for a complete report");
		return;
	}
	a->stats.report_failures++;
	ag_debug("report not taken: %s", d->msg);
	l->report_at = ag_now_ms() + ag_backoff_next(&l->report_backoff);
}

static void maybe_report(struct loop *l, int64_t now)
{
	if (!l->use_ctld || !l->want_report || l->ctld.report.busy || !l->a.have_generation ||
	    (l->report_at && now < l->report_at))
		return;
	l->want_report = false;
	l->report_at = 0;
	ag_ctld_report(&l->ctld, ag_report_build(&l->a));
}

static void signals(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGHUP) {
			ag_info("stopping on signal %u; the kernel keeps its state", si.ssi_signo);
			l->stop = true;
		} else if (l->a.conf.state_file) {
			read_state_file(l);
		} else {
			l->resync_at = ag_now_ms();
		}
	}
}

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int64_t earliest(int64_t a, int64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

enum { FD_WATCH, FD_SIGNALS, FD_EVENTS, N_FDS };

/* Waits for the descriptors, ctld's transfers or @timeout_ms; sets revents. */
static void wait_for(struct loop *l, struct curl_waitfd *fds, unsigned int n, int timeout_ms)
{
	struct pollfd pfds[N_FDS];
	unsigned int i;

	if (l->use_ctld) {
		ag_ctld_wait(&l->ctld, fds, n, timeout_ms);
		return;
	}
	for (i = 0; i < n; i++)
		pfds[i] = (struct pollfd){ .fd = fds[i].fd, .events = POLLIN };
	poll(pfds, n, timeout_ms);
	for (i = 0; i < n; i++)
		fds[i].revents = pfds[i].revents;
}

static void run(struct loop *l)
{
	struct ag_agent *a = &l->a;

	while (!l->stop) {
		struct curl_waitfd fds[N_FDS];
		struct ag_http_done done;
		int64_t now = ag_now_ms(), next;
		unsigned int n = FD_EVENTS, i;

		if (l->resync_at && now >= l->resync_at)
			resync(l, AG_RESYNC);
		if (l->retry_at && now >= l->retry_at) {
			l->retry_at = 0;
			reconcile(l, AG_RETRY);
		}
		if (l->reconcile_soon) {
			l->reconcile_soon = false;
			reconcile(l, AG_EXPIRED);
		}
		if (l->poll_at && now >= l->poll_at) {
			l->poll_at = 0;
			start_poll(l);
		}
		maybe_report(l, now);

		now = ag_now_ms();
		next = earliest(earliest(l->resync_at, l->retry_at),
				earliest(l->poll_at, l->want_report ? l->report_at : 0));
		fds[FD_WATCH] = (struct curl_waitfd){ .fd = ag_watch_fd(&l->watch), .events = CURL_WAIT_POLLIN };
		fds[FD_SIGNALS] = (struct curl_waitfd){ .fd = l->sigfd, .events = CURL_WAIT_POLLIN };
		if (a->kernel.up)
			fds[n++] = (struct curl_waitfd){ .fd = xr_nl_fd(&a->kernel.events),
							 .events = CURL_WAIT_POLLIN };
		for (i = 0; i < n; i++)
			fds[i].revents = 0;
		wait_for(l, fds, n, next ? (int)(next > now ? (next - now < 60000 ? next - now : 60000) : 0)
				       : 60000);

		if (fds[FD_SIGNALS].revents)
			signals(l);
		if (fds[FD_WATCH].revents)
			module_change(l);
		if (n > FD_EVENTS && fds[FD_EVENTS].revents && a->kernel.up)
			kernel_events(l);
		while (l->use_ctld && ag_ctld_next(&l->ctld, &done)) {
			if (done.t == &l->ctld.poll)
				poll_done(l, &done);
			else
				report_done(l, &done);
		}
	}
}

/* Waits for the one transfer in flight; false if it did not succeed. */
static bool finish_transfer(struct loop *l, struct ag_http_done *done)
{
	while (!ag_ctld_next(&l->ctld, done))
		ag_ctld_wait(&l->ctld, NULL, 0, 1000);
	return done->result == AG_HTTP_OK;
}

/* --once: fetch, read the kernel, apply, report. Returns the exit status. */
static int run_once(struct loop *l)
{
	struct ag_agent *a = &l->a;
	struct ag_transfer *t = &l->ctld.poll;
	struct ag_http_done done;
	struct ag_mirror fresh;
	uint64_t start;
	int ret = 1;

	if (l->use_ctld) {
		ag_ctld_poll(&l->ctld, false, 0, false);
		if (!finish_transfer(l, &done)) {
			ag_err("%s", done.msg);
			return 1;
		}
		if (state_received(l, t->body ? t->body : "", t->len, t->has_generation,
				   t->generation, false))
			goto report;
	} else if (read_state_file(l)) {
		return 1;
	}
	if (kernel_open(l)) {
		if (l->waiting_for_module)
			ag_err("the xrelay module is not loaded");
		goto report;
	}
	ag_mirror_init(&fresh);
	start = ag_now_ns();
	if (ag_kernel_dump(&a->kernel, &fresh)) {
		ag_err("reading the kernel's state: %s", a->kernel.req.errmsg);
		goto report;
	}
	ag_mirror_replace(&a->mirror, &fresh);
	ag_mirror_free(&fresh);
	ag_debug("kernel read: %zu instances, %zu sessions in %.1f ms", a->mirror.instances.n,
		 a->mirror.sessions.n, ag_ms_since(start));
	reconcile(l, AG_CHANGED);
	printf("generation %" PRIu64 ": %" PRIu64 " sessions created, %" PRIu64
	       " deleted, %" PRIu64 " instances created, %" PRIu64 " deleted, %" PRIu64
	       " networks changed, %" PRIu64 " failed\n", a->generation,
	       a->stats.sessions_created, a->stats.sessions_deleted,
	       a->stats.instances_created, a->stats.instances_deleted,
	       a->stats.networks_changed, a->stats.apply_failures);
	ret = a->stats.apply_failures ? 1 : 0;
report:
	if (l->use_ctld) {
		ag_ctld_report(&l->ctld, ag_report_build(a));
		if (!finish_transfer(l, &done))
			ag_warn("report not taken: %s", done.msg);
	}
	return ret;
}

static void loop_init(struct loop *l)
{
	struct ag_agent *a = &l->a;
	uint32_t max = a->conf.backoff_max_ms;

	ag_mirror_init(&a->mirror);
	ag_map_init(&a->ended);
	ag_report_init(&a->report);
	ag_backoff_init(&l->poll_backoff, FIRST_RETRY_MS, max);
	ag_backoff_init(&l->apply_backoff, FIRST_RETRY_MS, max);
	ag_backoff_init(&l->report_backoff, FIRST_RETRY_MS, max);
	l->use_ctld = !a->conf.state_file;
	srandom(ag_now_ns() ^ getpid());
}

int main(int argc, char **argv)
{
	static struct loop l;
	struct ag_agent *a = &l.a;
	char err[300];

	ag_conf_load(&a->conf, argc, argv);
	ag_log_init(a->conf.verbose);
	loop_init(&l);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) ||
	    (l.use_ctld && ag_ctld_init(&l.ctld, &a->conf))) {
		ag_err("cannot set up libcurl");
		return 1;
	}
	if (a->conf.once)
		return run_once(&l);

	l.sigfd = open_signals();
	if (l.sigfd < 0 || ag_watch_open(&l.watch, err, sizeof(err))) {
		ag_err("%s", l.sigfd < 0 ? strerror(errno) : err);
		return 1;
	}
	ag_info("starting: relay %s, %s", a->conf.relay ? a->conf.relay : "(state file)",
		l.use_ctld ? a->conf.ctld_url : a->conf.state_file);
	resync(&l, AG_RESYNC);
	if (l.use_ctld)
		start_poll(&l);
	else
		read_state_file(&l);
	run(&l);

	ag_watch_close(&l.watch);
	ag_kernel_close(&a->kernel);
	if (l.use_ctld)
		ag_ctld_free(&l.ctld);
	ag_desired_free(a->desired);
	ag_vec_free(&a->touched);
	ag_mirror_free(&a->mirror);
	ag_report_free(&a->report);
	ag_errors_clear(&a->errors);
	curl_global_cleanup();
	return 0;
}
