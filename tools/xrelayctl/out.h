/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One print call per value serves both outputs: in JSON mode it writes
 * "key":value into the open object or array, in text mode it printf()s
 * the value with fmt. A NULL fmt makes the value JSON-only; out_text() is
 * text-only. Objects and arrays only shape the JSON.
 */
#ifndef XRELAYCTL_OUT_H
#define XRELAYCTL_OUT_H

#include <stdbool.h>
#include <stdint.h>

extern bool out_json;

/* @key is NULL for a top-level value or an array element. */
void out_obj_open(const char *key);
void out_obj_close(void);
void out_arr_open(const char *key);
void out_arr_close(void);

void out_uint(const char *key, const char *fmt, unsigned long long value);
/* A NULL @value is JSON null and prints nothing as text. */
void out_str(const char *key, const char *fmt, const char *value);
/* Raw in JSON; in text fmt's %s receives a size such as "1.2 KiB". */
void out_bytes(const char *key, const char *fmt, uint64_t bytes);
/* Raw in JSON; in text fmt's %s receives seconds such as "1.2s". */
void out_msecs(const char *key, const char *fmt, uint64_t msecs);
/* Raw in JSON; in text fmt's %s receives it as 10M when it is a round k, M or G. */
void out_count(const char *key, const char *fmt, uint64_t count);
/* An element of the open JSON array; in text printf()ed with fmt. */
void out_elem_str(const char *fmt, const char *value);
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* XRELAYCTL_OUT_H */
