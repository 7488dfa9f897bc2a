#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native (run again with XDP attached, see run-guest.sh)
#
# Replacing a network's policy under traffic: while two flows run, the
# network's ruleset is replaced 30 times, alternating a small ruleset with
# one of a thousand prefixes. Every datagram of the flow both rulesets
# admit arrives; every datagram of the flow only one of them admits is
# either forwarded or counted as refused. Bad requests tried half-way,
# those xrelayctl catches and those only the kernel can, are refused with a
# message and leave the policy as it was.
#
#   ns A                      ns relay                              ns B
#   192.0.2.2:5000    inst 203.0.113.1:20000-20099 (network 10)   198.51.100.2:6000
#   192.0.2.66:5001                                               198.51.100.2:6001
#        |                                                              |
#        +--veth-- to_a          (no IP forwarding)        to_b --veth--+
#
#   s1  a 20000 peer 192.0.2.2:5000   b 20001 peer B:6000   admitted by both rulesets
#   s2  a 20002 peer 192.0.2.66:5001  b 20003 peer B:6001   admitted by Y only
#   X:  allow 192.0.2.0/24,198.51.100.0/24 deny 192.0.2.66/32
#       rate pps 100000 burst 10000 session-rate pps 100000      (never reached)
#   Y:  allow-file: 192.0.2.0/24, 198.51.100.0/24 and 1000 /24s of 10.0.0.0/8
#       deny 192.0.2.70/32 session-quota 1G max-sessions 100
#   Both flows at 200 datagrams/s from before the first replace to after
#   the last. After replace 15 (X) the bad requests are tried.

source "$(dirname "$0")/common.sh"

ktap_plan 14

REPLACES=30

# The bad requests, tried in this order.
bad=(
	"set id 10 allow 192.0.2.1/24"
	"set id 10 deny 192.0.2.0/33"
	"set id 10 rate pps 0"
	"set id 10 allow-file $TEST_TMP/bad.list"
	"set id 10 allow-file $TEST_TMP/too-many.list"
	"add id 10 session-quota 1G"
	"del id 10"
)

setup_topology || ktap_bail "three namespaces wired"
ip -n "$NS_A" addr add 192.0.2.66/24 dev veth0 || ktap_bail "A's second address"
{
	echo "# the members"
	echo 192.0.2.0/24
	echo 198.51.100.0/24
	awk 'BEGIN { for (i = 0; i < 1000; i++) printf "10.%d.%d.0/24\n", i / 256, i % 256 }'
} > "$TEST_TMP/big.list"
printf '192.0.2.0/24\nnot-a-prefix\n' > "$TEST_TMP/bad.list"
awk 'BEGIN { for (i = 0; i <= 65536; i++) printf "10.%d.%d.%d/32\n", i / 65536, i / 256 % 256, i % 256 }' \
	> "$TEST_TMP/too-many.list"
rules_x="allow 192.0.2.0/24,198.51.100.0/24 deny 192.0.2.66/32 rate pps 100000 burst 10000 session-rate pps 100000"
rules_y="allow-file $TEST_TMP/big.list deny 192.0.2.70/32 session-quota 1G max-sessions 100"

rctl_batch <<-EOF
	net10 network add id 10 $rules_x
	inst instance add id 1 network 10 addr $RELAY4 ports 20000-20099
	s1 session add instance 1 a 20000 peer $A4:5000 b 20001 peer $B4:6000
	s2 session add instance 1 a 20002 peer 192.0.2.66:5001 b 20003 peer $B4:6001
EOF
batch_ok "network 10 created with ruleset X" net10
batch_ok "an instance of network 10" inst
batch_id s1 "s1: the flow both rulesets admit" s1
batch_id s2 "s2: the flow only Y admits" s2

# The receivers run until stopped: s2's flow pauses while X is in force,
# and a starved sender may pause for longer than any idle time would allow.
tally_start at_b0 "$NS_B" "$B4:6000" --timeout-ms 120000 --idle-ms 0
tally_start at_b1 "$NS_B" "$B4:6001" --timeout-ms 120000 --idle-ms 0
bg_start flow1 "$NS_A" "$UDP_PEER" send --bind "$A4:5000" --to "$RELAY4:20000" \
	--rate 200 --count 0 --duration-ms 120000
bg_start flow2 "$NS_A" "$UDP_PEER" send --bind 192.0.2.66:5001 --to "$RELAY4:20002" \
	--rate 200 --count 0 --duration-ms 120000
wait_until 5 grep -q '^from ' "$TEST_TMP/at_b0.out" || ktap_bail "the flows run"

# One visit to the relay's namespace for all replaces; the log says what
# happened. The policy as shown, less its counters, must not change with the
# bad requests.
loop_start=${EPOCHREALTIME/./}
ip netns exec "$NS_R" bash -c 'ctl=$1 replaces=$2 x=$3 y=$4 err=$5; shift 5
	policy() {
		"$ctl" -j network show id 10 | sed "s/\"sessions\":[0-9]*//; s/\"stats\":{[^}]*}//"
	}
	for i in $(seq 1 "$replaces"); do
		rules=$x
		[ $((i % 2)) = 0 ] && rules=$y
		"$ctl" network set id 10 $rules || { echo "replace $i failed"; exit 1; }
		echo "replace $i"
		[ "$i" = $((replaces / 2)) ] || continue
		before=$(policy)
		for bad; do
			if "$ctl" network $bad 2> "$err"; then
				echo "bad request accepted: $bad"
			elif read -r message < "$err"; then
				echo "bad request refused: $message"
			else
				echo "bad request refused without a message: $bad"
			fi
		done
		[ "$before" = "$(policy)" ] && echo "the bad requests left the policy as it was"
	done' - "$XRELAYCTL" "$REPLACES" "$rules_x" "$rules_y" "$TEST_TMP/bad.err" "${bad[@]}" \
	> "$TEST_TMP/replace.log" 2>&1
diag "the replaces took $(((${EPOCHREALTIME/./} - loop_start) / 1000)) ms"
bg_stop flow1
bg_stop flow2
check_eq "$REPLACES replaces done under traffic" "$REPLACES" \
	"$(grep -c '^replace [0-9]*$' "$TEST_TMP/replace.log")"
check_eq "all ${#bad[@]} bad requests refused with a message" "${#bad[@]}" \
	"$(grep -c '^bad request refused: .' "$TEST_TMP/replace.log")"
check_eq "they left the policy as it was" 1 \
	"$(grep -c '^the bad requests left the policy as it was' "$TEST_TMP/replace.log")"
grep '^bad\|failed' "$TEST_TMP/replace.log" | sed 's/^/# /'

read -r sent1 _ <<< "$(sed -n 's/^sent \([0-9]*\) .*/\1/p' "$TEST_TMP/flow1.out")"
read -r sent2 _ <<< "$(sed -n 's/^sent \([0-9]*\) .*/\1/p' "$TEST_TMP/flow2.out")"
# The last datagrams are still on their way: longer on a slower kernel.
nap "$(scaled 1)"
tally_stop at_b0
read -r got1 _ <<< "$TALLY"
tally_stop at_b1
read -r got2 _ <<< "$TALLY"
check_eq "s1: every one of the $sent1 datagrams sent arrived" "$sent1" "$got1"

drops='[.a.stats, .b.stats] | map(to_entries[] | select(.key | startswith("drop_")) | .value) | add'
expect "s1: counted as forwarded, none dropped" "$sent1 0" \
	"s(${s1:-0}) | \"\(.a.stats.packets) \($drops)\""
expect "s2: forwarded as received, forwarded and refused as sent" "$got2 $sent2" \
	"s(${s2:-0}).a.stats | \"\(.packets) \(.packets + .drop_denied)\""
expect "s2: both rulesets took effect under traffic" true \
	"s(${s2:-0}).a.stats | .packets > 0 and .drop_denied > 0"
expect "the policy is the last one set, Y" "1002 192.0.2.70/32 1000000000 100 none" \
	'n(10) | "\(.admission.allow | length) \(.admission.deny | join(",")) \(.session_quota) \(.max_sessions) \(.rate_limit // "none")"'
expect "network 10's totals: both flows, nothing rate-limited or past a quota" \
	"$((${sent1:-0} + ${got2:-0})) $((${sent2:-0} - ${got2:-0})) 0 0" \
	'n(10).stats | "\(.packets) \(.drop_denied) \(.drop_rate_limit) \(.drop_quota)"'
expect_datapath
verify

ktap_finish
