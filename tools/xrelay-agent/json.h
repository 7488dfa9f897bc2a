/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A strict JSON reader (RFC 8259) that walks a document in place, without
 * building a tree: the state of a relay with a hundred thousand sessions
 * is 15 MB, which jansson took 17 to 27 seconds to load in the test VM;
 * walked in place it is read in a fraction of that. The caller reads the
 * structure it expects and skips the rest; any syntax error stops the
 * walk with a message giving the byte offset.
 *
 * Strings come back decoded (escapes included) and NUL-terminated in a
 * buffer that the next string read reuses.
 */
#ifndef AG_JSON_H
#define AG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ag_json {
	const char *start, *p, *end;
	char err[160];		/* empty until something fails */
	char *buf;		/* the last string read */
	size_t cap;
};

void ag_json_init(struct ag_json *j, const char *text, size_t len);
void ag_json_free(struct ag_json *j);

/* The next value's kind: '{', '[', '"', 'n' (number), 't', 'f', 'u' (null), or 0 at the end. */
char ag_json_peek(struct ag_json *j);

/*
 * Objects: ag_json_object() consumes the '{'; then each call of
 * ag_json_member() returns true with the next key (the member's value is
 * to be read next), or false after the closing '}' or on an error.
 */
bool ag_json_object(struct ag_json *j);
bool ag_json_member(struct ag_json *j, bool *first, const char **key);
/* Arrays alike: true while another element is to be read. */
bool ag_json_array(struct ag_json *j);
bool ag_json_element(struct ag_json *j, bool *first);

bool ag_json_string(struct ag_json *j, const char **s);
/* A non-negative integer no greater than @max. */
bool ag_json_uint(struct ag_json *j, uint64_t max, uint64_t *v);
bool ag_json_skip(struct ag_json *j);
/* Only whitespace remains. */
bool ag_json_end(struct ag_json *j);

/* Records an error at the current offset, unless one is recorded already. */
bool ag_json_fail(struct ag_json *j, const char *what);

#endif /* AG_JSON_H */
