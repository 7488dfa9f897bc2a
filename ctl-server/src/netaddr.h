/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef CTLD_NETADDR_H
#define CTLD_NETADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 prefix; a plain address is a prefix of full length. */
struct prefix {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t len;
	uint8_t addr[16];	/* network byte order; IPv4 in the first 4 */
};

struct endpoint {
	struct prefix addr;	/* full length */
	uint16_t port;
};

/* Longest text any of the formatters below produce, with the NUL. */
#define NETADDR_STRLEN 56

/* Each parser returns NULL on success or a message explaining the refusal. */
const char *addr_parse(const char *s, struct prefix *out);
const char *prefix_parse(const char *s, struct prefix *out);
const char *endpoint_parse(const char *s, struct endpoint *out);

bool addr_is_unicast(const struct prefix *a);
bool prefix_contains(const struct prefix *outer, const struct prefix *inner);
bool prefix_equal(const struct prefix *a, const struct prefix *b);

void addr_format(const struct prefix *a, char *buf);
void prefix_format(const struct prefix *p, char *buf);
void endpoint_format(const struct endpoint *e, char *buf);

#endif
