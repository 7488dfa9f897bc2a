/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Text forms of the values xrelay is configured with: numbers, ports, port
 * ranges, addresses, ADDR:PORT endpoints and prefixes. Parsers are strict
 * (decimal only, no sign, no trailing text) and return NULL on success or
 * a phrase saying why the text was refused, for the caller's message.
 */
#ifndef XRELAY_PARSE_H
#define XRELAY_PARSE_H

#include <stdint.h>
#include <netinet/in.h>

struct xr_addr {
	int family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

struct xr_endpoint {
	struct xr_addr addr;
	uint16_t port;
};

struct xr_prefix {
	struct xr_addr addr;
	uint8_t len;
};

/* Buffer sizes for the format functions, terminating NUL included. */
#define XR_ADDR_STRLEN		INET6_ADDRSTRLEN
#define XR_ENDPOINT_STRLEN	(INET6_ADDRSTRLEN + 8)	/* [ADDR]:65535 */
#define XR_PREFIX_STRLEN	(INET6_ADDRSTRLEN + 4)	/* ADDR/128 */

const char *xr_uint_parse(const char *s, uint64_t min, uint64_t max, uint64_t *v);
/* A decimal number, optionally followed by k (x1000), M (x10^6) or G (x10^9). */
const char *xr_count_parse(const char *s, uint64_t min, uint64_t max, uint64_t *v);
const char *xr_port_parse(const char *s, uint16_t *port);
/* MIN-MAX with MIN <= MAX. */
const char *xr_port_range_parse(const char *s, uint16_t *min, uint16_t *max);
const char *xr_addr_parse(const char *s, struct xr_addr *addr);
/* 192.0.2.1:5000 or [2001:db8::1]:5000 */
const char *xr_endpoint_parse(const char *s, struct xr_endpoint *ep);
/* ADDR/LEN without host bits, or a bare ADDR meaning the host alone. */
const char *xr_prefix_parse(const char *s, struct xr_prefix *prefix);

/* Each returns @buf. */
char *xr_addr_format(const struct xr_addr *addr, char buf[XR_ADDR_STRLEN]);
char *xr_endpoint_format(const struct xr_endpoint *ep, char buf[XR_ENDPOINT_STRLEN]);
char *xr_prefix_format(const struct xr_prefix *prefix, char buf[XR_PREFIX_STRLEN]);

#endif /* XRELAY_PARSE_H */
