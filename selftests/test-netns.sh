#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Network namespaces are separate worlds: the same address and ports in two
# of them, each seeing only its own instances, sessions, counters and limit.
#
#   ns A                        ns relay                        ns B
#   192.0.2.2:5000 --veth-- to_a 203.0.113.1:20000..20099 to_b --veth-- 198.51.100.2:6000
#                               2 sessions, traffic
#
#                               ns relay2 (no links)
#                               relay0 203.0.113.1/32
#                               the same instance, 1 session on the same ports

source "$(dirname "$0")/common.sh"

NS_R2=xr-r2-$$

ktap_plan 17

rctl2()
{
	ip netns exec "$NS_R2" "$XRELAYCTL" "$@"
}

counts_of()
{
	"$1" -j stats | jq -r '"\(.sessions) \(.instances) \(.session_limit)"'
}

# ids_only_in_relay: the session ids of the relay ns that relay2 has not.
ids_only_in_relay()
{
	comm -23 <(rctl -j session show | jq -r '.[].id' | sort) \
		 <(rctl2 -j session show | jq -r '.[].id' | sort)
}

setup_topology && relay_ns_add "$NS_R2" || ktap_bail "namespaces wired"

check_id inst "relay: instance created" rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id inst2 "relay2: the same address and ports accepted" \
	rctl2 instance add network 10 addr "$RELAY4" ports 20000-20099
check_id s1 "relay: session on 20000/20001 created" rctl session add instance "$inst" a 20000 b 20001
check_id s2 "relay: session on 20002/20003 created" rctl session add instance "$inst" a 20002 b 20003
check_id s21 "relay2: a session on the same ports 20000/20001 accepted" \
	rctl2 session add instance "$inst2" a 20000 b 20001

default_limit=$(rctl -j limit | jq -r .session_limit)
check_value "relay counts its own: 2 sessions, 1 instance" "2 1 $default_limit" counts_of rctl
check_value "relay2 counts its own: 1 session, 1 instance" "1 1 $default_limit" counts_of rctl2
check_value "session show lists only the namespace's own sessions" "2 1" \
	eval 'echo "$(rctl -j session show | jq length) $(rctl2 -j session show | jq length)"'
check_value "session dump too" "1" \
	eval 'echo $(($(rctl session dump | wc -l) - $(rctl2 session dump | wc -l)))'

refused_ids=0
for id in $(ids_only_in_relay); do
	rctl2 session show id "$id" > /dev/null 2>&1 || refused_ids=$((refused_ids + 1))
done
check_eq "relay2 cannot look up relay's sessions by id" "$(ids_only_in_relay | wc -l)" "$refused_ids"

# Traffic through the relay ns only.
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 3
udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:20001" --count 2
check_value "relay's counters move" "2 3" netns_get '"\(.stats.packets) \(.stats.drop_not_paired)"'
check_value "relay2's counters do not" "0" \
	eval 'rctl2 -j stats | jq "[.stats[]] | add"'
check_value "relay2's session on the same ports still waits for peers" "waiting waiting" \
	eval "rctl2 -j session show id $s21 | jq -r '.[0] | \"\\(.a.state) \\(.b.state)\"'"

check "relay2: limit 1" rctl2 limit 1
check_value "relay's limit is unchanged" "$default_limit" eval 'rctl -j limit | jq .session_limit'

check "relay2: flush and delete its instance" eval "rctl2 session flush && rctl2 instance del id $inst2"
check_value "relay keeps its instance and sessions" "2 1 $default_limit" counts_of rctl

ktap_finish
