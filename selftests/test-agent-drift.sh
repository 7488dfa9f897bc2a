#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Drift: sessions and instances added or deleted by hand with xrelayctl are
# reported and corrected at the next resync (every second here); a session
# whose description does not change keeps its id, learned peers and
# counters through every reconcile (a one-session change arrives as a
# delta state); and applying the same state again changes nothing.
#
#   ns A                        ns relay                               ns B
#   udp_peer                xrelay-ctld, xrelay-agent (resync 1 s)     udp_peer
#   192.0.2.2:5000          xrelay.ko: "keep" 40000 <-> 40001 (traffic) 198.51.100.2:6000
#   veth0 ---------- to_a               "other" 40002 <-> 40003  to_b ----- veth0
#                           by hand: a session 40050/40051, instance 7 (30000-30009)

source "$(dirname "$0")/agent-common.sh"

ktap_plan 16

keep_other()
{
	yaml_session keep 40000 40001
	yaml_session other 40002 40003 "" "" "${1:-idle-timeout: 3m}"
}

# A's datagram latches side a, B's latches side b and is forwarded to A.
traffic()
{
	udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:40000" --count 1 &&
	recv_start recv "$NS_A" "$A4:5000" 1 5000 &&
	udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:40001" --count 1 &&
	bg_wait recv
}

keep_state()
{
	session_at 40000 '"\(.id) \(.a.peer) \(.b.peer) \(.b.stats.packets)"'
}

agent_setup || ktap_bail "topology, PKI and YAML"
yaml_sessions "$(keep_other)"
ctld_start || ktap_bail "xrelay-ctld started" "$(bg_out ctld)"
agent_start
check "the agent applies the state and reports it in sync" wait_until 20 agent_in_sync
check "traffic latches both sides of session keep" traffic
keep=$(keep_state)

rctl session add instance 1 a 40050 b 40051 > /dev/null
check "a session added by hand is deleted" wait_until 10 session_gone 40050
rctl session del instance 1 port 40002
check "a session deleted by hand is created again" wait_until 10 session_exists 40002
rctl instance add id 7 network 10 addr "$RELAY4" ports 30000-30009 > /dev/null
check "an instance added by hand is deleted" \
	wait_until 10 eval "! rctl instance show id 7 > /dev/null 2>&1"
check "the agent logged each correction" \
	eval "agent_log_has 'drift: session instance 1 ports 40050-40051 is not in the desired state' &&
	      agent_log_has 'drift: session other (instance 1 ports 40002-40003) is missing' &&
	      agent_log_has 'drift: instance 7 is not in the desired state'"
check "and reported them to ctld" \
	wait_until 10 eval 'ctld_metrics && [ "$(reported drift_corrected_total)" -ge 3 ]'

yaml_sessions "$(keep_other "idle-timeout: 4m")"
check_value "a changed session is replaced with its new description" 240 \
	session_at 40002 .idle_timeout
check_value "the unchanged session kept its id, peers and counters" "$keep" keep_state
check "the one-session change came from ctld as a delta" \
	agent_log_has ': 1 sessions upserted, 0 removed, 2 held'
check "the agent reports the change applied" wait_until 10 agent_in_sync
check_value "ctld has the session's and the network's counters" "1 2" \
	eval 'ctld_metrics && echo "$(reported_session keep b_packets) $(reported_network corp sessions)"'
check_value "the agent's Prometheus file has them too" 2 \
	eval "sed -n 's/^xrelay_agent_network_sessions{network=\"corp\"} //p' $TEST_TMP/agent.prom"
# promtool was fetched on the host before the VM booted (selftests/run.sh).
promtool=$(scripts/promtool.sh)
check "the agent's Prometheus file passes promtool check metrics" \
	eval "'$promtool' check metrics < '$TEST_TMP/agent.prom'"
check "ctld's /metrics passes promtool check metrics" \
	eval "as_observer /metrics | '$promtool' check metrics"

once=$(ip netns exec "$NS_R" "$AGENT" --config "$TEST_TMP/agent.conf" --once 2>/dev/null)
check_value "applying the same state again changes nothing" \
	"generation $(ctld_generation): 0 sessions created, 0 deleted, 0 instances created, 0 deleted, 0 networks changed, 0 failed" \
	echo "$once"

agent_finish
