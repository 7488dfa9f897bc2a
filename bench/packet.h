/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the benchmark's generator and prog_run share: IPv4 UDP datagrams in
 * Ethernet frames, and destinations spread over many relay sessions.
 */
#ifndef BENCH_PACKET_H
#define BENCH_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define PACKET_MAX_PAYLOAD	1472	/* a 1500-byte MTU */
#define PACKET_MAX_LEN		(14 + 20 + 8 + PACKET_MAX_PAYLOAD)

/* N consecutive IPv4 addresses times a port range. */
struct dests {
	struct in_addr first;
	uint32_t naddr;
	uint16_t port_min;
	uint16_t port_max;
};

/*
 * ADDR[+N]:PORT[-PORT], e.g. 203.0.113.1+64:16649-32273. Returns NULL, or
 * a phrase saying why @s was refused.
 */
const char *dests_parse(const char *s, struct dests *d);

/* A destination at random; every run draws the same sequence from @state. */
void dests_pick(const struct dests *d, uint64_t *state, struct in_addr *addr,
		uint16_t *port);

/*
 * Writes a frame with a valid IPv4 UDP datagram of @payload zero bytes into
 * @buf (PACKET_MAX_LEN bytes); returns its length. Ports in host order.
 */
size_t packet_build(void *buf, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		    struct in_addr saddr, uint16_t sport, struct in_addr daddr,
		    uint16_t dport, size_t payload);

#endif /* BENCH_PACKET_H */
