#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# Admission: which sources the prefix lists of a network and of a session
# side let in, IPv4 and IPv6. The longest matching prefix decides, deny wins
# a tie, an allow list refuses what it does not name, a network with only a
# deny list admits the rest, and side and network must both admit. Refused
# packets are counted (drop_denied) before anything else happens to them:
# they neither pass nor latch a learned side, nor count as unknown sources.
#
#   ns A, every source port 5000         ns relay                          ns B
#   192.0.2.2 .66 .70 .130 .200    inst4  203.0.113.1:20000-20099 (10)   198.51.100.2:6000
#   2001:db8:a::2 2001:db8:a::66   inst6  [2001:db8:ff::1]:20000-20099   [2001:db8:b::2]:6000
#                                  shared 203.0.113.1:21000-21099 (0)
#        |                                                                    |
#        +--veth-- to_a             (no IP forwarding)           to_b --veth--+
#
#   network 10  allow 192.0.2.0/26 192.0.2.66/32 192.0.2.128/27 198.51.100.0/24
#                     2001:db8:a::/64 2001:db8:b::/64
#               deny  192.0.2.64/26 192.0.2.128/27 2001:db8:a::66/128
#   network 20  deny  192.0.2.64/26                       (no allow list)
#
#   Network 10, one session per source on inst4/inst6, side b latched by B:
#     .2 passes (/26)   .66 passes (its /32 beats the /26 deny)   .70 refused (/26)
#     .130 refused (deny wins the /27 tie)   .200 refused (no allow prefix)
#     a::2 passes (/64)   a::66 refused (/128)
#   Network 20, on the shared instance:
#     s20 side a "allow 192.0.2.0/24 deny 192.0.2.2/32": .2 refused by the
#         side, .70 and .66 by the network, .130 admitted and latched, then
#         .200 admitted but not the latched peer (unknown source)
#     s21 no side lists: .200 admitted and latched, then .70 refused
#     s22 "learn from 192.0.2.128/25", the latch filter: .2 admitted by the
#         network, refused as a peer (bad source, not denied)
#   3 datagrams from each source to each session it is listed for.

source "$(dirname "$0")/common.sh"

ktap_plan 28

setup_topology || ktap_bail "three namespaces wired"
ip -n "$NS_A" -batch - <<-EOF || ktap_bail "A's other addresses"
	addr add 192.0.2.66/24 dev veth0
	addr add 192.0.2.70/24 dev veth0
	addr add 192.0.2.130/24 dev veth0
	addr add 192.0.2.200/24 dev veth0
	addr add 2001:db8:a::66/64 dev veth0 nodad
EOF
monitor_start events || ktap_bail "the monitor receives events"

# Network 10: source, relay address, port of side a, expected "packets
# drop_denied state" of side a; in the order A sends them, the first two
# refused ones first, so that the events' rate limit cannot hide them.
cases=(
	"192.0.2.70       $RELAY4    20004 0 3 waiting"
	"[2001:db8:a::66] [$RELAY6]  20002 0 3 waiting"
	"192.0.2.2        $RELAY4    20000 3 0 learned"
	"192.0.2.66       $RELAY4    20002 3 0 learned"
	"192.0.2.130      $RELAY4    20006 0 3 waiting"
	"192.0.2.200      $RELAY4    20008 0 3 waiting"
	"[2001:db8:a::2]  [$RELAY6]  20000 3 0 learned"
)
latch_b=()
from_a=()
{
	echo "net10 network add id 10" \
		"allow 192.0.2.0/26,192.0.2.66/32,192.0.2.128/27,198.51.100.0/24,2001:db8:a::/64,2001:db8:b::/64" \
		"deny 192.0.2.64/26,192.0.2.128/27,2001:db8:a::66/128"
	echo "net20 network add id 20 deny 192.0.2.64/26"
	echo "inst4 instance add id 1 network 10 addr $RELAY4 ports 20000-20099"
	echo "inst6 instance add id 2 network 10 addr $RELAY6 ports 20000-20099"
	echo "shared instance add id 3 network 0 addr $RELAY4 ports 21000-21099"
	for i in "${!cases[@]}"; do
		read -r src relay port _ <<< "${cases[$i]}"
		inst=1
		b=$B4
		if [ "$relay" != "$RELAY4" ]; then
			inst=2
			b=[$B6]
		fi
		echo "case$i session add instance $inst a $port b $((port + 1))"
		latch_b+=("--bind $b:6000 --to $relay:$((port + 1))")
		from_a+=("--bind $src:5000 --to $relay:$port --count 3")
	done
	echo "s20 session add instance 3 network 20 a 21000 allow 192.0.2.0/24 deny 192.0.2.2/32 b 21001"
	echo "s21 session add instance 3 network 20 a 21002 b 21003"
	echo "s22 session add instance 3 network 20 a 21004 learn from 192.0.2.128/25 b 21005"
} > "$TEST_TMP/setup.batch"
rctl_batch < "$TEST_TMP/setup.batch"
batch_ok "network 10 created with allow and deny lists" net10
batch_ok "network 20 created with a deny list only" net20
batch_ok "instances of network 10 (IPv4, IPv6) and a shared one" shared
sessions=()
for i in "${!cases[@]}"; do
	read -r "sessions[$i]" < "$TEST_TMP/case$i.out"
done
check "a session of network 10 for each source" \
	test "$(printf '%s ' "${sessions[@]}")" = "$(printf '%d ' "${sessions[@]}" 2>/dev/null)"
batch_id s20 "s20: side a with its own allow and deny lists" s20
batch_id s21 "s21: no lists of its own" s21
batch_id s22 "s22: side a learns only from 192.0.2.128/25" s22

check "B latches side b of every session" udp_sends "$NS_B" "${latch_b[@]}" \
	"--bind $B4:6000 --to $RELAY4:21001" "--bind $B4:6000 --to $RELAY4:21003" \
	"--bind $B4:6000 --to $RELAY4:21005"
recv_start at_b4 "$NS_B" "$B4:6000" 12
recv_start at_b6 "$NS_B" "[$B6]:6000" 3
check "A sends 3 datagrams from each source" udp_sends "$NS_A" "${from_a[@]}" \
	"--bind 192.0.2.2:5000 --to $RELAY4:21000 --count 3" \
	"--bind 192.0.2.70:5000 --to $RELAY4:21000 --count 3" \
	"--bind 192.0.2.66:5000 --to $RELAY4:21000 --count 3" \
	"--bind 192.0.2.130:5000 --to $RELAY4:21000 --count 3" \
	"--bind 192.0.2.200:5000 --to $RELAY4:21000 --count 3" \
	"--bind 192.0.2.200:5000 --to $RELAY4:21002 --count 3" \
	"--bind 192.0.2.70:5000 --to $RELAY4:21002 --count 3" \
	"--bind 192.0.2.2:5000 --to $RELAY4:21004 --count 3"
bg_wait at_b4
bg_wait at_b6
check_eq "B got over IPv4 what .2, .66 (network 10), .130 (s20) and .200 (s21) sent" \
	"$(printf '%s\n' "3 from $RELAY4:20001 len 64" "3 from $RELAY4:20003 len 64" \
		"3 from $RELAY4:21001 len 64" "3 from $RELAY4:21003 len 64")" "$(recv_froms at_b4)"
check_eq "B got over IPv6 what 2001:db8:a::2 sent, nothing of ::66" \
	"3 from [$RELAY6]:20001 len 64" "$(recv_froms at_b6)"

expect "network show gives network 10's lists back" \
	"192.0.2.0/26,192.0.2.128/27,192.0.2.66/32,198.51.100.0/24,2001:db8:a::/64,2001:db8:b::/64 192.0.2.128/27,192.0.2.64/26,2001:db8:a::66/128" \
	'n(10) | "\(.admission.allow | sort | join(",")) \(.admission.deny | sort | join(","))"'
expect "session show gives s20's side lists back" "192.0.2.0/24 192.0.2.2/32" \
	"s($s20).a.admission | \"\(.allow | join(\",\")) \(.deny | join(\",\"))\""
for i in "${!cases[@]}"; do
	read -r src _ _ packets denied state <<< "${cases[$i]}"
	expect "network 10, source $src: $([ "$packets" = 0 ] && echo refused || echo admitted)" \
		"$packets $denied $state" \
		"s(${sessions[$i]:-0}).a | \"\(.stats.packets) \(.stats.drop_denied) \(.state)\""
done
side_a='.a | "\(.stats.packets) \(.stats.drop_denied) \(.stats.drop_unknown_source) \(.stats.drop_bad_source) \(.peer)"'
expect "s20: 9 refused (side, then network), .130 latched and forwarded, .200 unknown" \
	"3 9 3 0 192.0.2.130:5000" "s(${s20:-0}) | $side_a"
expect "s21: .200 latched and forwarded, then .70 refused before the source check" \
	"3 3 0 0 192.0.2.200:5000" "s(${s21:-0}) | $side_a"
expect "s22: .2 admitted but refused by the latch filter" "0 0 0 3 null" "s(${s22:-0}) | $side_a"
# Per network: packets, refused, not paired (B's latching datagrams),
# unknown source, bad source.
totals='"\(.stats.packets) \(.stats.drop_denied) \(.stats.drop_not_paired) \(.stats.drop_unknown_source) \(.stats.drop_bad_source)"'
expect "network 10 totals: 9 forwarded, 12 refused, 7 not paired" "9 12 7 0 0" "n(10) | $totals"
expect "network 20 totals: 6 forwarded, 12 refused, 3 not paired, 3 unknown, 3 bad" \
	"6 12 3 3 3" "n(20) | $totals"
expect "refusals per instance (inst4 inst6 shared) and in the namespace" "9 3 12 24" \
	'"\(i(1).stats.drop_denied) \(i(2).stats.drop_denied) \(i(3).stats.drop_denied) \(.stats.stats.drop_denied)"'
expect_datapath
verify

# The refusals of .70 and a::66 came first: the events' rate limit cannot
# have hidden them. One jq run answers all three questions.
wait_until 5 grep -q '"source":"\[2001:db8:a::66\]:5000"' "$TEST_TMP/events.out"
drops=$(jq -rnR --arg s70 "${sessions[0]:-0}" --arg s66 "${sessions[1]:-0}" '
	[inputs | fromjson? | select(.event == "policy-drop" and .network == 10)] |
	(map(select(.side == "a" and .reason == "denied")) as $d |
	 ($d | any(.session == ($s70 | tonumber) and .source == "192.0.2.70:5000")),
	 ($d | any(.session == ($s66 | tonumber) and .source == "[2001:db8:a::66]:5000"))),
	(map(select(.source | test("^192\\.0\\.2\\.(2|66):|a::2\\]"))) | length)' \
	"$TEST_TMP/events.out")
check_eq "policy-drop events for 192.0.2.70:5000 and [2001:db8:a::66]:5000, none for admitted sources" \
	"true true 0" "${drops//$'\n'/ }"

ktap_finish
