#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# Sources other than a side's peer: a third host on A's link hitting a
# latched port, learned sides restricted to a prefix, and sources no side
# may ever latch.
#
#   ns A                          ns relay                          ns B
#   A 192.0.2.2:5000        203.0.113.1:20000..20099         198.51.100.2:6000
#   C 192.0.2.3:5000        [2001:db8:ff::1]:20000..20099    [2001:db8:b::2]:6000
#   A [2001:db8:a::2]:5000         |
#   C [2001:db8:a::3]:5000   (sources inside the relay ns:
#        |                   127.0.0.1, ::1, 203.0.113.1)
#        +--veth-- to_a   (no IP forwarding)   to_b --veth--------+
#
#   C is a third party: an extra address on A's link.

source "$(dirname "$0")/common.sh"

C4=192.0.2.3
C6=2001:db8:a::3

ktap_plan 23

setup_topology || ktap_bail "three namespaces wired"
ip -n "$NS_A" addr add "$C4/24" dev veth0 &&
ip -n "$NS_A" addr add "$C6/64" dev veth0 nodad || ktap_bail "third party's addresses"

check_id inst4 "IPv4 instance created" \
	rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id inst6 "IPv6 instance created" \
	rctl instance add network 10 addr "$RELAY6" ports 20000-20099

# Session 1: both sides latched, then C tries to use A's port.
check_id s1 "session with learned sides created" rctl session add instance "$inst4" a 20000 b 20001
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000"
udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:20001"
check_value "both sides latched" "$A4:5000 $B4:6000" \
	session_get "$s1" '"\(.a.peer) \(.b.peer)"'

recv_start at_b "$NS_B" "$B4:6000" 0 1500
udp_send "$NS_A" --bind "$C4:5000" --to "$RELAY4:20000" --count 5
udp_send "$NS_A" --bind "$A4:5001" --to "$RELAY4:20000" --count 2
check_bg "nothing from the third party reaches B" at_b
check_value "C's 5 and A's 2 from another port counted as unknown source" "7" \
	session_get "$s1" .a.stats.drop_unknown_source
check_value "side a still latched to A" "learned $A4:5000" \
	session_get "$s1" '"\(.a.state) \(.a.peer)"'

udp_send "$NS_A" --bind "$C4:5000" --to "$RELAY4:20001"
check_value "C hitting B's port is counted on side b" "1" \
	session_get "$s1" .b.stats.drop_unknown_source

recv_start at_b "$NS_B" "$B4:6000" 3
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 3 --size 40
bg_wait at_b
check_eq "A's datagrams still reach B" "3 from $RELAY4:20001 len 40" "$(recv_froms at_b)"
check_value "only A's datagrams were forwarded" "3 0" \
	session_get "$s1" '"\(.a.stats.packets) \(.a.stats.drop_bad_source)"'

# Session 2: side a may only latch A's address.
check_id s2 "session learning side a from $A4/32 created" \
	rctl session add instance "$inst4" a 20002 learn from "$A4/32" b 20003
udp_send "$NS_A" --bind "$C4:5000" --to "$RELAY4:20002" --count 2
check_value "C outside the prefix is counted as a bad source" "2 0" \
	session_get "$s2" '"\(.a.stats.drop_bad_source) \(.a.stats.drop_not_paired)"'
check_value "and does not latch" "waiting" session_get "$s2" .a.state
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20002"
check_value "A inside the prefix latches" "learned $A4:5000" \
	session_get "$s2" '"\(.a.state) \(.a.peer)"'

check_id s3 "session learning side a from 192.0.2.0/24 created" \
	rctl session add instance "$inst4" a 20004 learn from 192.0.2.0/24 b 20005
udp_send "$NS_A" --bind "$C4:5000" --to "$RELAY4:20004"
check_value "C inside the wider prefix latches" "learned $C4:5000" \
	session_get "$s3" '"\(.a.state) \(.a.peer)"'

check_id s4 "IPv6 session learning side a from $A6/128 created" \
	rctl session add instance "$inst6" a 20002 learn from "$A6/128" b 20003
udp_send "$NS_A" --bind "[$C6]:5000" --to "[$RELAY6]:20002" --count 2
check_value "IPv6: C outside the prefix is a bad source and does not latch" "2 waiting" \
	session_get "$s4" '"\(.a.stats.drop_bad_source) \(.a.state)"'
udp_send "$NS_A" --bind "[$A6]:5000" --to "[$RELAY6]:20002"
check_value "IPv6: A inside the prefix latches" "learned [$A6]:5000" \
	session_get "$s4" '"\(.a.state) \(.a.peer)"'

# Session 5: sources that are never a peer, sent from inside the relay ns.
check_id s5 "session for forbidden sources created" rctl session add instance "$inst4" a 20006 b 20007
udp_send "$NS_R" --bind 127.0.0.1:7000 --to "$RELAY4:20006"
udp_send "$NS_R" --bind "$RELAY4:7000" --to "$RELAY4:20006"
check_value "loopback and the relay's own address are bad sources" "2 waiting" \
	session_get "$s5" '"\(.a.stats.drop_bad_source) \(.a.state)"'

check_id s6 "IPv6 session for forbidden sources created" \
	rctl session add instance "$inst6" a 20006 b 20007
udp_send "$NS_R" --bind "[::1]:7000" --to "[$RELAY6]:20006"
udp_send "$NS_R" --bind "[$RELAY6]:7000" --to "[$RELAY6]:20006"
check_value "IPv6: loopback and the relay's own address are bad sources" "2 waiting" \
	session_get "$s6" '"\(.a.stats.drop_bad_source) \(.a.state)"'

ktap_finish
