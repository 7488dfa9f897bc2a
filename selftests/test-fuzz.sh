#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: alone (it unloads and reloads the module, and takes both CPUs)
#
# The netlink fuzzer (build/selftests/xrelay_fuzz, driven by the spec) with
# a fixed seed, while the relay works: traffic through a session, XDP
# attached and detached in both modes, namespaces created, fuzzed and
# deleted with their state, an unprivileged user namespace owner fuzzing
# its own namespace, and at the end the module reloaded under the fuzzer.
# Splats are the harness's to find in dmesg; here every fuzzer run must end
# without a violation (a create or network-set not readable back whole, a
# request unanswered or slower than FUZZ_STALL_MS, a final dump that does
# not list what get finds), and the relay must forward afterwards.
#
#   ns A                          ns relay                         ns B
#   192.0.2.2:5000  ==blast==>  203.0.113.1:20000 | 20001  <==blast==  198.51.100.2:6000
#                               xrelay_fuzz, 4 threads
#                               XDP on to_a/to_b: native, generic, none
#   ns fz-N: a dummy with 203.0.113.9, 2001:db8:ff::9; a short fuzz; deleted
#   nobody's user namespace: the same, as its unprivileged owner
#
# Environment: FUZZ_SEED (1), FUZZ_SECONDS (the main run's limit, 60),
# FUZZ_REQUESTS (its budget, 8000), FUZZ_MAX_HUB (longest hub list, 2048),
# FUZZ_STALL_MS (a slower request is a violation: 20000 under emulation, times
# XRELAY_TIME_SCALE on a slower kernel, where the namespace's other requests
# wait out a network-del's RCU grace period and hook unregistration).

source "$(dirname "$0")/common.sh"

FUZZ=$SELFTESTS_BUILD/xrelay_fuzz
seed=${FUZZ_SEED:-1}
seconds=${FUZZ_SECONDS:-60}
requests=${FUZZ_REQUESTS:-8000}
max_hub=${FUZZ_MAX_HUB:-2048}
stall_ms=${FUZZ_STALL_MS:-$(scaled 20000)}
fuzz_args=(--max-hub "$max_hub" --stall-ms "$stall_ms")

ktap_plan 8

# fuzz_report NAME: the fuzzer's table, as diagnostics.
fuzz_report()
{
	bg_out "$1" | diag_lines
}

# check_fuzz DESCRIPTION NAME: the fuzzer run NAME ended without violation.
check_fuzz()
{
	if bg_wait "$2"; then
		pass "$1"
	else
		fail "$1"
	fi
	fuzz_report "$2"
}

# scratch_ns_fuzz N: a namespace with addresses of its own, fuzzed, then
# deleted with whatever the fuzzer left in it.
scratch_ns_fuzz()
{
	local ns=fz-$$-$1

	ip netns add "$ns" && ip -n "$ns" -batch - <<-EOF || return
		link set lo up
		link add relay0 type dummy
		link set relay0 up
		addr add 203.0.113.9/32 dev relay0
		addr add 2001:db8:ff::9/128 dev relay0 nodad
	EOF
	ip netns exec "$ns" "$FUZZ" --seed $((seed * 100 + $1)) --threads 2 --requests 300 \
		--seconds 10 "${fuzz_args[@]}" > "$TEST_TMP/scratch-$1.out" 2>&1
	echo $? > "$TEST_TMP/scratch-$1.rc"
	ip netns del "$ns"
}

# userns_fuzz N: nobody creates a user and network namespace and fuzzes it.
userns_fuzz()
{
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		unshare -U -r -n bash -c '
			ip link set lo up && ip link add relay0 type dummy &&
			ip link set relay0 up && ip addr add 203.0.113.9/32 dev relay0 &&
			exec "$@"' - "$FUZZ" --seed $((seed * 100 + 50 + $1)) --threads 2 \
		--requests 300 --seconds 10 "${fuzz_args[@]}" > "$TEST_TMP/userns-$1.out" 2>&1
	echo $? > "$TEST_TMP/userns-$1.rc"
}

# relay_xdp attach MODE | detach: xrelay's program on the relay's interfaces.
relay_xdp()
{
	local dev

	for dev in to_a to_b; do
		rctl xdp "$1" dev "$dev" ${2:+mode "$2"} > /dev/null 2>&1
	done
}

# churn: while the fuzzer NAME runs, XDP comes (natively, then generic)
# and goes on the relay's interfaces, and scratch and user namespaces are
# fuzzed and deleted.
churn()
{
	local name=$1 round=0

	while kill -0 "${BG_PID[$name]}" 2>/dev/null; do
		round=$((round + 1))
		relay_xdp attach native
		scratch_ns_fuzz "$round"
		relay_xdp detach
		relay_xdp attach generic
		userns_fuzz "$round"
		relay_xdp detach
		nap 0.5
	done
	CHURN_ROUNDS=$round
}

# side_runs KIND: "N runs, N failed" over the churn's scratch or userns runs,
# their failures' output as diagnostics.
side_runs()
{
	local rc runs=0 failed=0 f

	for f in "$TEST_TMP/$1"-*.rc; do
		[ -f "$f" ] || continue
		runs=$((runs + 1))
		read -r rc < "$f"
		if [ "$rc" != 0 ]; then
			failed=$((failed + 1))
			diag "$(basename "$f" .rc) exited $rc:"
			diag_lines < "${f%.rc}.out"
		fi
	done
	[ "$runs" -gt 0 ] && [ "$failed" -eq 0 ]
}

# reload: unload the module under the fuzzer (a dump in flight holds it for
# a moment) and load it again.
reload()
{
	local try

	for try in $(seq 50); do
		rmmod xrelay 2> /dev/null && break
		nap 0.1
	done
	[ "$try" -lt 50 ] || return
	nap 1
	insmod "$REPO/kmod/xrelay.ko"
}

setup_topology || ktap_bail "three namespaces wired"
xdp_on_clients || ktap_bail "XDP and full checksums on the clients' veths"
inst=$(rctl instance add network 10 addr "$RELAY4" ports 20000-20099) &&
rctl session add instance "$inst" a 20000 b 20001 > /dev/null ||
	ktap_bail "a session for the traffic"
bg_start blast_a "$NS_A" "$UDP_PEER" send --bind "$A4:5000" --to "$RELAY4:20000" \
	--duration-ms 600000 --keep-going --size 200 --interval-ms 1
bg_start blast_b "$NS_B" "$UDP_PEER" send --bind "$B4:6000" --to "$RELAY4:20001" \
	--duration-ms 600000 --keep-going --size 200 --interval-ms 5

# The main run: the relay's namespace, traffic flowing, XDP and namespaces churning.
bg_start fuzz "$NS_R" "$FUZZ" --seed "$seed" --threads 4 --requests "$requests" \
	--seconds "$seconds" --save "$RESULTS/tests/fuzz-slowest.bin" "${fuzz_args[@]}"
churn fuzz
check_fuzz "fuzzer, seed $seed, in the relay's namespace under churn: no violation" fuzz
diag "churn: $CHURN_ROUNDS rounds of XDP attach/detach, scratch and user namespaces"
check "fuzzer in scratch namespaces deleted afterwards: no violation" side_runs scratch
check "fuzzer as an unprivileged user namespace owner: no violation" side_runs userns

# The module goes away and comes back under the fuzzer: the family is
# resolved again and the fuzzing goes on. XDP programs hold the module.
for ns in "$NS_A" "$NS_B"; do
	ip netns exec "$ns" "$XRELAYCTL" xdp detach dev veth0
done
bg_start fuzz_reload "$NS_R" "$FUZZ" --seed $((seed + 1)) --threads 4 --requests 4000 \
	--seconds 30 "${fuzz_args[@]}"
nap 3
check "module unloaded and loaded again under the fuzzer, twice" eval 'reload && nap 3 && reload'
check_fuzz "fuzzer across the reloads: no violation" fuzz_reload
bg_stop blast_a
bg_stop blast_b

# Afterwards: the tools work, and a fresh session forwards.
check "xrelayctl works after the fuzzing" rctl stats
rctl_batch <<-EOF
	flush session flush
	limit limit 100000
EOF
for id in $(rctl -j instance show | jq -r '.[].id'); do
	rctl instance del id "$id"
done
for id in $(rctl -j network show | jq -r '.[].id'); do
	rctl network del id "$id"
done
check_id inst "a fresh instance" rctl instance add network 77 addr "$RELAY4" ports 30000-30009
rctl session add instance "$inst" a 30000 b 30001 > /dev/null &&
udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:30001" &&
recv_start fresh "$NS_B" "$B4:6000" 20 &&
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:30000" --count 20 --size 100
check_bg "a fresh session carries 20 datagrams from A to B" fresh

ktap_finish
