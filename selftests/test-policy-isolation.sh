#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native (run again with XDP attached, see run-guest.sh)
#
# Isolation: overlay networks sharing a relay, its address and even one
# instance. The same source gets each session's own network's verdict; a
# network's counters count its own sessions only; replacing one network's
# policy or exhausting its rate limit leaves the others alone; a network
# without a policy object stays unpoliced.
#
#   ns A                          ns relay                           ns B
#   192.0.2.2:5000     inst10 203.0.113.1:20000-20099 (network 10)  198.51.100.2:6000
#                      shared 203.0.113.1:21000-21099 (network 0)
#        |                                                               |
#        +--veth-- to_a           (no IP forwarding)        to_b --veth--+
#
#   s10  inst10 a 20000 b 20001            network 10: deny 192.0.2.0/24
#   s20  shared a 21000 b 21001, net 20    network 20: allow 192.0.2.0/24,198.51.100.0/24
#   s30  shared a 21002 b 21003, net 30    (no network object)
#   Every side pinned: A:5000 on side a, B:6000 on side b; A sends.
#
#   Round 1: 5 datagrams to each session. Round 2: network 20 replaced to
#   deny A as well; 5 to s20 and s30. Round 3: network 10 replaced with a
#   rate limit of 1/s, burst 2, and no lists; 10 to s10 and 10 to s30.

source "$(dirname "$0")/common.sh"

ktap_plan 23

# forwarded_from NAME PORT: how many datagrams receiver NAME got from relay PORT.
forwarded_from()
{
	local line n=0

	while read -r line; do
		[[ $line == "from $RELAY4:$2 "* ]] && n=$((n + 1))
	done < "$TEST_TMP/$1.out"
	echo "$n"
}

setup_topology || ktap_bail "three namespaces wired"

rctl_batch <<-EOF
	net10 network add id 10 deny 192.0.2.0/24
	net20 network add id 20 allow 192.0.2.0/24,198.51.100.0/24
	inst10 instance add id 1 network 10 addr $RELAY4 ports 20000-20099
	shared instance add id 2 network 0 addr $RELAY4 ports 21000-21099
	s10 session add instance 1 a 20000 peer $A4:5000 b 20001 peer $B4:6000
	s20 session add instance 2 network 20 a 21000 peer $A4:5000 b 21001 peer $B4:6000
	s30 session add instance 2 network 30 a 21002 peer $A4:5000 b 21003 peer $B4:6000
EOF
batch_ok "network 10 created: deny A's prefix" net10
batch_ok "network 20 created: allow A's and B's prefixes" net20
batch_ok "an instance of network 10 and a shared one" shared
batch_id s10 "s10 on network 10's instance" s10
batch_id s20 "s20 of network 20 on the shared instance" s20
batch_id s30 "s30 of network 30 (no policy) on the shared instance" s30

recv_start round1 "$NS_B" "$B4:6000" 10
udp_sends "$NS_A" "--bind $A4:5000 --to $RELAY4:20000 --count 5" \
	"--bind $A4:5000 --to $RELAY4:21000 --count 5" "--bind $A4:5000 --to $RELAY4:21002 --count 5"
bg_wait round1
check_eq "round 1, the same source: refused by network 10, forwarded for networks 20 and 30" \
	"0 5 5" "$(forwarded_from round1 20001) $(forwarded_from round1 21001) $(forwarded_from round1 21003)"
a_counts='.a.stats | "\(.packets) \(.drop_denied)"'
net_counts='"\(.sessions) \(.stats.packets) \(.stats.bytes) \(.stats.drop_denied)"'
expect "the namespace counts 2 networks, 3 sessions" "2 3" '"\(.stats.networks) \(.stats.sessions)"'
expect "network show lists networks 10 and 20 only" "10,20" '.networks | map(.id) | sort | join(",")'
expect "s10 (forwarded refused): 0 5" "0 5" "s(${s10:-0}) | $a_counts"
expect "s20: 5 0" "5 0" "s(${s20:-0}) | $a_counts"
expect "s30: 5 0" "5 0" "s(${s30:-0}) | $a_counts"
expect "network 10 counts its session only: 1 session, 0 packets, 5 refused" "1 0 0 5" \
	"n(10) | $net_counts"
expect "network 20 counts its session only: 1 session, 5 packets, 320 bytes" "1 5 320 0" \
	"n(20) | $net_counts"
verify

# Round 2: network 10's figures must not move, and s30, on the same
# instance as s20, must still pass.
check "network 20 replaced: deny A's prefix" rctl network set id 20 deny 192.0.2.0/24
recv_start round2 "$NS_B" "$B4:6000" 5
udp_sends "$NS_A" "--bind $A4:5000 --to $RELAY4:21000 --count 5" \
	"--bind $A4:5000 --to $RELAY4:21002 --count 5"
bg_wait round2
check_eq "round 2: only s30 forwards" "0 5" \
	"$(forwarded_from round2 21001) $(forwarded_from round2 21003)"

# Round 3: network 10's rate limit cuts its own session, not network 30's.
check "network 10 replaced: 1 packet/s, burst 2, no admission lists" \
	rctl network set id 10 rate pps 1 burst 2
tally_start round3 "$NS_B" "$B4:6000"
udp_sends "$NS_A" "--bind $A4:5000 --to $RELAY4:20000 --count 10" \
	"--bind $A4:5000 --to $RELAY4:21002 --count 10"
tally_of round3
read -r limited free <<< "$(forwarded_from round3 20001) $(forwarded_from round3 21003)"
if [ "$limited" -ge 2 ] && [ "$limited" -le 3 ] && [ "$free" -eq 10 ]; then
	pass "round 3: s10 forwarded its burst ($limited of 10), s30 all 10"
else
	fail "round 3: s10 forwarded its burst, s30 all 10" \
		"s10 forwarded $limited (2 or 3 expected), s30 $free"
fi

expect "network 20 after round 2: 5 packets, 5 refused" "1 5 320 5" "n(20) | $net_counts"
expect "network 10 unchanged by network 20's replace, then its own counts" \
	"1 $limited $((limited * 64)) 5" "n(10) | $net_counts"
expect "rate-limited: the rest of network 10's round 3, nothing in network 20" \
	"$((10 - limited)) 0" '"\(n(10).stats.drop_rate_limit) \(n(20).stats.drop_rate_limit)"'
expect "the namespace's totals are its instances'" true \
	'.stats as $t | [.stats.instance[].stats] as $i | $t.stats | keys |
	 all(. as $k | $t.stats[$k] == ($i | map(.[$k]) | add))'
expect_datapath
verify

ktap_finish
