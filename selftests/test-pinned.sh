#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# Pinned sides: forwarding without any latching, a pinned side next to a
# learned one, and pinned peers that must never be accepted.
#
#   ns A                        ns relay                         ns B
#   192.0.2.2:5000       203.0.113.1:20000..20099         198.51.100.2:6000
#   [2001:db8:a::2]:5000 [2001:db8:ff::1]:20000..20099    [2001:db8:b::2]:6000
#        |                                                        |
#        +--veth-- to_a   (no IP forwarding)   to_b --veth--------+
#
#   session 1: a 20000 peer A, b 20001 peer B    (both pinned, IPv4)
#   session 2: a 20002 peer A, b 20003 learned   (IPv4)
#   session 3: a 20000 peer A, b 20001 peer B    (both pinned, IPv6)

source "$(dirname "$0")/common.sh"

# Loopback and what stands for it (NAT64, 6to4, IPv4-compatible), link-local
# (which link?), reserved, "this network" (0/8), and the relay itself.
BOGUS4="127.0.0.1 224.0.0.1 255.255.255.255 0.0.0.0 0.1.2.3 240.0.0.1 169.254.1.1 $RELAY4"
BOGUS6="::1 ff02::1 :: fe80::1 ::127.0.0.1 64:ff9b::7f00:1 2002:7f00:1::1 $RELAY6"

ktap_plan $((22 + $(wc -w <<< "$BOGUS4 $BOGUS6")))

setup_topology || ktap_bail "three namespaces wired"

check_id inst4 "IPv4 instance created" \
	rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id inst6 "IPv6 instance created" \
	rctl instance add network 10 addr "$RELAY6" ports 20000-20099

# Both pinned: traffic flows from the first datagram, in either direction.
check_id s1 "session pinned on both sides created" \
	rctl session add instance "$inst4" a 20000 peer "$A4:5000" b 20001 peer "$B4:6000"
check_value "both sides pinned to their peers" "pinned $A4:5000 pinned $B4:6000" \
	session_get "$s1" '"\(.a.state) \(.a.peer) \(.b.state) \(.b.peer)"'

recv_start at_b "$NS_B" "$B4:6000" 3
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 3 --size 80
bg_wait at_b
check_eq "B gets A's first datagrams without ever having sent" \
	"3 from $RELAY4:20001 len 80" "$(recv_froms at_b)"

recv_start at_a "$NS_A" "$A4:5000" 2
udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:20001" --count 2 --size 90
bg_wait at_a
check_eq "A gets B's datagrams from the port it sends to" \
	"2 from $RELAY4:20000 len 90" "$(recv_froms at_a)"

udp_send "$NS_A" --bind "$A4:5001" --to "$RELAY4:20000" --count 2
check_value "a pinned side drops its peer's address from another port" "2 3" \
	session_get "$s1" '"\(.a.stats.drop_unknown_source) \(.a.stats.packets)"'
check_value "the pinned peer is unchanged" "pinned $A4:5000" \
	session_get "$s1" '"\(.a.state) \(.a.peer)"'

# Pinned A, learned B: A's datagrams wait for B to show up.
check_id s2 "session with a pinned and a learned side created" \
	rctl session add instance "$inst4" a 20002 peer "$A4:5000" b 20003
check_value "side a pinned, side b waiting" "pinned waiting" \
	session_get "$s2" '"\(.a.state) \(.b.state)"'
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20002" --count 2
check_value "A's datagrams before B is known are counted not paired" "2 0" \
	session_get "$s2" '"\(.a.stats.drop_not_paired) \(.a.stats.packets)"'

recv_start at_a "$NS_A" "$A4:5000" 1
udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:20003" --size 70
bg_wait at_a
check_eq "B's first datagram latches side b and reaches the pinned A" \
	"1 from $RELAY4:20002 len 70" "$(recv_froms at_a)"

recv_start at_b "$NS_B" "$B4:6000" 2
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20002" --count 2 --size 60
bg_wait at_b
check_eq "A's datagrams now reach the learned B" \
	"2 from $RELAY4:20003 len 60" "$(recv_froms at_b)"
check_value "side b learned B" "learned $B4:6000" \
	session_get "$s2" '"\(.b.state) \(.b.peer)"'

# IPv6, both pinned.
check_id s3 "IPv6 session pinned on both sides created" \
	rctl session add instance "$inst6" a 20000 peer "[$A6]:5000" b 20001 peer "[$B6]:6000"
recv_start at_b "$NS_B" "[$B6]:6000" 2
udp_send "$NS_A" --bind "[$A6]:5000" --to "[$RELAY6]:20000" --count 2 --size 50
bg_wait at_b
check_eq "IPv6: B gets A's datagrams from the relay's port b" \
	"2 from [$RELAY6]:20001 len 50" "$(recv_froms at_b)"

# Addresses a pinned peer can never be: each refused with the module's reason.
for addr in $BOGUS4; do
	check_refused "pinned peer $addr refused" "^Error: xrelay: peer address is " \
		rctl session add instance "$inst4" a 20010 peer "$addr:5000" b 20011
done
for addr in $BOGUS6; do
	check_refused "pinned peer $addr refused" "^Error: xrelay: peer address is " \
		rctl session add instance "$inst6" a 20010 b 20011 peer "[$addr]:5000"
done
check_value "the refused sessions left nothing behind" "3" netns_get .sessions
# Peers would drop what a loopback source sends them.
check_refused "an instance on 127.0.0.1 refused" "^Error: xrelay: local address is a loopback" \
	rctl instance add network 10 addr 127.0.0.1 ports 21000-21099
check_refused "an instance on ::1 refused" "^Error: xrelay: local address is a loopback" \
	rctl instance add network 10 addr ::1 ports 21000-21099
# IPv4 in IPv6 clothing would pass for the IPv4 address: given as IPv4 or not at all.
check_refused "an instance on ::ffff:127.0.0.1 refused" "^Error: xrelay: IPv4-mapped" \
	rctl instance add network 10 addr ::ffff:127.0.0.1 ports 21000-21099
check_refused "a v4-mapped peer on the IPv4 instance refused" "^Error: xrelay: IPv4-mapped" \
	rctl session add instance "$inst4" a 20010 peer "[::ffff:$B4]:5000" b 20011
check_fails "their ports are still free" rctl session show instance "$inst4" port 20010

ktap_finish
