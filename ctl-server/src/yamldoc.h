/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Typed access to libyaml documents. Every accessor reports what is wrong
 * with a node at the node's own line and column and returns false, so the
 * schema code can keep going and report every error in one run.
 */
#ifndef CTLD_YAMLDOC_H
#define CTLD_YAMLDOC_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#include "arena.h"
#include "diag.h"
#include "netaddr.h"

/*
 * A compact tree built from libyaml's events, in an arena freed with the
 * document: libyaml's own document API costs several times more memory
 * and time on a configuration of 100 000 sessions.
 */
struct ynode {
	yaml_node_type_t type;		/* YAML_SCALAR_NODE, _SEQUENCE_ or _MAPPING_ */
	yaml_scalar_style_t style;	/* scalars */
	int line, col;			/* 0-based, as libyaml counts */
	const char *value;		/* scalars: NUL-terminated */
	size_t len;			/* scalars: bytes; containers: items (keys and values) */
	struct ynode **items;		/* sequences: items; mappings: key, value, key, ... */
};

struct ydoc {
	const char *file;
	struct diags *diags;
	struct arena *arena;		/* where accepted values are copied */
};

/*
 * What to do with each document of a file. The items of a list under a
 * top-level key can be taken one at a time, as soon as each is complete:
 * a file of 100 000 sessions then never exists as a tree in memory.
 */
struct ydoc_ops {
	/*
	 * A token for the items of the list under key (its first occurrence
	 * in a mapping at the top), or NULL to keep them in the tree.
	 */
	const void *(*stream)(const char *key, void *arg);
	/* One complete item of a list stream chose; freed on return. */
	void (*item)(struct ydoc *d, const void *token, struct ynode *item, void *arg);
	/* A complete document; the lists streamed appear in it empty. */
	void (*document)(struct ydoc *d, struct ynode *root, void *arg);
};

/*
 * Parse every document in data; false on a syntax error (or an alias, or
 * nesting too deep), which drops the diagnostics of the document it cuts
 * short: its items were handed over already, the caller undoes what it
 * made of them.
 */
bool ydoc_parse(const char *file, const char *data, size_t len, struct arena *arena,
		struct diags *diags, const struct ydoc_ops *ops, void *arg);

struct mark ymark(const struct ydoc *d, const struct ynode *n);
void yerr(struct ydoc *d, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The node must be a mapping whose keys are all in keys (NULL-terminated). */
bool ymap_check(struct ydoc *d, struct ynode *n, const char *what, const char *const keys[]);
struct ynode *ymap_get(struct ydoc *d, struct ynode *map, const char *key);
/* Like ymap_get, but a missing key is reported against the mapping. */
struct ynode *ymap_need(struct ydoc *d, struct ynode *map, const char *key, const char *what);
bool yseq_check(struct ydoc *d, struct ynode *n, const char *what);
#define yseq_len(n) ((n)->len)
#define yseq_item(d, n, i) ((n)->items[(i)])

bool yget_str(struct ydoc *d, struct ynode *n, const char *what, const char **out);
bool yget_name(struct ydoc *d, struct ynode *n, const char *what, const char **out);
bool yget_u64(struct ydoc *d, struct ynode *n, const char *what, uint64_t min,
	      uint64_t max, uint64_t *out);
bool yget_u32(struct ydoc *d, struct ynode *n, const char *what, uint32_t min,
	      uint32_t max, uint32_t *out);
bool yget_bool(struct ydoc *d, struct ynode *n, const char *what, bool *out);
/* Seconds, as an integer or with an s, m, h or d suffix. */
bool yget_seconds(struct ydoc *d, struct ynode *n, const char *what, uint32_t min,
		  uint32_t max, uint32_t *out);
/* An integer with an optional k, M, G or T (powers of 1000) suffix. */
bool yget_quantity(struct ydoc *d, struct ynode *n, const char *what, uint64_t *out);
bool yget_enum(struct ydoc *d, struct ynode *n, const char *what,
	       const char *const names[], int *out);
bool yget_addr(struct ydoc *d, struct ynode *n, const char *what, struct prefix *out);
bool yget_prefix(struct ydoc *d, struct ynode *n, const char *what, struct prefix *out);
bool yget_endpoint(struct ydoc *d, struct ynode *n, const char *what, struct endpoint *out);
/* "MIN-MAX" or a single number; min <= max. */
bool yget_range(struct ydoc *d, struct ynode *n, const char *what, uint32_t lo,
		uint32_t hi, uint32_t *min, uint32_t *max);

#endif
