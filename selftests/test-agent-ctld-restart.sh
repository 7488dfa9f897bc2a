#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# ctld killed and restarted under traffic: a stream of datagrams through a
# pinned session loses nothing while ctld is gone and while the agent
# reconnects (it keeps the kernel as it is and retries with backoff); after
# the restart the agent converges on ctld's new generation and applies the
# next change.
#
#   ns A                        ns relay                               ns B
#   udp_peer recv          xrelay-ctld (SIGKILL, restart)             udp_peer send
#   192.0.2.2:5000          xrelay-agent                              198.51.100.2:6000
#   veth0 ---------- to_a   xrelay.ko: session "stream"    to_b ----- veth0
#                           a 40000 pinned to A:5000 <-> b 40001 pinned to B:6000

source "$(dirname "$0")/agent-common.sh"

ktap_plan 9

COUNT=400

agent_setup || ktap_bail "topology, PKI and YAML"
yaml_sessions "$(yaml_session stream 40000 40001 "peer: \"$A4:5000\"" "peer: \"$B4:6000\"")"
ctld_start || ktap_bail "xrelay-ctld started" "$(bg_out ctld)"
agent_start
check "the agent applies the state and reports it in sync" wait_until 20 agent_in_sync
id=$(session_at 40000 .id)

recv_start recv "$NS_A" "$A4:5000" "$COUNT" 60000 || ktap_bail "receiver in A"
bg_start send "$NS_B" "$UDP_PEER" send --bind "$B4:6000" --to "$RELAY4:40001" \
	--count "$COUNT" --interval-ms 10
kill -KILL "${BG_PID[ctld]}"
bg_wait ctld
check "the agent notices ctld is gone and keeps retrying" \
	wait_until 10 agent_log_has "cannot reach $CTLD_URL"
ctld_start || ktap_bail "xrelay-ctld restarted" "$(bg_out ctld)"
check "the agent reconnects" wait_until 10 agent_log_has "ctld answers again"
check "the agent converges on the restarted ctld's generation" wait_until 20 agent_in_sync
check_bg "the sender sent $COUNT datagrams" send
check_bg "A received all $COUNT of them" recv
check_value "the session was never touched" "$id" session_at 40000 .id
check_value "the relay forwarded and dropped nothing" "$COUNT 0" \
	session_at 40000 '"\(.b.stats.packets) \([.a.stats, .b.stats | to_entries[] | select(.key | startswith("drop_")) | .value] | add)"'

yaml_sessions "$(yaml_session stream 40000 40001 "peer: \"$A4:5000\"" "peer: \"$B4:6000\""
	yaml_session next 40002 40003)"
check "a change after the restart reaches the kernel" wait_until 10 session_exists 40002

agent_finish
