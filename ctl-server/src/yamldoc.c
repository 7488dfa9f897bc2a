// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "yamldoc.h"

#define NAME_MAX_LEN 63

#define MAX_DEPTH 64

struct mark ymark(const struct ydoc *d, const struct ynode *n)
{
	struct mark m = { .file = d->file, .line = n->line + 1, .col = n->col + 1 };

	return m;
}

void yerr(struct ydoc *d, const struct ynode *n, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag_add(d->diags, ymark(d, n), "%s", buf);
}

/* A container being filled: its items gather here until its end event. */
struct frame {
	struct ynode *node;
	struct ynode **items;
	size_t n, cap;
};

struct builder {
	struct ydoc *d;
	const struct ydoc_ops *ops;
	void *arg;
	struct arena arena;		/* the document's tree */
	struct arena item_arena;	/* the streamed item being built */
	struct frame stack[MAX_DEPTH];
	int depth;
	struct ynode *root;
	const void *stream;		/* set while a list's items are streamed */
	int stream_depth;		/* depth of that list's items */
	struct ynode *bad;		/* what made the document unusable */
	char why[80];
};

/* Inside a streamed list, nodes live only as long as their item. */
static struct arena *arena_for(struct builder *b, int depth)
{
	return b->stream && depth >= b->stream_depth ? &b->item_arena : &b->arena;
}

/* A scalar's value is allocated with its node, in one go. */
static struct ynode *new_node(struct builder *b, yaml_node_type_t type, yaml_mark_t mark,
			      size_t value_size)
{
	struct ynode *n = arena_alloc(arena_for(b, b->depth), sizeof(*n) + value_size);

	*n = (struct ynode){ 0 };

	n->type = type;
	n->line = (int)mark.line;
	n->col = (int)mark.column;
	return n;
}

static void hand_over(struct builder *b, struct ynode *item)
{
	b->ops->item(b->d, b->stream, item, b->arg);
	arena_reset(&b->item_arena);
}

/* Whether the list about to start is the first value of a key at the top. */
static const void *stream_for(struct builder *b)
{
	struct frame *top = &b->stack[0];
	struct ynode *key;
	size_t i;

	if (b->depth != 1 || top->node->type != YAML_MAPPING_NODE || !(top->n & 1) ||
	    !b->ops->stream)
		return NULL;
	key = top->items[top->n - 1];
	if (key->type != YAML_SCALAR_NODE)
		return NULL;
	for (i = 0; i + 1 < top->n; i += 2)
		if (top->items[i]->type == YAML_SCALAR_NODE &&
		    !strcmp(top->items[i]->value, key->value))
			return NULL;
	return b->ops->stream(key->value, b->arg);
}

static void attach(struct builder *b, struct ynode *n)
{
	struct frame *f;

	if (!b->depth) {
		b->root = n;
		return;
	}
	if (b->stream && b->depth == b->stream_depth) {
		/* A container item is handed over at its end, a scalar now. */
		if (n->type == YAML_SCALAR_NODE)
			hand_over(b, n);
		return;
	}
	f = &b->stack[b->depth - 1];
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->items = xrealloc(f->items, f->cap * sizeof(*f->items));
	}
	f->items[f->n++] = n;
}

static void push(struct builder *b, struct ynode *n)
{
	b->stack[b->depth++].node = n;
}

static void close_frame(struct builder *b)
{
	struct frame *f = &b->stack[--b->depth];

	if (b->stream && b->depth + 1 == b->stream_depth)
		b->stream = NULL;	/* the streamed list ends, empty in the tree */
	f->node->len = f->n;
	f->node->items = arena_alloc(arena_for(b, b->depth), (f->n ? f->n : 1) * sizeof(*f->items));
	memcpy(f->node->items, f->items, f->n * sizeof(*f->items));
	f->n = 0;
	if (b->stream && b->depth == b->stream_depth)
		hand_over(b, f->node);
}

/* Feed one event; false (with b->bad and b->why) when the document cannot be used. */
static bool build(struct builder *b, const yaml_event_t *ev)
{
	const void *stream;
	struct ynode *n;
	char *v;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = new_node(b, YAML_SCALAR_NODE, ev->start_mark, ev->data.scalar.length + 1);
		n->style = ev->data.scalar.style;
		n->len = ev->data.scalar.length;
		v = (char *)(n + 1);
		memcpy(v, ev->data.scalar.value, n->len);
		v[n->len] = '\0';
		n->value = v;
		attach(b, n);
		return true;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = new_node(b, ev->type == YAML_SEQUENCE_START_EVENT ? YAML_SEQUENCE_NODE :
			     YAML_MAPPING_NODE, ev->start_mark, 0);
		if (b->depth == MAX_DEPTH) {
			b->bad = n;
			snprintf(b->why, sizeof(b->why), "nested deeper than %d levels", MAX_DEPTH);
			return false;
		}
		stream = ev->type == YAML_SEQUENCE_START_EVENT ? stream_for(b) : NULL;
		attach(b, n);
		push(b, n);
		if (stream) {
			b->stream = stream;
			b->stream_depth = b->depth;
		}
		return true;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		close_frame(b);
		return true;
	case YAML_ALIAS_EVENT:
		/* Aliases can make a small file exponentially large to walk. */
		b->bad = new_node(b, YAML_SCALAR_NODE, ev->start_mark, 0);
		snprintf(b->why, sizeof(b->why), "aliases are not supported");
		return false;
	default:
		return true;
	}
}

static void syntax_error(struct ydoc *d, yaml_parser_t *parser)
{
	struct mark m = {
		.file = d->file,
		.line = (int)parser->problem_mark.line + 1,
		.col = (int)parser->problem_mark.column + 1,
	};

	if (parser->error == YAML_MEMORY_ERROR)
		die_oom();
	diag_add(d->diags, m, "YAML syntax error: %s%s%s",
		 parser->problem ? parser->problem : "invalid document",
		 parser->context ? " " : "", parser->context ? parser->context : "");
}

bool ydoc_parse(const char *file, const char *data, size_t len, struct arena *arena,
		struct diags *diags, const struct ydoc_ops *ops, void *arg)
{
	struct ydoc d = { .file = file, .diags = diags, .arena = arena };
	struct builder *b = xcalloc(1, sizeof(*b));
	size_t doc_diags = diags->n;	/* where the current document's begin */
	yaml_parser_t parser;
	yaml_event_t ev;
	bool ok = true, done = false;
	int i;

	b->d = &d;
	b->ops = ops;
	b->arg = arg;
	if (!yaml_parser_initialize(&parser))
		die_oom();
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			diags_truncate(diags, doc_diags);
			syntax_error(&d, &parser);
			ok = false;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			doc_diags = diags->n;
		} else if (ev.type == YAML_DOCUMENT_END_EVENT) {
			if (b->root)
				ops->document(&d, b->root, arg);
			b->root = NULL;
			arena_free(&b->arena);
		} else if (!build(b, &ev)) {
			diags_truncate(diags, doc_diags);
			yerr(&d, b->bad, "%s", b->why);
			ok = false;
			done = true;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	for (i = 0; i < MAX_DEPTH; i++)
		free(b->stack[i].items);
	arena_free(&b->arena);
	arena_free(&b->item_arena);
	free(b);
	return ok;
}

/* Keys are short and mostly differ in their first byte: skip the call then. */
static inline bool key_is(const char *key, const char *name)
{
	return key[0] == name[0] && !strcmp(key, name);
}

static const char *node_kind(const struct ynode *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

bool ymap_check(struct ydoc *d, struct ynode *n, const char *what, const char *const keys[])
{
	bool ok = true;
	size_t p, q;

	if (n->type != YAML_MAPPING_NODE) {
		yerr(d, n, "expected a mapping for %s, got %s", what, node_kind(n));
		return false;
	}
	for (p = 0; p < n->len; p += 2) {
		struct ynode *k = n->items[p];
		const char *name = k->value;
		size_t i;

		if (k->type != YAML_SCALAR_NODE) {
			yerr(d, k, "keys of %s must be plain names", what);
			ok = false;
			continue;
		}
		for (i = 0; keys[i] && !key_is(keys[i], name); i++)
			;
		if (!keys[i]) {
			yerr(d, k, "unknown key '%s' in %s", name, what);
			ok = false;
			continue;
		}
		for (q = 0; q < p; q += 2) {
			struct ynode *kq = n->items[q];

			if (kq->type == YAML_SCALAR_NODE && key_is(kq->value, name)) {
				yerr(d, k, "duplicate key '%s' in %s", name, what);
				ok = false;
				break;
			}
		}
	}
	return ok;
}

struct ynode *ymap_get(struct ydoc *d, struct ynode *map, const char *key)
{
	size_t p;

	if (map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = 0; p < map->len; p += 2) {
		struct ynode *k = map->items[p];

		if (k->type == YAML_SCALAR_NODE && key_is(k->value, key))
			return map->items[p + 1];
	}
	return NULL;
}

struct ynode *ymap_need(struct ydoc *d, struct ynode *map, const char *key, const char *what)
{
	struct ynode *v = ymap_get(d, map, key);

	if (!v)
		yerr(d, map, "%s is missing required key '%s'", what, key);
	return v;
}

bool yseq_check(struct ydoc *d, struct ynode *n, const char *what)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		yerr(d, n, "expected a list for '%s', got %s", what, node_kind(n));
		return false;
	}
	return true;
}

static const char *scalar(struct ydoc *d, struct ynode *n, const char *what, const char *kind)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE) {
		yerr(d, n, "expected %s for '%s', got %s", kind, what, node_kind(n));
		return NULL;
	}
	v = n->value;
	if (strlen(v) != n->len) {
		yerr(d, n, "'%s' contains a NUL character", what);
		return NULL;
	}
	return v;
}

/* Numbers and booleans must be plain: a quoted "80" is a string. */
static const char *plain_scalar(struct ydoc *d, struct ynode *n, const char *what,
				const char *kind)
{
	const char *v = scalar(d, n, what, kind);

	if (v && n->style != YAML_PLAIN_SCALAR_STYLE) {
		yerr(d, n, "expected %s for '%s', got a quoted string", kind, what);
		return NULL;
	}
	return v;
}

bool yget_str(struct ydoc *d, struct ynode *n, const char *what, const char **out)
{
	const char *v = scalar(d, n, what, "a string");

	if (!v)
		return false;
	if (!*v) {
		yerr(d, n, "'%s' must not be empty", what);
		return false;
	}
	*out = arena_strndup(d->arena, v, n->len);
	return true;
}

bool yget_name(struct ydoc *d, struct ynode *n, const char *what, const char **out)
{
	const char *v = scalar(d, n, what, "a name");
	size_t i, len;

	if (!v)
		return false;
	len = strlen(v);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)v[i]) && !(i && strchr("._-", v[i])))
			break;
	if (!len || i < len || len > NAME_MAX_LEN) {
		yerr(d, n, "'%s' must be 1-%d letters, digits, '.', '_' or '-', starting with a letter or digit",
		     what, NAME_MAX_LEN);
		return false;
	}
	*out = arena_strndup(d->arena, v, len);
	return true;
}

/* Decimal digits and where they end; false without a digit or beyond 64 bits. */
static bool parse_u64(const char *v, uint64_t *out, const char **rest)
{
	uint64_t x = 0;

	if (*v < '0' || *v > '9')
		return false;
	for (; *v >= '0' && *v <= '9'; v++) {
		if (x > (UINT64_MAX - (*v - '0')) / 10)
			return false;
		x = x * 10 + (*v - '0');
	}
	*out = x;
	*rest = v;
	return true;
}

bool yget_u64(struct ydoc *d, struct ynode *n, const char *what, uint64_t min,
	      uint64_t max, uint64_t *out)
{
	const char *v = plain_scalar(d, n, what, "an integer"), *rest;
	uint64_t x;

	if (!v)
		return false;
	if (!parse_u64(v, &x, &rest) || *rest) {
		yerr(d, n, "expected an integer for '%s', got '%s'", what, v);
		return false;
	}
	if (x < min || x > max) {
		yerr(d, n, "'%s' must be between %llu and %llu, got %s", what,
		     (unsigned long long)min, (unsigned long long)max, v);
		return false;
	}
	*out = x;
	return true;
}

bool yget_u32(struct ydoc *d, struct ynode *n, const char *what, uint32_t min,
	      uint32_t max, uint32_t *out)
{
	uint64_t x;

	if (!yget_u64(d, n, what, min, max, &x))
		return false;
	*out = (uint32_t)x;
	return true;
}

bool yget_bool(struct ydoc *d, struct ynode *n, const char *what, bool *out)
{
	const char *v = plain_scalar(d, n, what, "true or false");

	if (!v)
		return false;
	if (!strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "false"))
		*out = false;
	else {
		yerr(d, n, "expected true or false for '%s', got '%s'", what, v);
		return false;
	}
	return true;
}

bool yget_seconds(struct ydoc *d, struct ynode *n, const char *what, uint32_t min,
		  uint32_t max, uint32_t *out)
{
	const char *v = plain_scalar(d, n, what, "a duration"), *rest;
	uint64_t x, unit = 1;

	if (!v)
		return false;
	if (!parse_u64(v, &x, &rest) || (rest[0] && rest[1]) ||
	    (rest[0] && !strchr("smhd", rest[0]))) {
		yerr(d, n, "expected a duration for '%s' (seconds, or a number with s, m, h or d), got '%s'",
		     what, v);
		return false;
	}
	switch (rest[0]) {
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	}
	if (x > max / unit || x * unit < min) {
		yerr(d, n, "'%s' must be between %us and %us, got %s", what, min, max, v);
		return false;
	}
	*out = (uint32_t)(x * unit);
	return true;
}

bool yget_quantity(struct ydoc *d, struct ynode *n, const char *what, uint64_t *out)
{
	const char *v = plain_scalar(d, n, what, "a number"), *rest, *p = NULL;
	static const char units[] = "kMGT";
	uint64_t x, mul = 1;

	if (!v)
		return false;
	if (!parse_u64(v, &x, &rest) || (rest[0] && rest[1]) ||
	    (rest[0] && !(p = strchr(units, rest[0])))) {
		yerr(d, n, "expected a number for '%s' (optionally with k, M, G or T), got '%s'",
		     what, v);
		return false;
	}
	if (rest[0])
		for (; p >= units; p--)
			mul *= 1000;
	if (x > UINT64_MAX / mul) {
		yerr(d, n, "'%s' is too large", what);
		return false;
	}
	*out = x * mul;
	return true;
}

bool yget_enum(struct ydoc *d, struct ynode *n, const char *what,
	       const char *const names[], int *out)
{
	const char *v = scalar(d, n, what, "a name");
	char list[200] = "";
	int i;

	if (!v)
		return false;
	for (i = 0; names[i]; i++) {
		if (!strcmp(names[i], v)) {
			*out = i;
			return true;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
	}
	yerr(d, n, "'%s' must be %s, got '%s'", what, list, v);
	return false;
}

bool yget_addr(struct ydoc *d, struct ynode *n, const char *what, struct prefix *out)
{
	const char *v = scalar(d, n, what, "an address");

	if (!v)
		return false;
	if (addr_parse(v, out)) {
		yerr(d, n, "'%s' is not an IPv4 or IPv6 address: '%s'", what, v);
		return false;
	}
	return true;
}

bool yget_prefix(struct ydoc *d, struct ynode *n, const char *what, struct prefix *out)
{
	const char *v = scalar(d, n, what, "a prefix"), *err;

	if (!v)
		return false;
	err = prefix_parse(v, out);
	if (err) {
		yerr(d, n, "bad prefix '%s' for '%s': %s", v, what, err);
		return false;
	}
	return true;
}

bool yget_endpoint(struct ydoc *d, struct ynode *n, const char *what, struct endpoint *out)
{
	const char *v = scalar(d, n, what, "an endpoint"), *err;

	if (!v)
		return false;
	err = endpoint_parse(v, out);
	if (err) {
		yerr(d, n, "bad endpoint '%s' for '%s': %s", v, what, err);
		return false;
	}
	return true;
}

bool yget_range(struct ydoc *d, struct ynode *n, const char *what, uint32_t lo,
		uint32_t hi, uint32_t *min, uint32_t *max)
{
	const char *v = scalar(d, n, what, "a range"), *rest;
	uint64_t a, b;

	if (!v)
		return false;
	if (!parse_u64(v, &a, &rest)) {
		yerr(d, n, "expected a number or MIN-MAX for '%s', got '%s'", what, v);
		return false;
	}
	b = a;
	if (*rest == '-' && !parse_u64(rest + 1, &b, &rest)) {
		yerr(d, n, "expected a number or MIN-MAX for '%s', got '%s'", what, v);
		return false;
	}
	if (*rest) {
		yerr(d, n, "expected a number or MIN-MAX for '%s', got '%s'", what, v);
		return false;
	}
	if (a < lo || b > hi || a > b) {
		yerr(d, n, "'%s' must be within %u-%u with MIN <= MAX, got '%s'", what, lo, hi, v);
		return false;
	}
	*min = (uint32_t)a;
	*max = (uint32_t)b;
	return true;
}
