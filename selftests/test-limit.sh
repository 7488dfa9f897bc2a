#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The namespace's session limit: sessions up to it are accepted, the next is
# refused (ENOSPC, a message naming the limit, a limit-reached event) and
# leaves everything as it was; the limit counts sessions of all instances.
#
#   ns A                         ns relay                      ns B
#   192.0.2.2 --veth-- to_a   inst1 203.0.113.1:20000..20049   (unused)
#   (proves the monitor       inst2 203.0.113.1:20050..20099
#    receives events)         limit 3
#
#   xrelayctl -j monitor runs in the relay ns throughout.

source "$(dirname "$0")/common.sh"

ktap_plan 14

limit_shown()
{
	rctl -j limit | jq -r .session_limit
}

setup_topology || ktap_bail "three namespaces wired"
inst1=$(rctl instance add network 10 addr "$RELAY4" ports 20000-20049) ||
	ktap_bail "first instance created"
inst2=$(rctl instance add network 10 addr "$RELAY4" ports 20050-20099) ||
	ktap_bail "second instance created"
monitor_start mon || ktap_bail "monitor receives events"

check "limit 3 accepted" rctl limit 3
check_value "limit shows 3" 3 limit_shown
check_id s1 "session 1 of 3 accepted" rctl session add instance "$inst1" a 20000 b 20001
check_id s2 "session 2 of 3 accepted" rctl session add instance "$inst1" a 20002 b 20003
check_id s3 "session 3 of 3 accepted" rctl session add instance "$inst2" a 20050 b 20051

check_refused "a 4th session is refused, naming the limit" "^Error: xrelay: .*limit" \
	rctl session add instance "$inst1" a 20004 b 20005
check "limit-reached event" monitor_wait mon 3 \
	'.event == "limit-reached" and .session_limit == 3 and .sessions == 3'
check_value "still 3 sessions" "3 3" netns_get "\"\\(.sessions) \\([.instance[].sessions] | add)\""
check_fails "the refused session's ports are free" rctl session show instance "$inst1" port 20004

check_refused "a 4th session on the other instance is refused as well" "^Error: xrelay: .*limit" \
	rctl session add instance "$inst2" a 20052 b 20053

check "a session can be deleted at the limit" rctl session del id "$s2"
check_id s4 "which makes room for another" rctl session add instance "$inst1" a 20004 b 20005

rctl limit 4
check_id s5 "raising the limit to 4 admits one more" \
	rctl session add instance "$inst2" a 20052 b 20053
check_value "4 sessions, limit 4" "4 4" netns_get '"\(.sessions) \(.session_limit)"'

ktap_finish
