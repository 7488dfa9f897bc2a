#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xrelay-ctld end to end over real mutual TLS: a throwaway PKI made with
# the openssl CLI, the example configuration, curl and ctld-load as
# clients, loopback only, dynamic ports. Prints "ok DESC" / "not ok DESC".
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${BUILD:?}" "${CTLD:?}"
LOAD=$BUILD/ctld-load
work=$(mktemp -d /tmp/ctld-it.XXXXXX)
pki=$work/pki
cfg=$work/config
db=$work/alloc.db
log=$work/ctld.log
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "${pid2:-}" ] && kill "$pid2" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

pass() { echo "ok $*"; }
fail() { echo "not ok $*"; }
check() { # DESC COMMAND...
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# Poll COMMAND every 0.05 s for at most SECS seconds. The bounds below are
# far beyond what an idle machine needs: a loaded CI machine must only be slower.
wait_for() { # SECS COMMAND...
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -le $end ]; do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# Every client here comes from one loopback address, 1000 relays' polls
# among them: the per-source limit is flood.sh's to test.
start_ctld() { # LISTEN
	rm -f "$work/ready"
	"$CTLD" serve --config "$cfg" --listen "$1" --cert "$pki/server.pem" \
		--key "$pki/server.key" --ca "$pki/ca.pem" --db "$db" \
		--max-connections-per-source 100000 \
		--ready-file "$work/ready" >> "$log" 2>&1 &
	pid=$!
	wait_for 60 test -s "$work/ready" || { fail "ctld started"; sed 's/^/# /' "$log"; exit 1; }
	port=$(sed 's/.*://' "$work/ready")
	host=$(sed 's/:[0-9]*$//' "$work/ready")
	base="https://$host:$port"
}

# curl as NAME (a certificate in the PKI); extra arguments follow.
as() {
	local who=$1
	shift
	curl -sS -m 60 --cacert "$pki/ca.pem" --cert "$pki/$who.pem" --key "$pki/$who.key" "$@"
}
code() { as "$@" -o /dev/null -w '%{http_code}'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
gen_of() { as "$1" -D - -o /dev/null "$base/v1/relays/$2/state" | tr -d '\r' |
	awk 'tolower($1) == "x-xrelay-generation:" { print $2 }'; }

FRA1=fra1.relay.example.net
FRA2=fra2.relay.example.net
NETPORT=netport.example.net
PROM=prometheus.example.net
QUOTA=quota.example.net
BURST=burst.example.net
CERT_CLIENTS="$FRA1 $FRA2 iad1.relay.example.net $NETPORT $PROM $QUOTA $BURST" "$here/certs.sh" "$pki" ||
	{ fail "test PKI created"; exit 1; }
cp -r "$here/../examples" "$cfg"
# An allocator of its own, with a quota.
printf 'clients:\n  - {name: quota, identity: %s, role: allocator, max-allocations: 2}\n  - {name: burst, identity: %s, role: allocator, allocations-per-minute: 2}\n' \
	"$QUOTA" "$BURST" > "$cfg/quota.yaml"
start_ctld 127.0.0.1:0

# --- who may connect -------------------------------------------------------
check "tls: a plain-HTTP client is refused" \
	bash -c "! curl -sS -m 5 -o /dev/null http://127.0.0.1:$port/v1/status 2>/dev/null"
check "tls: a client without a certificate is refused" \
	bash -c "! curl -sS -m 5 -o /dev/null --cacert '$pki/ca.pem' $base/v1/status 2>/dev/null"
check "tls: a certificate from another CA is refused" \
	bash -c "! curl -sS -m 5 -o /dev/null --cacert '$pki/ca.pem' --cert '$pki/impostor.pem' --key '$pki/impostor.key' $base/v1/relays/fra1/state 2>/dev/null"
check "tls: a server-only certificate cannot act as a client" \
	bash -c "! curl -sS -m 5 -o /dev/null --cacert '$pki/ca.pem' --cert '$pki/serveronly.pem' --key '$pki/serveronly.key' $base/v1/relays/fra1/state 2>/dev/null"

# s_client CIPHER-OPTIONS...: does a handshake with these options succeed?
s_client() {
	echo | timeout 20 openssl s_client -connect "127.0.0.1:$port" -CAfile "$pki/ca.pem" \
		-cert "$pki/$FRA1.pem" -key "$pki/$FRA1.key" "$@" 2>&1 | grep -q '^New, TLS'
}
check "tls: TLS 1.3 is offered" s_client -tls1_3
check "tls: TLS 1.2 with ECDHE and AES-GCM is offered" \
	s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
no_s_client() { ! s_client "$@"; }
check "tls: TLS 1.2 with CBC and SHA-1 is refused" no_s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA

# --- the command line and the log -------------------------------------------
check "cli: --version names the release" \
	test "$("$CTLD" --version)" = "xrelay-ctld $(cat "$here/../../VERSION")"
check "log: under journald each line carries its syslog priority" \
	bash -c "JOURNAL_STREAM=8:1 '$CTLD' serve --config '$work/none' --cert x --key x --ca x --db '$work/none.db' 2>&1 |
		grep -q '^<3>configuration $work/none refused'"

# --- what ctld refuses to start with -----------------------------------------
# refused DESC MESSAGE SERVE-ARGS...: ctld exits 1 at once, saying MESSAGE.
refused() {
	local desc=$1 msg=$2 out rc
	shift 2
	out=$(timeout 30 "$CTLD" serve --config "$cfg" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
		--cert "$pki/server.pem" "$@" 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && echo "$out" | grep -qF -- "$msg"; then
		pass "$desc"
	else
		fail "$desc: exit $rc"
		echo "$out" | sed 's/^/# /' | tail -5
	fi
}
refused "store: a second ctld on the same database is refused" \
	"in use by another xrelay-ctld; one database has one writer" --key "$pki/server.key" --db "$db"
check "store: the first ctld still serves" test "$(code $FRA1 "$base/v1/relays/fra1/state")" = 200
cp "$pki/server.key" "$work/open.key"
chmod 644 "$work/open.key"
refused "tls: a key others may read is refused" "is accessible to others (mode 0644)" \
	--key "$work/open.key" --db "$work/other.db"
check "tls: a refused key leaves no database behind" test ! -e "$work/other.db"
check "cli: each missing option is named" \
	bash -c "'$CTLD' serve --config '$cfg' --ca x 2>&1 | tr '\n' ' ' | grep -q -- '--cert is required.*--key is required.*--db is required'"
chmod 640 "$work/open.key"
check "tls: a key its group may read is accepted (Debian's ssl-cert convention)" \
	bash -c "timeout 3 '$CTLD' serve --config '$cfg' --listen 127.0.0.1:0 --ca '$pki/ca.pem' --cert '$pki/server.pem' --key '$work/open.key' --db '$work/other.db' >/dev/null 2>&1; [ \$? -eq 124 ]"

# A certificate whose CN names fra1 but whose DNS name is another's is not
# fra1's: the CN counts only without DNS names (RFC 6125).
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/cn.key" \
	-out "$work/cn.csr" -subj "/CN=$FRA1" 2>/dev/null
printf 'subjectAltName=DNS:someone-else.example.net\nextendedKeyUsage=clientAuth\n' > "$work/cn.ext"
openssl x509 -req -in "$work/cn.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
	-days 2 -out "$work/cn.pem" -extfile "$work/cn.ext" 2>/dev/null
check "tls: a CN naming a relay does not count beside DNS names" \
	test "$(curl -sS -m 20 -o /dev/null -w '%{http_code}' --cacert "$pki/ca.pem" --cert "$work/cn.pem" --key "$work/cn.key" "$base/v1/relays/fra1/state")" = 403

# A database made before the Idempotency-Key column gets it at start.
python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute('CREATE TABLE allocations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, network TEXT NOT NULL,'
           ' relay TEXT NOT NULL, address TEXT NOT NULL, port_a INTEGER NOT NULL, port_b INTEGER NOT NULL,'
           ' allow_a TEXT, allow_b TEXT, created INTEGER NOT NULL, expires INTEGER NOT NULL)')
db.commit()" "$work/old.db"
timeout 5 "$CTLD" serve --config "$cfg" --listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/server.pem" \
	--key "$pki/server.key" --db "$work/old.db" >/dev/null 2>&1
check "store: a database from before the Idempotency-Key column is migrated at start" \
	test "$(python3 -c "import sqlite3,sys; print(sorted({r[1] for r in sqlite3.connect(sys.argv[1]).execute('PRAGMA table_info(allocations)')} & {'idem', 'orphaned'}))" "$work/old.db")" = "['idem', 'orphaned']"

# --- credentials rotate without a restart -----------------------------------
# serial_seen: the serial of the certificate a new connection gets.
serial_seen() {
	echo | timeout 20 openssl s_client -connect "127.0.0.1:$port" -CAfile "$pki/ca.pem" \
		-cert "$pki/$FRA1.pem" -key "$pki/$FRA1.key" 2>/dev/null | openssl x509 -noout -serial
}
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/server2.key" \
	-out "$work/server2.csr" -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' > "$work/server2.ext"
openssl x509 -req -in "$work/server2.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
	-days 2 -out "$work/server2.pem" -extfile "$work/server2.ext" 2>/dev/null
new_serial=$(openssl x509 -in "$work/server2.pem" -noout -serial)
check "tls: the rotated certificate is not the one served" test "$(serial_seen)" != "$new_serial"
# As cert-manager or a deploy would: each file replaced whole.
cp "$work/server2.pem" "$pki/server.pem.new" && mv "$pki/server.pem.new" "$pki/server.pem"
cp -p "$work/server2.key" "$pki/server.key.new" && mv "$pki/server.key.new" "$pki/server.key"
seen_new() { test "$(serial_seen)" = "$new_serial"; }
check "tls: a replaced certificate and key serve new connections within seconds, no restart" \
	wait_for 30 seen_new
check "tls: the reload is counted" \
	bash -c "curl -s -m 30 --cacert '$pki/ca.pem' --cert '$pki/$PROM.pem' --key '$pki/$PROM.key' $base/metrics | grep -q '^xrelay_ctld_tls_reloads_total{result=\"ok\"} [1-9]'"

# A CRL: a second ctld (its own database) with --crl, first revoking nothing.
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $work/ca-index.txt
crlnumber = $work/ca-crlnumber
default_md = sha256
default_crl_days = 2
CNF
: > "$work/ca-index.txt"
echo 01 > "$work/ca-crlnumber"
ca_cmd() { openssl ca -config "$work/ca.cnf" -keyfile "$pki/ca.key" -cert "$pki/ca.pem" "$@" 2>/dev/null; }
ca_cmd -gencrl -out "$work/crl.pem"
"$CTLD" serve --config "$cfg" --listen 127.0.0.1:0 --cert "$pki/server.pem" --key "$pki/server.key" \
	--ca "$pki/ca.pem" --crl "$work/crl.pem" --db "$work/crl.db" --ready-file "$work/ready2" \
	>> "$work/ctld2.log" 2>&1 &
pid2=$!
wait_for 60 test -s "$work/ready2"
base2="https://$(cat "$work/ready2")"
check "crl: a certificate the CRL does not name is served" \
	test "$(code $FRA2 "$base2/v1/relays/fra2/state")" = 200
ca_cmd -revoke "$pki/$FRA2.pem" && ca_cmd -gencrl -out "$work/crl.pem.new" && mv "$work/crl.pem.new" "$work/crl.pem"
kill -HUP "$pid2"
revoked() { test "$(code $FRA2 "$base2/v1/relays/fra2/state")" = 000; }
check "crl: once revoked and reloaded, the certificate fails the handshake" wait_for 30 revoked
check "crl: other certificates still pass" test "$(code $FRA1 "$base2/v1/relays/fra1/state")" = 200
echo 'not a CRL' > "$work/crl.pem"
kill -HUP "$pid2"
check "crl: a broken CRL is logged and the credentials before keep serving" \
	wait_for 30 bash -c "grep -q 'cannot load CRL' '$work/ctld2.log' && test \$(curl -s -m 20 -o /dev/null -w '%{http_code}' --cacert '$pki/ca.pem' --cert '$pki/$FRA1.pem' --key '$pki/$FRA1.key' $base2/v1/relays/fra1/state) = 200"
kill "$pid2"
wait "$pid2" 2>/dev/null
pid2=

# --- relays see their own state only ---------------------------------------
state=$(as $FRA1 "$base/v1/relays/fra1/state")
check "relay: fra1 reads its state" \
	test "$(echo "$state" | json 'd["relay"], len(d["sessions"]), len(d["instances"])')" = "fra1 2 4"
check "relay: a relay presenting another relay's name is refused (403)" \
	test "$(code $FRA1 "$base/v1/relays/fra2/state")" = 403
check "relay: a relay cannot report for another relay (403)" \
	test "$(code $FRA1 -X POST -d '{"generation":1}' "$base/v1/relays/fra2/report")" = 403
check "relay: an unknown relay is 403, as another's is: names cannot be probed" \
	test "$(code $FRA1 "$base/v1/relays/nope/state")" = 403
check "relay: a relay may not allocate (403)" \
	test "$(code $FRA1 -X POST -d '{"network":"corp"}' "$base/v1/allocations")" = 403
check "relay: a relay may not read the status (403)" test "$(code $FRA1 "$base/v1/status")" = 403
check "observer: an observer may not allocate (403)" \
	test "$(code $PROM -X POST -d '{"network":"corp"}' "$base/v1/allocations")" = 403

# --- long polls --------------------------------------------------------------
g=$(gen_of $FRA1 fra1)
start=$SECONDS
check "poll: an unchanged poll is held, then answers 304" \
	test "$(code $FRA1 "$base/v1/relays/fra1/state?generation=$g&timeout=1")" = 304
check "poll: a stale generation is answered at once with the state" \
	test "$(code $FRA1 "$base/v1/relays/fra1/state?generation=1&timeout=30")" = 200
check "poll: a bad timeout is refused (400)" \
	test "$(code $FRA1 "$base/v1/relays/fra1/state?generation=$g&timeout=9999")" = 400
out=$(as $FRA1 -w ' %{http_code}' "$base/v1/relays/fra1/state?generation=$g&timeout=20" &
	sleep 0.3; sed -i 's/idle-timeout: 10m/idle-timeout: 11m/' "$cfg/sessions.yaml"; wait)
check "poll: a file change answers the held poll with the new state" \
	bash -c "echo '$out' | grep -q '\"idle_timeout\":660' && echo '$out' | grep -q ' 200$'"

# --- delta states --------------------------------------------------------------
g2=$(gen_of $FRA1 fra1)
delta=$(as $FRA1 -D "$work/delta.hdr" "$base/v1/relays/fra1/state?generation=$g&delta=1&timeout=1")
check "delta: a relay holding the previous generation gets only the changed session" \
	test "$(echo "$delta" | json 'd["generation"], d["base"], d["relay"], [s["name"] for s in d["sessions_upsert"]], d["sessions_remove"], "instances" in d')" = "$g2 $g fra1 ['corp-hq-branch1'] [] False"
check "delta: the answer names its base in X-Xrelay-Delta-Base" \
	grep -qi "^x-xrelay-delta-base: $g" "$work/delta.hdr"
check "delta: an unknown base gets the full state" \
	test "$(as $FRA1 "$base/v1/relays/fra1/state?generation=1&delta=1&timeout=1" | json '"base" in d, len(d["sessions"])')" = "False 2"
check "delta: without delta=1 a relay gets the full state as before" \
	test "$(as $FRA1 "$base/v1/relays/fra1/state?generation=$g&timeout=1" | json '"base" in d, len(d["sessions"])')" = "False 2"
check "delta: a bad delta parameter is refused (400)" \
	test "$(code $FRA1 "$base/v1/relays/fra1/state?generation=$g&delta=2")" = 400
out=$(as $FRA1 "$base/v1/relays/fra1/state?generation=$g2&delta=1&timeout=20" &
	sleep 0.3; sed -i 's/idle-timeout: 11m/idle-timeout: 13m/' "$cfg/sessions.yaml"; wait)
check "delta: a held poll asking for deltas is answered with one" \
	test "$(echo "$out" | json 'd["base"], [s["idle_timeout"] for s in d["sessions_upsert"]]')" = "$g2 [780]"
sed -i 's/idle-timeout: 13m/idle-timeout: 11m/' "$cfg/sessions.yaml"
wait_for 60 bash -c "test \"\$(curl -sS -m 60 --cacert '$pki/ca.pem' --cert '$pki/$FRA1.pem' --key '$pki/$FRA1.key' '$base/v1/relays/fra1/state' | grep -o '\"idle_timeout\":660')\" = '\"idle_timeout\":660'"

# --- reports, status, metrics -----------------------------------------------
g=$(gen_of $FRA1 fra1)
check "report: a relay reports what it applied (204)" \
	test "$(code $FRA1 -X POST -d "{\"generation\":$g,\"errors\":[],\"counters\":{\"sessions\":2,\"packets\":10}}" "$base/v1/relays/fra1/report")" = 204
check "report: a malformed report is refused (400)" \
	test "$(code $FRA1 -X POST -d '{"generation":"x"}' "$base/v1/relays/fra1/report")" = 400
check "status: shows the relay in sync with its report" \
	test "$(as $PROM "$base/v1/status" | json '[r for r in d["relays"] if r["name"]=="fra1"][0]["in_sync"], d["config"]["valid"]')" = "True True"
metrics_exported() {
	as $PROM "$base/metrics" > "$work/metrics" &&
	grep -q "^xrelay_ctld_relay_applied_generation{relay=\"fra1\"} $g$" "$work/metrics" &&
	grep -q '^xrelay_ctld_relay_reported{relay="fra1",counter="packets"} 10$' "$work/metrics" &&
	grep -q '^xrelay_ctld_config_valid 1$' "$work/metrics"
}
check "metrics: applied generation, reported counters and config validity exported" metrics_exported

# Session counters arrive as changes against a table ctld keeps per relay.
report() { code $FRA1 -X POST -d "$1" "$base/v1/relays/fra1/report"; }
check "report: session changes without a complete report first are refused (409)" \
	test "$(report "{\"generation\":$g,\"sessions\":{\"corp-hq-branch1\":{\"a_packets\":1}}}")" = 409
check "report: a complete report with sessions and networks is taken (204)" \
	test "$(report "{\"generation\":$g,\"complete\":true,\"networks\":{\"corp\":{\"sessions\":2,\"packets\":7}},\"sessions\":{\"corp-hq-branch1\":{\"a_packets\":5,\"b_packets\":2},\"corp-hq-branch2\":{\"a_packets\":1}}}")" = 204
check "report: then changes are merged, null removes a session (204)" \
	test "$(report "{\"generation\":$g,\"sessions\":{\"corp-hq-branch1\":{\"a_packets\":9,\"b_packets\":2},\"corp-hq-branch2\":null}}")" = 204
check "report: a bad session entry is refused (400)" \
	test "$(report "{\"generation\":$g,\"sessions\":{\"x y\":{\"a\":1}}}")" = 400
check "status: per-session and per-network counters of the relay" \
	test "$(as $PROM "$base/v1/status" | json '[(r["report"]["sessions"], r["report"]["networks"]) for r in d["relays"] if r["name"]=="fra1"][0]')" = \
	"({'corp-hq-branch1': {'a_packets': 9, 'b_packets': 2}}, {'corp': {'sessions': 2, 'packets': 7}})"
# A relay (a compromised host, a buggy agent) sending names its document
# does not hold: ten reports of 20 000 each grow nothing.
bogus_report() { # FIRST
	python3 -c "
import json, sys
first = int(sys.argv[1])
s = {'bogus-%06d' % i: {'a_packets': i} for i in range(first, first + 20000)}
print(json.dumps({'generation': $g, 'sessions': s}))" "$1" > "$work/bogus.json"
	code $FRA1 -X POST --data-binary @"$work/bogus.json" "$base/v1/relays/fra1/report"
}
bogus_codes=$(for i in $(seq 0 9); do bogus_report $((i * 20000)); echo; done | sort -u | xargs)
check "report: names the relay's document does not hold are dropped, the rest taken (204)" \
	test "$bogus_codes" = 204
check "report: after 200 000 of them the relay's table holds its own session only" \
	test "$(as $PROM "$base/v1/status" | json '[len(r["report"]["sessions"]) for r in d["relays"] if r["name"]=="fra1"][0]')" = 1
check "metrics: the dropped names are counted, not exported" \
	bash -c "curl -s -m 30 --cacert '$pki/ca.pem' --cert '$pki/$PROM.pem' --key '$pki/$PROM.key' $base/metrics > '$work/metrics' &&
		grep -q '^xrelay_ctld_report_sessions_dropped_total 200000$' '$work/metrics' && ! grep -q bogus- '$work/metrics'"
object_metrics_exported() {
	as $PROM "$base/metrics" > "$work/metrics" &&
	grep -q '^xrelay_ctld_relay_session_reported{relay="fra1",session="corp-hq-branch1",counter="a_packets"} 9$' "$work/metrics" &&
	! grep -q 'session="corp-hq-branch2"' "$work/metrics" &&
	grep -q '^xrelay_ctld_relay_network_reported{relay="fra1",network="corp",counter="packets"} 7$' "$work/metrics"
}
check "metrics: per-session and per-network counters exported" object_metrics_exported
promtool=$("$here/../../scripts/promtool.sh" 2>/dev/null)
promtool_clean() { as $PROM "$base/metrics" | "$promtool" check metrics; }
check "metrics: /metrics passes promtool check metrics" promtool_clean

# --- allocation API ------------------------------------------------------------
a=$(as $NETPORT -X POST -d '{"network":"corp","a":{"allow":"192.0.2.0/24"},"region":"us-east"}' "$base/v1/allocations")
id=$(echo "$a" | json 'd["id"]')
check "alloc: region preferred, ports from a corp pool" \
	test "$(echo "$a" | json 'd["relay"], d["address"], 40000 <= d["a"]["port"] <= 40999, d["a"]["allow"]')" = "iad1 198.51.100.20 True 192.0.2.0/24"
check "alloc: the session is in the relay's state at once" \
	bash -c "curl -sS -m 60 --cacert '$pki/ca.pem' --cert '$pki/iad1.relay.example.net.pem' --key '$pki/iad1.relay.example.net.key' $base/v1/relays/iad1/state | grep -q '\"allocation\":\"$id\"'"
check "alloc: get answers the allocation" test "$(code $NETPORT "$base/v1/allocations/$id")" = 200
check "alloc: refresh extends the expiry" \
	test "$(as $NETPORT -X POST -d '{"ttl":3600}' "$base/v1/allocations/$id/refresh" | json 'd["ttl"] > 3500')" = True
check "alloc: refresh beyond the maximum ttl is refused (400)" \
	test "$(code $NETPORT -X POST -d '{"ttl":99999999}' "$base/v1/allocations/$id/refresh")" = 400
check "alloc: unknown network (400), bad JSON (400), unknown key (400)" \
	test "$(code $NETPORT -X POST -d '{"network":"x"}' "$base/v1/allocations") $(code $NETPORT -X POST -d '{' "$base/v1/allocations") $(code $NETPORT -X POST -d '{"network":"corp","foo":1}' "$base/v1/allocations")" = "400 400 400"
check "alloc: release (204), then it is gone (404)" \
	test "$(code $NETPORT -X DELETE "$base/v1/allocations/$id") $(code $NETPORT "$base/v1/allocations/$id")" = "204 404"
post_key() { # KEY: code and id of an allocation made with Idempotency-Key KEY
	as $NETPORT -X POST -H "Idempotency-Key: $1" -d '{"network":"lab"}' -w ' %{http_code}' \
		"$base/v1/allocations" | python3 -c "import json,sys; b,c=sys.stdin.read().rsplit(' ',1); print(c, json.loads(b).get('id'))"
}
first=$(post_key retry-1)
check "alloc: a new Idempotency-Key makes an allocation (201)" test "${first%% *}" = 201
check "alloc: a retry with the same key gets the same allocation (200), not a second" \
	test "$(post_key retry-1)" = "200 ${first#* }"
check "alloc: a malformed Idempotency-Key is refused (400)" \
	test "$(code $NETPORT -X POST -H 'Idempotency-Key: a b' -d '{"network":"lab"}' "$base/v1/allocations")" = 400
check "alloc: the client lists its own allocations" \
	bash -c "curl -sS -m 30 --cacert '$pki/ca.pem' --cert '$pki/$NETPORT.pem' --key '$pki/$NETPORT.key' $base/v1/allocations | grep -q '\"idempotency_key\":\"retry-1\"'"
check "alloc: a client's quota: 2 allocations (201 201), then 429" \
	test "$(for i in 1 2 3; do code $QUOTA -X POST -d '{"network":"lab"}' "$base/v1/allocations"; echo; done | xargs)" = "201 201 429"
check "alloc: the quota's refusal names it" \
	bash -c "curl -sS -m 30 --cacert '$pki/ca.pem' --cert '$pki/$QUOTA.pem' --key '$pki/$QUOTA.key' -X POST -d '{\"network\":\"lab\"}' $base/v1/allocations | grep -q 'holds 2 allocations, its max-allocations'"
check "alloc: a client's rate: 2 a minute at once (201 201), then 429" \
	test "$(for i in 1 2 3; do code $BURST -X POST -d '{"network":"lab"}' "$base/v1/allocations"; echo; done | xargs)" = "201 201 429"
check "alloc: the rate's refusal says when to retry (Retry-After, 30 s for one of 2 a minute)" \
	bash -c "curl -sS -m 30 -D - -o /dev/null --cacert '$pki/ca.pem' --cert '$pki/$BURST.pem' --key '$pki/$BURST.key' -X POST -d '{\"network\":\"lab\"}' $base/v1/allocations | tr -d '\r' | grep -qiE '^retry-after: (2[0-9]|30)$'"
check "alloc: a list holds the client's own only" \
	test "$(as $QUOTA "$base/v1/allocations" | json 'len(d["allocations"])')" = 2
short=$(as $NETPORT -X POST -d '{"network":"lab","ttl":1}' "$base/v1/allocations" | json 'd["id"]')
gone() { test "$(code $NETPORT "$base/v1/allocations/$1")" = 404; }
check "alloc: an expired allocation is reclaimed" wait_for 60 gone "$short"

# --- many clients at once --------------------------------------------------------
res=$("$LOAD" poll --url "$base" --ca "$pki/ca.pem" --cert "$pki/$FRA1.pem" --key "$pki/$FRA1.key" \
	--relays fra1 --count 1000 --timeout 60 --observer "$pki/$PROM.pem:$pki/$PROM.key" \
	--trigger "sed -i 's/idle-timeout: 11m/idle-timeout: 12m/' '$cfg/sessions.yaml'")
echo "# 1000 long polls: $res"
check "poll: 1000 concurrent long polls all answered by one change" \
	test "$(echo "$res" | json 'd["ok"], d["other"]')" = "1000 0"
allocs=$("$LOAD" alloc --url "$base" --ca "$pki/ca.pem" --cert "$pki/$NETPORT.pem" \
	--key "$pki/$NETPORT.key" --count 500 --parallel 100 --body '{"network":"corp"}')
n=$(echo "$allocs" | grep -c .)
dups=$(echo "$allocs" | awk '{ print $1, $3; print $1, $4 }' | sort | uniq -d | wc -l)
echo "# 500 concurrent allocations: $n granted, $dups duplicate ports"
check "alloc: 500 concurrent allocations, none shares a port" test "$n $dups" = "500 0"

# --- reloads --------------------------------------------------------------------
g=$(gen_of $FRA1 fra1)
printf 'networks:\n  - name: broken\n    id: nope\n' > "$cfg/zz-broken.yaml"
check "reload: an invalid file is refused and reported on the status" \
	wait_for 60 bash -c "curl -s -m 30 --cacert '$pki/ca.pem' --cert '$pki/$PROM.pem' --key '$pki/$PROM.key' $base/v1/status | grep -q 'zz-broken.yaml:3:9: expected an integer for'"
check "reload: the metric shows the configuration invalid" \
	bash -c "curl -s -m 30 --cacert '$pki/ca.pem' --cert '$pki/$PROM.pem' --key '$pki/$PROM.key' $base/metrics | grep -q '^xrelay_ctld_config_valid 0$'"
check "reload: the last good configuration keeps serving" test "$(gen_of $FRA1 fra1)" = "$g"
check "reload: the error is logged with its position" grep -q 'zz-broken.yaml:3:9' "$log"
rm "$cfg/zz-broken.yaml"
check "reload: fixing the file makes the configuration valid again" \
	wait_for 60 bash -c "curl -s -m 30 --cacert '$pki/ca.pem' --cert '$pki/$PROM.pem' --key '$pki/$PROM.key' $base/metrics | grep -q '^xrelay_ctld_config_valid 1$'"
# A FIFO in the directory (git cannot hold one, a symlink can point at one)
# must not freeze ctld waiting for a writer. Creating one is no inotify
# event ctld watches for: SIGHUP reloads.
mkfifo "$cfg/zz-fifo.yaml"
kill -HUP "$pid"
check "reload: a FIFO is refused as not a regular file, without waiting for a writer" \
	wait_for 60 bash -c "curl -s -m 30 --cacert '$pki/ca.pem' --cert '$pki/$PROM.pem' --key '$pki/$PROM.key' $base/v1/status | grep -q 'zz-fifo.yaml: not a regular file'"
check "reload: ctld answers with a FIFO in its directory" test "$(code $FRA1 "$base/v1/relays/fra1/state")" = 200
check "check: a FIFO is refused at once" \
	bash -c "timeout 10 '$CTLD' check '$cfg' | grep -q 'zz-fifo.yaml: not a regular file'"
rm "$cfg/zz-fifo.yaml"
check "reload: without the FIFO the configuration is valid again" \
	wait_for 60 bash -c "curl -s -m 30 --cacert '$pki/ca.pem' --cert '$pki/$PROM.pem' --key '$pki/$PROM.key' $base/metrics | grep -q '^xrelay_ctld_config_valid 1$'"
before=$(as $PROM "$base/metrics" | awk '/^xrelay_ctld_config_reloads_total{result="ok"}/ { print $2 }')
kill -HUP "$pid"
check "reload: SIGHUP reloads" wait_for 60 bash -c "curl -s -m 30 --cacert '$pki/ca.pem' --cert '$pki/$PROM.pem' --key '$pki/$PROM.key' $base/metrics | grep -q '^xrelay_ctld_config_reloads_total{result=\"ok\"} $((before + 1))$'"

# A checkout rewriting sessions.yaml slowly, as the control-plane review's
# repro does (unlink, 50 ms, half, 50 ms, the rest), to the same content:
# nothing of the half-written states is served, so fra1 keeps its
# generation. (Before, a state of 0 sessions was served between.)
g=$(gen_of $FRA1 fra1)
python3 - "$cfg/sessions.yaml" <<'PY'
import os, sys, time
path = sys.argv[1]
data = open(path, "rb").read()
os.unlink(path)
time.sleep(0.05)
with open(path, "wb") as f:
    f.write(data[:len(data) // 2])
    f.flush()
    time.sleep(0.05)
    f.write(data[len(data) // 2:])
PY
sleep 2
check "reload: a slow rewrite of the same sessions serves none of its halves (fra1 keeps its generation)" \
	test "$(gen_of $FRA1 fra1)" = "$g"
check "reload: the transient loss of fra1's sessions was held, not served" \
	grep -q 'held, relay fra1 would lose 2 of its 2 static sessions' "$log"

# A relay removed in one commit and restored in the next keeps its
# allocations: the removal is held (fra2 would lose all of them).
fra2_allocs() { as $PROM "$base/v1/status" | json '[r["allocated_sessions"] for r in d["relays"] if r["name"]=="fra2"][0]'; }
n2=$(fra2_allocs)
fra2_id=$(as $NETPORT "$base/v1/allocations" | json '[a["id"] for a in d["allocations"] if a["relay"]=="fra2"][0]')
cp "$cfg/relays.yaml" "$work/relays.yaml.orig"
# Each file replaced whole, as git does.
remove_fra2() {
	python3 - "$cfg/relays.yaml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
text = re.sub(r"  - name: fra2\n(    .*\n)+\n", "", text)
open(path + ".new", "w").write(text)
PY
	mv "$cfg/relays.yaml.new" "$cfg/relays.yaml"
}
restore_relays() { cp "$work/relays.yaml.orig" "$cfg/relays.yaml.new" && mv "$cfg/relays.yaml.new" "$cfg/relays.yaml"; }
remove_fra2
held_fra2() { as $PROM "$base/v1/status" | json 'd["config"]["held"]' | grep -q "relay fra2 would lose its $n2 allocations"; }
check "reload: removing relay fra2 and its $n2 allocations is held and shown on the status" \
	wait_for 60 held_fra2
check "reload: the held configuration shows on the metrics" \
	bash -c "curl -s -m 30 --cacert '$pki/ca.pem' --cert '$pki/$PROM.pem' --key '$pki/$PROM.key' $base/metrics | grep -q '^xrelay_ctld_config_held 1$'"
restore_relays
not_held() { test "$(as $PROM "$base/v1/status" | json 'd["config"]["held"]')" = None; }
check "reload: restoring fra2 ends the hold" wait_for 60 not_held
check "reload: fra2 kept its $n2 allocations through the removal and the restore" test "$(fra2_allocs)" = "$n2"
# SIGUSR1 applies what the guard holds.
remove_fra2
wait_for 60 held_fra2
kill -USR1 "$pid"
gone_fra2() { test "$(code $FRA2 "$base/v1/relays/fra2/state")" = 403; }
check "reload: SIGUSR1 applies the held removal" wait_for 60 gone_fra2
orphans() { as $PROM "$base/v1/status" | json 'd["allocations"]["orphaned"]'; }
check "reload: fra2's $n2 allocations wait, orphaned, not deleted" test "$(orphans)" = "$n2"
check "alloc: an orphaned allocation still answers its owner, with orphaned_at" \
	test "$(as $NETPORT "$base/v1/allocations/$fra2_id" | json '"orphaned_at" in d')" = True
restore_relays
check "reload: fra2 comes back" wait_for 60 bash -c "test \$(curl -s -m 20 -o /dev/null -w '%{http_code}' --cacert '$pki/ca.pem' --cert '$pki/$FRA2.pem' --key '$pki/$FRA2.key' $base/v1/relays/fra2/state) = 200"
check "reload: and its $n2 allocations come back onto it" \
	test "$(fra2_allocs) $(orphans)" = "$n2 0"
check "alloc: the allocation is placed again, no longer orphaned" \
	test "$(as $NETPORT "$base/v1/allocations/$fra2_id" | json '"orphaned_at" in d, d["relay"]')" = "False fra2"

# A reload storm: valid and invalid versions alternate while 200 polls
# re-poll. The storm is over once fra1 serves the final version (no storm
# step uses 10m); only then may the pollers stop.
storm() {
	local i
	sleep 0.5
	for i in $(seq 1 40); do
		sed -i "s/idle-timeout: [0-9]*m/idle-timeout: $((i % 7 + 1))m/" "$cfg/sessions.yaml"
		[ $((i % 5)) -eq 0 ] && printf 'relays: 7\n' > "$cfg/zz-storm.yaml"
		[ $((i % 5)) -eq 2 ] && rm -f "$cfg/zz-storm.yaml"
		sleep 0.06
	done
	rm -f "$cfg/zz-storm.yaml"
	sed -i "s/idle-timeout: [0-9]*m/idle-timeout: 10m/" "$cfg/sessions.yaml"
	wait_for 120 storm_over && touch "$work/storm-over"
}
storm_over() { as $FRA1 "$base/v1/relays/fra1/state" | grep -q '"idle_timeout":600'; }
storm &
storm_pid=$!
res=$("$LOAD" poll --url "$base" --ca "$pki/ca.pem" --cert "$pki/$FRA1.pem" --key "$pki/$FRA1.key" \
	--relays fra1 --count 200 --loop-until "$work/storm-over")
wait "$storm_pid"
echo "# reload storm: $res"
check "reload: a storm of 40 changes under 200 open polls: no error, every poller converges" \
	test "$(echo "$res" | json 'd["errors"], d["stale"]')" = "0 0"
check "reload: ctld is still running after the storm" kill -0 "$pid"

# --- restart with allocations kept ---------------------------------------------------
keyed=$(post_key restart-1)
keep=$(as $NETPORT -X POST -d '{"network":"lab","region":"eu-central"}' "$base/v1/allocations")
keep_id=$(echo "$keep" | json 'd["id"]')
active=$(as $PROM "$base/v1/status" | json 'd["allocations"]["active"]')
g_before=$(gen_of $FRA1 fra1)
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
start_ctld '[::1]:0'
check "restart: listening on ::1 after a crash (SIGKILL)" test "$host" = "[::1]"
check "restart: a generation from before the restart gets the full state, not a delta" \
	test "$(as $FRA1 "$base/v1/relays/fra1/state?generation=$g_before&delta=1&timeout=1" | json '"base" in d, "instances" in d')" = "False True"
check "restart: every allocation survives ($active)" \
	test "$(as $PROM "$base/v1/status" | json 'd["allocations"]["active"]')" = "$active"
check "restart: an Idempotency-Key still finds its allocation" test "$(post_key restart-1)" = "200 ${keyed#* }"
check "restart: an allocation keeps its relay and ports" \
	test "$(as $NETPORT "$base/v1/allocations/$keep_id" | json 'd["relay"], d["a"]["port"], d["b"]["port"]')" = "$(echo "$keep" | json 'd["relay"], d["a"]["port"], d["b"]["port"]')"
kill -TERM "$pid"
check "stop: SIGTERM stops ctld cleanly" wait_for 60 bash -c "! kill -0 $pid 2>/dev/null"
wait "$pid"
check "stop: exit status 0" test $? -eq 0
pid=
