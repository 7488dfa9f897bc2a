#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native (run again with XDP attached, see run-guest.sh)
#
# Quotas and session caps. A session forwards at most its quota of payload
# bytes, both directions together, its own or its network's default; the
# rest is dropped and counted. A network holds at most max-sessions
# sessions, counting those created before its policy existed; other
# networks on the same instance are not held back; a network with sessions
# cannot be deleted, and its totals outlive its sessions.
#
#   ns A 192.0.2.2                   ns relay                    ns B 198.51.100.2
#        |         inst 1  203.0.113.1:20000-20099 (network 10)       |
#        +-to_a    inst 2  203.0.113.1:21000-21099 (shared)     to_b-+
#
#   network 10: session-quota 500
#     s1  quota 1000 (its own)   a 20000 peer A:5000   b 20001 peer B:6000
#     s2  (the network's 500)    a 20002 peer A:5001   b 20003 peer B:6001
#     s1: A sends 6, then B 6 (4 fit), then A 1 more; s2: A sends 8 (5 fit).
#   network 20: max-sessions 2, sessions on the shared instance
#   network 40: 2 sessions first, then a policy with max-sessions 2
#   100-byte datagrams throughout.

source "$(dirname "$0")/common.sh"

ktap_plan 29

setup_topology || ktap_bail "three namespaces wired"
monitor_start events || ktap_bail "the monitor receives events"

rctl_batch <<-EOF
	net10 network add id 10 session-quota 500
	inst instance add id 1 network 10 addr $RELAY4 ports 20000-20099
	shared instance add id 2 network 0 addr $RELAY4 ports 21000-21099
	s1 session add instance 1 quota 1000 a 20000 peer $A4:5000 b 20001 peer $B4:6000
	s2 session add instance 1 a 20002 peer $A4:5001 b 20003 peer $B4:6001
EOF
batch_ok "network 10: 500 bytes for each session" net10
batch_ok "an instance of network 10 and a shared one" shared
batch_id s1 "s1 with a quota of its own, 1000 bytes" s1
batch_id s2 "s2 with the network's quota" s2

# s1: 600 bytes from A, then B's fill the quota at 1000; A's next one is past it.
recv_start at_b "$NS_B" "$B4:6000" 6
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 6 --size 100
bg_wait at_b
check_eq "s1: B got A's 6 datagrams" "6 from $RELAY4:20001 len 100" "$(recv_froms at_b)"
tally_start at_a "$NS_A" "$A4:5000"
udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:20001" --count 6 --size 100
tally_of at_a
check_eq "s1: A got 4 of B's 6, the quota's last 400 bytes" "4 400" "$TALLY"
tally_start at_b1 "$NS_B" "$B4:6001"
udp_sends "$NS_A" "--bind $A4:5000 --to $RELAY4:20000 --size 100" \
	"--bind $A4:5001 --to $RELAY4:20002 --count 8 --size 100"
tally_of at_b1
check_eq "s2: B got 5 of 8, the network's 500 bytes" "5 500" "$TALLY"

expect "session show gives s1's quota back" 1000 "s(${s1:-0}).quota"
expect "s1 (packets bytes past-quota): a 6 600 1, b 4 400 2" "6 600 1 4 400 2" \
	"s(${s1:-0}) | \"\(.a.stats.packets) \(.a.stats.bytes) \(.a.stats.drop_quota) \(.b.stats.packets) \(.b.stats.bytes) \(.b.stats.drop_quota)\""
expect "s2: 5 forwarded, 3 past the quota" "5 3" \
	"s(${s2:-0}).a.stats | \"\(.packets) \(.drop_quota)\""
expect "network 10: 15 packets, 1500 bytes, 6 past quotas" "15 1500 6" \
	'n(10).stats | "\(.packets) \(.bytes) \(.drop_quota)"'
expect_datapath
verify
check "policy-drop event for s2, reason quota" monitor_wait events 5 \
	".event == \"policy-drop\" and .session == ${s2:-0} and .network == 10 and .reason == \"quota\""

# Session caps. Network 40's sessions come before its policy.
rctl_batch <<-EOF
	s2del session del id ${s2:-0}
	net20 network add id 20 max-sessions 2
	n20a session add instance 2 network 20 a 21000 b 21001
	n20b session add instance 2 network 20 a 21002 b 21003
	n20c session add instance 2 network 20 a 21004 b 21005
	n30 session add instance 2 network 30 a 21004 b 21005
	n40a session add instance 2 network 40 a 21010 b 21011
	n40b session add instance 2 network 40 a 21012 b 21013
	net40 network add id 40 max-sessions 2
	n40c session add instance 2 network 40 a 21014 b 21015
	net20del network del id 20
EOF
batch_ok "s2 deleted" s2del
batch_ok "network 20: at most 2 sessions" net20
batch_ok "network 20: first session" n20a
batch_ok "network 20: second session" n20b
batch_refused "network 20: a third refused" "network.*session limit|session limit.*network" n20c
batch_ok "network 30 (no policy) still gets a session on the same instance" n30
batch_ok "network 40: 2 sessions before it has a policy" n40b
batch_ok "network 40: at most 2 sessions" net40
batch_refused "network 40: a third refused" "network.*session limit|session limit.*network" n40c
batch_refused "network 20 with sessions cannot be deleted" "Error: ." net20del

expect "network 10's totals outlive s2" "1 15 1500 6" \
	'n(10) | "\(.sessions) \(.stats.packets) \(.stats.bytes) \(.stats.drop_quota)"'
expect "sessions of networks 20 and 40: 2 each, as their caps" "2 2" \
	'"\(n(20).sessions) \(n(40).sessions)"'
expect "no session took network 20's refused ports for network 20" "30" \
	'[.sessions[] | select(.a.port == 21004) | .network] | map(tostring) | join(",")'
verify

check "network 20 replaced: at most 3" rctl network set id 20 max-sessions 3
check "network 20: now a third fits" \
	rctl session add instance 2 network 20 a 21006 b 21007
check "network 20 deleted once its sessions are gone" \
	eval "rctl session flush network 20 && rctl network del id 20"

ktap_finish
