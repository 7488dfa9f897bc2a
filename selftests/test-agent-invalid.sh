#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# An invalid configuration committed: ctld refuses it and says why, keeps
# serving the last good state, and the relay keeps forwarding with what
# the agent applied; once fixed, the change arrives and the session that
# did not change keeps its id and counters.
#
#   ns A                        ns relay                               ns B
#   udp_peer recv          xrelay-ctld <--(mTLS)-- xrelay-agent       udp_peer send
#   192.0.2.2:5000          xrelay.ko: session "pinned"                198.51.100.2:6000
#   veth0 ---------- to_a   a 40000 (A:5000) <-> b 40001 (B:6000) to_b ----- veth0
#                           YAML: broken (a port outside the pools), then fixed

source "$(dirname "$0")/agent-common.sh"

ktap_plan 8

agent_setup || ktap_bail "topology, PKI and YAML"
yaml_sessions "$(pinned_session pinned)"
ctld_start || ktap_bail "xrelay-ctld started" "$(bg_out ctld)"
agent_start
check "the agent applies the state" wait_until 20 agent_started
check "traffic flows through the session" pinned_traffic
id=$(session_at 40000 .id)
generation=$(ctld_generation)

yaml_sessions "$(pinned_session pinned; yaml_session bad 40100 40101)"
check "ctld reports the configuration invalid, naming the file and line" \
	wait_until 10 eval "as_observer /v1/status | grep -qE '\"valid\":false.*sessions.yaml:[0-9]+:[0-9]+: [^\"]*40100'"
check "ctld keeps serving the last good state, which the agent reports in sync" \
	eval 'agent_in_sync && [ "${METRIC[xrelay_ctld_relay_generation{relay=\"vm\"}]}" = "$generation" ]'
check "traffic still flows" pinned_traffic

yaml_sessions "$(pinned_session pinned; yaml_session fixed 40002 40003)"
check "once fixed, the new session reaches the kernel" wait_until 10 session_exists 40002
check_value "the unchanged session kept its id and its counters" "$id 6" \
	session_at 40000 '"\(.id) \(.b.stats.packets)"'
check "ctld shows the fixed state applied" wait_until 10 agent_in_sync

agent_finish
