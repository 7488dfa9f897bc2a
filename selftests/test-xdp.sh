#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: alone (it tries rmmod while programs hold the module)
#
# The XDP fast path, native and generic, IPv4 and IPv6: the module handles
# what XDP cannot finish (an unresolved neighbour), then XDP takes over;
# XDP_TX when a packet leaves by the interface it came in on, redirect when
# it leaves by the other; expiry while attached; detach under traffic;
# rmmod refused while a program holds the module.
#
#   ns A                         ns relay                         ns B
#   192.0.2.2:5000|5001   203.0.113.1:20000-20099           198.51.100.2:6000
#   [2001:db8:a::2]:5000  [2001:db8:ff::1]:20000-20099      [2001:db8:b::2]:6000
#     veth0 (xdp) ---veth--- to_a (xdp)       to_b (xdp) ---veth--- veth0 (xdp)
#                                 (no IP forwarding)
#
#   Sessions between A and B enter by one relay interface and leave by the
#   other (redirect through the devmap); a session whose two sides are both
#   in A enters and leaves by to_a (XDP_TX). The clients' veths carry an
#   XDP program too, since a veth only takes XDP frames from its peer when
#   it has one, and transmit checksum offload off, since XDP cannot finish
#   a partial checksum.

source "$(dirname "$0")/common.sh"

ktap_plan 61

setup_topology || ktap_bail "three namespaces wired"
xdp_on_clients || ktap_bail "XDP and full checksums on the clients' veths"

# relay_xdp attach|detach [mode MODE]: on both of the relay's interfaces.
relay_xdp()
{
	rctl xdp "$1" dev to_a "${@:2}" && rctl xdp "$1" dev to_b "${@:2}"
}

# attached: the relay's interfaces with xrelay's program, and their modes.
attached()
{
	rctl -j xdp show | jq -r 'map("\(.dev) \(.mode)") | sort | join(",")'
}

# xdp_packets SESSION SIDE: "PACKETS XDP_PACKETS" forwarded from that side.
xdp_packets()
{
	session_get "$1" "\"\\(.$2.stats.packets) \\(.$2.stats.packets_xdp)\""
}

# handover MODE FAMILY RELAY A B: a session between A and B. The relay
# forgets A's link-layer address first, so the first datagram to A must go
# up to the module, which resolves it; the rest take the fast path.
handover()
{
	local mode=$1 fam=$2 relay=$3 a=$4 b=$5 inst sess

	check_id inst "$mode IPv$fam: instance" \
		rctl instance add network 10 addr "$(tr -d '[]' <<< "$relay")" ports 20000-20099
	check_id sess "$mode IPv$fam: session" rctl session add instance "$inst" a 20000 b 20001
	udp_send "$NS_A" --bind "$a:5000" --to "$relay:20000"
	ip -n "$NS_R" neigh flush dev to_a

	recv_start first "$NS_A" "$a:5000" 1
	udp_send "$NS_B" --bind "$b:6000" --to "$relay:20001" --size 64
	check_bg "$mode IPv$fam: first datagram reaches A through the module" first
	check_value "$mode IPv$fam: it was forwarded by the module, not XDP" "1 0" \
		xdp_packets "$sess" b

	recv_start rest "$NS_A" "$a:5000" 9
	udp_send "$NS_B" --bind "$b:6000" --to "$relay:20001" --count 9 --size 64
	bg_wait rest
	check_eq "$mode IPv$fam: A gets the next 9 from $relay:20000" \
		"9 from $relay:20000 len 64" "$(recv_froms rest)"
	check_value "$mode IPv$fam: XDP forwarded those 9 (redirect to_b -> to_a)" "10 9" \
		xdp_packets "$sess" b

	recv_start back "$NS_B" "$b:6000" 5
	udp_send "$NS_A" --bind "$a:5000" --to "$relay:20000" --count 5 --size 1400
	bg_wait back
	check_eq "$mode IPv$fam: B gets 1400-byte datagrams from $relay:20001" \
		"5 from $relay:20001 len 1400" "$(recv_froms back)"
	check_value "$mode IPv$fam: counters exact on the way back" "5 5 7000" \
		session_get "$sess" '"\(.a.stats.packets) \(.a.stats.packets_xdp) \(.a.stats.bytes)"'
	rctl instance del id "$inst"
}

# hairpin MODE: both sides in A, so packets leave by to_a again: XDP_TX.
hairpin()
{
	local mode=$1 inst sess

	check_id inst "$mode: hairpin instance" \
		rctl instance add network 10 addr "$RELAY4" ports 20000-20099
	check_id sess "$mode: session with both sides in A" \
		rctl session add instance "$inst" a 20000 b 20001 peer "$A4:5001"
	ip -n "$NS_R" neigh flush dev to_a
	recv_start tx "$NS_A" "$A4:5001" 5 10000
	udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --size 200
	check_value "$mode: the first, to an unresolved neighbour, goes by the module" "1 0" \
		xdp_packets "$sess" a
	udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 4 --size 200
	bg_wait tx
	check_eq "$mode: A:5001 gets A:5000's datagrams from $RELAY4:20001" \
		"5 from $RELAY4:20001 len 200" "$(recv_froms tx)"
	check_value "$mode: XDP sent the other 4 back out of to_a (XDP_TX)" "5 4" \
		xdp_packets "$sess" a
	rctl instance del id "$inst"
}

# expiry MODE: a session ends while XDP is attached; its ports then belong
# to no session, and XDP drops and counts what still arrives.
expiry()
{
	local mode=$1 inst sess

	check_id inst "$mode: instance for expiry" \
		rctl instance add network 10 addr "$RELAY4" ports 20000-20099
	check_id sess "$mode: session with a 1 s idle timeout" \
		rctl session add instance "$inst" idle 1 a 20000 b 20001
	check_value "$mode: the session expires while XDP is attached" "0" \
		instance_get "$inst" .sessions
	udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 3
	check_value "$mode: datagrams to its port count as no-session" "3" \
		instance_get "$inst" .stats.drop_no_session
	rctl instance del id "$inst"
}

for mode in native generic; do
	check "$mode: attach to both relay interfaces" relay_xdp attach mode "$mode"
	check_eq "$mode: xdp show lists both in $mode mode" \
		"to_a $mode,to_b $mode" "$(attached)"
	handover "$mode" 4 "$RELAY4" "$A4" "$B4"
	handover "$mode" 6 "[$RELAY6]" "[$A6]" "[$B6]"
	hairpin "$mode"
	expiry "$mode"
	[ "$mode" = native ] && check_fails "native: rmmod refused while attached" rmmod xrelay
	relay_xdp detach
done

# Detach under traffic: the module's path takes over without a gap in
# the counters.
inst=$(rctl instance add network 10 addr "$RELAY4" ports 20000-20099)
sess=$(rctl session add instance "$inst" a 20000 b 20001 peer "$B4:6000")
relay_xdp attach
recv_start flow "$NS_B" "$B4:6000" 0 6000
bg_start sender "$NS_A" "$UDP_PEER" send --bind "$A4:5000" --to "$RELAY4:20000" \
	--interval-ms 5 --duration-ms 3000 --size 100
sleep 1
check "detach from both relay interfaces while traffic flows" relay_xdp detach
check_bg "the sender ran to the end" sender
bg_wait flow
received=$(grep -c '^from ' "$TEST_TMP/flow.out")
read -r packets by_xdp <<< "$(xdp_packets "$sess" a)"
check_eq "every datagram B received was counted, before and after detach" \
	"$received" "$packets"
if [ "$by_xdp" -gt 0 ] && [ "$by_xdp" -lt "$packets" ]; then
	pass "both paths carried part of the flow ($by_xdp of $packets by XDP)"
else
	fail "both paths carried part of the flow" "$by_xdp of $packets by XDP"
fi
check_eq "no program left on the relay" "" "$(attached)"
for ns in "$NS_A" "$NS_B"; do
	ip netns exec "$ns" "$XRELAYCTL" xdp detach dev veth0
done
check "rmmod allowed once every program is detached" \
	sh -c "rmmod xrelay && insmod $REPO/kmod/xrelay.ko"

ktap_finish
