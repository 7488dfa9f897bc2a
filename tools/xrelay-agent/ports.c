// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ports.h"
#include "util.h"

#define RANGE_FILE	"/proc/sys/net/ipv4/ip_local_port_range"
#define RESERVED_FILE	"/proc/sys/net/ipv4/ip_local_reserved_ports"

static int read_file(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* "8080,40000-40999" into @set; -1 if it is not such a list. */
static int parse_list(const char *s, uint64_t set[1024])
{
	while (*s && *s != '\n') {
		unsigned long lo, hi;
		char *end;

		lo = strtoul(s, &end, 10);
		if (end == s || lo > 65535)
			return -1;
		hi = lo;
		if (*end == '-') {
			s = end + 1;
			hi = strtoul(s, &end, 10);
			if (end == s || hi > 65535 || hi < lo)
				return -1;
		}
		for (; lo <= hi; lo++)
			set[lo / 64] |= 1ULL << (lo % 64);
		s = end;
		if (*s == ',')
			s++;
	}
	return 0;
}

static bool is_set(const uint64_t set[1024], unsigned int port)
{
	return set[port / 64] >> (port % 64) & 1;
}

/* The set as the kernel writes it: ranges, comma separated. */
static char *format_list(const uint64_t set[1024])
{
	size_t len = 0, cap = 256;
	char *out = ag_malloc(cap);
	unsigned int port = 0;

	out[0] = '\0';
	while (port < 65536) {
		unsigned int lo;
		char item[16];
		int n;

		if (!is_set(set, port)) {
			port++;
			continue;
		}
		lo = port;
		while (port + 1 < 65536 && is_set(set, port + 1))
			port++;
		n = lo == port ? snprintf(item, sizeof(item), "%s%u", len ? "," : "", lo) :
				 snprintf(item, sizeof(item), "%s%u-%u", len ? "," : "", lo, port);
		if (len + n + 1 > cap) {
			cap *= 2;
			out = ag_realloc(out, cap);
		}
		memcpy(out + len, item, n + 1);
		len += n;
		port++;
	}
	return out;
}

int ag_ports_reserve(uint16_t min, uint16_t max, char *err, size_t errlen)
{
	static uint64_t set[1024];
	unsigned int eph_lo, eph_hi, lo, hi, port;
	char range[64], *list, *text;
	bool missing = false, written;
	FILE *f;

	if (read_file(RANGE_FILE, range, sizeof(range), err, errlen))
		return -1;
	if (sscanf(range, "%u %u", &eph_lo, &eph_hi) != 2) {
		snprintf(err, errlen, "%s: cannot read '%s'", RANGE_FILE, range);
		return -1;
	}
	lo = min > eph_lo ? min : eph_lo;
	hi = max < eph_hi ? max : eph_hi;
	if (lo > hi)
		return 0;

	/* A full list is 65536 single ports: about 400 KiB of text. */
	list = ag_malloc(512 << 10);
	if (read_file(RESERVED_FILE, list, 512 << 10, err, errlen)) {
		free(list);
		return -1;
	}
	memset(set, 0, sizeof(set));
	if (parse_list(list, set)) {
		snprintf(err, errlen, "%s: cannot parse its contents", RESERVED_FILE);
		free(list);
		return -1;
	}
	free(list);
	for (port = lo; port <= hi; port++) {
		if (!is_set(set, port))
			missing = true;
		set[port / 64] |= 1ULL << (port % 64);
	}
	if (!missing)
		return 0;

	/* The kernel takes the write when the buffer is flushed, at fclose(). */
	text = format_list(set);
	f = fopen(RESERVED_FILE, "w");
	written = f && fputs(text, f) != EOF;
	if (f && fclose(f))
		written = false;
	free(text);
	if (!written) {
		snprintf(err, errlen, "cannot add %u-%u to %s: %s", lo, hi, RESERVED_FILE,
			 strerror(errno));
		return -1;
	}
	return 1;
}
