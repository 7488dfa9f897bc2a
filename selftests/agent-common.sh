# SPDX-License-Identifier: GPL-2.0-only
#
# Shared by the test-agent-*.sh scenarios: the whole system in the relay
# namespace of common.sh's topology, with the real binaries. Sourced.
#
#   ns A ($NS_A)       ns relay ($NS_R)                                      ns B ($NS_B)
#  +-------------+    +-------------------------------------------------+    +---------------+
#  | 192.0.2.2   +----+ to_a                                       to_b +----+ 198.51.100.2  |
#  | (WireGuard  |    | xrelay-ctld on 127.0.0.1:18443, YAML in         |    | (WireGuard    |
#  |  or udp_peer)    |   $TEST_TMP/config, a throwaway PKI             |    |  or udp_peer) |
#  +-------------+    | xrelay-agent --(HTTPS, mTLS)--> ctld            |    +---------------+
#                     |              --(genl "xrelay")--> xrelay.ko     |
#                     | relay0: 203.0.113.1 = relay "vm": instance 1,   |
#                     |   ports 40000-40099, network corp (10)          |
#                     +-------------------------------------------------+
#
# The ports lie in Linux's ephemeral range, so the agent has to reserve
# them (net.ipv4.ip_local_reserved_ports) before the module takes them.
# Short poll and resync intervals keep the scenarios quick.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CTLD=$REPO/build/ctl-server/xrelay-ctld
AGENT=$REPO/tools/xrelay-agent/xrelay-agent
CTLD_PORT=18443
CTLD_URL=https://127.0.0.1:$CTLD_PORT
AG_IDENTITY=vm.relay.test
AG_OBSERVER=observer.test
CONFIG=$TEST_TMP/config
# The throwaway PKI is made once per boot (openssl is slow under emulation)
# and shared by the scenarios, which only read it.
PKI=/tmp/xrelay-agent-test-pki
# A pipe nothing writes to: read -t on it sleeps without starting a process.
exec {AG_SLEEP_FD}<> <(:)

# The relay, its network and an observer client; sessions.yaml holds the
# sessions (yaml_sessions).
agent_setup()
{
	setup_topology && pki_ready || return
	mkdir -p "$CONFIG" &&
	cat > "$CONFIG/relay.yaml" <<-EOF
		relays:
		  - name: vm
		    identity: $AG_IDENTITY
		    addresses: [$RELAY4]
		    pools:
		      - ports: 40000-40099
		        network: corp
		networks:
		  - name: corp
		    id: 10
		    subnet: 10.99.0.0/24
		clients:
		  - name: observer
		    identity: $AG_OBSERVER
		    role: observer
		settings:
		  poll-timeout: 5s
	EOF
	yaml_sessions ""
}

# Certificates for the relay and an observer, a day old at most (they
# are valid for two). Scenarios run side by side: the lock lets one make
# them while the others wait, and none replace them under another's feet.
pki_ready()
{
	(
		flock 9 || exit
		[ -n "$(find "$PKI/ca.pem" -mmin -1440 2>/dev/null)" ] && exit 0
		tmp=$(mktemp -d /tmp/xrelay-agent-pki.XXXXXX) &&
		CERT_CLIENTS="$AG_IDENTITY $AG_OBSERVER" "$REPO/ctl-server/tests/certs.sh" "$tmp" \
			> /dev/null || exit
		rm -rf "$PKI"
		mv -T "$tmp" "$PKI"
	) 9> "$PKI.lock"
}

# yaml_sessions TEXT: sessions.yaml becomes "sessions:" followed by TEXT
# (list items, indented two spaces), swapped in whole as a commit would.
yaml_sessions()
{
	{ echo "sessions:"; echo "${1:-  []}"; } > "$CONFIG/.sessions.new" &&
	mv "$CONFIG/.sessions.new" "$CONFIG/sessions.yaml"
}

# yaml_session NAME PORT_A PORT_B [MORE_A [MORE_B [MORE]]]: one list item;
# MORE_A and MORE_B go into the sides' flow mappings (e.g. "peer: ..."),
# MORE is a line of the session (e.g. "idle-timeout: 10m").
yaml_session()
{
	echo "  - name: $1"
	echo "    network: corp"
	echo "    relay: vm"
	[ -n "${6:-}" ] && echo "    $6"
	echo "    a: {port: $2${4:+, $4}}"
	echo "    b: {port: $3${5:+, $5}}"
}

ctld_start()
{
	rm -f "$TEST_TMP/ctld.ready"
	bg_start ctld "$NS_R" "$CTLD" serve --config "$CONFIG" --listen "127.0.0.1:$CTLD_PORT" \
		--cert "$PKI/server.pem" --key "$PKI/server.key" --ca "$PKI/ca.pem" \
		--db "$TEST_TMP/ctld.db" --ready-file "$TEST_TMP/ctld.ready" --quiet
	wait_until 20 test -s "$TEST_TMP/ctld.ready"
}

# agent_config: the agent's settings, with the relay's certificate.
agent_config()
{
	cat > "$TEST_TMP/agent.conf" <<-EOF
		# written by agent-common.sh
		ctld-url = $CTLD_URL
		relay = vm
		cert = $PKI/$AG_IDENTITY.pem
		key = $PKI/$AG_IDENTITY.key
		ca = $PKI/ca.pem
		poll-timeout = 5s
		resync-interval = 1s
		backoff-max = 1s
		metrics-file = $TEST_TMP/agent.prom
	EOF
}

# agent_start [--KEY VALUE...]: the agent with $TEST_TMP/agent.conf
# (agent_config's, unless there is one), output in $TEST_TMP/agent.out.
agent_start()
{
	[ -f "$TEST_TMP/agent.conf" ] || agent_config
	bg_start agent "$NS_R" "$AGENT" --config "$TEST_TMP/agent.conf" --verbose "$@"
}

agent_stop()
{
	bg_stop agent
}

# as_observer PATH: GET PATH from ctld with the observer's certificate.
as_observer()
{
	ip netns exec "$NS_R" curl -sS -m 10 --cacert "$PKI/ca.pem" --cert "$PKI/$AG_OBSERVER.pem" \
		--key "$PKI/$AG_OBSERVER.key" "$CTLD_URL$1"
}

# ctld_metrics: ctld's /metrics into the array METRIC, by name and labels
# (cheaper than /v1/status through jq, which takes a second or two to
# start under emulation):
# ${METRIC[xrelay_ctld_relay_generation{relay=\"vm\"}]}.
declare -A METRIC
ctld_metrics()
{
	local key value

	METRIC=()
	while read -r key value; do
		[ "${key:0:1}" = "#" ] || METRIC[$key]=$value
	done < <(as_observer /metrics)
	[ ${#METRIC[@]} -gt 0 ]
}

# reported COUNTER: a relay counter of the agent's last report to ctld
# (after ctld_metrics).
reported()
{
	echo "${METRIC[xrelay_ctld_relay_reported{relay=\"vm\",counter=\"$1\"}]:-}"
}

# The agent reported applying the relay's current generation, with no error.
agent_in_sync()
{
	local generation

	ctld_metrics || return
	generation=${METRIC[xrelay_ctld_relay_generation{relay=\"vm\"}]}
	[ -n "$generation" ] &&
	[ "${METRIC[xrelay_ctld_relay_applied_generation{relay=\"vm\"}]:-}" = "$generation" ] &&
	[ "${METRIC[xrelay_ctld_relay_report_errors{relay=\"vm\"}]:-}" = 0 ]
}

# reported_session SESSION COUNTER, reported_network NETWORK COUNTER: the
# per-session and per-network counters of the last report (after ctld_metrics).
reported_session()
{
	echo "${METRIC[xrelay_ctld_relay_session_reported{relay=\"vm\",session=\"$1\",counter=\"$2\"}]:-}"
}

reported_network()
{
	echo "${METRIC[xrelay_ctld_relay_network_reported{relay=\"vm\",network=\"$1\",counter=\"$2\"}]:-}"
}

ctld_generation()
{
	ctld_metrics && echo "${METRIC[xrelay_ctld_relay_generation{relay=\"vm\"}]}"
}

# session_at PORT JQ: the session using port PORT of instance 1, through JQ.
session_at()
{
	rctl -j session show instance 1 port "$1" 2>/dev/null | jq -r ".[0] | $2"
}

session_exists()
{
	rctl session show instance 1 port "$1" > /dev/null 2>&1
}

session_gone()
{
	! session_exists "$1"
}

sessions_in_kernel()
{
	rctl session dump | wc -l
}

# ms_since START: milliseconds since START (an $EPOCHREALTIME).
ms_since()
{
	echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000))
}

agent_log_has()
{
	grep -q -- "$1" "$TEST_TMP/agent.out"
}

# How many states the agent logged applying for REASON, an extended regex
# ("new state", "module loaded|resync", ...), counted without starting a
# process: the moment the count grows is the moment the kernel took the
# change.
agent_applied()
{
	local line n=0 pattern="\\(($1)\\): "

	while IFS= read -r line; do
		[[ "$line" =~ $pattern ]] && n=$((n + 1))
	done < "$TEST_TMP/agent.out"
	echo "$n"
}

# The agent applied its first state from ctld.
agent_started()
{
	[ "$(agent_applied "new state")" -gt 0 ]
}

# agent_applied_after COUNT REASON: wait until the agent logged more than
# COUNT states applied for REASON, polling every 10 ms; print the ms waited.
agent_applied_after()
{
	local start=$EPOCHREALTIME deadline=$((${EPOCHREALTIME/./} + 10000000))

	until [ "$(agent_applied "$2")" -gt "$1" ]; do
		[ "${EPOCHREALTIME/./}" -ge "$deadline" ] && return 1
		read -r -t 0.01 -u "$AG_SLEEP_FD" || true
	done
	ms_since "$start"
}

# check_within_second DESCRIPTION COUNT REASON: ok if the agent applies a
# state for REASON within a second (see agent_applied_after).
check_within_second()
{
	local took

	if ! took=$(agent_applied_after "$2" "$3"); then
		fail "$1" "nothing applied within 10 s" "$(tail -n 20 "$TEST_TMP/agent.out")"
	elif [ "$took" -lt 1000 ]; then
		pass "$1 ($took ms)"
	else
		fail "$1" "it took $took ms"
	fi
}

# ktap_finish, with the agent's and ctld's last words when something failed.
agent_finish()
{
	if [ "$KTAP_FAILED" -gt 0 ]; then
		diag "agent's log (last 40 lines):" "$(tail -n 40 "$TEST_TMP/agent.out" 2>/dev/null)"
		diag "ctld's log:" "$(tail -n 20 "$TEST_TMP/ctld.out" 2>/dev/null)"
	fi
	ktap_finish
}

# ---- WireGuard through the relay --------------------------------------------

# wg_ping_through: B speaks first (latching side b), then A pings B.
wg_ping_through()
{
	ip netns exec "$NS_B" busybox ping -c 1 -w 1 10.99.0.1 > /dev/null 2>&1
	ip netns exec "$NS_A" busybox ping -c 2 -w 10 10.99.0.2
}

wg_ping_fails()
{
	! ip netns exec "$NS_A" busybox ping -c 1 -w 2 10.99.0.2
}

# pinned_traffic: three datagrams from B to the relay's port 40001 reach A
# at 192.0.2.2:5000, through a session whose sides are pinned to A:5000 and
# B:6000 (pinned_session).
pinned_traffic()
{
	bg_start recv "$NS_A" "$UDP_PEER" recv --bind "$A4:5000" --count 3 --timeout-ms 20000
	if ! wait_until 20 grep -q '^bound ' "$TEST_TMP/recv.out" ||
	   ! udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:40001" --count 3 ||
	   ! bg_wait recv; then
		bg_out recv
		return 1
	fi
}

# pinned_session NAME: the YAML list item of such a session.
pinned_session()
{
	yaml_session "$1" 40000 40001 "peer: \"$A4:5000\"" "peer: \"$B4:6000\""
}
