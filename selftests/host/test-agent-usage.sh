#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xrelay-agent on the host, where the xrelay module is not loaded: its
# settings (errors name the file and line, exit 2), a state document it
# refuses, and its talk with a real xrelay-ctld over mutual TLS: accepted
# (the agent then reports to ctld that the module is missing), and every
# kind of refusal, each reported as what it is. The kernel is never
# reached, so nothing here can change a relay's state.
# Set AGENT and CTLD to test other binaries.

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
agent=${AGENT:-$repo/tools/xrelay-agent/xrelay-agent}
ctld=${CTLD:-$repo/build/ctl-server/xrelay-ctld}
tmp=$(mktemp -d) || exit 1
ctld_pid=
trap '[ -n "$ctld_pid" ] && kill "$ctld_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	for line in "$@"; do
		echo "# $line"
	done
}

# run ARGS...: runs the agent, leaving $rc, $tmp/out and $tmp/err.
run() {
	"$agent" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# expect DESCRIPTION RC REGEX ARGS...: the agent exits RC with REGEX on stderr.
expect() {
	local desc=$1 want=$2 regex=$3

	shift 3
	run "$@"
	if [ "$rc" -eq "$want" ] && grep -qE -- "$regex" "$tmp/err"; then
		ok "$desc"
	else
		not_ok "$desc" "expected exit $want and stderr matching '$regex'" \
			"got exit $rc: $(cat "$tmp/err")"
	fi
}

if [ -d /sys/module/xrelay ]; then
	echo "1..0 # SKIP the xrelay module is loaded here: the agent would change its state"
	exit 0
fi
echo "TAP version 13"
echo "1..18"

run --help
if [ "$rc" -eq 0 ] && grep -q -- "--once" "$tmp/out" && grep -q "resync-interval" "$tmp/out"; then
	ok "--help lists the options and settings, exit 0"
else
	not_ok "--help lists the options and settings, exit 0" "exit $rc"
fi
expect "an unknown option is a usage error" 2 "usage:" --frobnicate

conf=$tmp/agent.conf
printf 'relay = r1\n# a comment\n\nfoo = bar\n' > "$conf"
expect "an unknown key names the file and line" 2 "agent.conf:4: unknown key 'foo'" --config "$conf"
printf 'relay = r1\nrelay = r2\n' > "$conf"
expect "a key set twice names the line" 2 "agent.conf:2: 'relay' is set twice" --config "$conf"
printf 'poll-timeout = soon\n' > "$conf"
expect "a bad duration names the line" 2 "agent.conf:1: poll-timeout: not a duration" \
	--config "$conf"
printf 'reserve-ports\n' > "$conf"
expect "a line without = names the line" 2 "agent.conf:1: expected KEY = VALUE" --config "$conf"
expect "a missing settings file given with --config is an error" 2 "nope.conf: No such file" \
	--config "$tmp/nope.conf"
printf 'relay = r1\n' > "$conf"
expect "without ctld-url it says what is missing" 2 "no ctld-url: set it in .*agent.conf" \
	--config "$conf"
expect "plain HTTP is refused" 2 "ctld-url must start with https://" --config "$conf" \
	--ctld-url http://127.0.0.1:1 --cert c --key k --ca a

printf '{"generation":1,"relay":"r1","instances":[],"sessions":[{"name":"s"}]}' > "$tmp/state.json"
expect "an incomplete state is refused and the kernel left alone" 1 \
	"state refused, the kernel keeps the last one applied: sessions\[0\]: a session needs" \
	--once --state-file "$tmp/state.json"
printf '{"generation":1,"relay":"r1","instances":[],"sessions":[' > "$tmp/state.json"
expect "a truncated state is refused" 1 "state refused.*unexpected end" \
	--once --state-file "$tmp/state.json"

# A real ctld with the example configuration and a throwaway PKI.
pki=$tmp/pki
CERT_CLIENTS="fra1.relay.example.net fra2.relay.example.net prometheus.example.net" \
	"$repo/ctl-server/tests/certs.sh" "$pki" > /dev/null
"$ctld" serve --config "$repo/ctl-server/examples" --listen 127.0.0.1:0 \
	--cert "$pki/server.pem" --key "$pki/server.key" --ca "$pki/ca.pem" \
	--db "$tmp/ctld.db" --ready-file "$tmp/ready" --quiet 2> "$tmp/ctld.log" &
ctld_pid=$!
for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.1; done
port=$(sed 's/.*://' "$tmp/ready")
fra1=(--ctld-url "https://localhost:$port" --relay fra1 --ca "$pki/ca.pem")
mine=(--cert "$pki/fra1.relay.example.net.pem" --key "$pki/fra1.relay.example.net.key")

expect "with ctld's state in hand it stops at the missing module" 1 \
	"the xrelay module is not loaded" --once "${fra1[@]}" "${mine[@]}"
status=$(curl -sS --cacert "$pki/ca.pem" --cert "$pki/prometheus.example.net.pem" \
	--key "$pki/prometheus.example.net.key" "https://localhost:$port/v1/status")
if grep -q '"name":"fra1".*"in_sync":false.*the xrelay module is not loaded' <<< "$status"; then
	ok "and reports to ctld that nothing was applied"
else
	not_ok "and reports to ctld that nothing was applied" "$status"
fi
expect "a certificate from another CA: TLS failure" 1 \
	"TLS failure talking to https://localhost:$port .*alert unknown ca" \
	--once "${fra1[@]}" --cert "$pki/impostor.pem" --key "$pki/impostor.key"
expect "another relay's certificate: refused as this relay" 1 \
	"ctld refuses this certificate as relay 'fra1' \(HTTP 403\)" \
	--once "${fra1[@]}" --cert "$pki/fra2.relay.example.net.pem" \
	--key "$pki/fra2.relay.example.net.key"
expect "ctld's certificate from a CA not configured: TLS failure" 1 \
	"TLS failure talking to .*certificate" \
	--once "${fra1[@]}" "${mine[@]}" --ca "$pki/wrong-ca.pem"
expect "ctld's key not the pinned one: TLS failure" 1 "TLS failure talking to" \
	--once "${fra1[@]}" "${mine[@]}" --ctld-pin "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
kill "$ctld_pid"
wait "$ctld_pid" 2>/dev/null
ctld_pid=
expect "ctld unreachable: said so" 1 "cannot reach https://localhost:$port" \
	--once "${fra1[@]}" "${mine[@]}"

[ "$failed" -eq 0 ]
