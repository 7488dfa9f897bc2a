#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native (run again with XDP attached, see run-guest.sh)
# vm: alone (it measures rates)
# lanes: debian (rates measured against the wall clock over 2 s: under emulation a debug kernel, 12 times slower, runs in bursts and refills its buckets across them)
#
# Rate limits: token buckets in packets and in payload bits per second, of
# one session, of a whole network, and a network's default for each of its
# sessions. Senders 2.5 to 3 times faster than the limit run for 2 s, all
# at once; what passes must match the limit within 20% once the burst is
# taken off, and every datagram is either forwarded or counted as
# rate-limited. (Emulation is slow: the limits are low enough for senders
# to exceed them for sure. The measured buckets hold half a second: the
# emulated CPU stalls for a tenth of a second at times, and the datagrams
# held up then arrive in a clump that a smaller bucket would partly refuse.)
# A full bucket lets exactly its burst through back to back. Replacing a
# network's policy keeps its buckets' tokens.
#
#   ns A: 192.0.2.2, one source port per session   ns B: 198.51.100.2, one port each
#        |                                                   |
#        +--veth-- to_a [ns relay 203.0.113.1] to_b --veth---+
#
#   network 10 (empty policy), inst 1, ports 20100-20199:
#     s1  rate pps 100 burst 50           A:5000 -> :20100, :20101 -> B:6000, 250/s
#     s2  rate pps 5 burst 20             A:5001 -> :20102 ... B:6001, 20 back to back
#     s3  rate pps 5 burst 20             A:5002 -> :20104 ... B:6002, 30 back to back
#     s4  rate bps 100k burst-bytes 6250  A:5003 -> :20106 ... B:6003, 500 B at 75/s
#   network 20: rate pps 100 burst 50 (all its sessions together), inst 2, 20200-20299:
#     s5, s6                              A:5004, A:5005 -> :20200, :20202, 125/s each
#   network 30: session-rate pps 50 burst 25 (each session), inst 3, 20300-20399:
#     s7, s8 (none of their own)          A:5006, A:5007 -> :20300, :20302, 125/s each
#     s9  rate pps 100 burst 50 (its own) A:5008 -> :20304, 250/s
#   network 40: rate pps 1 burst 10, inst 4, 20400-20499:
#     s10                                 A:5009 -> :20400, :20401 -> B:6009
#   Every side pinned to its peer: session k between A:5000+k-1 and B:6000+k-1.

source "$(dirname "$0")/common.sh"

ktap_plan 38

FLOOD_MS=2000

# session N INSTANCE PORT [OPTIONS...]: the batch line creating session sN
# on PORT and PORT+1, between A:5000+N-1 and B:6000+N-1.
session()
{
	echo "s$1 session add instance $2 ${*:4} a $3 peer $A4:$((4999 + $1))" \
		"b $(($3 + 1)) peer $B4:$((5999 + $1))"
}

# sent_of NAME: "DATAGRAMS MILLISECONDS" from sender NAME's report.
sent_of()
{
	sed -n 's/^sent \([0-9]*\) datagrams [0-9]* bytes in \([0-9]*\) ms$/\1 \2/p' \
		"$TEST_TMP/$1.sent"
}

# floods NAME:SPEC...: udp_peer senders, all started at once in A; each
# one's report lands in $TEST_TMP/NAME.sent.
floods()
{
	ip netns exec "$NS_A" bash -c 'peer=$1 dir=$2; shift 2
		for flood; do
			"$peer" send ${flood#*:} > "$dir/${flood%%:*}.sent" 2>&1 &
		done
		wait' - "$UDP_PEER" "$TEST_TMP" "$@"
}

# check_rate DESCRIPTION LIMIT BURST SENT ELAPSED_MS PASSED: PASSED units
# went through while SENT were offered in ELAPSED_MS; the limit is LIMIT a
# second with a burst of BURST. What passed beyond the burst must be within
# 20% of it. A sender that could not offer twice the limit (the host did not
# let the VM run) measured nothing: that is a skip, not a pass.
check_rate()
{
	local desc=$1 limit=$2 burst=$3 sent=$4 ms=$5 passed=$6 measured offered

	if [ -z "$sent" ] || [ -z "$ms" ] || [ -z "$passed" ] || [ "$ms" = 0 ]; then
		fail "$desc" "no figures: sent '$sent' in '$ms' ms, passed '$passed'"
		return
	fi
	measured=$(((passed - burst) * 1000 / ms))
	offered=$((sent * 1000 / ms))
	if [ "$offered" -lt $((2 * limit)) ]; then
		pass "$desc # SKIP the sender offered only $offered/s, not twice the limit"
	elif [ $((measured * 10)) -lt $((limit * 8)) ] || [ $((measured * 10)) -gt $((limit * 12)) ]; then
		fail "$desc" "measured $measured/s, limit $limit/s ($passed passed, burst $burst," \
			"in $ms ms, offered $offered/s)"
	else
		pass "$desc: $measured/s (offered $offered/s)"
	fi
}

setup_topology || ktap_bail "three namespaces wired"
monitor_start events || ktap_bail "the monitor receives events"

{
	echo "net10 network add id 10"
	echo "net20 network add id 20 rate pps 100 burst 50"
	echo "net30 network add id 30 session-rate pps 50 burst 25"
	echo "net40 network add id 40 rate pps 1 burst 10"
	for n in 1 2 3 4; do
		echo "inst$n instance add id $n network ${n}0 addr $RELAY4 ports 20${n}00-20${n}99"
	done
	session 1 1 20100 rate pps 100 burst 50
	session 2 1 20102 rate pps 5 burst 20
	session 3 1 20104 rate pps 5 burst 20
	session 4 1 20106 rate bps 100k burst-bytes 6250
	session 5 2 20200
	session 6 2 20202
	session 7 3 20300
	session 8 3 20302
	session 9 3 20304 rate pps 100 burst 50
	session 10 4 20400
} > "$TEST_TMP/setup.batch"
rctl_batch < "$TEST_TMP/setup.batch"
batch_ok "network 10: an empty policy" net10
batch_ok "network 20: 100 packets/s for all its sessions" net20
batch_ok "network 30: 50 packets/s for each session" net30
batch_ok "network 40: 1 packet/s, burst 10" net40
batch_ok "an instance for each network" inst4
for n in 1 2 3 4 5 6 7 8 9 10; do
	batch_id "s$n" "s$n created" "s$n"
done

# Bursts: a full bucket passes 20 back to back; of 30, the 20 and what the
# bucket regained meanwhile (5/s).
recv_start burst20 "$NS_B" "$B4:6001" 20
udp_send "$NS_A" --bind "$A4:5001" --to "$RELAY4:20102" --count 20
check_bg "s2: all 20 datagrams of a burst of 20 pass" burst20
tally_start burst30 "$NS_B" "$B4:6002"
ip netns exec "$NS_A" "$UDP_PEER" send --bind "$A4:5002" --to "$RELAY4:20104" --count 30 \
	> "$TEST_TMP/burst30.sent"
read -r _ burst_ms <<< "$(sent_of burst30)"
tally_of burst30
read -r burst_passed _ <<< "$TALLY"
if [ -n "$burst_passed" ] && [ "$burst_passed" -ge 20 ] &&
   [ "$burst_passed" -le $((20 + 1 + 5 * ${burst_ms:-0} / 1000)) ]; then
	pass "s3: of 30 back to back in $burst_ms ms, the burst of 20 and no more passed ($burst_passed)"
else
	fail "s3: of 30 back to back, the burst of 20 and no more passed" \
		"$burst_passed passed; sent in $burst_ms ms"
fi

# The receivers run until stopped: a starved sender may pause for longer
# than any idle time would allow.
for i in 0 3 4 5 6 7 8; do
	tally_start "at_b$i" "$NS_B" "$B4:$((6000 + i))" --quiet --idle-ms 0
done
floods "s1:--bind $A4:5000 --to $RELAY4:20100 --rate 250 --duration-ms $FLOOD_MS" \
	"s4:--bind $A4:5003 --to $RELAY4:20106 --rate 75 --duration-ms $FLOOD_MS --size 500" \
	"s5:--bind $A4:5004 --to $RELAY4:20200 --rate 125 --duration-ms $FLOOD_MS" \
	"s6:--bind $A4:5005 --to $RELAY4:20202 --rate 125 --duration-ms $FLOOD_MS" \
	"s7:--bind $A4:5006 --to $RELAY4:20300 --rate 125 --duration-ms $FLOOD_MS" \
	"s8:--bind $A4:5007 --to $RELAY4:20302 --rate 125 --duration-ms $FLOOD_MS" \
	"s9:--bind $A4:5008 --to $RELAY4:20304 --rate 250 --duration-ms $FLOOD_MS"
declare -A sent ms got got_bytes
nap 1
for i in 0 3 4 5 6 7 8; do
	tally_stop "at_b$i"
	read -r "got[$i]" "got_bytes[$i]" <<< "$TALLY"
	read -r "sent[$i]" "ms[$i]" <<< "$(sent_of "s$((i + 1))")"
done

check_rate "s1: its own 100 packets/s" 100 50 "${sent[0]}" "${ms[0]}" "${got[0]}"
# In bits: 500-byte payloads, a burst of 6250 bytes.
check_rate "s4: its own 100 kbit/s of payload" 100000 50000 \
	"$((${sent[3]:-0} * 4000))" "${ms[3]}" "$((${got_bytes[3]:-0} * 8))"
check_rate "s5 + s6: network 20's 100 packets/s for both together" 100 50 \
	"$((${sent[4]:-0} + ${sent[5]:-0}))" "$((ms[4] > ms[5] ? ms[4] : ms[5]))" \
	"$((${got[4]:-0} + ${got[5]:-0}))"
check_rate "s7: network 30's 50 packets/s for each session" 50 25 \
	"${sent[6]}" "${ms[6]}" "${got[6]}"
check_rate "s8: network 30's 50 packets/s, a bucket of its own" 50 25 \
	"${sent[7]}" "${ms[7]}" "${got[7]}"
check_rate "s9: its own 100 packets/s in place of network 30's" 100 50 \
	"${sent[8]}" "${ms[8]}" "${got[8]}"

# Network 40's bucket: 10 back to back empty it; a replace with the same
# limit must not refill it, so the next 10 get only what 1/s gave back.
recv_start first10 "$NS_B" "$B4:6009" 10
start=${EPOCHREALTIME/./}
udp_send "$NS_A" --bind "$A4:5009" --to "$RELAY4:20400" --count 10
check_bg "s10: a burst of 10 passes network 40's full bucket" first10
check "network 40 replaced with the same limit" rctl network set id 40 rate pps 1 burst 10
tally_start next10 "$NS_B" "$B4:6009"
udp_send "$NS_A" --bind "$A4:5009" --to "$RELAY4:20400" --count 10
waited=$(((${EPOCHREALTIME/./} - start) / 1000000 + 1))
tally_of next10
read -r passed _ <<< "$TALLY"
if [ "$waited" -ge 10 ]; then
	fail "s10: the replace kept the bucket's state" \
		"the steps took $waited s: a bucket refilled at 1/s would be full again"
elif [ -n "$passed" ] && [ "$passed" -le "$waited" ]; then
	pass "s10: the replace kept the bucket's state ($passed passed after ${waited} s)"
else
	fail "s10: the replace kept the bucket's state" \
		"$passed of 10 passed, at most $waited (1/s) expected: the bucket was refilled"
fi

# Every datagram offered is forwarded or counted as rate-limited, nothing else.
others='[.a.stats, .b.stats] | map(to_entries[] | select(.key | startswith("drop_")) |
	select(.key != "drop_rate_limit") | .value) | add'
for i in 0 3 4 5 6 7 8; do
	sess_var=s$((i + 1))
	expect "s$((i + 1)): forwarded as received, the rest rate-limited, no other drop" \
		"${got[$i]} $((${sent[$i]:-0} - ${got[$i]:-0})) 0" \
		"s(${!sess_var:-0}) | \"\(.a.stats.packets) \(.a.stats.drop_rate_limit) \($others)\""
done
expect "s3: what did not pass counted as rate-limited" "$burst_passed $((30 - ${burst_passed:-0}))" \
	"s(${s3:-0}).a.stats | \"\(.packets) \(.drop_rate_limit)\""
expect "session show gives s4's limit back" "100000 6250" \
	"s(${s4:-0}).rate_limit | \"\(.bits_per_second) \(.burst_bytes)\""
expect "network 20 counts both sessions' forwards and drops" \
	"$((${got[4]:-0} + ${got[5]:-0})) $((${sent[4]:-0} + ${sent[5]:-0} - ${got[4]:-0} - ${got[5]:-0}))" \
	'n(20).stats | "\(.packets) \(.drop_rate_limit)"'
expect_datapath
verify
# s3's were the test's first refusals: the events' rate limit (about ten a
# second, sampled as they come) cannot have hidden them all.
check "policy-drop event for s3's burst, reason rate-limit" monitor_wait events 5 \
	".event == \"policy-drop\" and .session == ${s3:-0} and .network == 10 and .side == \"a\" and
	 .reason == \"rate-limit\" and .source == \"$A4:5002\""

ktap_finish
