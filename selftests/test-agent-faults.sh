#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Faults: a partial failure (the namespace's session limit) is reported to
# ctld with the kernel's message and retried without undoing what
# succeeded; a certificate ctld does not accept is reported as a TLS or
# identity failure, and the kernel's state is left alone.
#
#   ns relay: xrelay-ctld, xrelay-agent, xrelay.ko with a session limit of 1
#   sessions s1 40000/40001, s2 40002/40003, s3 40004/40005 desired
#   then agents with a certificate from another CA, and with an observer's

source "$(dirname "$0")/agent-common.sh"

ktap_plan 9

ids()
{
	rctl -j session show | jq -r '[.[] | .id] | sort | join(" ")'
}

agent_setup || ktap_bail "topology, PKI and YAML"
yaml_sessions "$(yaml_session s1 40000 40001; yaml_session s2 40002 40003
		 yaml_session s3 40004 40005)"
rctl limit 1 || ktap_bail "session limit 1"
ctld_start || ktap_bail "xrelay-ctld started" "$(bg_out ctld)"
agent_start
check "ctld gets the kernel's message about the limit, and the relay out of sync" \
	wait_until 20 eval "as_observer /v1/status |
		grep -q '\"in_sync\":false.*session limit of this network namespace reached'"
check_value "one session was created, and is not undone" 1 sessions_in_kernel
# s2 and s3 go in one request, which stops at s2: s3 is sent again, alone.
# The agent reports the same message once, counting the others.
check "s2 and s3 are both reported with the kernel's message" \
	eval "as_observer /v1/status | jq -e '[.. | strings | select(test(
		\"^session s2 .* and 1 others: xrelay: session limit of this network namespace reached\"))] |
		length > 0' >/dev/null"
before=$(ids)
rctl limit 100
check "once the limit allows, the retry creates the other two" \
	wait_until 10 eval "session_exists 40002 && session_exists 40004"
check_value "the first is the same session" "$before" \
	eval "rctl -j session show | jq -r '[.[] | select(.a.port == 40000) | .id] | join(\" \")'"
check "the relay is in sync" wait_until 10 agent_in_sync
agent_stop
after=$(ids)

# A certificate from another CA, for the relay's own name.
sed -i "s|^cert = .*|cert = $PKI/impostor.pem|; s|^key = .*|key = $PKI/impostor.key|" \
	"$TEST_TMP/agent.conf"
agent_start
check "a certificate from another CA is reported as a TLS failure" \
	wait_until 10 agent_log_has "TLS failure talking to $CTLD_URL"
agent_stop
# The observer's certificate: valid, but not this relay's identity.
sed -i "s|^cert = .*|cert = $PKI/$AG_OBSERVER.pem|; s|^key = .*|key = $PKI/$AG_OBSERVER.key|" \
	"$TEST_TMP/agent.conf"
agent_start
check "another identity's certificate is reported as refused" \
	wait_until 10 agent_log_has "ctld refuses this certificate as relay 'vm' (HTTP 403)"
agent_stop
check_value "neither touched the kernel's state" "$after" ids

agent_finish
