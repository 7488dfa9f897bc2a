// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

static int addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

const char *addr_parse(const char *s, struct prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		out->len = 32;
		return NULL;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		out->len = 128;
		return NULL;
	}
	return "not an IPv4 or IPv6 address";
}

const char *prefix_parse(const char *s, struct prefix *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long len;
	int i, bytes;

	if (!slash)
		return "prefix needs a length (ADDR/LEN)";
	if ((size_t)(slash - s) >= sizeof(host))
		return "not an IPv4 or IPv6 prefix";
	memcpy(host, s, slash - s);
	host[slash - s] = '\0';
	if (addr_parse(host, out))
		return "not an IPv4 or IPv6 prefix";
	if (slash[1] < '0' || slash[1] > '9')
		return "prefix length is not a number";
	len = strtoul(slash + 1, &end, 10);
	if (*end || len > out->len)
		return out->family == AF_INET ? "IPv4 prefix length must be 0-32" :
						"IPv6 prefix length must be 0-128";
	out->len = len;
	bytes = addr_bytes(out->family);
	for (i = 0; i < bytes; i++) {
		int bits = (int)len - i * 8;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		if (out->addr[i] & ~mask)
			return "prefix has host bits set";
	}
	return NULL;
}

const char *endpoint_parse(const char *s, struct endpoint *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *hs, *he;
	char *end;
	unsigned long port;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		hs = s + 1;
		he = strchr(s, ']');
		if (!he || he[1] != ':')
			return "endpoint must be ADDR:PORT or [IPV6]:PORT";
		colon = he + 1;
	} else {
		hs = s;
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return "endpoint must be ADDR:PORT or [IPV6]:PORT";
		he = colon;
	}
	if ((size_t)(he - hs) >= sizeof(host))
		return "endpoint address is not an IPv4 or IPv6 address";
	memcpy(host, hs, he - hs);
	host[he - hs] = '\0';
	if (addr_parse(host, &out->addr))
		return "endpoint address is not an IPv4 or IPv6 address";
	if (s[0] == '[' && out->addr.family != AF_INET6)
		return "only IPv6 addresses go in brackets";
	if (colon[1] < '0' || colon[1] > '9')
		return "endpoint port must be 1-65535";
	port = strtoul(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return "endpoint port must be 1-65535";
	out->port = port;
	return NULL;
}

bool addr_is_unicast(const struct prefix *a)
{
	const uint8_t *b = a->addr;
	static const uint8_t zero[16];

	if (a->family == AF_INET)
		return !(b[0] == 0 || b[0] == 127 || b[0] >= 224);
	if (!memcmp(b, zero, 15) && (b[15] == 0 || b[15] == 1))
		return false;	/* :: and ::1 */
	return b[0] != 0xff;
}

bool prefix_contains(const struct prefix *outer, const struct prefix *inner)
{
	int full = outer->len / 8, rest = outer->len % 8;

	if (outer->family != inner->family || inner->len < outer->len)
		return false;
	if (memcmp(outer->addr, inner->addr, full))
		return false;
	if (!rest)
		return true;
	return !((outer->addr[full] ^ inner->addr[full]) & (0xff << (8 - rest)));
}

bool prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, addr_bytes(a->family));
}

void addr_format(const struct prefix *a, char *buf)
{
	inet_ntop(a->family, a->addr, buf, NETADDR_STRLEN);
}

void prefix_format(const struct prefix *p, char *buf)
{
	addr_format(p, buf);
	sprintf(buf + strlen(buf), "/%u", p->len);
}

void endpoint_format(const struct endpoint *e, char *buf)
{
	char host[INET6_ADDRSTRLEN];

	addr_format(&e->addr, host);
	snprintf(buf, NETADDR_STRLEN, e->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 host, e->port);
}
