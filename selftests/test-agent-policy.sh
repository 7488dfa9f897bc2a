#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Policies: a network's policy in the YAML becomes the kernel's network
# object, a session's own policy its session attributes. A changed policy
# replaces the network's in one step (network-set) without touching its
# sessions; one changed by hand is put back; a network whose policy is
# removed keeps its sessions and loses its limits.
#
#   ns A                        ns relay                               ns B
#   udp_peer recv          xrelay-ctld, xrelay-agent                  udp_peer send
#   192.0.2.2:5000          xrelay.ko: network 10 (policy corp-policy) 198.51.100.2:6000
#   veth0 ---------- to_a     session "pinned" 40000 <-> 40001   to_b ----- veth0
#                             session "tight" 40002 <-> 40003, policy tight

source "$(dirname "$0")/agent-common.sh"

ktap_plan 9

# policies_yaml MAX_SESSIONS
policies_yaml()
{
	cat > "$CONFIG/.policies.new" <<-EOF
		policies:
		  - name: corp-policy
		    admission:
		      allow: [198.51.100.0/24, 192.0.2.0/24]
		    max-sessions: $1
		    protocol: any
		  - name: tight
		    session-rate-limit:
		      packets-per-second: 100
		    session-quota: 1M
		    protocol: wireguard
	EOF
	mv "$CONFIG/.policies.new" "$CONFIG/policies.yaml"
}

network_show()
{
	rctl -j network show id 10 | jq -r ".[0] | $1"
}

agent_setup || ktap_bail "topology, PKI and YAML"
sed -i 's|^    subnet: 10.99.0.0/24$|&\n    policy: corp-policy|' "$CONFIG/relay.yaml"
policies_yaml 10
yaml_sessions "$(pinned_session pinned; yaml_session tight 40002 40003 "" "" "policy: tight")"
ctld_start || ktap_bail "xrelay-ctld started" "$(bg_out ctld)"
agent_start
check "the agent applies the state" wait_until 20 agent_started
check_value "network 10 has its policy" "10 any 192.0.2.0/24,198.51.100.0/24" \
	network_show '"\(.max_sessions) \(.protocol) \(.admission.allow | join(","))"'
check_value "session tight has its own" "wireguard 1000000 100" \
	session_at 40002 '"\(.protocol) \(.quota) \(.rate_limit.packets_per_second)"'
check "traffic from admitted sources flows" pinned_traffic
id=$(session_at 40000 .id)

policies_yaml 20
check_value "a changed policy replaces network 10's" 20 network_show .max_sessions
check_value "and its sessions stay as they were" "$id 3" \
	session_at 40000 '"\(.id) \(.b.stats.packets)"'
rctl network set id 10 max-sessions 5
check "a policy changed by hand is put back" \
	wait_until 10 eval '[ "$(network_show .max_sessions)" = 20 ]'
sed -i '/^    policy: corp-policy$/d' "$CONFIG/relay.yaml"
check_value "a network whose policy is removed has no limits left" "null null" \
	network_show '"\(.max_sessions) \(.admission.allow)"'
check_value "and keeps its sessions" "$id" session_at 40000 .id

agent_finish
