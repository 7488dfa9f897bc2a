#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native (run again with XDP attached, see run-guest.sh)
#
# Relearning: a latched side accepts a new source only once its peer has
# been idle for longer than relearn-timeout (3 s here), and says so with a
# side-learned event.
#
#   ns A                          ns relay                        ns B
#   A  192.0.2.2:5000  --+   203.0.113.1:20000 (a)  20001 (b)   198.51.100.2:6000
#   A' 192.0.2.2:5001  --+   relearn 3 s on side a
#   (A' is A after a NAT rebinding: same host, new port)
#        |                                                          |
#        +--veth-- to_a   (no IP forwarding)   to_b --veth----------+
#
#   xrelayctl -j monitor runs in the relay ns throughout.

source "$(dirname "$0")/common.sh"

ktap_plan 11

setup_topology || ktap_bail "three namespaces wired"
inst=$(rctl instance add network 10 addr "$RELAY4" ports 20000-20099) ||
	ktap_bail "instance created"
monitor_start mon || ktap_bail "monitor receives events"

check_id sess "session with relearn 3 s on side a created" \
	rctl session add instance "$inst" a 20000 learn relearn 3 b 20001
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000"
udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:20001"
check_value "both sides latched" "$A4:5000 $B4:6000" session_get "$sess" '"\(.a.peer) \(.b.peer)"'
check "side-learned event for A" monitor_wait mon 3 \
	".event == \"side-learned\" and .session == $sess and .side == \"a\" and .peer == \"$A4:5000\""

# The checks above take a while under emulation: A speaks again first.
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000"
udp_send "$NS_A" --bind "$A4:5001" --to "$RELAY4:20000" --count 2
check_value "A' right after A's datagram is dropped" "2 $A4:5000" \
	session_get "$sess" '"\(.a.stats.drop_unknown_source) \(.a.peer)"'

# Longer than relearn-timeout since the latch, but A never paused that long.
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 16 --interval-ms 250
udp_send "$NS_A" --bind "$A4:5001" --to "$RELAY4:20000"
check_value "A' while A keeps talking is still dropped" "3 $A4:5000" \
	session_get "$sess" '"\(.a.stats.drop_unknown_source) \(.a.peer)"'

# Now A goes quiet for longer than relearn-timeout, A' takes over, and A
# comes back at once: too late.
recv_start at_b "$NS_B" "$B4:6000" 1 15000
sleep 3.5
udp_send "$NS_A" --bind "$A4:5001" --to "$RELAY4:20000" --size 33
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000"
bg_wait at_b
check_value "A' latches once A has been idle past relearn-timeout" "learned $A4:5001" \
	session_get "$sess" '"\(.a.state) \(.a.peer)"'
check "side-learned event for A'" monitor_wait mon 3 \
	".event == \"side-learned\" and .session == $sess and .side == \"a\" and .peer == \"$A4:5001\""
check_eq "A's relearning datagram is forwarded to B" \
	"1 from $RELAY4:20001 len 33" "$(recv_froms at_b)"
check_value "A coming back right after is the unknown source now" "4" \
	session_get "$sess" .a.stats.drop_unknown_source

recv_start at_a "$NS_A" "$A4:5001" 1
udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:20001" --size 44
bg_wait at_a
check_eq "B's replies go to the new source" "1 from $RELAY4:20000 len 44" "$(recv_froms at_a)"

check_value "relearn-timeout shown: 3 s on side a, the default 30 s on side b" "3 30" \
	session_get "$sess" '"\(.a.relearn_timeout) \(.b.relearn_timeout)"'

ktap_finish
