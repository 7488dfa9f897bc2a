// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* Deeper nesting than this is refused: skip() recurses. */
#define DEPTH_MAX 64

void ag_json_init(struct ag_json *j, const char *text, size_t len)
{
	memset(j, 0, sizeof(*j));
	j->start = j->p = text;
	j->end = text + len;
	j->cap = 256;
	j->buf = ag_malloc(j->cap);
}

void ag_json_free(struct ag_json *j)
{
	free(j->buf);
	j->buf = NULL;
}

bool ag_json_fail(struct ag_json *j, const char *what)
{
	if (!j->err[0])
		snprintf(j->err, sizeof(j->err), "%s at byte %zu", what, (size_t)(j->p - j->start));
	return false;
}

static void skip_ws(struct ag_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

char ag_json_peek(struct ag_json *j)
{
	skip_ws(j);
	if (j->err[0] || j->p == j->end)
		return 0;
	switch (*j->p) {
	case '{': case '[': case '"': case 't': case 'f':
		return *j->p;
	case 'n':
		return 'u';
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return 'n';
	default:
		return 0;
	}
}

static bool expect(struct ag_json *j, char c, const char *what)
{
	skip_ws(j);
	if (j->p == j->end || *j->p != c)
		return ag_json_fail(j, what);
	j->p++;
	return true;
}

bool ag_json_object(struct ag_json *j)
{
	return expect(j, '{', "expected an object");
}

bool ag_json_array(struct ag_json *j)
{
	return expect(j, '[', "expected a list");
}

/* After an element or member: ',' then more, or @close ends the container. */
static bool next_item(struct ag_json *j, bool *first, char close)
{
	skip_ws(j);
	if (j->err[0] || j->p == j->end)
		return ag_json_fail(j, "unexpected end");
	if (*j->p == close) {
		j->p++;
		return false;
	}
	if (!*first && !expect(j, ',', close == '}' ? "expected ',' or '}'" : "expected ',' or ']'"))
		return false;
	*first = false;
	return true;
}

bool ag_json_element(struct ag_json *j, bool *first)
{
	if (!next_item(j, first, ']'))
		return false;
	skip_ws(j);
	if (j->p < j->end && *j->p == ']')
		return ag_json_fail(j, "trailing comma");
	return true;
}

bool ag_json_member(struct ag_json *j, bool *first, const char **key)
{
	return next_item(j, first, '}') && ag_json_string(j, key) &&
	       expect(j, ':', "expected ':'");
}

static void put(struct ag_json *j, size_t *len, const char *s, size_t n)
{
	if (*len + n + 1 > j->cap) {
		while (*len + n + 1 > j->cap)
			j->cap *= 2;
		j->buf = ag_realloc(j->buf, j->cap);
	}
	memcpy(j->buf + *len, s, n);
	*len += n;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(struct ag_json *j, unsigned int *v)
{
	int i, d;

	*v = 0;
	if (j->end - j->p < 4)
		return ag_json_fail(j, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		d = hex(j->p[i]);
		if (d < 0)
			return ag_json_fail(j, "bad \\u escape");
		*v = *v << 4 | d;
	}
	j->p += 4;
	return true;
}

/* \uXXXX (with its surrogate pair) as UTF-8. */
static bool unicode(struct ag_json *j, size_t *len)
{
	unsigned int c, low;
	char out[4];
	size_t n;

	if (!hex4(j, &c))
		return false;
	if (c >= 0xd800 && c < 0xdc00) {
		if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
			return ag_json_fail(j, "lone surrogate in \\u escape");
		j->p += 2;
		if (!hex4(j, &low) || low < 0xdc00 || low >= 0xe000)
			return ag_json_fail(j, "bad surrogate pair in \\u escape");
		c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
	} else if (c >= 0xdc00 && c < 0xe000) {
		return ag_json_fail(j, "lone surrogate in \\u escape");
	}
	if (c < 0x80) {
		out[0] = c;
		n = 1;
	} else if (c < 0x800) {
		out[0] = 0xc0 | c >> 6;
		out[1] = 0x80 | (c & 0x3f);
		n = 2;
	} else if (c < 0x10000) {
		out[0] = 0xe0 | c >> 12;
		out[1] = 0x80 | (c >> 6 & 0x3f);
		out[2] = 0x80 | (c & 0x3f);
		n = 3;
	} else {
		out[0] = 0xf0 | c >> 18;
		out[1] = 0x80 | (c >> 12 & 0x3f);
		out[2] = 0x80 | (c >> 6 & 0x3f);
		out[3] = 0x80 | (c & 0x3f);
		n = 4;
	}
	put(j, len, out, n);
	return true;
}

/* What ends a run of plain characters in a string: one test a byte, the hottest loop. */
static const bool ends_run[256] = { [0 ... 0x1f] = true, ['"'] = true, ['\\'] = true };

bool ag_json_string(struct ag_json *j, const char **s)
{
	bool escaped = false;
	size_t len = 0;

	if (!expect(j, '"', "expected a string"))
		return false;
	for (;;) {
		const char *run = j->p, *p = run;

		while (p < j->end && !ends_run[(unsigned char)*p])
			p++;
		j->p = p;
		put(j, &len, run, p - run);
		if (j->p == j->end)
			return ag_json_fail(j, "unterminated string");
		if (*j->p == '"') {
			j->p++;
			break;
		}
		if (*j->p != '\\')
			return ag_json_fail(j, "control character in a string");
		if (++j->p == j->end)
			return ag_json_fail(j, "unterminated string");
		escaped = true;
		switch (*j->p++) {
		case '"': put(j, &len, "\"", 1); break;
		case '\\': put(j, &len, "\\", 1); break;
		case '/': put(j, &len, "/", 1); break;
		case 'b': put(j, &len, "\b", 1); break;
		case 'f': put(j, &len, "\f", 1); break;
		case 'n': put(j, &len, "\n", 1); break;
		case 'r': put(j, &len, "\r", 1); break;
		case 't': put(j, &len, "\t", 1); break;
		case 'u':
			if (!unicode(j, &len))
				return false;
			break;
		default:
			j->p--;
			return ag_json_fail(j, "bad escape in a string");
		}
	}
	j->buf[len] = '\0';
	/* Only \u0000 can put one there. */
	if (escaped && memchr(j->buf, '\0', len))
		return ag_json_fail(j, "NUL in a string");
	*s = j->buf;
	return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number(struct ag_json *j)
{
	const char *p = j->p;

	if (p < j->end && *p == '-')
		p++;
	if (p < j->end && *p == '0') {
		p++;
	} else if (p < j->end && *p >= '1' && *p <= '9') {
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return ag_json_fail(j, "bad number");
	}
	if (p < j->end && *p == '.') {
		if (++p == j->end || *p < '0' || *p > '9')
			return ag_json_fail(j, "bad number");
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (p == j->end || *p < '0' || *p > '9')
			return ag_json_fail(j, "bad number");
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	j->p = p;
	return true;
}

bool ag_json_uint(struct ag_json *j, uint64_t max, uint64_t *v)
{
	const char *p;
	uint64_t n = 0;

	skip_ws(j);
	p = j->p;
	if (p == j->end || *p < '0' || *p > '9')
		return ag_json_fail(j, "expected a non-negative integer");
	if (*p == '0' && p + 1 < j->end && p[1] >= '0' && p[1] <= '9')
		return ag_json_fail(j, "bad number");
	for (; p < j->end && *p >= '0' && *p <= '9'; p++) {
		unsigned int digit = *p - '0';

		/* n * 10 + digit > UINT64_MAX, with no division a digit. */
		if (n > UINT64_MAX / 10 || (n == UINT64_MAX / 10 && digit > UINT64_MAX % 10))
			return ag_json_fail(j, "integer too large");
		n = n * 10 + digit;
	}
	if (p < j->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return ag_json_fail(j, "expected an integer");
	if (n > max)
		return ag_json_fail(j, "integer out of range");
	j->p = p;
	*v = n;
	return true;
}

static bool literal(struct ag_json *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
		return ag_json_fail(j, "bad literal");
	j->p += n;
	return true;
}

static bool skip(struct ag_json *j, int depth)
{
	const char *s;
	bool first = true;

	if (depth > DEPTH_MAX)
		return ag_json_fail(j, "nested too deep");
	switch (ag_json_peek(j)) {
	case '{':
		j->p++;
		while (ag_json_member(j, &first, &s))
			if (!skip(j, depth + 1))
				return false;
		return !j->err[0];
	case '[':
		j->p++;
		while (ag_json_element(j, &first))
			if (!skip(j, depth + 1))
				return false;
		return !j->err[0];
	case '"':
		return ag_json_string(j, &s);
	case 'n':
		return number(j);
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'u':
		return literal(j, "null");
	default:
		return ag_json_fail(j, j->p == j->end ? "unexpected end" : "expected a value");
	}
}

bool ag_json_skip(struct ag_json *j)
{
	return skip(j, 0);
}

bool ag_json_end(struct ag_json *j)
{
	skip_ws(j);
	if (j->p != j->end)
		return ag_json_fail(j, "trailing data");
	return !j->err[0];
}
