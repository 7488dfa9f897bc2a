#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# A real overlay through the relay: two WireGuard peers whose endpoints are
# the relay's two ports of one session, both sides learned.
#
#   ns A                              ns relay                       ns B
#   wg0 10.99.0.1/24                                              wg0 10.99.0.2/24
#   listen 5000, peer B at     203.0.113.1:20000 (a)           listen 6000, peer A at
#   203.0.113.1:20000          203.0.113.1:20001 (b)           203.0.113.1:20001
#   veth0 192.0.2.2 --------- to_a   (no forwarding)  to_b ---- veth0 198.51.100.2
#
#   Neither peer can reach the other but through the session: B speaks
#   first (its handshake latches side b and is dropped, not paired), then A's
#   handshake crosses, then ping both ways and a short iperf3.

source "$(dirname "$0")/common.sh"

ktap_plan 14

ping_over() # NS ADDR
{
	ip netns exec "$1" busybox ping -c 3 -w 10 "$2"
}

handshakes_done()
{
	local ns

	for ns in "$NS_A" "$NS_B"; do
		[ "$(ip netns exec "$ns" wg show wg0 latest-handshakes | cut -f2)" -gt 0 ] || return
	done
}

# totals_match: "match" if the instance and the namespace count exactly the
# session's packets and bytes, else the three.
totals_match()
{
	local sess_t inst_t ns_t

	sess_t=$(session_get "$sess" \
		'"\(.a.stats.packets + .b.stats.packets) \(.a.stats.bytes + .b.stats.bytes)"')
	inst_t=$(netns_get '.instance[0].stats | "\(.packets) \(.bytes)"')
	ns_t=$(netns_get '.stats | "\(.packets) \(.bytes)"')
	if [ "$sess_t" = "$inst_t" ] && [ "$sess_t" = "$ns_t" ]; then
		echo match
	else
		echo "session $sess_t, instance $inst_t, netns $ns_t"
	fi
}

setup_topology || ktap_bail "three namespaces wired"

check_id inst "instance created" rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id sess "session with two learned sides created" rctl session add instance "$inst" a 20000 b 20001
check "WireGuard on A and B, endpoints on the relay" wg_pair 20000 20001

# B's first handshake initiation latches side b; with A unknown it is lost.
ip netns exec "$NS_B" busybox ping -c 1 -w 1 10.99.0.1 > /dev/null 2>&1
check_value "B's handshake latched side b" "learned $B4:6000 waiting" \
	session_get "$sess" '"\(.b.state) \(.b.peer) \(.a.state)"'

check "ping A -> B through the tunnel" ping_over "$NS_A" 10.99.0.2
check "handshake completed on both peers" handshakes_done
check "ping B -> A through the tunnel" ping_over "$NS_B" 10.99.0.1
check_value "A's peer endpoint is the relay's port a" "$RELAY4:20000" \
	eval "ip netns exec $NS_A wg show wg0 endpoints | cut -f2"
check_value "B's peer endpoint is the relay's port b" "$RELAY4:20001" \
	eval "ip netns exec $NS_B wg show wg0 endpoints | cut -f2"

bg_start iperf_server "$NS_B" iperf3 --server --one-off --bind 10.99.0.2
wait_until 5 grep -q "Server listening" "$TEST_TMP/iperf_server.out"
check "iperf3 A -> B for 2 s through the tunnel" eval \
	"ip netns exec $NS_A iperf3 --client 10.99.0.2 --time 2 --json > $TEST_TMP/iperf.json"
bg_wait iperf_server
received=$(jq '.end.sum_received.bytes' "$TEST_TMP/iperf.json")
check_value "iperf3 moved data" "true" jq '.end.sum_received.bytes > 0' "$TEST_TMP/iperf.json"

# WireGuard wraps every TCP byte: side a forwarded more than iperf3 received.
check_value "side a forwarded more payload than the TCP stream delivered" "ok" \
	session_get "$sess" "if .a.stats.bytes > $received and .b.stats.packets > 0 then \"ok\"
		else \"a.bytes \\(.a.stats.bytes) vs $received received, b.packets \\(.b.stats.packets)\" end"
# B's handshake initiations before A's crossed (one, or more if emulation
# was slow enough for a retry) were lost; nothing else.
check_value "only B's first handshake attempts were lost" "ok" session_get "$sess" \
	'if .a.stats.drop_not_paired == 0 and .b.stats.drop_not_paired >= 1 and
	    ([.a.stats, .b.stats] | map(to_entries[] | select(.key | startswith("drop_")) | select(.key != "drop_not_paired") | .value) | add) == 0
	 then "ok" else "a \(.a.stats) b \(.b.stats)" end'

# Quiet the tunnel (no more keepalives) so that the three reads agree.
ip -n "$NS_A" link set wg0 down
ip -n "$NS_B" link set wg0 down
check_value "instance and namespace totals match the session's" "match" totals_match

ktap_finish
