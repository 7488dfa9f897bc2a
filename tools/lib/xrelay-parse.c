// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xrelay-parse.h"

const char *xr_uint_parse(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return "not a decimal number";
	errno = 0;
	n = strtoull(s, &end, 10);
	if (*end)
		return "not a decimal number";
	if (errno == ERANGE || n < min || n > max)
		return "out of range";
	*v = n;
	return NULL;
}

const char *xr_count_parse(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	unsigned long long n;
	uint64_t factor;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return "not a decimal number";
	errno = 0;
	n = strtoull(s, &end, 10);
	switch (*end) {
	case '\0':
		factor = 1;
		break;
	case 'k':
		factor = 1000;
		break;
	case 'M':
		factor = 1000000;
		break;
	case 'G':
		factor = 1000000000;
		break;
	default:
		return "not a decimal number with an optional k, M or G";
	}
	if (*end && end[1])
		return "not a decimal number with an optional k, M or G";
	if (errno == ERANGE || n > UINT64_MAX / factor || n * factor < min || n * factor > max)
		return "out of range";
	*v = n * factor;
	return NULL;
}

const char *xr_port_parse(const char *s, uint16_t *port)
{
	uint64_t v;

	if (xr_uint_parse(s, 1, 65535, &v))
		return "not a port number (1-65535)";
	*port = v;
	return NULL;
}

const char *xr_port_range_parse(const char *s, uint16_t *min, uint16_t *max)
{
	const char *dash = strchr(s, '-');
	char first[sizeof("65535")];

	if (!dash || dash == s || (size_t)(dash - s) >= sizeof(first))
		return "not a port range MIN-MAX";
	memcpy(first, s, dash - s);
	first[dash - s] = '\0';
	if (xr_port_parse(first, min) || xr_port_parse(dash + 1, max))
		return "not a port range MIN-MAX (ports 1-65535)";
	if (*min > *max)
		return "range ends below its start";
	return NULL;
}

const char *xr_addr_parse(const char *s, struct xr_addr *addr)
{
	if (inet_pton(AF_INET, s, &addr->v4) == 1)
		addr->family = AF_INET;
	else if (inet_pton(AF_INET6, s, &addr->v6) == 1)
		addr->family = AF_INET6;
	else
		return "not an IPv4 or IPv6 address";
	return NULL;
}

/* Copies the @len bytes at @s into @buf as a string, if they fit. */
static int copy_part(char *buf, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

const char *xr_endpoint_parse(const char *s, struct xr_endpoint *ep)
{
	char host[XR_ADDR_STRLEN];
	const char *port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return "not [IPV6]:PORT";
		if (copy_part(host, sizeof(host), s + 1, close - s - 1) ||
		    inet_pton(AF_INET6, host, &ep->addr.v6) != 1)
			return "not an IPv6 address in brackets";
		ep->addr.family = AF_INET6;
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon)
			return "not ADDR:PORT";
		if (memchr(s, ':', colon - s))
			return "an IPv6 address needs brackets: [ADDR]:PORT";
		if (copy_part(host, sizeof(host), s, colon - s) ||
		    inet_pton(AF_INET, host, &ep->addr.v4) != 1)
			return "not an IPv4 address before the port";
		ep->addr.family = AF_INET;
		port = colon + 1;
	}
	return xr_port_parse(port, &ep->port);
}

static unsigned int addr_bits(const struct xr_addr *addr)
{
	return addr->family == AF_INET ? 32 : 128;
}

static int has_host_bits(const struct xr_addr *addr, unsigned int len)
{
	const uint8_t *bytes = addr->family == AF_INET ?
		(const uint8_t *)&addr->v4 : addr->v6.s6_addr;
	unsigned int i;

	for (i = len; i < addr_bits(addr); i++)
		if (bytes[i / 8] & (0x80 >> (i % 8)))
			return 1;
	return 0;
}

const char *xr_prefix_parse(const char *s, struct xr_prefix *prefix)
{
	const char *slash = strchr(s, '/');
	char host[XR_ADDR_STRLEN];
	uint64_t len;

	if (!slash) {
		if (xr_addr_parse(s, &prefix->addr))
			return "not an address or ADDR/LEN prefix";
		prefix->len = addr_bits(&prefix->addr);
		return NULL;
	}
	if (copy_part(host, sizeof(host), s, slash - s) ||
	    xr_addr_parse(host, &prefix->addr))
		return "not an IPv4 or IPv6 address before the prefix length";
	if (xr_uint_parse(slash + 1, 0, addr_bits(&prefix->addr), &len))
		return prefix->addr.family == AF_INET ?
			"prefix length is not 0-32" : "prefix length is not 0-128";
	if (has_host_bits(&prefix->addr, len))
		return "address has bits set beyond the prefix length";
	prefix->len = len;
	return NULL;
}

char *xr_addr_format(const struct xr_addr *addr, char buf[XR_ADDR_STRLEN])
{
	const void *bytes = addr->family == AF_INET ? (const void *)&addr->v4 : &addr->v6;

	if (!inet_ntop(addr->family, bytes, buf, XR_ADDR_STRLEN))
		snprintf(buf, XR_ADDR_STRLEN, "?");
	return buf;
}

char *xr_endpoint_format(const struct xr_endpoint *ep, char buf[XR_ENDPOINT_STRLEN])
{
	char host[XR_ADDR_STRLEN];

	xr_addr_format(&ep->addr, host);
	snprintf(buf, XR_ENDPOINT_STRLEN, ep->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 host, ep->port);
	return buf;
}

char *xr_prefix_format(const struct xr_prefix *prefix, char buf[XR_PREFIX_STRLEN])
{
	char host[XR_ADDR_STRLEN];

	snprintf(buf, XR_PREFIX_STRLEN, "%s/%u", xr_addr_format(&prefix->addr, host),
		 prefix->len);
	return buf;
}
