#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
# vm: alone (throughput ratios: a neighbour's load would weigh on one path's runs, not the other's)
# lanes: debian (throughput ratios tell of Debian's kernel only, and would take an hour on a debug one)
# timeout: 600
#
# Bulk TCP over WireGuard through a relay session at full MTU, against the
# plain path: the same tunnel over the same links, its ends pointed at
# each other and the relay namespace routing. For each outer family (the
# relay's IPv4 or IPv6 address) and tunnel MTU (WireGuard's default 1420,
# and 1280), three 5 s iperf3 transfers over each path, alternating; the
# relay's median must reach RATIO_MIN% of the plain path's. Full-size
# WireGuard packets are what a broken guard, MTU or checksum handling
# drops; pings and short transfers never show it.
#
#   ns A                              ns relay                       ns B
#   wg0 10.99.0.1/24, listen 5000     s4 203.0.113.1:20000 (a)       wg0 10.99.0.2/24, listen 6000
#   veth0 192.0.2.2, 2001:db8:a::2       203.0.113.1:20001 (b)       veth0 198.51.100.2, 2001:db8:b::2
#         |                           s6 [2001:db8:ff::1]:20000 (a)          |
#         +------ to_a                   [2001:db8:ff::1]:20001 (b)  to_b ---+
#
#   relay path: endpoints on the relay's ports, forwarding off
#   plain path: A's endpoint B:6000, B's A:5000, forwarding on
#
# Measured (TCG, 2 vCPUs, a busy host), relay median against plain median
# in kbit/s, outer family / tunnel MTU:
#            4/1420              4/1280              6/1420             6/1280
#   module   6035/5228 (115%)   15599/13207 (118%)  10470/6961 (150%)   9354/12149 (76%)
#   native   6284/8165 (76%)     8467/3360 (251%)    6441/5315 (121%)  11114/8841 (125%)
#   generic  8633/8613 (100%)    5753/6018 (95%)     8313/4984 (166%)   8545/9996 (85%)
# Single transfers of one path ranged up to 3x, hence a threshold of half:
# a path that drops or stalls full-size packets scores near 0.

source "$(dirname "$0")/common.sh"

ktap_plan 25

ROUNDS=3
SECONDS_EACH=5
RATIO_MIN=50

setup_topology || ktap_bail "three namespaces wired"
wg_relay_setup

for family in 4 6; do
	for mtu in 1420 1280; do
		what="IPv$family outer, MTU $mtu"
		wg_mtu "$mtu"
		plain="wg_direct $family"
		relay="wg_via_relay $family 20000 20001"
		measure_paths "$ROUNDS" "$NS_A" "$NS_B" 10.99.0.2 "$SECONDS_EACH" "$plain" "$relay"
		check_carried "$what: the plain path carried every transfer" "$plain"
		check_carried "$what: the relay carried every transfer" "$relay"
		check_ratio "$what: relay median >= $RATIO_MIN% of plain (kbit/s)" \
			"$(median ${KBPS[$relay]})" "$(median ${KBPS[$plain]})" "$RATIO_MIN"
		# WireGuard wraps every TCP byte: the relay forwarded more than the
		# transfers delivered, and nothing of the plain path's.
		if [ "${RELAYED[$relay]}" -gt "${DELIVERED[$relay]}" ] &&
		   [ "${RELAYED[$plain]}" -lt $((DELIVERED[$plain] / 100 + 10000)) ]; then
			pass "$what: the relay forwarded ${RELAYED[$relay]} bytes for ${DELIVERED[$relay]} delivered, ${RELAYED[$plain]} during the plain path's"
		else
			fail "$what: the relay forwarded what its transfers delivered, not the plain path's" \
				"relay path: ${RELAYED[$relay]} forwarded, ${DELIVERED[$relay]} delivered" \
				"plain path: ${RELAYED[$plain]} forwarded, ${DELIVERED[$plain]} delivered"
		fi
	done
done

# B's first packets on each session, before A's crossed, are lost (not
# paired); nothing else, however large the packets.
drops_but='[.a.stats, .b.stats] | map(to_entries[] | select(.key | startswith("drop_")) |
	select(.key != "drop_not_paired") | .value) | add'
for s in s4 s6; do
	expect "$s: no drop but B's first packets (not paired)" "0 0 ok" \
		"s(${!s:-0}) | \"\($drops_but) \(.a.stats.drop_not_paired) \(if .b.stats.drop_not_paired <= 5 then \"ok\" else .b.stats.drop_not_paired end)\""
done
expect_datapath
verify

ktap_finish
