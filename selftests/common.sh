# SPDX-License-Identifier: GPL-2.0-only
#
# Shared by the test-*.sh scenarios: KTAP output, cleanup, the namespaces
# they run in, traffic and counter helpers. Sourced, never run.
#
# The standard topology (setup_topology):
#
#   ns A ($NS_A)          ns relay ($NS_R)                        ns B ($NS_B)
#  +----------------+    +----------------------------------+    +------------------+
#  | veth0          |    | to_a              to_b           |    |            veth0 |
#  | 192.0.2.2/24   +----+ 192.0.2.1/24      198.51.100.1/24 +----+ 198.51.100.2/24  |
#  | 2001:db8:a::2  |    | 2001:db8:a::1     2001:db8:b::1    |    | 2001:db8:b::2    |
#  | default routes |    |                                  |    | default routes   |
#  | via the relay  |    | relay0 (dummy): 203.0.113.1/32,  |    | via the relay    |
#  +----------------+    |   2001:db8:ff::1/128             |    +------------------+
#                        | forwarding off: A and B meet only|
#                        | through xrelay sessions          |
#                        +----------------------------------+
#
# Environment (set by the VM runner; defaults suit a run from the tree):
#   REPO             the source tree
#   XRELAYCTL        the CLI
#   SELFTESTS_BUILD  where udp_peer and the C tests were built
#   XRELAY_TIME_SCALE how many times slower than Debian's the kernel runs
#                    (a debug kernel's lane): waits and traffic stretch by it

set -u

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
XRELAYCTL=${XRELAYCTL:-$REPO/tools/xrelayctl/xrelayctl}
XRELAY_TIME_SCALE=${XRELAY_TIME_SCALE:-1}
SELFTESTS_BUILD=${SELFTESTS_BUILD:-$REPO/build/selftests}
UDP_PEER=$SELFTESTS_BUILD/udp_peer

RELAY4=203.0.113.1
RELAY6=2001:db8:ff::1
A4=192.0.2.2
A6=2001:db8:a::2
B4=198.51.100.2
B6=2001:db8:b::2

NS_A=xr-a-$$
NS_R=xr-r-$$
NS_B=xr-b-$$

TEST_TMP=$(mktemp -d /tmp/xrelay-selftest.XXXXXX)
# Under emulation every process started costs a large fraction of a second,
# sleep(1) included: nap waits on a FIFO nobody writes to instead.
mkfifo "$TEST_TMP/nap" && exec {NAP_FD}<> "$TEST_TMP/nap"
CREATED_NS=()
declare -A BG_PID=()

# ---- KTAP ------------------------------------------------------------------

KTAP_PLANNED=0
KTAP_COUNT=0
KTAP_FAILED=0

ktap_plan()
{
	KTAP_PLANNED=$1
	echo "TAP version 13"
	echo "1..$1"
}

diag()
{
	local line

	while IFS= read -r line; do
		echo "# $line"
	done <<< "$*"
}

pass()
{
	KTAP_COUNT=$((KTAP_COUNT + 1))
	echo "ok $KTAP_COUNT $1"
}

# fail DESCRIPTION [DIAGNOSTIC...]
fail()
{
	local line

	KTAP_COUNT=$((KTAP_COUNT + 1))
	KTAP_FAILED=$((KTAP_FAILED + 1))
	echo "not ok $KTAP_COUNT $1"
	shift
	for line in "$@"; do
		[ -n "$line" ] && diag "$line"
	done
	[ "$KTAP_FAILED" -eq 1 ] && network_diag
	return 0
}

# After a scenario's first failure, what the namespaces' stacks saw: where
# a datagram the relay counted as sent went missing.
network_diag()
{
	local ns

	for ns in "${CREATED_NS[@]}"; do
		diag "---- $ns: links, neighbours, UDP and IP drop counters"
		ip -n "$ns" -s -j link 2>&1 | jq -r '.[] | select(.ifname != "lo") |
			"\(.ifname): rx \(.stats64.rx.packets) dropped \(.stats64.rx.dropped)," +
			" tx \(.stats64.tx.packets) dropped \(.stats64.tx.dropped)" +
			(if .xdp then " xdp \(.xdp.mode)" else "" end)' 2>&1 | diag_lines
		ip -n "$ns" neigh 2>&1 | diag_lines
		ip netns exec "$ns" nstat -az 2>&1 |
			grep -E '^(Udp|Udp6|Ip|Ip6)(InErrors|InCsumErrors|NoPorts|RcvbufErrors|InDiscards|InAddrErrors|InHdrErrors|InNoRoutes|InDatagrams|InReceives)' |
			awk '$2 != 0' | diag_lines
	done
	[ -n "${NS_R:-}" ] && { rctl stats; rctl session show; } 2>&1 | head -n 60 | diag_lines
}

# diag_lines: each line of the input as a diagnostic.
diag_lines()
{
	local line

	while read -r line; do
		diag "$line"
	done
}

# check DESCRIPTION COMMAND...: ok if COMMAND succeeds; its output is shown
# only when it fails.
check()
{
	local desc=$1 out

	shift
	if out=$("$@" 2>&1); then
		pass "$desc"
	else
		fail "$desc" "command failed (exit $?): $*" "$out"
	fi
}

# check_fails DESCRIPTION COMMAND...: ok if COMMAND exits non-zero.
check_fails()
{
	local desc=$1 out

	shift
	if out=$("$@" 2>&1); then
		fail "$desc" "command unexpectedly succeeded: $*" "$out"
	else
		pass "$desc"
	fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq()
{
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

# check_id VAR DESCRIPTION COMMAND...: ok if COMMAND succeeds printing a
# number (the id of what it created), which is stored in VAR.
check_id()
{
	local var=$1 desc=$2 out

	shift 2
	if out=$("$@" 2> "$TEST_TMP/stderr") && [[ "$out" =~ ^[0-9]+$ ]]; then
		printf -v "$var" '%s' "$out"
		pass "$desc"
	else
		printf -v "$var" '%s' ""
		fail "$desc" "expected an id from: $*" "$out" "$(cat "$TEST_TMP/stderr")"
	fi
}

# check_refused DESCRIPTION REGEX COMMAND...: ok if COMMAND exits 1 with an
# error matching the extended REGEX on stderr.
check_refused()
{
	local desc=$1 regex=$2 out rc

	shift 2
	out=$("$@" 2>&1 > /dev/null)
	rc=$?
	if [ "$rc" -eq 1 ] && grep -qE -- "$regex" <<< "$out"; then
		pass "$desc"
	else
		fail "$desc" "expected exit 1 and an error matching '$regex'" \
			"got exit $rc from: $*" "$out"
	fi
}

# ktap_bail DESCRIPTION [DIAGNOSTIC...]: a step everything else depends on
# failed; report it and stop.
ktap_bail()
{
	fail "$@"
	echo "Bail out! $1"
	exit 1
}

ktap_finish()
{
	if [ "$KTAP_COUNT" -ne "$KTAP_PLANNED" ]; then
		diag "planned $KTAP_PLANNED results, reported $KTAP_COUNT"
		exit 1
	fi
	[ -n "${XRELAY_XDP:-}" ] &&
		diag "XDP ($XRELAY_XDP) forwarded $(netns_get .stats.packets_xdp) of" \
			"$(netns_get .stats.packets) packets counted by the relay's instances"
	diag "$((KTAP_COUNT - KTAP_FAILED)) passed, $KTAP_FAILED failed"
	[ "$KTAP_FAILED" -eq 0 ] && exit 0
	exit 1
}

# ---- cleanup ---------------------------------------------------------------

cleanup()
{
	local name ns

	for name in "${!BG_PID[@]}"; do
		kill "${BG_PID[$name]}" 2>/dev/null
	done
	for name in "${!BG_PID[@]}"; do
		wait "${BG_PID[$name]}" 2>/dev/null
	done
	for ns in "${CREATED_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT

# ---- namespaces ------------------------------------------------------------

# netns_add NAME: a namespace with lo up and no DAD delays, removed on exit.
netns_add()
{
	ip netns add "$1" || return
	CREATED_NS+=("$1")
	ip -n "$1" link set lo up &&
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

# A relay namespace: the relay addresses on a dummy device, no forwarding.
relay_ns_add()
{
	netns_add "$1" &&
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 &&
	ip -n "$1" -batch - <<-EOF
		link add relay0 type dummy
		link set relay0 up
		addr add $RELAY4/32 dev relay0
		addr add $RELAY6/128 dev relay0 nodad
	EOF
}

# client_ns_add NS DEV_IN_RELAY ADDR4 GW4 ADDR6 GW6: a client namespace wired to
# $NS_R by a veth, routing everything through the relay.
client_ns_add()
{
	local ns=$1 relay_dev=$2

	netns_add "$ns" &&
	ip -n "$ns" link add veth0 type veth peer name "$relay_dev" netns "$NS_R" &&
	ip -n "$ns" -batch - <<-EOF &&
		link set veth0 up
		addr add $3/24 dev veth0
		addr add $5/64 dev veth0 nodad
		route add default via $4
		route add ::/0 via $6
	EOF
	ip -n "$NS_R" -batch - <<-EOF
		link set $relay_dev up
		addr add $4/24 dev $relay_dev
		addr add $6/64 dev $relay_dev nodad
	EOF
}

# Device kinds are loaded up front: in the test VM the kernel cannot run
# modprobe on its own to autoload them.
load_modules()
{
	modprobe -q -a "$@"
}

# xdp_attach_all MODE: xrelay's XDP program on the relay's interfaces in
# MODE (native or generic), and natively on the clients' veths: a veth takes
# XDP frames from its peer only when it has a program itself. The clients
# send full checksums, as a real network delivers them; XDP cannot finish
# the partial ones a local sender leaves to offload.
xdp_attach_all()
{
	xdp_on_clients && rctl xdp attach dev to_a mode "$1" && rctl xdp attach dev to_b mode "$1"
}

# xdp_on_clients: xrelay's XDP program natively on A's and B's veths, and
# their transmit checksum offload off (see xdp_attach_all).
xdp_on_clients()
{
	local ns

	for ns in "$NS_A" "$NS_B"; do
		ip netns exec "$ns" ethtool -K veth0 tx off > /dev/null &&
		ip netns exec "$ns" "$XRELAYCTL" xdp attach dev veth0 || return
	done
}

# With XRELAY_XDP set (by the VM runner, for scripts marked xdp-modes) the
# scenario runs with the XDP fast path attached in that mode.
setup_topology()
{
	load_modules veth dummy &&
	relay_ns_add "$NS_R" &&
	client_ns_add "$NS_A" to_a "$A4" 192.0.2.1 "$A6" 2001:db8:a::1 &&
	client_ns_add "$NS_B" to_b "$B4" 198.51.100.1 "$B6" 2001:db8:b::1 &&
	{ [ -z "${XRELAY_XDP:-}" ] || xdp_attach_all "$XRELAY_XDP"; }
}

# ---- WireGuard ---------------------------------------------------------------

# wg_pair PORT_A PORT_B: WireGuard on A (10.99.0.1, listening on 5000) and
# B (10.99.0.2, on 6000), each the other's only peer at the relay's port
# PORT_A and PORT_B of $RELAY4.
wg_pair()
{
	local ns

	load_modules wireguard || return
	for ns in "$NS_A" "$NS_B"; do
		(umask 077 && wg genkey > "$TEST_TMP/$ns.key") &&
		wg pubkey < "$TEST_TMP/$ns.key" > "$TEST_TMP/$ns.pub" || return
	done
	wg_end "$NS_A" 10.99.0.1 5000 "$NS_B" "$1" 10.99.0.2 &&
	wg_end "$NS_B" 10.99.0.2 6000 "$NS_A" "$2" 10.99.0.1
}

# wg_end NS ADDR LISTEN_PORT PEER_NS RELAY_PORT PEER_ADDR
wg_end()
{
	ip -n "$1" link add wg0 type wireguard &&
	ip netns exec "$1" wg set wg0 private-key "$TEST_TMP/$1.key" listen-port "$3" \
		peer "$(cat "$TEST_TMP/$4.pub")" endpoint "$RELAY4:$5" allowed-ips "$6/32" &&
	ip -n "$1" addr add "$2/24" dev wg0 &&
	ip -n "$1" link set wg0 up
}

# wg_endpoints A_ENDPOINT B_ENDPOINT: where wg_pair's A and B send to each
# other from now on. Under emulation every process counts: what is set
# already is not set again (nothing else moves the endpoints while the
# packets come from where they point).
WG_ENDPOINTS=
wg_endpoints()
{
	[ "$WG_ENDPOINTS" = "$1 $2" ] && return
	WG_ENDPOINTS=
	ip netns exec "$NS_A" wg set wg0 peer "$(< "$TEST_TMP/$NS_B.pub")" endpoint "$1" &&
	ip netns exec "$NS_B" wg set wg0 peer "$(< "$TEST_TMP/$NS_A.pub")" endpoint "$2" &&
	WG_ENDPOINTS="$1 $2"
}

# wg_mtu MTU: both ends of wg_pair's tunnel at MTU.
wg_mtu()
{
	ip -n "$NS_A" link set wg0 mtu "$1" && ip -n "$NS_B" link set wg0 mtu "$1"
}

RELAY_FORWARDING=0
relay_forwarding() # 0|1
{
	[ "$RELAY_FORWARDING" = "$1" ] && return
	RELAY_FORWARDING=
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward="$1" net.ipv6.conf.all.forwarding="$1" &&
	RELAY_FORWARDING=$1
}

# wg_via_relay FAMILY PORT_A PORT_B: wg_pair's tunnel through the relay's
# ports PORT_A and PORT_B over IPv4 or IPv6 (FAMILY 4 or 6), with the relay
# namespace not forwarding, so that nothing else can carry it.
wg_via_relay()
{
	local relay=$RELAY4

	[ "$1" = 6 ] && relay=[$RELAY6]
	relay_forwarding 0 && wg_endpoints "$relay:$2" "$relay:$3"
}

# wg_prime FAMILY PORT_A PORT_B: wg_pair's tunnel through a session of two
# learned sides on those ports, both latched: B's first packet latches side
# b and is lost (not paired), as in test-wireguard.sh, then A's cross. No
# measurement then starts with a lost packet (a TCP SYN lost costs 1 s).
wg_prime()
{
	wg_via_relay "$@" || return
	ip netns exec "$NS_B" busybox ping -c 1 -w 1 10.99.0.1 > /dev/null 2>&1
	ip netns exec "$NS_A" busybox ping -c 3 -w 10 10.99.0.2
}

# wg_relay_setup [BATCH_LINE...]: what the bulk scenarios start from: on
# network 10, an instance on each relay address with a session of two
# learned sides on ports 20000 and 20001 (ids in s4 and s6), wg_pair
# through them (MTU 1420, WireGuard's default), both sessions latched.
# BATCH_LINEs (see rctl_batch) run after these; the caller checks them.
# Six results.
wg_relay_setup()
{
	{
		echo "inst4 instance add id 1 network 10 addr $RELAY4 ports 20000-20099"
		echo "inst6 instance add id 2 network 10 addr $RELAY6 ports 20000-20099"
		echo "s4 session add instance 1 a 20000 b 20001"
		echo "s6 session add instance 2 a 20000 b 20001"
		printf '%s\n' "$@"
	} | rctl_batch
	batch_ok "instances on the relay's IPv4 and IPv6 addresses" inst6
	batch_id s4 "s4: two learned sides on IPv4" s4
	batch_id s6 "s6: two learned sides on IPv6" s6
	check "WireGuard on A and B" wg_pair 20000 20001
	check "the tunnel crosses s4 (IPv4)" wg_prime 4 20000 20001
	check "the tunnel crosses s6 (IPv6)" wg_prime 6 20000 20001
}

# wg_direct FAMILY: the plain path that the relay is measured against: the
# same tunnel over the same links, its ends pointed at each other's address
# and the relay namespace routing between them.
wg_direct()
{
	relay_forwarding 1 || return
	if [ "$1" = 6 ]; then
		wg_endpoints "[$B6]:6000" "[$A6]:5000"
	else
		wg_endpoints "$B4:6000" "$A4:5000"
	fi
}

# ---- a WireGuard hub -------------------------------------------------------
#
# The relay namespace ($NS_R) as the hub of a WireGuard overlay, routing
# between its spokes; no xrelay instance is involved (hub_setup replaces
# setup_topology):
#
#   ns spokeN: wg0 10.77.0.N/24, veth0 172.16.N.2, its only peer the hub
#   ns hub:    wg-hub 10.77.0.254/24, listen 7000, sN 172.16.N.1, forwarding on

spoke_ns()
{
	echo "xr-$1-$$"
}

# spoke_add N: namespace spokeN wired to the hub and peered with it.
spoke_add()
{
	local n=$1 ns

	ns=$(spoke_ns "spoke$n")
	netns_add "$ns" &&
	ip -n "$ns" link add veth0 type veth peer name "s$n" netns "$NS_R" &&
	ip -n "$ns" addr add "172.16.$n.2/24" dev veth0 &&
	ip -n "$ns" link set veth0 up &&
	ip -n "$NS_R" addr add "172.16.$n.1/24" dev "s$n" &&
	ip -n "$NS_R" link set "s$n" up &&
	(umask 077 && wg genkey > "$TEST_TMP/spoke$n.key") &&
	ip -n "$ns" link add wg0 type wireguard &&
	ip netns exec "$ns" wg set wg0 private-key "$TEST_TMP/spoke$n.key" \
		peer "$(cat "$TEST_TMP/hub.pub")" endpoint "172.16.$n.1:7000" \
		allowed-ips 10.77.0.0/24 persistent-keepalive 1 &&
	ip -n "$ns" addr add "10.77.0.$n/24" dev wg0 &&
	ip -n "$ns" link set wg0 up &&
	ip netns exec "$NS_R" wg set wg-hub peer "$(wg pubkey < "$TEST_TMP/spoke$n.key")" \
		allowed-ips "10.77.0.$n/32"
}

# hub_setup SPOKES: the hub and spoke1 to spokeSPOKES.
hub_setup()
{
	local n

	load_modules veth wireguard &&
	netns_add "$NS_R" &&
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 &&
	(umask 077 && wg genkey > "$TEST_TMP/hub.key") &&
	wg pubkey < "$TEST_TMP/hub.key" > "$TEST_TMP/hub.pub" &&
	ip -n "$NS_R" link add wg-hub type wireguard &&
	ip netns exec "$NS_R" wg set wg-hub private-key "$TEST_TMP/hub.key" listen-port 7000 &&
	ip -n "$NS_R" addr add 10.77.0.254/24 dev wg-hub &&
	ip -n "$NS_R" link set wg-hub up || return
	for ((n = 1; n <= $1; n++)); do
		spoke_add "$n" || return
	done
}

# reaches FROM_SPOKE ADDR: one ping gets an answer through the hub.
reaches()
{
	ip netns exec "$(spoke_ns "$1")" busybox ping -c 1 -W 2 "$2" > /dev/null 2>&1
}

# ---- background processes --------------------------------------------------

# bg_start NAME NS COMMAND...: run COMMAND in NS in the background, output in
# $TEST_TMP/NAME.out; killed on exit unless collected with bg_wait.
bg_start()
{
	local name=$1 ns=$2

	shift 2
	# Emptied here, not by the child: a reused NAME's old output must be
	# gone before anyone polls it (is_bound would see the last run's line).
	: > "$TEST_TMP/$name.out"
	ip netns exec "$ns" "$@" >> "$TEST_TMP/$name.out" 2>&1 &
	BG_PID[$name]=$!
}

# bg_wait NAME: wait for it to end; returns its exit status.
bg_wait()
{
	local pid=${BG_PID[$1]} rc

	wait "$pid"
	rc=$?
	unset "BG_PID[$1]"
	return $rc
}

# check_bg DESCRIPTION NAME: ok if the background command NAME ends with
# success; its output is shown when it does not.
check_bg()
{
	if bg_wait "$2"; then
		pass "$1"
	else
		fail "$1" "background command '$2' failed:" "$(bg_out "$2")"
	fi
}

bg_stop()
{
	kill "${BG_PID[$1]}" 2>/dev/null
	bg_wait "$1"
}

bg_out()
{
	cat "$TEST_TMP/$1.out"
}

# nap SECONDS: sleep without starting a process.
nap()
{
	read -r -t "$1" -u "$NAP_FD" _
	return 0
}

# scaled N: N stretched by XRELAY_TIME_SCALE, for a duration a slower kernel
# needs more of.
scaled()
{
	echo $(($1 * XRELAY_TIME_SCALE))
}

# wait_until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds,
# for SECONDS on Debian's kernel (more on a slower one).
wait_until()
{
	local deadline=$((${EPOCHREALTIME/./} + $1 * XRELAY_TIME_SCALE * 1000000))

	shift
	until "$@"; do
		[ "${EPOCHREALTIME/./}" -ge "$deadline" ] && return 1
		nap 0.1
	done
}

# ---- traffic ---------------------------------------------------------------

# udp_send NS udp_peer-send-options...
udp_send()
{
	local ns=$1

	shift
	ip netns exec "$ns" "$UDP_PEER" send "$@" > /dev/null
}

# udp_sends NS SPEC...: one `udp_peer send` per SPEC, a word list of its
# options, in order and in one visit to NS: entering a namespace costs more
# than sending under emulation.
udp_sends()
{
	ip netns exec "$1" bash -c 'peer=$1; shift
		for spec; do "$peer" send $spec > /dev/null || exit; done' - "$UDP_PEER" "${@:2}"
}

# is_bound NAME: receiver NAME's socket is bound (its first line says so).
is_bound()
{
	local line

	{ read -r line < "$TEST_TMP/$1.out"; } 2> /dev/null && [[ $line == bound* ]]
}

# recv_start NAME NS BIND_ENDPOINT COUNT [TIMEOUT_MS]: a udp_peer receiver,
# returning once its socket is bound. It ends as soon as COUNT datagrams are
# in, so the default timeout is generous: emulation can be very slow.
recv_start()
{
	bg_start "$1" "$2" "$UDP_PEER" recv --bind "$3" --count "$4" \
		--timeout-ms "$(scaled "${5:-10000}")"
	wait_until 5 is_bound "$1"
}

# tally_start NAME NS BIND_ENDPOINT [udp_peer recv options...]: a receiver
# for a flow of unknown length, returning once bound. It ends 1 s after the
# last datagram (20 s at most, unless given a --timeout-ms); tally_of gives
# what it counted.
tally_start()
{
	bg_start "$1" "$2" "$UDP_PEER" recv --bind "$3" --tally --idle-ms "$(scaled 1000)" \
		--timeout-ms "$(scaled 20000)" "${@:4}"
	wait_until 5 is_bound "$1"
}

# tally_stop NAME: stops receiver NAME now, then does what tally_of does.
tally_stop()
{
	kill "${BG_PID[$1]}" 2>/dev/null
	tally_of "$1"
}

# tally_of NAME: waits for receiver NAME to end and sets TALLY to "DATAGRAMS
# BYTES" it received. Not in a subshell: only this shell can wait for it.
tally_of()
{
	bg_wait "$1"
	TALLY=$(sed -n 's/^received \([0-9]*\) datagrams \([0-9]*\) bytes$/\1 \2/p' \
		"$TEST_TMP/$1.out")
}

# recv_froms NAME: the distinct "from ... len ..." lines a receiver printed,
# each with its count, e.g. "3 from 203.0.113.1:20000 len 100".
recv_froms()
{
	grep '^from ' "$TEST_TMP/$1.out" | sort | uniq -c | sed 's/^ *//'
}

# ---- bulk TCP --------------------------------------------------------------
#
# Under emulation an absolute rate means nothing and the same measurement
# swings by half between runs: a path's throughput is judged only against
# another path measured in the same run, alternating, by medians.

# iperf_measure CLIENT_NS SERVER_NS SERVER_ADDR SECONDS [iperf3 options...]:
# one TCP transfer of SECONDS from CLIENT_NS to SERVER_ADDR, served by an
# iperf3 server in SERVER_NS started on first use; sets IPERF_KBPS (what
# the server received, kbit/s) and IPERF_BYTES. Fails if iperf3 fails,
# delivers nothing (a path that passes only small packets lets iperf3
# connect and end cleanly), or has not ended IPERF_SLACK (default 15)
# seconds after SECONDS: a path that stops carrying traffic stalls
# iperf3's control connection too. Every process costs dearly under
# emulation: the server stays, and the JSON is parsed in the shell, not
# by jq.
iperf_measure()
{
	local client=$1 server=$2 addr=$3 secs=$4 rc json

	shift 4
	IPERF_KBPS=
	IPERF_BYTES=
	if [ -z "${BG_PID[iperf-$server]:-}" ]; then
		bg_start "iperf-$server" "$server" iperf3 --server --forceflush
		if ! wait_until 5 grep -q "Server listening" "$TEST_TMP/iperf-$server.out"; then
			echo "iperf3 server did not start: $(bg_out "iperf-$server")" > "$TEST_TMP/iperf.json"
			bg_stop "iperf-$server"
			return 1
		fi
	fi
	timeout -k 1 $((secs + ${IPERF_SLACK:-15})) ip netns exec "$client" \
		iperf3 --client "$addr" --time "$secs" --json "$@" > "$TEST_TMP/iperf.json" 2>&1
	rc=$?
	# A stalled transfer holds the server until its own timeout (2 minutes):
	# the next transfer gets a fresh one.
	[ "$rc" = 0 ] || bg_stop "iperf-$server"
	json=$(< "$TEST_TMP/iperf.json")
	[ "$rc" = 0 ] &&
	[[ $json =~ \"sum_received\":[[:space:]]*\{[^}]*\"bytes\":[[:space:]]*([0-9]+),[[:space:]]*\"bits_per_second\":[[:space:]]*([0-9]+) ]] ||
		return 1
	IPERF_BYTES=${BASH_REMATCH[1]}
	IPERF_KBPS=$((BASH_REMATCH[2] / 1000))
	if [ "$IPERF_BYTES" = 0 ]; then
		echo '{"error": "the transfer delivered nothing"}' > "$TEST_TMP/iperf.json"
		return 1
	fi
}

# iperf_error: why the last iperf_measure failed, one line.
iperf_error()
{
	local json

	json=$(< "$TEST_TMP/iperf.json")
	if [[ $json =~ \"error\":[[:space:]]*\"([^\"]*) ]]; then
		echo "iperf3: ${BASH_REMATCH[1]}"
	else
		echo "iperf3 gave no result (killed after its time?): ${json:0:200}"
	fi
}

# relay_bytes: the payload bytes the relay's namespace has forwarded so far
# (the first "bytes" of `xrelayctl -j stats` is the namespace's total).
relay_bytes()
{
	local json

	json=$(rctl -j stats) && [[ $json =~ \"bytes\":[[:space:]]*([0-9]+) ]] &&
		echo "${BASH_REMATCH[1]}"
}

# measure_paths ROUNDS CLIENT_NS SERVER_NS SERVER_ADDR SECONDS PATH...:
# ROUNDS transfers over each PATH, a command (word-split) that moves the
# traffic onto it. Every round measures each PATH once, every other round
# in reverse order, so that no path always goes first. Per PATH:
#   KBPS[PATH]       the rates of its transfers (kbit/s), space-separated;
#                    0 for a failed one, which did not carry the traffic
#   DELIVERED[PATH]  bytes the servers received, all its transfers
#   RELAYED[PATH]    bytes the relay forwarded meanwhile
#   FAILED[PATH]     the reasons of its failed transfers, if any
declare -A KBPS=() DELIVERED=() RELAYED=() FAILED=()
measure_paths()
{
	local rounds=$1 client=$2 server=$3 addr=$4 secs=$5 round i path before after
	local order=() start=${EPOCHREALTIME/./}

	shift 5
	before=$(relay_bytes)
	for path; do
		KBPS[$path]=
		DELIVERED[$path]=0
		RELAYED[$path]=0
		FAILED[$path]=
	done
	for ((round = 0; round < rounds; round++)); do
		order=("$@")
		if ((round % 2)); then
			order=()
			for ((i = $#; i > 0; i--)); do
				order+=("${!i}")
			done
		fi
		for path in "${order[@]}"; do
			if ! $path; then
				FAILED[$path]+="could not switch to it; "
				continue
			fi
			# One line a transfer: a test killed half-way shows how far it got.
			if iperf_measure "$client" "$server" "$addr" "$secs"; then
				KBPS[$path]+="${KBPS[$path]:+ }$IPERF_KBPS"
				DELIVERED[$path]=$((DELIVERED[$path] + IPERF_BYTES))
				diag "round $((round + 1)), $path: $IPERF_KBPS kbit/s"
			else
				KBPS[$path]+="${KBPS[$path]:+ }0"
				FAILED[$path]+="$(iperf_error); "
				diag "round $((round + 1)), $path: failed"
			fi
			# Switching paths sends nothing: the reading after one
			# transfer is the one before the next.
			after=$(relay_bytes)
			RELAYED[$path]=$((RELAYED[$path] + ${after:-0} - ${before:-0}))
			before=$after
		done
	done
	diag "$rounds rounds of $# paths in $(((${EPOCHREALTIME/./} - start) / 1000000)) s"
	for path; do
		diag "$path: ${KBPS[$path]:-no} kbit/s, delivered ${DELIVERED[$path]} bytes," \
			"relayed ${RELAYED[$path]}${FAILED[$path]:+, failed: ${FAILED[$path]}}"
	done
}

# median N...: the middle value; of an even count, the lower of the two.
median()
{
	local sorted

	[ $# -gt 0 ] || return
	mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
	echo "${sorted[$((($# - 1) / 2))]}"
}

# check_ratio DESCRIPTION VALUE BASE MIN_PERCENT [MAX_PERCENT]: ok if VALUE is
# at least MIN_PERCENT (and at most MAX_PERCENT) of BASE; the figures and
# the ratio are part of the result's line, so logs keep what was measured.
check_ratio()
{
	local desc=$1 value=$2 base=$3 min=$4 max=${5:-} pct

	if ! [[ $value =~ ^[0-9]+$ && $base =~ ^[0-9]+$ ]] || [ "$base" = 0 ]; then
		fail "$desc" "no figures: '$value' against '$base'"
		return
	fi
	pct=$((value * 100 / base))
	if [ "$pct" -lt "$min" ] || { [ -n "$max" ] && [ "$pct" -gt "$max" ]; }; then
		fail "$desc" "$value against $base: $pct%, expected at least $min%${max:+ and at most $max%}"
	else
		pass "$desc: $value against $base ($pct%)"
	fi
}

# check_carried DESCRIPTION PATH: every transfer over measure_paths' PATH
# succeeded.
check_carried()
{
	if [ -n "${KBPS[$2]}" ] && [ -z "${FAILED[$2]}" ]; then
		pass "$1: ${KBPS[$2]} kbit/s"
	else
		fail "$1" "transfers over '$2' failed: ${FAILED[$2]:-none measured}"
	fi
}

# ---- xrelayctl and counters ------------------------------------------------

# rctl ARGS...: xrelayctl in the relay namespace.
rctl()
{
	ip netns exec "$NS_R" "$XRELAYCTL" "$@"
}

# session_get ID JQ_FILTER: a session's JSON through a jq filter, e.g.
# session_get 1 .a.stats.packets or session_get 1 '"\(.a.state) \(.b.state)"'
session_get()
{
	rctl -j session show id "$1" | jq -r ".[0] | $2"
}

instance_get()
{
	rctl -j instance show id "$1" | jq -r ".[0] | $2"
}

# network_get ID JQ_FILTER: an overlay network's policy and totals
# (`xrelayctl -j network show id ID`) through a jq filter, e.g.
# network_get 10 .stats.drop_denied
network_get()
{
	rctl -j network show id "$1" | jq -r ".[0] | $2"
}

# netns_get JQ_FILTER: `xrelayctl -j stats` through a jq filter, e.g.
# netns_get .sessions
netns_get()
{
	rctl -j stats | jq -r "$1"
}

# check_value DESCRIPTION EXPECTED COMMAND...: ok once COMMAND prints EXPECTED.
# The datapath and the GC run asynchronously, so give them up to 5 s.
check_value()
{
	local desc=$1

	CHECK_VALUE_EXPECTED=$2
	shift 2
	if wait_until 5 value_is_expected "$@"; then
		pass "$desc"
	else
		fail "$desc" "expected '$CHECK_VALUE_EXPECTED', got '$CHECK_VALUE_SEEN' from: $*"
	fi
}

value_is_expected()
{
	CHECK_VALUE_SEEN=$("$@" 2>&1)
	[ "$CHECK_VALUE_SEEN" = "$CHECK_VALUE_EXPECTED" ]
}

# check_datapath: the scenario ran on the path it was meant for: with
# XRELAY_XDP set the fast path forwarded some of the relay's packets, without
# it none. Call it before deleting instances (their counts go with them).
check_datapath()
{
	local xdp

	xdp=$(netns_get .stats.packets_xdp)
	if [ -z "${XRELAY_XDP:-}" ]; then
		check_eq "no packet took an XDP path" 0 "$xdp"
	elif [[ "$xdp" =~ ^[0-9]+$ ]] && [ "$xdp" -gt 0 ]; then
		pass "XDP ($XRELAY_XDP) forwarded $xdp of the packets"
	else
		fail "XDP ($XRELAY_XDP) forwarded some of the packets" "packets_xdp: '$xdp'"
	fi
}

# ---- many commands and checks in one go ------------------------------------
#
# Under emulation entering a namespace and starting jq cost far more than
# what they run; scenarios with many steps batch them.

# rctl_batch: the xrelayctl commands on stdin, one a line as "NAME ARGS...",
# run in order in one visit to the relay's namespace. Each one's output goes
# to $TEST_TMP/NAME.out, its exit status to $TEST_TMP/NAME.rc; batch_ok and
# batch_id report them.
rctl_batch()
{
	ip netns exec "$NS_R" bash -c 'ctl=$1 dir=$2
		while read -r name args; do
			[ -n "$name" ] || continue
			"$ctl" $args > "$dir/$name.out" 2>&1
			echo $? > "$dir/$name.rc"
		done' - "$XRELAYCTL" "$TEST_TMP"
}

# batch_ok DESCRIPTION NAME: ok if batch command NAME succeeded.
batch_ok()
{
	local rc=

	read -r rc < "$TEST_TMP/$2.rc"
	if [ "$rc" = 0 ]; then
		pass "$1"
	else
		fail "$1" "batch command $2 failed (exit $rc):" "$(< "$TEST_TMP/$2.out")"
	fi
}

# batch_refused DESCRIPTION REGEX NAME: ok if batch command NAME exited 1
# with an error matching the extended REGEX.
batch_refused()
{
	local rc= out

	read -r rc < "$TEST_TMP/$3.rc"
	out=$(< "$TEST_TMP/$3.out")
	if [ "$rc" = 1 ] && [[ $out =~ $2 ]]; then
		pass "$1"
	else
		fail "$1" "expected exit 1 and an error matching '$2' from batch command $3," \
			"got exit $rc:" "$out"
	fi
}

# batch_id VAR DESCRIPTION NAME: ok if batch command NAME succeeded printing
# an id, which goes to VAR.
batch_id()
{
	local rc= out

	read -r rc < "$TEST_TMP/$3.rc"
	out=$(< "$TEST_TMP/$3.out")
	if [ "$rc" = 0 ] && [[ "$out" =~ ^[0-9]+$ ]]; then
		printf -v "$1" '%s' "$out"
		pass "$2"
	else
		printf -v "$1" '%s' ""
		fail "$2" "batch command $3 gave no id:" "$out"
	fi
}

# expect DESCRIPTION EXPECTED JQ_EXPRESSION: queue a check of the relay's
# state for verify. The expression sees {"sessions": [session show],
# "networks": [network show], "stats": {stats}} (all -j) and may use s(ID),
# n(ID) and i(ID) for a session, a network and an instance's totals, e.g.
#   expect "s1 forwarded 3" 3 "s($s1).a.stats.packets"
EXPECT_DESC=()
EXPECT_VALUE=()
EXPECT_EXPR=()
expect()
{
	EXPECT_DESC+=("$1")
	EXPECT_VALUE+=("$2")
	EXPECT_EXPR+=("$3")
}

# expect_datapath: queue check_datapath's check.
expect_datapath()
{
	if [ -z "${XRELAY_XDP:-}" ]; then
		expect "no packet took an XDP path" 0 .stats.stats.packets_xdp
	else
		expect "XDP ($XRELAY_XDP) forwarded some of the packets" true \
			".stats.stats.packets_xdp > 0"
	fi
}

# relay_snapshot: the relay's state as expect's expressions see it, in
# $TEST_TMP/relay.json, read in one visit.
relay_snapshot()
{
	ip netns exec "$NS_R" bash -c 'ctl=$1
		echo "{\"sessions\": $("$ctl" -j session show),
		       \"networks\": $("$ctl" -j network show),
		       \"stats\": $("$ctl" -j stats)}"' - "$XRELAYCTL" > "$TEST_TMP/relay.json"
}

# verify: evaluate every queued check on one snapshot of the relay, in one
# jq run, and report each. The datapath counts asynchronously: while any
# check fails, take a new snapshot, for up to 5 s.
verify()
{
	local prog i deadline=$((${EPOCHREALTIME/./} + 5000000)) seen=()

	prog='def s($id): first(.sessions[] | select(.id == $id));
	      def n($id): first(.networks[] | select(.id == $id));
	      def i($id): first(.stats.instance[] | select(.id == $id));'
	for i in "${!EXPECT_EXPR[@]}"; do
		[ "$i" -gt 0 ] && prog+=", "
		prog+="(try ([${EXPECT_EXPR[$i]}] | if length == 1 then .[0] | tostring
			else \"\(length) results\" end) catch \"error: \(.)\")"
	done
	while :; do
		relay_snapshot
		mapfile -t seen < <(jq -r "$prog" "$TEST_TMP/relay.json" 2>&1)
		for i in "${!EXPECT_EXPR[@]}"; do
			[ "${seen[$i]:-}" = "${EXPECT_VALUE[$i]}" ] || break
		done
		[ "${seen[$i]:-}" = "${EXPECT_VALUE[$i]}" ] && break
		[ "${EPOCHREALTIME/./}" -ge "$deadline" ] && break
		nap 0.2
	done
	for i in "${!EXPECT_EXPR[@]}"; do
		check_eq "${EXPECT_DESC[$i]}" "${EXPECT_VALUE[$i]}" "${seen[$i]:-}"
	done
	[ ${#seen[@]} -eq ${#EXPECT_EXPR[@]} ] || diag "jq: ${seen[*]}"
	EXPECT_DESC=()
	EXPECT_VALUE=()
	EXPECT_EXPR=()
}

# ---- events ----------------------------------------------------------------

# monitor_start NAME: `xrelayctl -j monitor` in the relay namespace, returning
# once it provably receives events: a scratch session on a scratch instance
# latches a side until the monitor reports it. Needs $NS_A (setup_topology).
monitor_start()
{
	local name=$1 inst sess try

	bg_start "$name" "$NS_R" "$XRELAYCTL" -j monitor
	inst=$(rctl instance add network 99 addr "$RELAY4" ports 29000-29001) || return
	for try in 1 2 3 4 5; do
		sess=$(rctl session add instance "$inst" a 29000 b 29001) || return
		udp_send "$NS_A" --bind "$A4:29000" --to "$RELAY4:29000"
		# grep first: a jq run costs far more under emulation.
		if wait_until 3 grep -q side-learned "$TEST_TMP/$name.out" &&
			monitor_has "$name" \
			".event == \"side-learned\" and .session == $sess and .instance == $inst" \
			> /dev/null; then
			rctl instance del id "$inst"
			return
		fi
		rctl session del id "$sess" || return
	done
	rctl instance del id "$inst"
	echo "monitor $name never reported the scratch session" >&2
	return 1
}

# monitor_has NAME JQ_CONDITION: the first event matching, compact JSON.
monitor_has()
{
	local match

	match=$(jq -cnR "[inputs | fromjson? | select($2)][0] // empty" "$TEST_TMP/$1.out")
	[ -n "$match" ] && echo "$match"
}

# monitor_wait NAME SECONDS JQ_CONDITION: wait for a matching event, print it.
monitor_wait()
{
	local name=$1 timeout=$2 cond=$3

	wait_until "$timeout" monitor_has "$name" "$cond" > /dev/null &&
	monitor_has "$name" "$cond"
}

# expired_event NAME SESSION JQ_FILTER: the session-expired event monitor NAME
# reported for SESSION, through JQ_FILTER; nothing if there is none yet.
expired_event()
{
	monitor_has "$1" ".event == \"session-expired\" and .session == $2" | jq -r "$3"
}
