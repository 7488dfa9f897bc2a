// SPDX-License-Identifier: GPL-2.0-only
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "out.h"

bool out_json;

/* Nesting of open JSON containers; need_comma[d]: level d has a member. */
#define MAX_DEPTH 8
static int depth;
static bool need_comma[MAX_DEPTH];

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Starts a member of the current container. */
static void json_member(const char *key)
{
	if (depth > 0) {
		if (need_comma[depth])
			putchar(',');
		need_comma[depth] = true;
	}
	if (key) {
		json_string(key);
		putchar(':');
	}
}

static void json_open(const char *key, char bracket)
{
	if (!out_json)
		return;
	json_member(key);
	putchar(bracket);
	depth++;
	assert(depth < MAX_DEPTH);
	need_comma[depth] = false;
}

/* A finished top-level value ends its line: one JSON document per line. */
static void json_close(char bracket)
{
	if (!out_json)
		return;
	putchar(bracket);
	depth--;
	if (!depth)
		putchar('\n');
}

void out_obj_open(const char *key)
{
	json_open(key, '{');
}

void out_obj_close(void)
{
	json_close('}');
}

void out_arr_open(const char *key)
{
	json_open(key, '[');
}

void out_arr_close(void)
{
	json_close(']');
}

void out_uint(const char *key, const char *fmt, unsigned long long value)
{
	if (!out_json) {
		if (fmt)
			printf(fmt, value);
	} else if (key) {
		json_member(key);
		printf("%llu", value);
	}
}

void out_str(const char *key, const char *fmt, const char *value)
{
	if (!out_json) {
		if (fmt && value)
			printf(fmt, value);
	} else if (key) {
		json_member(key);
		if (value)
			json_string(value);
		else
			printf("null");
	}
}

void out_bytes(const char *key, const char *fmt, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	char text[32];
	double size = bytes;
	unsigned int unit = 0;

	out_uint(key, NULL, bytes);
	if (out_json || !fmt)
		return;
	if (bytes < 1024) {
		snprintf(text, sizeof(text), "%llu B", (unsigned long long)bytes);
	} else {
		for (size /= 1024; size >= 1024 && unit + 1 < sizeof(units) / sizeof(units[0]); unit++)
			size /= 1024;
		snprintf(text, sizeof(text), "%.1f %s", size, units[unit]);
	}
	printf(fmt, text);
}

void out_msecs(const char *key, const char *fmt, uint64_t msecs)
{
	char text[32];

	out_uint(key, NULL, msecs);
	if (out_json || !fmt)
		return;
	snprintf(text, sizeof(text), "%.1fs", msecs / 1000.0);
	printf(fmt, text);
}

void out_count(const char *key, const char *fmt, uint64_t count)
{
	static const struct {
		char suffix;
		uint64_t factor;
	} units[] = { { 'G', 1000000000 }, { 'M', 1000000 }, { 'k', 1000 } };
	char text[32];
	size_t i;

	out_uint(key, NULL, count);
	if (out_json || !fmt)
		return;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (count && count % units[i].factor == 0)
			break;
	if (i < sizeof(units) / sizeof(units[0]))
		snprintf(text, sizeof(text), "%llu%c",
			 (unsigned long long)(count / units[i].factor), units[i].suffix);
	else
		snprintf(text, sizeof(text), "%llu", (unsigned long long)count);
	printf(fmt, text);
}

void out_elem_str(const char *fmt, const char *value)
{
	if (!out_json) {
		printf(fmt, value);
		return;
	}
	json_member(NULL);
	json_string(value);
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (out_json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
