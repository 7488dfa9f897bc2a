/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR BSD-3-Clause */
/*
 * What the XDP program and xrelay.ko's kfuncs exchange. Shared by the module,
 * the BPF program and xrelayctl.
 */
#ifndef _XRELAY_XDP_H
#define _XRELAY_XDP_H

/*
 * A UDP datagram's addresses and ports, IPv4 addresses v4-mapped, all in
 * network order, its TTL or hop limit, its payload length and first payload
 * bytes (for the policy's protocol guard). On XRELAY_XDP_FORWARD,
 * xrelay_xdp_decide() rewrites them to what must be sent and fills in how:
 * the egress interface, the Ethernet addresses, the VLAN tag (0: none) and
 * the TTL or hop limit to send with, one less than it came with.
 */
struct xrelay_xdp_flow {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u32 payload;		/* UDP payload bytes */
	__u32 ifindex;
	__u8 smac[6];
	__u8 dmac[6];
	__u16 vlan;
	__u8 hop_limit;
	__u8 pad;
	__u8 head[4];
};

enum xrelay_xdp_verdict {
	XRELAY_XDP_PASS,	/* not the relay's, or for the module to finish */
	XRELAY_XDP_DROP,	/* dropped and counted */
	XRELAY_XDP_FORWARD,	/* flow rewritten: send it, then report it */
};

/* Egress interfaces an attached program can redirect to, by ifindex. */
#define XRELAY_XDP_MAX_PORTS	64

#endif /* _XRELAY_XDP_H */
