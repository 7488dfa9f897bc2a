#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: alone (it times the agent in milliseconds)
#
# Commit to traffic: a session committed to ctld's YAML reaches the kernel
# through the agent within a second and carries WireGuard between A and
# B; removing it stops the traffic and leaves nothing in the kernel.
#
#   ns A                         ns relay                               ns B
#   wg0 10.99.0.1             xrelay-ctld <--(mTLS)-- xrelay-agent     wg0 10.99.0.2
#   peer B at 203.0.113.1:40000        |                               peer A at 203.0.113.1:40001
#   veth0 192.0.2.2 ---- to_a     xrelay.ko: instance 1,      to_b ---- veth0 198.51.100.2
#                                 session "wg" 40000 <-> 40001 (when committed)

source "$(dirname "$0")/agent-common.sh"

ktap_plan 8

agent_setup || ktap_bail "topology, PKI and YAML"
ctld_start || ktap_bail "xrelay-ctld started" "$(bg_out ctld)"
agent_start
check "the agent applies the first state" wait_until 20 agent_started
check_value "the relay's instance is in the kernel, its ports reserved" \
	"203.0.113.1 40000-40099 10 40000-40099" \
	eval "echo \$(rctl -j instance show | jq -r '.[] | \"\\(.addr) \\(.port_min)-\\(.port_max) \\(.network)\"')" \
	     "\$(ip netns exec $NS_R cat /proc/sys/net/ipv4/ip_local_reserved_ports)"
wg_pair 40000 40001 || ktap_bail "WireGuard on A and B"

applied=$(agent_applied "new state")
yaml_sessions "$(yaml_session wg 40000 40001)"
check_within_second "the committed session reaches the kernel within a second" \
	"$applied" "new state"
check_value "with the description committed" "10 180 40001 30" \
	session_at 40000 '"\(.network) \(.idle_timeout) \(.b.port) \(.b.relearn_timeout)"'
check "WireGuard A -> B through the committed session" wg_ping_through

applied=$(agent_applied "new state")
yaml_sessions ""
check_within_second "the removal reaches the kernel within a second" "$applied" "new state"
check "the session is gone, and the traffic stops" eval "session_gone 40000 && wg_ping_fails"
check "ctld shows the removal applied, with the agent's counters" \
	wait_until 10 eval 'agent_in_sync && [ "$(reported instances) $(reported sessions)" = "1 0" ]'

agent_finish
