#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Native XDP sends only where a frame can leave, and counts only what it
# sends. A redirect to a device without an XDP transmit path (a bridge), or
# to a veth whose peer runs no NAPI (no XDP program, no GRO) is dropped by
# the kernel after the program returned: such packets must take the stack
# instead, and not be counted as forwarded by XDP.
#
#   ns A                        ns relay                               ns B
#   veth0 (xdp) --- to_a (xdp, native)   to_b (xdp) --- veth0 (no XDP, no GRO)
#                                        and then: br0 { to_b } holding B's
#                                        gateway addresses

source "$(dirname "$0")/common.sh"

ktap_plan 10

# sent_to_b N PORT_A: N datagrams from A to the session's side a; B must
# get them all.
sent_to_b()
{
	recv_start at_b "$NS_B" "$B4:6000" "$1" || return
	udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:$2" --count "$1" --size 100 \
		--interval-ms 10 || return
	bg_wait at_b
}

# xdp_packets SESSION: "PACKETS XDP_PACKETS" forwarded from side a.
xdp_packets()
{
	session_get "$1" '"\(.a.stats.packets) \(.a.stats.packets_xdp)"'
}

# all_drops: the drops of every session, summed.
all_drops()
{
	rctl -j session show | jq '[.[] | .a.stats, .b.stats | to_entries[] |
		select(.key | startswith("drop_")) | .value] | add'
}

setup_topology || ktap_bail "three namespaces wired"
ip netns exec "$NS_A" ethtool -K veth0 tx off > /dev/null &&
ip netns exec "$NS_A" "$XRELAYCTL" xdp attach dev veth0 &&
ip netns exec "$NS_B" ethtool -K veth0 tx off gro off > /dev/null &&
rctl xdp attach dev to_a mode native && rctl xdp attach dev to_b mode native ||
	ktap_bail "native XDP on the relay's veths and A's"

check_id inst "instance" rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id s1 "session A <-> B, pinned" \
	rctl session add instance "$inst" a 20000 peer "$A4:5000" b 20001 peer "$B4:6000"
# The first datagram resolves B's address through the stack.
check "veth without NAPI on the far end: B gets all 20 datagrams" sent_to_b 20 20000
check_value "none of them counted as sent by XDP" "20 0" xdp_packets "$s1"

# Once B's end runs an XDP program, its veth takes frames: XDP sends.
ip netns exec "$NS_B" "$XRELAYCTL" xdp attach dev veth0
check "with XDP on B's veth: B gets all 20" sent_to_b 20 20000
check_value "now XDP sent them (the first 20 by the stack)" "40 20" xdp_packets "$s1"

# B's leg behind a bridge, as when the NIC is a bridge port: the route to
# B leaves by br0, which has no XDP transmit path.
ip -n "$NS_R" -batch - <<-EOF
	link add br0 type bridge
	addr flush dev to_b
	link set to_b master br0
	addr add 198.51.100.1/24 dev br0
	link set br0 up
EOF
# Attached again, so that the program's devmap, filled at attach time,
# holds br0 too: redirecting there is what must not happen.
rctl xdp detach dev to_a && rctl xdp attach dev to_a mode native ||
	ktap_bail "XDP attached again to to_a"
check_id s2 "session A <-> B through br0" \
	rctl session add instance "$inst" a 20002 peer "$A4:5000" b 20003 peer "$B4:6000"
check "egress a bridge: B gets all 20 datagrams" sent_to_b 20 20002
check_value "none of them counted as sent by XDP" "20 0" xdp_packets "$s2"
check_value "no drops on either session" "0" all_drops

ktap_finish
