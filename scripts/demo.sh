#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo: two WireGuard peers that can only reach each other through an
# xrelay session, inside the test VM.
#
#   ns A                         ns relay                          ns B
#   wg0 10.99.0.1/24             relay0 (dummy) 203.0.113.1        wg0 10.99.0.2/24
#   veth-a 192.0.2.2/24 ---- to-a 192.0.2.1   to-b 198.51.100.1 ---- veth-b 198.51.100.2/24
#   endpoint 203.0.113.1:20000   no IP forwarding                   endpoint 203.0.113.1:20001
#
# A and B have routes only to the relay address, and the relay namespace
# does not forward, so the tunnel works only because xrelay's session
# relays port 20000 (side a) to port 20001 (side b) and back. Both sides
# are learned: the session knows no peer until their first packets arrive.
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
relay=203.0.113.1
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

# wire NS DEV PEER_DEV NET: a veth from NS to the relay, NET.2 in NS, NET.1 in relay.
wire()
{
	local ns=$1 dev=$2 peer=$3 net=$4
	run ip link add "$dev" netns "$ns" type veth peer name "$peer" netns relay
	run ip -n "$ns" addr add "$net.2/24" dev "$dev"
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

step "Load xrelay and what the demo needs"
for module in $(modinfo -F depends kmod/xrelay.ko | tr ',' ' ') dummy veth wireguard; do
	modprobe "$module"
done
run insmod kmod/xrelay.ko

step "Namespaces: A and B can reach only the relay address"
for ns in A relay B; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
run ip -n relay link add relay0 type dummy
run ip -n relay addr add $relay/32 dev relay0
run ip -n relay link set relay0 up
run ip netns exec relay sysctl -qw net.ipv4.ip_forward=0
wire A veth-a to-a 192.0.2
wire B veth-b to-b 198.51.100
echo "A cannot reach B directly:"
in_ns A ping -c 1 -W 1 198.51.100.2 || true

step "An xrelay instance on $relay and one session, both sides learned"
instance=$(in_ns relay "$xrelayctl" instance add network 10 addr $relay ports 20000-20099)
echo "instance $instance"
session=$(in_ns relay "$xrelayctl" session add instance "$instance" a 20000 b 20001)
echo "session $session"
in_ns relay "$xrelayctl" session show id "$session"

step "WireGuard: A's peer is B at $relay:20000, B's peer is A at $relay:20001"
key_dir=$(mktemp -d)
for side in a b; do
	(umask 077 && wg genkey >"$key_dir/$side.key")
	wg pubkey <"$key_dir/$side.key" >"$key_dir/$side.pub"
done
tunnel A "$key_dir/a.key" "$key_dir/b.pub" 51820 20000 10.99.0.1 10.99.0.2
tunnel B "$key_dir/b.key" "$key_dir/a.pub" 51821 20001 10.99.0.2 10.99.0.1

step "Ping through the tunnel"
echo "A's first packet latches side a, and is dropped: side b is not known yet."
echo "B's first packet latches side b and reaches A: the handshake completes."
in_ns A ping -c 1 -W 1 10.99.0.2 || true
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

step "What the relay saw"
in_ns relay "$xrelayctl" session show
in_ns relay "$xrelayctl" stats
