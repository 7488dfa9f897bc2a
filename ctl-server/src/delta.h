/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The recent changes of one relay's document, so that an agent holding a
 * recent generation gets only the sessions that changed since (see
 * Documentation/ctld.rst, "Delta states"). Each delta joins two
 * successive generations; the history holds an unbroken chain ending at
 * the relay's current generation, and anything that is not a session
 * change (instances, networks, policies, duplicate names) breaks it.
 */
#ifndef CTLD_DELTA_H
#define CTLD_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct delta_change {
	char *name;
	char *text;		/* the session's JSON; NULL: removed */
	bool added;		/* the name was not in the base document */
};

struct delta {
	uint64_t base, generation;
	struct delta_change *v;
	size_t n;
	size_t bytes;		/* of names and texts, for the bounds */
};

struct delta_history {
	struct delta *v;	/* oldest first */
	size_t n, cap;
	size_t bytes;
};

/* Changes collected while a document is rendered, before it is published. */
struct delta_draft {
	struct delta_change *v;	/* names and texts borrowed */
	size_t n, cap;
	size_t bytes;
	bool broken;		/* what changed is not expressible as a delta */
};

/*
 * The most a delta may weigh against a document of @doc_len bytes: beyond
 * half of it, the agent may as well read the whole.
 */
size_t delta_limit(size_t doc_len);

void delta_draft_add(struct delta_draft *d, const char *name, const char *text, bool added);
void delta_draft_reset(struct delta_draft *d);

/*
 * The document went from @base to @generation. The draft's changes are
 * copied into the history, unless they break the chain or weigh more than
 * @limit bytes: then the history is emptied, so that every older
 * generation gets the full document. The history keeps at most twice
 * @limit bytes, dropping its oldest deltas.
 */
void delta_history_push(struct delta_history *h, uint64_t base, uint64_t generation,
			const struct delta_draft *d, size_t limit);
void delta_history_clear(struct delta_history *h);

/*
 * The delta document from @base to the newest generation, or NULL when
 * the history has no chain from @base or the changes since weigh more than
 * @limit bytes: the caller serves the full document.
 */
char *delta_render(const struct delta_history *h, const char *relay, uint64_t base,
		   size_t limit, size_t *len);

#endif
