// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/xrelay.h>

#include "log.h"
#include "ports.h"
#include "reconcile.h"
#include "util.h"

/* Drift is logged one object a line, up to this many per reconcile. */
#define DRIFT_LINES 10

struct plan {
	struct ag_vec session_del;	/* struct ag_ksession */
	struct ag_vec instance_del;	/* struct ag_kinstance */
	struct ag_vec instance_new;	/* const struct ag_instance_desc */
	struct ag_vec session_new;	/* struct ag_dsession */
	struct ag_map doomed;		/* ids of instances to delete */
	struct ag_vec network_new;	/* struct ag_network, to create */
	struct ag_vec network_set;	/* struct ag_network, to give their policy */
	struct ag_vec network_gone;	/* struct ag_knetwork, without a policy to have */
	/*
	 * Changes found by a periodic read of a kernel that was in step, and
	 * not explained by an expiry, were made by someone else: they are
	 * logged and counted.
	 */
	bool drift;
	size_t drift_changes;
};

struct apply {
	struct ag_agent *a;
	struct ag_outcome *out;
};

static void drift(struct ag_agent *a, struct plan *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void drift(struct ag_agent *a, struct plan *p, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	a->stats.drift_corrected++;
	if (p->drift_changes++ >= DRIFT_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ag_warn("drift: %s", line);
}

static void plan_instances(struct ag_agent *a, struct plan *p)
{
	const struct ag_desired *d = a->desired;
	size_t pos = 0, i;
	uint64_t key;
	void *val;

	while (ag_map_next(&a->mirror.instances, &pos, &key, &val)) {
		struct ag_kinstance *k = val;
		const struct ag_instance_desc *want = ag_map_get(&d->instance_by_id, k->desc.id);

		if (want && ag_instance_desc_equal(want, &k->desc))
			continue;
		if (p->drift)
			drift(a, p, "instance %u %s: deleting it", k->desc.id,
			      want ? "differs from its description" : "is not in the desired state");
		ag_vec_push(&p->instance_del, k);
		ag_map_put(&p->doomed, k->desc.id, k);
	}
	for (i = 0; i < d->n_instances; i++) {
		const struct ag_instance_desc *want = &d->instances[i];
		struct ag_kinstance *k = ag_map_get(&a->mirror.instances, want->id);

		if (k && !ag_map_get(&p->doomed, want->id))
			continue;
		if (!k && p->drift)
			drift(a, p, "instance %u is missing from the kernel: creating it", want->id);
		ag_vec_push(&p->instance_new, (void *)want);
	}
}

/*
 * Networks with a policy in the state get a network object holding it.
 * Objects of other networks go once they have no sessions left (the
 * kernel refuses to delete one before), and lose their policy meanwhile.
 */
static void plan_networks(struct ag_agent *a, struct plan *p)
{
	const struct ag_desired *d = a->desired;
	size_t pos = 0, i;
	uint64_t key;
	void *val;

	for (i = 0; i < d->n_networks; i++) {
		const struct ag_network *want = &d->networks[i];
		struct ag_knetwork *k = ag_map_get(&a->mirror.networks, want->id);

		if (!want->policy)
			continue;
		if (!k) {
			if (p->drift)
				drift(a, p, "network %u is missing from the kernel: creating it",
				      want->id);
			ag_vec_push(&p->network_new, (void *)want);
		} else if (strcmp(k->canon, want->policy_canon)) {
			if (p->drift)
				drift(a, p, "network %u's policy differs from the state: replacing it",
				      want->id);
			ag_vec_push(&p->network_set, (void *)want);
		}
	}
	while (ag_map_next(&a->mirror.networks, &pos, &key, &val)) {
		const struct ag_network *want = ag_map_get(&d->network_by_id, key);

		if (want && want->policy)
			continue;
		if (p->drift)
			drift(a, p, "network %u is not in the desired state: deleting it",
			      (uint32_t)key);
		ag_vec_push(&p->network_gone, val);
	}
}

/* Has its lifetime ended with this very description? */
static bool ended(struct ag_agent *a, const struct ag_dsession *s)
{
	uint64_t key = ag_desc_key(&s->desc);
	struct ag_session_desc *e;

	if (!a->ended.n)
		return false;
	e = ag_map_get(&a->ended, key);
	if (!e)
		return false;
	if (ag_session_desc_equal(e, &s->desc))
		return true;
	free(ag_map_del(&a->ended, key));
	return false;
}

/* Forget ended sessions that are no longer desired at all. */
static void prune_ended(struct ag_agent *a)
{
	struct ag_vec gone = { 0 };
	size_t pos = 0, i;
	uint64_t key;
	void *val;

	while (ag_map_next(&a->ended, &pos, &key, &val))
		if (!ag_map_get(&a->desired->session_by_key, key))
			ag_vec_push(&gone, (void *)(uintptr_t)key);
	for (i = 0; i < gone.n; i++)
		free(ag_map_del(&a->ended, (uintptr_t)gone.v[i]));
	ag_vec_free(&gone);
}

/*
 * A desired session against the kernel's: nothing to do, create it, or
 * replace it. Returns whether a kernel session was found for it.
 */
static bool plan_desired(struct ag_agent *a, struct plan *p, struct ag_dsession *s,
			 struct ag_outcome *out)
{
	struct ag_ksession *k = ag_map_get(&a->mirror.sessions, ag_desc_key(&s->desc));
	char name[AG_SESSION_NAME_LEN];

	if (k && ag_map_get(&p->doomed, k->desc.instance))
		k = NULL;	/* goes with its instance */
	if (k) {
		if (ag_session_desc_equal(&k->desc, &s->desc))
			return true;
		if (p->drift)
			drift(a, p, "session %s (%s) differs from its description: re-creating it",
			      s->name, ag_session_name(&s->desc, name));
		ag_vec_push(&p->session_del, k);
	} else if (ended(a, s)) {
		out->ended++;
		return false;
	} else if (p->drift) {
		drift(a, p, "session %s (%s) is missing from the kernel: creating it",
		      s->name, ag_session_name(&s->desc, name));
	}
	ag_vec_push(&p->session_new, s);
	return k != NULL;
}

/* A kernel session that no desired session names goes. */
static void plan_unwanted(struct ag_agent *a, struct plan *p, struct ag_ksession *k)
{
	char name[AG_SESSION_NAME_LEN];

	if (ag_map_get(&p->doomed, k->desc.instance) ||
	    ag_map_get(&a->desired->session_by_key, ag_desc_key(&k->desc)))
		return;
	if (p->drift)
		drift(a, p, "session %s is not in the desired state: deleting it",
		      ag_session_name(&k->desc, name));
	ag_vec_push(&p->session_del, k);
}

/*
 * The full comparison: one lookup per desired session; the kernel's
 * sessions are walked only when it holds some that no desired session
 * accounted for.
 */
static void plan_sessions(struct ag_agent *a, struct plan *p, struct ag_outcome *out)
{
	const struct ag_desired *d = a->desired;
	size_t accounted = 0, pos = 0, i;
	uint64_t key;
	void *val;

	for (i = 0; i < p->instance_del.n; i++)
		accounted += ((struct ag_kinstance *)p->instance_del.v[i])->sessions;
	for (i = 0; i < d->n_sessions; i++)
		accounted += plan_desired(a, p, &d->sessions[i], out);
	if (a->mirror.sessions.n <= accounted)
		return;
	while (ag_map_next(&a->mirror.sessions, &pos, &key, &val))
		plan_unwanted(a, p, val);
}

/*
 * With the kernel in step with the previous state and the same instances,
 * only sessions that differ between the two states need looking at: ctld
 * keeps sessions in a stable order, so the runs at the start and at the
 * end whose fingerprints match are skipped with a walk over two arrays of
 * integers, and the rest is compared in full.
 */
static void plan_sessions_since(struct ag_agent *a, struct plan *p, struct ag_outcome *out)
{
	const struct ag_desired *old = a->previous, *d = a->desired;
	size_t n_old = old->n_sessions, n_new = d->n_sessions, head = 0, tail = 0, i;

	while (head < n_old && head < n_new && old->fingerprints[head] == d->fingerprints[head])
		head++;
	while (tail < n_old - head && tail < n_new - head &&
	       old->fingerprints[n_old - 1 - tail] == d->fingerprints[n_new - 1 - tail])
		tail++;
	for (i = head; i < n_new - tail; i++)
		plan_desired(a, p, &d->sessions[i], out);
	for (i = head; i < n_old - tail; i++) {
		struct ag_ksession *k = ag_map_get(&a->mirror.sessions,
						   ag_desc_key(&old->sessions[i].desc));

		if (k)
			plan_unwanted(a, p, k);
	}
}

/*
 * With the kernel in step with the state a delta was applied to, only the
 * sessions it touched need looking at: under their new key, the desired
 * session; under an old one, whatever the kernel holds there unless it is
 * still desired.
 */
static void plan_sessions_touched(struct ag_agent *a, struct plan *p, struct ag_outcome *out)
{
	struct ag_map done;
	size_t i;

	ag_map_init(&done);
	for (i = 0; i < a->touched.n; i++) {
		uint64_t key = (uintptr_t)a->touched.v[i];
		struct ag_dsession *s;
		struct ag_ksession *k;

		if (ag_map_put(&done, key, &done))
			continue;
		s = ag_map_get(&a->desired->session_by_key, key);
		if (s)
			plan_desired(a, p, s, out);
		else if ((k = ag_map_get(&a->mirror.sessions, key)))
			plan_unwanted(a, p, k);
	}
	ag_map_free(&done);
}

static bool same_instances(const struct ag_desired *x, const struct ag_desired *y)
{
	size_t i;

	if (x->n_instances != y->n_instances)
		return false;
	for (i = 0; i < x->n_instances; i++)
		if (!ag_instance_desc_equal(&x->instances[i], &y->instances[i]))
			return false;
	return true;
}

static void deleted(struct apply *ap, void *item, int error, const char *errmsg, uint32_t id)
{
	struct ag_ksession *k = item;
	char name[AG_SESSION_NAME_LEN], what[AG_SESSION_NAME_LEN + 32];

	(void)id;
	if (error && error != ENOENT) {
		snprintf(what, sizeof(what), "deleting session %s", ag_session_name(&k->desc, name));
		ag_errors_add(&ap->a->errors, what, errmsg);
		ap->out->failed++;
		if (error == ENOBUFS)
			ap->out->mirror_suspect = true;
		return;
	}
	if (!error)
		ap->out->sessions_deleted++;
	ag_mirror_remove_session(&ap->a->mirror, k);
}

static void created(struct apply *ap, void *item, int error, const char *errmsg, uint32_t id)
{
	struct ag_dsession *s = item;
	char name[AG_SESSION_NAME_LEN], *what;

	if (error) {
		what = ag_asprintf("session %s (%s)", s->name, ag_session_name(&s->desc, name));
		ag_errors_add(&ap->a->errors, what, errmsg);
		free(what);
		ap->out->failed++;
		/* EEXIST: a session the mirror does not know holds the port. */
		if (error == EEXIST || error == ENOBUFS)
			ap->out->mirror_suspect = true;
		return;
	}
	ag_mirror_add_session(&ap->a->mirror, &s->desc, id);
	ap->out->sessions_created++;
}

/* Sends the requests @build makes of @items, then hands each its answer. */
static void run_batch(struct apply *ap, struct ag_vec *items, ag_build_fn build,
		      void (*done)(struct apply *ap, void *item, int error, const char *errmsg,
				   uint32_t id))
{
	struct ag_answer *answers;
	size_t i;

	if (!items->n)
		return;
	answers = ag_calloc(items->n, sizeof(*answers));
	ag_kernel_send(&ap->a->kernel, items->v, items->n, build, answers);
	for (i = 0; i < items->n; i++) {
		done(ap, items->v[i], answers[i].error, answers[i].errmsg, answers[i].id);
		free(answers[i].errmsg);
	}
	free(answers);
}

static struct nl_msg *build_del(struct ag_kernel *k, void **items, size_t n, size_t *taken)
{
	return ag_kernel_session_del(k, (struct ag_ksession **)items, n, taken);
}

static struct nl_msg *build_new(struct ag_kernel *k, void **items, size_t n, size_t *taken)
{
	return ag_kernel_sessions_new(k, (struct ag_dsession **)items, n, taken);
}

static void network_failed(struct apply *ap, uint32_t id)
{
	char what[32];

	snprintf(what, sizeof(what), "network %u", id);
	ag_errors_add(&ap->a->errors, what, ap->a->kernel.req.errmsg);
	ap->out->failed++;
}

static void put_networks(struct apply *ap, struct ag_vec *networks, uint8_t cmd)
{
	struct ag_agent *a = ap->a;
	size_t i;

	for (i = 0; i < networks->n; i++) {
		const struct ag_network *n = networks->v[i];

		if (ag_kernel_network_put(&a->kernel, cmd, n->id, n->policy)) {
			network_failed(ap, n->id);
			/* EEXIST on create, ENOENT on replace: the mirror was wrong. */
			ap->out->mirror_suspect = true;
			continue;
		}
		ag_mirror_set_network(&a->mirror, n->id, 0, ag_strdup(n->policy_canon));
		ap->out->networks_changed++;
	}
}

/* Deleted once without sessions; until then without a policy. */
static void drop_networks(struct apply *ap, struct ag_vec *gone)
{
	struct ag_agent *a = ap->a;
	struct ag_map busy;
	size_t pos = 0, i;
	uint64_t key;
	void *val;

	if (!gone->n)
		return;
	ag_map_init(&busy);
	while (ag_map_next(&a->mirror.sessions, &pos, &key, &val))
		ag_map_put(&busy, ((struct ag_ksession *)val)->desc.network, val);
	for (i = 0; i < gone->n; i++) {
		struct ag_knetwork *k = gone->v[i];
		uint32_t id = k->id;

		if (!ag_map_get(&busy, id)) {
			if (ag_kernel_network_del(&a->kernel, id) && a->kernel.req.error != ENOENT) {
				network_failed(ap, id);
				continue;
			}
			ag_mirror_remove_network(&a->mirror, id);
			ap->out->networks_changed++;
		} else if (k->canon[0]) {
			if (ag_kernel_network_put(&a->kernel, XRELAY_CMD_NETWORK_SET, id, NULL)) {
				network_failed(ap, id);
				continue;
			}
			ag_mirror_set_network(&a->mirror, id, k->sessions, ag_strdup(""));
			ap->out->networks_changed++;
		}
	}
	ag_map_free(&busy);
}

static void delete_instances(struct apply *ap, struct plan *p)
{
	struct ag_agent *a = ap->a;
	size_t i;

	for (i = 0; i < p->instance_del.n; i++) {
		struct ag_kinstance *k = p->instance_del.v[i];
		char what[32];

		if (ag_kernel_instance_del(&a->kernel, k->desc.id) &&
		    a->kernel.req.error != ENOENT) {
			snprintf(what, sizeof(what), "deleting instance %u", k->desc.id);
			ag_errors_add(&a->errors, what, a->kernel.req.errmsg);
			ap->out->failed++;
			continue;
		}
		ap->out->instances_deleted++;
		ag_mirror_remove_instance(&a->mirror, k);
	}
}

static void create_instances(struct apply *ap, struct plan *p)
{
	struct ag_agent *a = ap->a;
	size_t i;

	for (i = 0; i < p->instance_new.n; i++) {
		const struct ag_instance_desc *d = p->instance_new.v[i];
		char what[32], err[256];
		int reserved = 0;

		snprintf(what, sizeof(what), "instance %u", d->id);
		if (a->conf.reserve_ports) {
			reserved = ag_ports_reserve(d->port_min, d->port_max, err, sizeof(err));
			if (reserved < 0)
				ag_warn("%s: %s", what, err);
			if (reserved > 0) {
				a->stats.ports_reserved++;
				ag_info("%s: added ports %u-%u to ip_local_reserved_ports (the part "
					"in the ephemeral range)", what, d->port_min, d->port_max);
			}
		}
		if (ag_kernel_instance_new(&a->kernel, d)) {
			ag_errors_add(&a->errors, what, a->kernel.req.errmsg);
			ap->out->failed++;
			if (a->kernel.req.error == EEXIST)
				ap->out->mirror_suspect = true;
			continue;
		}
		ap->out->instances_created++;
		ag_mirror_add_instance(&a->mirror, d);
	}
}

/* Sessions whose instance is missing cannot be created: one error for all. */
static void drop_orphans(struct apply *ap, struct ag_vec *session_new)
{
	struct ag_agent *a = ap->a;
	size_t i, kept = 0;

	for (i = 0; i < session_new->n; i++) {
		struct ag_dsession *s = session_new->v[i];
		char name[AG_SESSION_NAME_LEN], *what, *msg;

		if (ag_map_get(&a->mirror.instances, s->desc.instance)) {
			session_new->v[kept++] = s;
			continue;
		}
		what = ag_asprintf("session %s (%s)", s->name, ag_session_name(&s->desc, name));
		msg = ag_asprintf("instance %u could not be created", s->desc.instance);
		ag_errors_add(&a->errors, what, msg);
		free(what);
		free(msg);
		ap->out->failed++;
	}
	session_new->n = kept;
}

void ag_reconcile(struct ag_agent *a, enum ag_reason why, struct ag_outcome *out)
{
	struct apply ap = { .a = a, .out = out };
	uint64_t start;
	struct plan p;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	ag_map_init(&p.doomed);
	ag_errors_clear(&a->errors);
	if (!a->desired || !a->kernel.up)
		return;

	start = ag_now_ns();
	p.drift = why == AG_RESYNC && a->clean;
	prune_ended(a);
	plan_instances(a, &p);
	plan_networks(a, &p);
	/* A delta changes no instance: the kernel's may still differ. */
	if (a->in_step && a->have_touched && !p.instance_del.n && !p.instance_new.n)
		plan_sessions_touched(a, &p, out);
	else if (a->in_step && a->previous && !p.instance_del.n && !p.instance_new.n &&
		 same_instances(a->previous, a->desired))
		plan_sessions_since(a, &p, out);
	else
		plan_sessions(a, &p, out);
	out->drift = p.drift_changes;
	if (p.drift_changes > DRIFT_LINES)
		ag_warn("drift: %zu more changes not listed", p.drift_changes - DRIFT_LINES);
	out->diff_ms = ag_ms_since(start);

	start = ag_now_ns();
	run_batch(&ap, &p.session_del, build_del, deleted);
	delete_instances(&ap, &p);
	put_networks(&ap, &p.network_new, XRELAY_CMD_NETWORK_NEW);
	put_networks(&ap, &p.network_set, XRELAY_CMD_NETWORK_SET);
	drop_networks(&ap, &p.network_gone);
	create_instances(&ap, &p);
	drop_orphans(&ap, &p.session_new);
	run_batch(&ap, &p.session_new, build_new, created);
	out->kernel_ms = ag_ms_since(start);

	a->clean = !out->failed;
	a->in_step = !out->failed && !out->mirror_suspect;
	a->stats.reconciles++;
	a->stats.sessions_created += out->sessions_created;
	a->stats.sessions_deleted += out->sessions_deleted;
	a->stats.instances_created += out->instances_created;
	a->stats.instances_deleted += out->instances_deleted;
	a->stats.networks_changed += out->networks_changed;
	a->stats.apply_failures += out->failed;
	ag_vec_free(&p.session_del);
	ag_vec_free(&p.instance_del);
	ag_vec_free(&p.instance_new);
	ag_vec_free(&p.session_new);
	ag_vec_free(&p.network_new);
	ag_vec_free(&p.network_set);
	ag_vec_free(&p.network_gone);
	ag_map_free(&p.doomed);
}
