#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ctld under a connection flood, at `ulimit -n 256`, while 100 relays (each
# from an address of its own) hold long polls: 500 idle and dribbling
# connections (flood.py) from one source; then 500 idle ones from 50
# sources, which fill every connection ctld allows; then the same after
# ctld's descriptor limit was lowered under it, so that accept() fails. In
# each round every relay gets its answer to a change in its usual time, a
# new relay is answered, and ctld's CPU and log stay bounded. Prints "ok
# DESC" / "not ok DESC".
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${BUILD:?}" "${CTLD:?}"
LOAD=$BUILD/ctld-load
work=$(mktemp -d /tmp/ctld-flood.XXXXXX)
pki=$work/pki
cfg=$work/config
log=$work/ctld.log
pid=
flood=

# The request deadline the floods run against, and the bounds they are
# judged by. The CPU bound is far above what a guarded ctld spends (a few
# percent) and far below an accept() busy loop (a core).
DEADLINE_S=3
CPU_MAX=30
LOG_MAX=65536
ANSWER_MAX_MS=5000

cleanup() {
	[ -n "$flood" ] && kill "$flood" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

pass() { echo "ok $*"; }
fail() { echo "not ok $*"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

CERT_CLIENTS="observer.example.net relay-0100" "$here/certs.sh" "$pki" ||
	{ fail "flood: test PKI created"; exit 1; }
mkdir -p "$cfg"
cat > "$cfg/base.yaml" <<YAML
networks:
  - {name: corp, id: 10, subnet: 10.10.0.0/16, policy: p}
policies:
  - {name: p, max-sessions: 100}
clients:
  - {name: observer, identity: observer.example.net}
settings: {poll-timeout: 120s}
YAML
awk 'BEGIN {
	print "relays:"
	for (r = 0; r <= 100; r++)
		printf "  - {name: relay-%04d, addresses: [10.1.%d.1], pools: [{ports: 40000-40099, network: corp}]}\n", r, r
}' > "$cfg/relays.yaml"

# start_ctld ARGS...: ctld at `ulimit -n 256` on a free loopback port.
start_ctld() {
	rm -f "$work/ready"
	(ulimit -n 256 && exec "$CTLD" serve --config "$cfg" --listen 127.0.0.1:0 \
		--cert "$pki/server.pem" --key "$pki/server.key" --ca "$pki/ca.pem" \
		--db "$work/alloc.db" --ready-file "$work/ready" --quiet \
		--request-timeout "$DEADLINE_S" "$@") >> "$log" 2>&1 &
	pid=$!
	for _ in $(seq 600); do [ -s "$work/ready" ] && break; sleep 0.05; done
	port=$(sed 's/.*://' "$work/ready")
	base="https://127.0.0.1:$port"
}

stop_ctld() {
	kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=
}

as() { # NAME CURL-ARGS...
	local who=$1
	shift
	curl -sS -m 20 --cacert "$pki/ca.pem" --cert "$pki/$who.pem" --key "$pki/$who.key" "$@"
}
metric() { # NAME-WITH-LABELS
	as observer.example.net "$base/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# round NAME SECONDS NOFILE FLOOD-ARGS...: 100 relays hold long polls;
# once held, ctld's descriptor limit is lowered to NOFILE (unless "-"), and
# a flood of SECONDS starts; ctld-load measures ctld's CPU over 12 s, then
# changes the configuration and times every relay's answer, mid-flood if
# it lasts longer. Then a relay not connected before connects: mid-flood
# too if the flood comes from one source; a flood from many sources fills
# every connection ctld allows, and a newcomer queues behind it in the
# listen backlog (no server can tell it from the flood).
round() {
	local name=$1 seconds=$2 nofile=$3 res log0 log1 fl code ok max cpu least
	shift 3
	log0=$(stat -c %s "$log")
	(
		for _ in $(seq 600); do
			[ "$(metric xrelay_ctld_polls_waiting)" = 100 ] && break
			sleep 0.1
		done
		[ "$nofile" = - ] || prlimit --pid "$pid" --nofile="$nofile":256
		exec python3 "$here/flood.py" 127.0.0.1 "$port" "$seconds" "$@"
	) > "$work/flood.out" &
	flood=$!
	res=$("$LOAD" poll --url "$base" --ca "$pki/ca.pem" --mint "$pki/ca.pem:$pki/ca.key" \
		--observer "$pki/observer.example.net.pem:$pki/observer.example.net.key" \
		--relay-prefix relay- --relay-count 100 --count 100 --timeout 120 \
		--source-prefix 127.0.2. \
		--idle 12 --pid "$pid" \
		--trigger "sed -i 's/max-sessions: [0-9]*/max-sessions: $RANDOM/' '$cfg/base.yaml'")
	[ "$seconds" -le 12 ] && wait "$flood"
	code=$(as relay-0100 -o /dev/null -w '%{http_code}' "$base/v1/relays/relay-0100/state")
	wait "$flood"
	flood=
	fl=$(cat "$work/flood.out")
	log1=$(stat -c %s "$log")
	ok=$(echo "$res" | json 'd["ok"]')
	max=$(echo "$res" | json '"%.0f" % d["latency_ms"]["max"]')
	cpu=$(echo "$res" | json '"%.1f" % d["idle_cpu_percent"]')
	echo "# $name: relays $res"
	echo "# $name: flood $fl; log +$((log1 - log0)) bytes"
	[ "$ok" = 100 ] && [ "$max" -le "$ANSWER_MAX_MS" ] &&
		pass "flood, $name: all 100 relays answered within ${ANSWER_MAX_MS} ms of a change (slowest $max ms)" ||
		fail "flood, $name: relays answered $ok of 100, slowest $max ms"
	[ "$code" = 200 ] && pass "flood, $name: a new relay connection is answered" ||
		fail "flood, $name: a new relay connection got HTTP $code"
	awk -v c="$cpu" -v m="$CPU_MAX" 'BEGIN { exit !(c <= m) }' &&
		pass "flood, $name: ctld used $cpu% of a CPU (at most $CPU_MAX%)" ||
		fail "flood, $name: ctld used $cpu% of a CPU (more than $CPU_MAX%)"
	[ $((log1 - log0)) -le "$LOG_MAX" ] &&
		pass "flood, $name: ctld logged $((log1 - log0)) bytes (at most $LOG_MAX)" ||
		{ fail "flood, $name: ctld logged $((log1 - log0)) bytes"; tail -c 2000 "$log" | sed 's/^/# /'; }
	# More connections than ctld has descriptors (which the flood's own
	# backlog slows down once they run out).
	least=$([ "$nofile" = - ] && echo 500 || echo "$nofile")
	[ "$(echo "$fl" | json 'd["connects"]')" -ge "$least" ] &&
		pass "flood, $name: the flood connected at least $least times" ||
		fail "flood, $name: the flood connected only $(echo "$fl" | json 'd["connects"]') times"
}

start_ctld --max-connections-per-source 32
round "one source" 24 - --sources 127.0.0.2 --idle 250 --dribble 250
longest=$(json 'd["longest_closed_s"]' < "$work/flood.out")
dribblers=$(json 'd["dribblers_closed"]' < "$work/flood.out")
[ "$dribblers" -gt 0 ] &&
	awk -v l="$longest" -v d="$DEADLINE_S" 'BEGIN { exit !(l <= d + 2) }' &&
	pass "flood, one source: dribbling connections closed ($dribblers), none outlived the ${DEADLINE_S} s deadline by 2 s (longest $longest s)" ||
	fail "flood, one source: $dribblers dribbling connections closed, one stayed open $longest s against a ${DEADLINE_S} s deadline"
n=$(metric 'xrelay_ctld_connections_closed_total{reason="source-limit"}')
[ "${n:-0}" -gt 0 ] && pass "flood, one source: connections over the per-source limit closed ($n)" ||
	fail "flood, one source: no connection closed for the per-source limit"
n=$(metric 'xrelay_ctld_connections_closed_total{reason="deadline"}')
[ "${n:-0}" -gt 0 ] && pass "flood, one source: connections past the deadline closed ($n)" ||
	fail "flood, one source: no connection closed at its deadline"
stop_ctld

many=$(seq -s, -f '127.0.1.%g' 1 50)
start_ctld --max-connections 100000
grep -q -- '--max-connections 100000: the descriptor limit leaves room for 192' "$log" &&
	pass "flood: --max-connections above the descriptor limit is lowered to it, with a warning" ||
	fail "flood: --max-connections above the descriptor limit was not lowered to 192"
round "50 sources, connection limit" 24 - --sources "$many" --idle 500
n=$(metric 'xrelay_ctld_accept_pauses_total{reason="connection-limit"}')
[ "${n:-0}" -gt 0 ] && pass "flood, 50 sources: accepting paused at the connection limit ($n times)" ||
	fail "flood, 50 sources: accepting never paused at the connection limit"
stop_ctld

# The flood ends before the change: a reload, too, needs descriptors.
start_ctld
round "50 sources, out of descriptors" 8 150 --sources "$many" --idle 500
n=$(metric 'xrelay_ctld_accept_pauses_total{reason="accept-error"}')
[ "${n:-0}" -gt 0 ] && pass "flood, out of descriptors: accepting paused after accept() failed ($n times)" ||
	fail "flood, out of descriptors: accept() never failed"
stop_ctld
