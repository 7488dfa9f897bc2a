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
# it runs the demo and prints each command before running it.
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
trap 'echo "demo: failed at line $LINENO" >&2' ERR
# The VM console is a tty, but the demo's output ends up in logs too.
export WG_COLOR_MODE=never

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
until_true 20 test -s "$work/ready"
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
until_true 30 has_session 40002
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
	[ $tries -lt 5 ] || { echo "demo: no ping through the relay" >&2; exit 1; }
done
in_ns A wg show wg0

step "iperf3 through the tunnel (the VM is emulated: expect modest numbers)"
in_ns B iperf3 -s -1 -D -B 10.99.0.2
until ip netns exec B ss -Hltn 'sport = :5201' | grep -q .; do
	sleep 0.2
done
in_ns A iperf3 -c 10.99.0.2 -t 3

step "A YAML change reaches the kernel: a session added to the copied sessions.yaml"
run tee -a "$work/config/sessions.yaml" <<YAML

  - name: demo-added
    network: corp
    relay: fra1
    a: {port: 40010, allow: 192.0.2.0/24}
    b: {port: 40011}
YAML
start=$(date +%s%N)
until_true 10 has_session 40010
echo "in the kernel $((($(date +%s%N) - start) / 1000000)) ms after the commit:"
in_ns relay "$xrelayctl" session show instance 1 port 40010
echo "The session carrying the tunnel was not touched (same id, same counters):"
in_ns relay "$xrelayctl" session show instance 1 port 40002

step "What ctld knows: the relay in sync, with its counters"
until_true 20 fra1_in_sync
as_observer /v1/status | jq -M '.relays[] | select(.name == "fra1") |
	{generation, in_sync, applied: .report.applied_generation, errors: .report.errors,
	 sessions: .report.counters.sessions, networks: .report.networks,
	 "corp-hq-branch2": .report.sessions["corp-hq-branch2"]}'

step "What the relay saw"
in_ns relay "$xrelayctl" stats
