#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# Forwarding both ways, IPv4 and IPv6, between two learned sides.
#
#   ns A                        ns relay                         ns B
#   192.0.2.2:5000       203.0.113.1:20000|20001          198.51.100.2:6000
#   [2001:db8:a::2]:5000 [2001:db8:ff::1]:20000|20001     [2001:db8:b::2]:6000
#        |                                                        |
#        +--veth-- to_a   (no IP forwarding)   to_b --veth--------+
#
#   A talks to port 20000 (side a), B to port 20001 (side b). Each must see
#   the datagrams of the other coming from the very relay port it sends to:
#   what A sends to :20000 leaves from :20001 towards B, and the reverse.

source "$(dirname "$0")/common.sh"

ktap_plan 19

setup_topology || ktap_bail "three namespaces wired"

# The relay namespace must not route between A and B by itself, or the
# forwarding checks below would prove nothing.
recv_start direct "$NS_B" "$B4:6000" 0 1000
udp_send "$NS_A" --bind "$A4:5000" --to "$B4:6000" --count 3
check_bg "A cannot reach B directly through the relay namespace" direct

# forward FAMILY RELAY_ADDR A_ADDR B_ADDR, addresses as they appear in
# ADDR:PORT (IPv6 in brackets).
forward()
{
	local fam=$1 relay=$2 a=$3 b=$4 inst sess

	check_id inst "IPv$fam: instance created" \
		rctl instance add network 10 addr "$(tr -d '[]' <<< "$relay")" ports 20000-20099
	check_id sess "IPv$fam: session with two learned sides created" \
		rctl session add instance "$inst" a 20000 b 20001
	check_value "IPv$fam: both sides wait for a peer" "waiting waiting" \
		session_get "$sess" '"\(.a.state) \(.b.state)"'

	# A's first datagram latches side a; B is unknown, so it goes nowhere.
	udp_send "$NS_A" --bind "$a:5000" --to "$relay:20000" --size 100
	check_value "IPv$fam: side a latched A at $a:5000" "learned $a:5000" \
		session_get "$sess" '"\(.a.state) \(.a.peer)"'

	recv_start at_a "$NS_A" "$a:5000" 3
	udp_send "$NS_B" --bind "$b:6000" --to "$relay:20001" --count 3 --size 100
	bg_wait at_a
	check_eq "IPv$fam: A gets B's datagrams from $relay:20000" \
		"3 from $relay:20000 len 100" "$(recv_froms at_a)"
	check_value "IPv$fam: side b latched B at $b:6000" "learned $b:6000" \
		session_get "$sess" '"\(.b.state) \(.b.peer)"'

	recv_start at_b "$NS_B" "$b:6000" 3
	udp_send "$NS_A" --bind "$a:5000" --to "$relay:20000" --count 3 --size 100
	bg_wait at_b
	check_eq "IPv$fam: B gets A's datagrams from $relay:20001" \
		"3 from $relay:20001 len 100" "$(recv_froms at_b)"

	check_value "IPv$fam: 3 datagrams forwarded from each side" "3 3" \
		session_get "$sess" '"\(.a.stats.packets) \(.b.stats.packets)"'
	check_value "IPv$fam: A's latching datagram counted as not paired" "1 0" \
		session_get "$sess" '"\(.a.stats.drop_not_paired) \(.b.stats.drop_not_paired)"'
}

forward 4 "$RELAY4" "$A4" "$B4"
forward 6 "[$RELAY6]" "[$A6]" "[$B6]"

ktap_finish
