#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# Two relays whose sessions point at each other: each side of session X on
# relay 1 is pinned to a port of session Y on relay 2, and the reverse. One
# datagram injected into the pair would circulate for ever if each relay
# sent it on with a fresh TTL. Since each relay sends it with one less, it
# dies at its TTL, counted as a drop-hop-limit where it arrives with 1.
#
#   ns relay 1 ($NS_R)                              ns relay 2 ($NS_R2)
#   relay0 203.0.113.1, 2001:db8:ff::1              relay0 203.0.113.2, 2001:db8:ff::2
#   X:  a 20000 -> R2:30000   b 20001 -> R2:30001   Y:  a 30000 -> R1:20000   b 30001 -> R1:20001
#   to_r2 10.9.0.1 fd00:9::1 ------------------------ to_r1 10.9.0.2 fd00:9::2
#
#   Relay 2 sends from its own port 30000 to X's side a (its pinned peer) a
#   datagram with TTL 10: relays forward it at TTL 10, 9, ... 2, nine times
#   in all (X five, Y four), and Y's side b drops it when it comes with 1.

source "$(dirname "$0")/common.sh"

ktap_plan 12

NS_R2=xr-r2-$$
RELAY4_2=203.0.113.2
RELAY6_2=2001:db8:ff::2

rctl2()
{
	ip netns exec "$NS_R2" "$XRELAYCTL" "$@"
}

# relays_wired: relay 2 beside relay 1, each routing to the other's relay
# addresses over one veth.
relays_wired()
{
	load_modules veth dummy &&
	relay_ns_add "$NS_R" &&
	netns_add "$NS_R2" &&
	ip netns exec "$NS_R2" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 &&
	ip -n "$NS_R2" -batch - <<-EOF &&
		link add relay0 type dummy
		link set relay0 up
		addr add $RELAY4_2/32 dev relay0
		addr add $RELAY6_2/128 dev relay0 nodad
		link add to_r1 type veth peer name to_r2 netns $NS_R
		addr add 10.9.0.2/24 dev to_r1
		addr add fd00:9::2/64 dev to_r1 nodad
		link set to_r1 up
		route add $RELAY4/32 via 10.9.0.1
		route add $RELAY6/128 via fd00:9::1
	EOF
	ip -n "$NS_R" -batch - <<-EOF
		addr add 10.9.0.1/24 dev to_r2
		addr add fd00:9::1/64 dev to_r2 nodad
		link set to_r2 up
		route add $RELAY4_2/32 via 10.9.0.2
		route add $RELAY6_2/128 via fd00:9::2
	EOF
}

# XDP on both ends of the veth, so that each relay's XDP_TX reaches the
# other; the injecting socket's checksum must be complete for XDP.
xdp_on_relays()
{
	ip netns exec "$NS_R2" ethtool -K to_r1 tx off > /dev/null &&
	ip netns exec "$NS_R" ethtool -K to_r2 tx off > /dev/null &&
	rctl xdp attach dev to_r2 mode "$1" &&
	rctl2 xdp attach dev to_r1 mode "$1"
}

# loop_counts ID1 ID2: "X-packets Y-packets hop-limit-drops" of the pair.
loop_counts()
{
	local x y

	x=$(rctl -j session show id "$1" | jq -r '.[0] | "\(.a.stats.packets + .b.stats.packets) \(.a.stats.drop_hop_limit + .b.stats.drop_hop_limit)"')
	y=$(rctl2 -j session show id "$2" | jq -r '.[0] | "\(.a.stats.packets + .b.stats.packets) \(.a.stats.drop_hop_limit + .b.stats.drop_hop_limit)"')
	echo "${x% *} ${y% *} $((${x#* } + ${y#* }))"
}

relays_wired || ktap_bail "two relays wired to each other"
if [ -n "${XRELAY_XDP:-}" ]; then
	xdp_on_relays "$XRELAY_XDP" || ktap_bail "XDP ($XRELAY_XDP) on both relays"
fi

check_id i1 "relay 1: IPv4 instance" rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id i2 "relay 2: IPv4 instance" rctl2 instance add network 10 addr "$RELAY4_2" ports 30000-30099
check_id x "relay 1: session X pinned to relay 2's ports" \
	rctl session add instance "$i1" a 20000 peer "$RELAY4_2:30000" b 20001 peer "$RELAY4_2:30001"
check_id y "relay 2: session Y pinned to relay 1's ports" \
	rctl2 session add instance "$i2" a 30000 peer "$RELAY4:20000" b 30001 peer "$RELAY4:20001"

# Relay 2's own socket on Y's port a: what it sends leaves relay 2 as Y's
# side a would, and is relay 1's pinned peer for side a.
udp_send "$NS_R2" --bind "$RELAY4_2:30000" --to "$RELAY4:20000" --ttl 10 --size 100
check_value "IPv4: nine hops, then dropped on arrival with TTL 1" "5 4 1" loop_counts "$x" "$y"
nap 1
check_value "IPv4: and nothing more circulates" "5 4 1" loop_counts "$x" "$y"

check_id i3 "relay 1: IPv6 instance" rctl instance add network 10 addr "$RELAY6" ports 20000-20099
check_id i4 "relay 2: IPv6 instance" rctl2 instance add network 10 addr "$RELAY6_2" ports 30000-30099
check_id x6 "relay 1: IPv6 session X" rctl session add instance "$i3" \
	a 20000 peer "[$RELAY6_2]:30000" b 20001 peer "[$RELAY6_2]:30001"
check_id y6 "relay 2: IPv6 session Y" rctl2 session add instance "$i4" \
	a 30000 peer "[$RELAY6]:20000" b 30001 peer "[$RELAY6]:20001"
udp_send "$NS_R2" --bind "[$RELAY6_2]:30000" --to "[$RELAY6]:20000" --ttl 10 --size 100
check_value "IPv6: nine hops, then dropped on arrival with hop limit 1" "5 4 1" \
	loop_counts "$x6" "$y6"
nap 1
check_value "IPv6: and nothing more circulates" "5 4 1" loop_counts "$x6" "$y6"

ktap_finish
