#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: the whole system inside the test VM. xrelay-ctld serves the
# example configuration (ctl-server/examples), xrelay-agent applies relay
# fra1's share of it to the module (instances, sessions, and network corp's
# policy), two WireGuard peers talk through one of its sessions, and a
# session added to the YAML reaches the kernel.
#
#   ns A                         ns relay ("fra1")                     ns B
#   wg0 10.99.0.1/24             xrelay-ctld (examples, mTLS)          wg0 10.99.0.2/24
#   veth-a 192.0.2.10/24 --- to-a   xrelay-agent --> xrelay.ko   to-b --- veth-b 198.51.100.2/24
#   endpoint 203.0.113.10:40002  relay0: 203.0.113.10,              endpoint 203.0.113.10:40003
#   listens on 51820             2001:db8:10::10 (fra1's addresses)
#
# The VM takes the examples' addresses: A is 192.0.2.10:51820, the peer
# pinned on side a of session corp-hq-branch2 (ports 40002/40003); B's side
# is learned. A and B have routes only to the relay address, and the relay
# namespace does not forward: the tunnel works only through the session.
#
# On the host this builds everything and boots the VM; in the VM (--guest)
# it runs the demo and prints each command before running it. Every step
# it shows is checked: the demo ends with "demo: FAILED: <what>" and a
# non-zero exit as soon as one does not do what it shows, including iperf3
# through the session running well below the same tunnel routed plainly.
set -euo pipefail

repo=$(readlink -f "$(dirname "$0")/..")
cd "$repo"

if [ "${1:-}" != --guest ]; then
	make all
	exec selftests/vm/run-vm.sh -t 600 -- scripts/demo.sh --guest
fi

xrelayctl=$repo/tools/xrelayctl/xrelayctl
agent=$repo/tools/xrelay-agent/xrelay-agent
ctld=$repo/build/ctl-server/xrelay-ctld
relay=203.0.113.10
trap 'echo "demo: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
# The relay's iperf3 rate must reach this share (percent) of what the plain
# path, or the session's rate limit if lower, allows: enough to catch a
# path that drops or stalls full-size packets, loose enough for the
# emulator's swings between two single runs.
RATIO_MIN=30
# The VM console is a tty, but the demo's output ends up in logs too.
export WG_COLOR_MODE=never

# fail MESSAGE: stop the demo, saying what did not work.
fail()
{
	echo "demo: FAILED: $*" >&2
	exit 1
}

step()
{
	echo
	echo "### $*"
}

run()
{
	echo "+ $*" >&2
	"$@"
}

in_ns()
{
	local ns=$1
	shift
	run ip netns exec "$ns" "$@"
}

# until_true SECONDS COMMAND...: poll COMMAND every 0.1 s.
until_true()
{
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# wire NS DEV PEER_DEV NET HOST: a veth from NS to the relay, NET.HOST in NS, NET.1 in relay.
wire()
{
	local ns=$1 dev=$2 peer=$3 net=$4 host=$5
	run ip link add "$dev" netns "$ns" type veth peer name "$peer" netns relay
	run ip -n "$ns" addr add "$net.$host/24" dev "$dev"
	run ip -n relay addr add "$net.1/24" dev "$peer"
	ip -n "$ns" link set "$dev" up
	ip -n relay link set "$peer" up
	run ip -n "$ns" route add $relay/32 via "$net.1"
}

# tunnel NS OWN_KEY PEER_PUB LISTEN_PORT RELAY_PORT OWN_ADDR PEER_ADDR
tunnel()
{
	local ns=$1 key=$2 peer_pub=$3 listen=$4 relay_port=$5 own=$6 peer=$7
	run ip -n "$ns" link add wg0 type wireguard
	in_ns "$ns" wg set wg0 listen-port "$listen" private-key "$key" \
		peer "$(cat "$peer_pub")" endpoint "$relay:$relay_port" allowed-ips "$peer/32"
	run ip -n "$ns" addr add "$own/24" dev wg0
	run ip -n "$ns" link set wg0 up
}

as_observer()
{
	ip netns exec relay curl -sS --cacert "$pki/ca.pem" --cert "$pki/prometheus.example.net.pem" \
		--key "$pki/prometheus.example.net.key" "$url$1"
}

fra1_in_sync()
{
	[ "$(as_observer /v1/status | jq '.relays[] | select(.name == "fra1") | .in_sync')" = true ]
}

has_session()
{
	ip netns exec relay "$xrelayctl" session show instance 1 port "$1" > /dev/null 2>&1
}

# session_of PORT JQ_FILTER: the session of instance 1 on PORT, through jq.
session_of()
{
	ip netns exec relay "$xrelayctl" -j session show instance 1 port "$1" | jq -r ".[0] | $2"
}

iperf_listening()
{
	ip netns exec B ss -Hltn 'sport = :5201' | grep -q .
}

# iperf NS SERVER SECONDS: TCP from NS to an iperf3 server on SERVER in ns B;
# sets kbps and bytes (what the server received).
iperf()
{
	local ns=$1 server=$2 secs=$3 json

	in_ns B iperf3 -s -1 -D -B "$server"
	until_true 10 iperf_listening || fail "the iperf3 server did not start"
	json=$work/iperf.json
	echo "+ ip netns exec $ns iperf3 -c $server -t $secs --json > $json" >&2
	timeout $((secs + 20)) ip netns exec "$ns" iperf3 -c "$server" -t "$secs" --json > "$json" ||
		fail "iperf3 from $ns to $server failed: $(jq -r '.error // empty' "$json" 2>/dev/null)"
	read -r kbps bytes < <(jq -r '.end.sum_received | "\(.bits_per_second / 1000 | floor) \(.bytes)"' "$json")
	echo "$((bytes / 1000000)) MB in $secs s, $((kbps / 1000)) Mbit/s"
	[ "${bytes:-0}" -gt 0 ] || fail "iperf3 from $ns to $server moved no data"
}

step "Load xrelay and what the demo needs"
for module in $(modinfo -F depends kmod/xrelay.ko | tr ',' ' ') dummy veth wireguard; do
	modprobe "$module"
done
run insmod kmod/xrelay.ko

step "Namespaces: the relay takes fra1's addresses from ctl-server/examples"
for ns in A relay B; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
run ip -n relay link add relay0 type dummy
run ip -n relay addr add $relay/32 dev relay0
run ip -n relay addr add 2001:db8:10::10/128 dev relay0 nodad
run ip -n relay link set relay0 up
run ip netns exec relay sysctl -qw net.ipv4.ip_forward=0
wire A veth-a to-a 192.0.2 10
wire B veth-b to-b 198.51.100 2

step "xrelay-ctld with a copy of ctl-server/examples and a throwaway PKI"
work=$(mktemp -d)
cp -r ctl-server/examples "$work/config"
pki=$work/pki
CERT_CLIENTS="fra1.relay.example.net prometheus.example.net" \
	ctl-server/tests/certs.sh "$pki" > /dev/null
echo "+ $ctld serve --config $work/config --listen 127.0.0.1:0 ... (in ns relay)" >&2
ip netns exec relay "$ctld" serve --config "$work/config" --listen 127.0.0.1:0 \
	--cert "$pki/server.pem" --key "$pki/server.key" --ca "$pki/ca.pem" \
	--db "$work/ctld.db" --ready-file "$work/ready" --quiet &
until_true 20 test -s "$work/ready" || fail "xrelay-ctld did not start within 20 s"
ready=$(cat "$work/ready")
url=https://localhost:${ready##*:}
echo "xrelay-ctld listens on $ready"

step "xrelay-agent as relay fra1"
cat > "$work/agent.conf" <<CONF
ctld-url = $url
relay = fra1
cert = $pki/fra1.relay.example.net.pem
key = $pki/fra1.relay.example.net.key
ca = $pki/ca.pem
resync-interval = 2s
CONF
cat "$work/agent.conf"
echo "+ $agent --config $work/agent.conf (in ns relay, in the background)" >&2
ip netns exec relay "$agent" --config "$work/agent.conf" 2>&1 | sed 's/^/    [agent] /' &
until_true 30 has_session 40002 ||
	fail "the agent did not apply fra1's sessions within 30 s (no session on port 40002)"
in_ns relay "$xrelayctl" instance show
echo "Network corp's policy (corp-locked in policies.yaml) is the kernel's network 10:"
in_ns relay "$xrelayctl" network show
in_ns relay "$xrelayctl" session show
echo "The agent reserved the instances' ephemeral-range ports for the module:"
in_ns relay sysctl net.ipv4.ip_local_reserved_ports

step "WireGuard through session corp-hq-branch2: A at 192.0.2.10:51820 (pinned), B learned"
key_dir=$work/keys
mkdir -p "$key_dir"
for side in a b; do
	(umask 077 && wg genkey >"$key_dir/$side.key")
	wg pubkey <"$key_dir/$side.key" >"$key_dir/$side.pub"
done
tunnel A "$key_dir/a.key" "$key_dir/b.pub" 51820 40002 10.99.0.1 10.99.0.2
tunnel B "$key_dir/b.key" "$key_dir/a.pub" 51821 40003 10.99.0.2 10.99.0.1

step "Ping through the tunnel"
echo "B's first packet latches side b and reaches A, whose side is pinned."
in_ns B ping -c 1 -W 5 10.99.0.1 || true
tries=0
until in_ns A ping -c 3 -W 2 10.99.0.2; do
	tries=$((tries + 1))
	[ $tries -lt 5 ] || fail "no ping through the relay"
done
in_ns A wg show wg0
[ "$(session_of 40002 '.b.peer')" = 198.51.100.2:51821 ] ||
	fail "side b of corp-hq-branch2 did not learn B (198.51.100.2:51821)"

step "iperf3 through the tunnel (the VM is emulated: expect modest numbers)"
echo "Network corp's guard, admission and rate limits apply to every packet."
before=$(session_of 40002 '.a.stats.bytes + .b.stats.bytes')
iperf A 10.99.0.2 5
relay_kbps=$kbps
relay_bytes=$bytes
forwarded=$(($(session_of 40002 '.a.stats.bytes + .b.stats.bytes') - before))
echo "corp-hq-branch2 forwarded $forwarded bytes of WireGuard for them"
[ "$forwarded" -gt "$relay_bytes" ] ||
	fail "the session forwarded $forwarded bytes, less than the $relay_bytes iperf3 delivered"

step "For comparison: the same tunnel routed plainly, without the relay's session"
echo "The relay namespace forwards for a moment and the peers point at each other."
run ip -n A route add 198.51.100.0/24 via 192.0.2.1
run ip -n B route add 192.0.2.0/24 via 198.51.100.1
run ip netns exec relay sysctl -qw net.ipv4.ip_forward=1
in_ns A wg set wg0 peer "$(cat "$key_dir/b.pub")" endpoint 198.51.100.2:51821
in_ns B wg set wg0 peer "$(cat "$key_dir/a.pub")" endpoint 192.0.2.10:51820
iperf A 10.99.0.2 5
plain_kbps=$kbps
echo "Back through the relay only:"
run ip netns exec relay sysctl -qw net.ipv4.ip_forward=0
run ip -n A route del 198.51.100.0/24 via 192.0.2.1
run ip -n B route del 192.0.2.0/24 via 198.51.100.1
in_ns A wg set wg0 peer "$(cat "$key_dir/b.pub")" endpoint $relay:40002
in_ns B wg set wg0 peer "$(cat "$key_dir/a.pub")" endpoint $relay:40003
in_ns A ping -c 3 -W 2 10.99.0.2 > /dev/null || fail "no ping through the relay after the comparison"

# The session may carry no more than its rate limit (corp's session-rate).
limit_kbps=$(ip netns exec relay "$xrelayctl" -j network show id 10 |
	jq '.[0].session_rate_limit.bits_per_second // 0 | . / 1000 | floor')
expected=$plain_kbps
if [ "$limit_kbps" -gt 0 ] && [ "$limit_kbps" -lt "$expected" ]; then
	expected=$limit_kbps
fi
echo "Through the relay $relay_kbps kbit/s, plain $plain_kbps kbit/s," \
	"session rate limit ${limit_kbps} kbit/s (0: none)"
[ $((relay_kbps * 100)) -ge $((expected * RATIO_MIN)) ] ||
	fail "iperf3 through corp-hq-branch2 ran at $relay_kbps kbit/s, under $RATIO_MIN% of the" \
		"$expected kbit/s the plain path or the session's rate limit allows"
# Rate-limit drops are the policy at work when TCP outruns the session's
# limit; any other drop is a tunnel packet lost.
drops=$(session_of 40002 '[.a.stats, .b.stats] | map(to_entries[] |
	select(.key | startswith("drop_")) | select(.value > 0) |
	select(.key | IN("drop_not_paired", "drop_rate_limit") | not) |
	"\(.key) \(.value)") | join(", ")')
[ -z "$drops" ] || fail "corp-hq-branch2 dropped tunnel packets: $drops"
tunnel_id=$(session_of 40002 .id)
tunnel_packets=$(session_of 40002 '.a.stats.packets + .b.stats.packets')

step "A YAML change reaches the kernel: a session added to the copied sessions.yaml"
run tee -a "$work/config/sessions.yaml" <<YAML

  - name: demo-added
    network: corp
    relay: fra1
    a: {port: 40010, allow: 192.0.2.0/24}
    b: {port: 40011}
YAML
start=$(date +%s%N)
until_true 10 has_session 40010 || fail "the session added to sessions.yaml did not reach the kernel within 10 s"
echo "in the kernel $((($(date +%s%N) - start) / 1000000)) ms after the commit:"
in_ns relay "$xrelayctl" session show instance 1 port 40010
echo "The session carrying the tunnel was not touched (same id, same counters):"
in_ns relay "$xrelayctl" session show instance 1 port 40002
[ "$(session_of 40002 .id)" = "$tunnel_id" ] ||
	fail "the tunnel's session was replaced: id $(session_of 40002 .id), was $tunnel_id"
[ "$(session_of 40002 '.a.stats.packets + .b.stats.packets')" -ge "$tunnel_packets" ] ||
	fail "the tunnel's session lost its counters (fewer than its $tunnel_packets packets)"

step "What ctld knows: the relay in sync, with its counters"
until_true 20 fra1_in_sync || fail "ctld does not report fra1 in sync within 20 s"
as_observer /v1/status | jq -M '.relays[] | select(.name == "fra1") |
	{generation, in_sync, applied: .report.applied_generation, errors: .report.errors,
	 sessions: .report.counters.sessions, networks: .report.networks,
	 "corp-hq-branch2": .report.sessions["corp-hq-branch2"]}'

step "What the relay saw"
in_ns relay "$xrelayctl" stats
echo
echo "demo: every step did what it showed"
