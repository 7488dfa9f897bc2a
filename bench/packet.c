// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include "packet.h"
#include "xrelay-parse.h"

struct frame {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	uint8_t payload[];
} __attribute__((packed));

const char *dests_parse(const char *s, struct dests *d)
{
	char addr[XR_ADDR_STRLEN + 8], *plus;
	const char *colon = strrchr(s, ':'), *why;
	struct xr_addr a;
	uint64_t n = 1;

	if (!colon || (size_t)(colon - s) >= sizeof(addr))
		return "not ADDR[+N]:PORT[-PORT]";
	memcpy(addr, s, colon - s);
	addr[colon - s] = '\0';
	plus = strchr(addr, '+');
	if (plus) {
		*plus = '\0';
		if (xr_uint_parse(plus + 1, 1, 65536, &n))
			return "bad number of addresses after '+'";
	}
	if (xr_addr_parse(addr, &a) || a.family != AF_INET)
		return "not an IPv4 address";
	why = strchr(colon + 1, '-') ?
		xr_port_range_parse(colon + 1, &d->port_min, &d->port_max) :
		xr_port_parse(colon + 1, &d->port_min);
	if (why)
		return why;
	if (!strchr(colon + 1, '-'))
		d->port_max = d->port_min;
	d->first = a.v4;
	d->naddr = n;
	return NULL;
}

/* xorshift64: cheap, and the same spread on every run. */
void dests_pick(const struct dests *d, uint64_t *state, struct in_addr *addr,
		uint16_t *port)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	addr->s_addr = htonl(ntohl(d->first.s_addr) + (uint32_t)(x % d->naddr));
	*port = d->port_min + (uint32_t)((x >> 32) % (d->port_max - d->port_min + 1u));
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

size_t packet_build(void *buf, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		    struct in_addr saddr, uint16_t sport, struct in_addr daddr,
		    uint16_t dport, size_t payload)
{
	struct frame *f = buf;
	uint32_t sum;

	memset(f, 0, sizeof(*f) + payload);
	memcpy(f->eth.h_source, src_mac, ETH_ALEN);
	memcpy(f->eth.h_dest, dst_mac, ETH_ALEN);
	f->eth.h_proto = htons(ETH_P_IP);
	f->ip.version = 4;
	f->ip.ihl = 5;
	f->ip.ttl = 64;
	f->ip.protocol = IPPROTO_UDP;
	f->ip.tot_len = htons(sizeof(f->ip) + sizeof(f->udp) + payload);
	f->ip.saddr = saddr.s_addr;
	f->ip.daddr = daddr.s_addr;
	f->ip.check = htons(csum_fold(csum_add(0, &f->ip, sizeof(f->ip))));
	f->udp.source = htons(sport);
	f->udp.dest = htons(dport);
	f->udp.len = htons(sizeof(f->udp) + payload);
	/* Pseudo-header and UDP header; the payload is zeros and adds nothing. */
	sum = csum_add(0, &f->ip.saddr, 8) + IPPROTO_UDP + sizeof(f->udp) + payload;
	sum = csum_add(sum, &f->udp, sizeof(f->udp));
	f->udp.check = htons(csum_fold(sum) ?: 0xffff);
	return sizeof(*f) + payload;
}
