/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bump allocator for a configuration: everything a loaded configuration
 * owns is freed at once when it is replaced, so individual frees are not
 * worth tracking.
 */
#ifndef CTLD_ARENA_H
#define CTLD_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

void *arena_alloc(struct arena *a, size_t size);
void *arena_zalloc(struct arena *a, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);
/* Free everything but keep one chunk, for an arena that is refilled at once. */
void arena_reset(struct arena *a);

#endif
