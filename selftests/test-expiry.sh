#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native (run again with XDP attached, see run-guest.sh)
# lanes: debian (idle timeouts and lifetimes of seconds against traffic on a schedule: a debug kernel, 5 to 10 times slower, misses the schedule)
#
# Session expiry: idle timeout and lifetime, the session-expired events that
# report them with the final counters, and what happens to packets that
# arrive for an expired session.
#
#   ns A                          ns relay                        ns B
#   192.0.2.2:5000|5002|5004  203.0.113.1:20000..20099    198.51.100.2:6000|6002|6004
#        |                                                          |
#        +--veth-- to_a   (no IP forwarding)   to_b --veth----------+
#
#   s1  a 20000 b 20001  idle 3                 quiet after latching
#   s2  a 20002 b 20003  idle 6, lifetime 4     A sends every 100 ms throughout
#   s3  a 20004 b 20005  idle 3                 A sends every 200 ms for 5 s
#
#   xrelayctl -j monitor runs in the relay ns throughout; the GC runs about
#   once a second, so expiry is checked with a second of slack. Timeouts are
#   a little longer than the minimum: every step is slow under emulation.

source "$(dirname "$0")/common.sh"

ktap_plan 15

# latch PORT_A A_PORT B_PORT: A, then B, send one datagram to the session
# on PORT_A and PORT_A + 1 from their ports A_PORT and B_PORT.
latch()
{
	udp_send "$NS_A" --bind "$A4:$2" --to "$RELAY4:$1"
	udp_send "$NS_B" --bind "$B4:$3" --to "$RELAY4:$(($1 + 1))"
}

session_gone()
{
	! rctl session show id "$1" > /dev/null 2>&1
}

setup_topology || ktap_bail "three namespaces wired"
inst=$(rctl instance add network 10 addr "$RELAY4" ports 20000-20099) ||
	ktap_bail "instance created"
monitor_start mon || ktap_bail "monitor receives events"

# Idle timeout.
check_id s1 "session with idle 3 s created" rctl session add instance "$inst" idle 3 a 20000 b 20001
latch 20000 5000 6000
check "gone from show after being idle" wait_until 8 session_gone "$s1"
check_value "session-expired event, reason idle" "idle" expired_event mon "$s1" .reason
check_value "the event carries the final counters: both sides had latched" "1 0 0 1" expired_event mon "$s1" \
	'"\(.a.stats.drop_not_paired) \(.a.stats.packets) \(.b.stats.drop_not_paired) \(.b.stats.packets)"'
check_value "and the session's age, at least the idle timeout" "ok" expired_event mon "$s1" \
	'if .age_ms >= 3000 and .age_ms < 8000 then "ok" else "age_ms \(.age_ms)" end'

before=$(instance_get "$inst" .stats.drop_no_session)
ns_before=$(netns_get .stats.drop_no_session)
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 3
udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:20001" --count 2
check_value "datagrams to the expired session's ports count as no-session" "$((before + 5))" \
	instance_get "$inst" .stats.drop_no_session
check_value "in the namespace totals too" "$((ns_before + 5))" netns_get .stats.drop_no_session

# Lifetime ends s2 however busy it is; steady traffic keeps s3 from idling.
check_id s2 "session with idle 6 s, lifetime 4 s created" \
	rctl session add instance "$inst" idle 6 lifetime 4 a 20002 b 20003
latch 20002 5002 6002
bg_start busy2 "$NS_A" "$UDP_PEER" send --bind "$A4:5002" --to "$RELAY4:20002" \
	--duration-ms 8000 --interval-ms 100
check_id s3 "session with idle 3 s created" rctl session add instance "$inst" idle 3 a 20004 b 20005
latch 20004 5004 6004
udp_send "$NS_A" --bind "$A4:5004" --to "$RELAY4:20004" --duration-ms 5000 --interval-ms 200
check "a session kept busy outlives its idle timeout" rctl session show id "$s3"

check "the other busy session ends at its lifetime" wait_until 4 session_gone "$s2"
check_value "session-expired event, reason lifetime" "lifetime" expired_event mon "$s2" .reason
check_value "its age is the lifetime, give or take the GC, and it was busy" "ok" \
	expired_event mon "$s2" \
	'if .age_ms >= 4000 and .age_ms < 6000 and .a.stats.packets >= 3 then "ok"
	 else "age_ms \(.age_ms) a \(.a.stats) b \(.b.stats)" end'

check "once the traffic stops, the idle session ends" wait_until 8 session_gone "$s3"
check_value "with reason idle" "idle" expired_event mon "$s3" .reason
bg_wait busy2

ktap_finish
