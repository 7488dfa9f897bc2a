// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

static void *check(void *p)
{
	if (!p) {
		ag_err("out of memory");
		exit(1);
	}
	return p;
}

void *ag_malloc(size_t size)
{
	return check(malloc(size ? size : 1));
}

void *ag_calloc(size_t n, size_t size)
{
	return check(calloc(n ? n : 1, size ? size : 1));
}

void *ag_realloc(void *p, size_t size)
{
	return check(realloc(p, size ? size : 1));
}

char *ag_strdup(const char *s)
{
	return check(strdup(s));
}

char *ag_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return check(n < 0 ? NULL : s);
}

void ag_vec_push(struct ag_vec *vec, void *p)
{
	if (vec->n == vec->cap) {
		vec->cap = vec->cap ? vec->cap * 2 : 64;
		vec->v = ag_realloc(vec->v, vec->cap * sizeof(*vec->v));
	}
	vec->v[vec->n++] = p;
}

void ag_vec_free(struct ag_vec *vec)
{
	free(vec->v);
	vec->v = NULL;
	vec->n = vec->cap = 0;
}

uint64_t ag_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ag_now_ms(void)
{
	return ag_now_ns() / 1000000;
}

double ag_ms_since(uint64_t start_ns)
{
	return (ag_now_ns() - start_ns) / 1e6;
}
