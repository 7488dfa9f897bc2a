#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
# vm: alone (a throughput ratio: a neighbour's load would distort it)
# lanes: debian (throughput ratios tell of Debian's kernel only, and would take an hour on a debug one)
# timeout: 450
#
# Legs of different MTUs: A's link at 1500, B's at 1280 (both ends of the
# veth), WireGuard at 1420 on both peers. A's full-size WireGuard
# datagrams (1480 bytes over IPv4, 1500 over IPv6) do not fit leg B. The
# relay is their source on leg B and fragments them as a source does, over
# IPv6 as over IPv4 (design.rst): A is told nothing and learns no path MTU
# towards the relay. Bulk TCP must cross at a rate comparable to the plain
# path's, where the relay namespace routes the same tunnel and fragments
# (IPv4) or answers with a packet-too-big (IPv6) as any router does. The
# XDP program must leave what does not fit to the module. Small packets
# (handshakes, pings) fit either way and prove nothing here.
#
#   ns A                           ns relay                          ns B
#   wg0 10.99.0.1/24 mtu 1420      s4 203.0.113.1:20000/20001        wg0 10.99.0.2/24 mtu 1420
#   veth0 mtu 1500 ------ to_a     s6 [2001:db8:ff::1]:20000/20001   to_b mtu 1280 ------ veth0 mtu 1280
#
# Before the relay fragmented IPv6, every IPv6 transfer through it
# delivered 0 bytes: the oversized datagrams were counted as forwarded, then
# dropped by the output path, whose packet-too-big went to the relay's own
# address.

source "$(dirname "$0")/common.sh"

ktap_plan 17

ROUNDS=3
SECONDS_EACH=5
RATIO_MIN=50
LEG_B_MTU=1280

# pmtu_to_relay6: the path MTU A has cached towards the relay's IPv6
# address, if any.
pmtu_to_relay6()
{
	local route

	route=$(ip -n "$NS_A" -6 route get "$RELAY6" 2>&1)
	[[ $route =~ mtu\ ([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

setup_topology || ktap_bail "three namespaces wired"
check "leg B at MTU $LEG_B_MTU, both ends" eval \
	"ip -n $NS_R link set to_b mtu $LEG_B_MTU && ip -n $NS_B link set veth0 mtu $LEG_B_MTU"
wg_relay_setup

# IPv6 first: the plain path's router teaches A the path MTU to B, not to
# the relay's address, so the relay's runs start from a clean cache.
for family in 6 4; do
	plain="wg_direct $family"
	relay="wg_via_relay $family 20000 20001"
	measure_paths "$ROUNDS" "$NS_A" "$NS_B" 10.99.0.2 "$SECONDS_EACH" "$plain" "$relay"
	check_carried "IPv$family: the plain path carried every transfer" "$plain"
	check_carried "IPv$family: the relay carried every transfer" "$relay"
	check_ratio "IPv$family: relay median >= $RATIO_MIN% of plain (kbit/s)" \
		"$(median ${KBPS[$relay]})" "$(median ${KBPS[$plain]})" "$RATIO_MIN"
	[ "$family" = 6 ] && check_eq "IPv6: the relay fragmented; A learned no path MTU towards it" \
		"" "$(pmtu_to_relay6)"
done

drops='[.a.stats, .b.stats] | map(to_entries[] | select(.key | startswith("drop_")) |
	select(.key != "drop_not_paired") | .value) | add'
expect "s4: no drop but B's first packets (not paired)" 0 "s(${s4:-0}) | $drops"
expect "s6: no drop but B's first packets (not paired)" 0 "s(${s6:-0}) | $drops"
expect_datapath
verify

ktap_finish
