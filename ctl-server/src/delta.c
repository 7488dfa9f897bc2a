// SPDX-License-Identifier: GPL-2.0-only
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delta.h"
#include "hashmap.h"
#include "log.h"

/* Beyond this many steps an agent that far behind may as well read it all. */
#define DELTA_HISTORY_MAX 64
/* Small documents keep a useful history all the same. */
#define DELTA_LIMIT_MIN (64u << 10)

size_t delta_limit(size_t doc_len)
{
	return doc_len / 2 > DELTA_LIMIT_MIN ? doc_len / 2 : DELTA_LIMIT_MIN;
}

void delta_draft_add(struct delta_draft *d, const char *name, const char *text, bool added)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = (struct delta_change){ (char *)name, (char *)text, added };
	d->bytes += strlen(name) + (text ? strlen(text) : 0);
}

void delta_draft_reset(struct delta_draft *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static void delta_free(struct delta *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].name);
		free(d->v[i].text);
	}
	free(d->v);
}

void delta_history_clear(struct delta_history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		delta_free(&h->v[i]);
	free(h->v);
	memset(h, 0, sizeof(*h));
}

static void drop_oldest(struct delta_history *h)
{
	h->bytes -= h->v[0].bytes;
	delta_free(&h->v[0]);
	memmove(h->v, h->v + 1, --h->n * sizeof(*h->v));
}

void delta_history_push(struct delta_history *h, uint64_t base, uint64_t generation,
			const struct delta_draft *d, size_t limit)
{
	struct delta *nd;
	size_t i;

	if (d->broken || d->bytes > limit || (h->n && h->v[h->n - 1].generation != base)) {
		delta_history_clear(h);
		if (d->broken || d->bytes > limit)
			return;
	}
	while (h->n && (h->n == DELTA_HISTORY_MAX || h->bytes + d->bytes > 2 * limit))
		drop_oldest(h);
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 8;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	nd = &h->v[h->n++];
	nd->base = base;
	nd->generation = generation;
	nd->n = d->n;
	nd->bytes = d->bytes;
	nd->v = xcalloc(d->n ? d->n : 1, sizeof(*nd->v));
	for (i = 0; i < d->n; i++) {
		nd->v[i].name = xstrdup(d->v[i].name);
		nd->v[i].text = d->v[i].text ? xstrdup(d->v[i].text) : NULL;
		nd->v[i].added = d->v[i].added;
	}
	h->bytes += d->bytes;
}

/* A string that grows. */
struct out {
	char *p;
	size_t len, cap;
};

static void out_add(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

/* A JSON string, escaped as jansson does. */
static void out_json_string(struct out *o, const char *s)
{
	json_t *j = json_string(s);
	char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	if (!q)
		die_oom();
	out_str(o, q);
	free(q);
	json_decref(j);
}

/* What a chain of deltas did to one name, from the base's point of view. */
struct net_change {
	const char *name;
	const char *text;	/* the last text; NULL: removed */
	bool in_base;		/* the first change was not an addition */
	size_t order;		/* of first appearance */
};

char *delta_render(const struct delta_history *h, const char *relay, uint64_t base,
		   size_t limit, size_t *len)
{
	struct hashmap seen;
	struct net_change *nc;
	struct out o = { 0 };
	size_t first, i, j, n = 0, total = 0, bytes = 0;
	bool any;
	char head[96];

	for (first = 0; first < h->n && h->v[first].base != base; first++)
		;
	if (first == h->n)
		return NULL;
	for (i = first; i < h->n; i++)
		total += h->v[i].n;
	nc = xcalloc(total ? total : 1, sizeof(*nc));
	hm_init_str(&seen);
	for (i = first; i < h->n; i++) {
		for (j = 0; j < h->v[i].n; j++) {
			const struct delta_change *c = &h->v[i].v[j];
			struct net_change *e = hm_get_str(&seen, c->name);

			if (!e) {
				e = &nc[n];
				e->name = c->name;
				e->in_base = !c->added;
				e->order = n++;
				hm_put_str(&seen, e->name, e);
			}
			e->text = c->text;
		}
	}
	hm_free(&seen);
	for (i = 0; i < n; i++)
		bytes += strlen(nc[i].name) + (nc[i].text ? strlen(nc[i].text) : 0);
	if (bytes > limit) {
		free(nc);
		return NULL;
	}
	snprintf(head, sizeof(head), "{\"generation\":%" PRIu64 ",\"base\":%" PRIu64 ",\"relay\":",
		 h->v[h->n - 1].generation, base);
	out_str(&o, head);
	out_json_string(&o, relay);
	out_str(&o, ",\"sessions_upsert\":[");
	for (i = 0, any = false; i < n; i++) {
		if (!nc[i].text)
			continue;
		if (any)
			out_str(&o, ",");
		out_str(&o, nc[i].text);
		any = true;
	}
	out_str(&o, "],\"sessions_remove\":[");
	for (i = 0, any = false; i < n; i++) {
		/* Added and removed again since the base: the agent never had it. */
		if (nc[i].text || !nc[i].in_base)
			continue;
		if (any)
			out_str(&o, ",");
		out_json_string(&o, nc[i].name);
		any = true;
	}
	out_str(&o, "]}");
	free(nc);
	*len = o.len;
	return o.p;
}
