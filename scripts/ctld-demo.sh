#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xrelay-ctld with the example configuration, on loopback, with a throwaway
# PKI: a relay fetches its state and waits on a long poll, an allocator asks
# for a session, and the waiting relay is answered with the new session.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=build/ctld-demo
relay=iad1
rm -rf "$demo"
mkdir -p "$demo"
make -s -C ctl-server
ctld=build/ctl-server/xrelay-ctld

echo "== check the example configuration"
$ctld check ctl-server/examples && echo "ctl-server/examples: valid"

echo "== throwaway CA, server and client certificates"
CERT_CLIENTS="$relay.relay.example.net netport.example.net" \
	ctl-server/tests/certs.sh "$demo/pki" > /dev/null
pki=$demo/pki

$ctld serve --config ctl-server/examples --listen 127.0.0.1:0 --cert "$pki/server.pem" \
	--key "$pki/server.key" --ca "$pki/ca.pem" --db "$demo/allocations.db" \
	--ready-file "$demo/ready" --quiet &
ctld_pid=$!
trap 'kill $ctld_pid 2>/dev/null; wait $ctld_pid 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$demo/ready" ] && break; sleep 0.1; done
ready=$(cat "$demo/ready")
url=https://localhost:${ready##*:}
echo "xrelay-ctld listening on $(cat "$demo/ready")"

as() # CLIENT CURL-ARGS...: curl with CLIENT's certificate
{
	local who=$1
	shift
	curl -sS --cacert "$pki/ca.pem" --cert "$pki/$who.pem" --key "$pki/$who.key" "$@"
}

echo "== relay $relay fetches its desired state"
as "$relay.relay.example.net" -D "$demo/headers" "$url/v1/relays/$relay/state" |
	jq -c '{instances: (.instances | length), sessions: (.sessions | length)}'
generation=$(awk 'tolower($1) == "x-xrelay-generation:" { print $2 }' "$demo/headers" | tr -d '\r')
echo "generation $generation"

echo "== the relay long-polls; an allocator asks for a session meanwhile"
as "$relay.relay.example.net" "$url/v1/relays/$relay/state?generation=$generation&timeout=30" \
	> "$demo/poll.json" &
poll_pid=$!
sleep 1
as netport.example.net -X POST -H 'Content-Type: application/json' \
	-d '{"network": "corp", "a": {"allow": "192.0.2.0/24"}, "b": {}, "region": "us-east"}' \
	"$url/v1/allocations" | jq .
wait $poll_pid
echo "== the waiting relay was answered with the new session"
jq -c '.sessions[-1]' "$demo/poll.json"
