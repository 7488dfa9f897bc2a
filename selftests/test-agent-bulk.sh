#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A large state reaches the kernel whole: 10 000 sessions go in
# session-new-batch requests, split over a socket and thread per CPU. At a
# session limit the requests stop part way: the sessions after the failing
# one are sent again, those the kernel refuses are each reported with its
# message, and raising the limit creates the rest without touching the
# others.
#
#   ns relay: xrelay.ko, relay0 (dummy) with 203.0.113.1
#             xrelay-agent --once --state-file: instance 1 on 203.0.113.1,
#             ports 1024-21023, sessions s0..s9999 on 1024+2k / 1025+2k

source "$(dirname "$0")/common.sh"

ktap_plan 9

AGENT=$REPO/tools/xrelay-agent/xrelay-agent
SESSIONS=10000
LIMIT=7500

write_state()
{
	python3 - "$SESSIONS" > "$TEST_TMP/state.json" <<-'EOF'
		import json, sys
		n = int(sys.argv[1])
		print(json.dumps({
		    "generation": 1, "relay": "vm",
		    "instances": [{"id": 1, "network": 10, "addr": "203.0.113.1",
		                   "port_min": 1024, "port_max": 21023}],
		    "networks": [{"id": 10, "name": "bulk"}], "policies": [],
		    "sessions": [{"name": f"s{k}", "instance": 1, "network": 10,
		                  "a": {"port": 1024 + 2 * k}, "b": {"port": 1025 + 2 * k}}
		                 for k in range(n)]}))
	EOF
}

# apply NAME: the agent applies the state once; its output in $TEST_TMP/NAME.
apply()
{
	ip netns exec "$NS_R" "$AGENT" --once --state-file "$TEST_TMP/state.json" \
		> "$TEST_TMP/$1" 2>&1
}

session_ids()
{
	rctl -j session show | jq -r '.[].id' | sort
}

summary_of()
{
	grep -o '[0-9]* sessions created, [0-9]* deleted, .* failed$' "$TEST_TMP/$1"
}

load_modules dummy && relay_ns_add "$NS_R" && write_state || ktap_bail "relay namespace and state"

check "$SESSIONS sessions applied to an empty kernel" apply first
check_value "the agent created them all" \
	"$SESSIONS sessions created, 0 deleted, 1 instances created, 0 deleted, 0 networks changed, 0 failed" \
	summary_of first
check_value "the kernel holds them, each with its own id" "$SESSIONS $SESSIONS" \
	eval "rctl -j session show | jq -r '\"\\(length) \\([.[].id] | unique | length)\"'"
check "applying it again changes nothing" \
	eval "apply again && grep -q ' 0 sessions created, 0 deleted, 0 instances created' $TEST_TMP/again"

rctl session flush && rctl limit "$LIMIT" || ktap_bail "sessions flushed, limit $LIMIT"
check_fails "at a limit of $LIMIT the agent reports failures" apply limited
check_value "$LIMIT created, the rest refused" \
	"$LIMIT sessions created, 0 deleted, 0 instances created, 0 deleted, 0 networks changed, $((SESSIONS - LIMIT)) failed" \
	summary_of limited
check "every refused session has the kernel's message" \
	grep -q "and $((SESSIONS - LIMIT - 1)) others: xrelay: session limit of this network namespace reached" \
	"$TEST_TMP/limited"
session_ids > "$TEST_TMP/before"
rctl limit $((2 * SESSIONS))
apply rest
check_value "with room, the rest are created" \
	"$((SESSIONS - LIMIT)) sessions created, 0 deleted, 0 instances created, 0 deleted, 0 networks changed, 0 failed" \
	summary_of rest
check_value "the sessions created before are still there" 0 \
	eval "session_ids | comm -23 $TEST_TMP/before - | wc -l"

ktap_finish
