#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# The WireGuard protocol guard: a real WireGuard tunnel crosses a session
# of a network whose sessions may carry only WireGuard, while junk sent to
# the same relay ports from the tunnel's own endpoints is dropped and
# counted (drop_protocol), and the tunnel works on afterwards. A session's
# own protocol overrides its network's, both ways.
#
#   ns A                                ns relay                          ns B
#   wg0 10.99.0.1/24, listen 5000                                   wg0 10.99.0.2/24, listen 6000
#   udp_peer from 5000 (wg0 down),    inst 1 203.0.113.1:20000-20099   udp_peer from 6000 (wg0 down)
#   5001, 5002                        inst 2 203.0.113.1:20100-20199   receivers on 6001, 6002
#   veth0 192.0.2.2 ------- to_a         (no IP forwarding)    to_b ------- veth0 198.51.100.2
#
#   network 10 (inst 1): protocol wireguard    network 30 (inst 2): no policy object
#   swg   inst 1 a 20000 b 20001, learned: the WireGuard peers' endpoints
#   sany  inst 1 a 20002 peer A:5001 b 20003 peer B:6001, protocol any
#   sg    inst 2 a 20100 peer A:5002 b 20101 peer B:6002, protocol wireguard
#
#   Junk: every WireGuard message one byte off its length, data shorter
#   than 32 bytes, a reserved byte set, an unknown type, an empty datagram,
#   text. Well-formed: each message type at its length, data at 32 bytes
#   and at 1452, a full packet of an MTU-1420 tunnel, which is not in
#   16-byte blocks (payloads need not decrypt: the guard checks the shape).

source "$(dirname "$0")/common.sh"

ktap_plan 26

# Datagram shapes for udp_peer --shapes: SIZE:FIRST_BYTES, the rest 'x'.
junk=147:01000000,149:01000000,91:02000000,65:03000000,16:04000000,31:04000000
junk+=,148:01000001,32:05000000,0,100
well_formed=148:01000000,92:02000000,64:03000000,32:04000000,1452:04000000

# send_shapes NS FROM TO SHAPES: one datagram of each shape from FROM to TO.
send_shapes()
{
	udp_send "$1" --bind "$2" --to "$3" --shapes "$4"
}

ping_over() # NS ADDR
{
	ip netns exec "$1" busybox ping -c 1 -w 10 "$2"
}

setup_topology || ktap_bail "three namespaces wired"
monitor_start events || ktap_bail "the monitor receives events"

rctl_batch <<-EOF
	net10 network add id 10 protocol wireguard
	inst10 instance add id 1 network 10 addr $RELAY4 ports 20000-20099
	inst30 instance add id 2 network 30 addr $RELAY4 ports 20100-20199
	swg session add instance 1 a 20000 b 20001
	sany session add instance 1 protocol any a 20002 peer $A4:5001 b 20003 peer $B4:6001
	sg session add instance 2 protocol wireguard a 20100 peer $A4:5002 b 20101 peer $B4:6002
EOF
batch_ok "network 10: WireGuard only" net10
batch_ok "an instance of network 10, one of network 30 (no policy)" inst30
batch_id swg "swg: two learned sides for the tunnel" swg
batch_id sany "sany: protocol any in place of the network's guard" sany
batch_id sg "sg: a guard of its own in a network without policy" sg

check "WireGuard on A and B, endpoints on the relay" wg_pair 20000 20001
# B's first handshake initiation latches side b; with A unknown it is lost.
ip netns exec "$NS_B" busybox ping -c 1 -w 1 -W 1 10.99.0.1 > /dev/null 2>&1
check "ping A -> B through the guarded session" ping_over "$NS_A" 10.99.0.2
check "ping B -> A" ping_over "$NS_B" 10.99.0.1

# Junk from the tunnel's very endpoints: WireGuard lets go of its port
# while its interface is down.
ip -n "$NS_A" link set wg0 down
ip -n "$NS_B" link set wg0 down
check "junk from A's endpoint to port a" send_shapes "$NS_A" "$A4:5000" "$RELAY4:20000" "$junk"
check "junk from B's endpoint to port b" send_shapes "$NS_B" "$B4:6000" "$RELAY4:20001" "$junk"
ip -n "$NS_A" link set wg0 up
ip -n "$NS_B" link set wg0 up
check "ping A -> B again after the junk" ping_over "$NS_A" 10.99.0.2

recv_start at_b1 "$NS_B" "$B4:6001" 10
check "junk to sany" send_shapes "$NS_A" "$A4:5001" "$RELAY4:20002" "$junk"
check_bg "sany forwarded all 10 junk datagrams" at_b1
recv_start at_b2 "$NS_B" "$B4:6002" 5
check "junk, then well-formed messages, to sg" send_shapes "$NS_A" "$A4:5002" "$RELAY4:20100" \
	"$junk,$well_formed"
bg_wait at_b2
check_eq "sg forwarded the 5 well-formed messages only" \
	"32 64 92 148 1452" "$(grep '^from ' "$TEST_TMP/at_b2.out" | sed 's/.* len //' | sort -n | xargs)"

drops_but='[.a.stats, .b.stats] | map(to_entries[] | select(.key | startswith("drop_")) |
	select(.key != "drop_protocol" and .key != "drop_not_paired") | .value) | add'
expect "network show gives the guard back" wireguard "n(10).protocol"
expect "session show gives the sessions' protocols" "any wireguard" \
	"\"\(s(${sany:-0}).protocol) \(s(${sg:-0}).protocol)\""
expect "B's handshake passed the guard and latched side b" "$B4:6000" "s(${swg:-0}).b.peer"
expect "swg: all 10 junk datagrams of each side dropped by the guard" "10 10" \
	"s(${swg:-0}) | \"\(.a.stats.drop_protocol) \(.b.stats.drop_protocol)\""
expect "swg: no other drop but B's first handshakes (not paired)" 0 "s(${swg:-0}) | $drops_but"
expect "swg carried the tunnel: packets both ways" true \
	"s(${swg:-0}) | .a.stats.packets > 0 and .b.stats.packets > 0"
expect "sany: 10 packets, no guard drop" "10 0" \
	"s(${sany:-0}).a.stats | \"\(.packets) \(.drop_protocol)\""
expect "sg: 5 packets, 10 dropped by its guard" "5 10" \
	"s(${sg:-0}).a.stats | \"\(.packets) \(.drop_protocol)\""
expect "network 10 counts its guard's 20 drops" 20 "n(10).stats.drop_protocol"
expect_datapath
verify
check "policy-drop event for A's junk, reason protocol" monitor_wait events 5 \
	".event == \"policy-drop\" and .session == ${swg:-0} and .side == \"a\" and
	 .reason == \"protocol\" and .source == \"$A4:5000\""

ktap_finish
