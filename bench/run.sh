#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: build what the benchmark needs, measure every relay path in
# one run of the test VM, print the table, compare it with the previous run
# (bench/results/latest.json) and replace that file; then xrelay-agent's
# benchmark in another boot (bench/agent-run.sh). See bench/README.md.
#
# Environment: BENCH_STAGES (default policy,paths,agent; the agent stage is
# its own boot, after the others), BENCH_REPEATS (default
# 3), BENCH_SESSIONS (default 1,10000,1000000), BENCH_BUDGET (seconds the
# paths stage may measure, default 960) and BENCH_POLICY_REPEATS (default 4)
# are passed to the VM.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
source bench/vm.sh
# The benchmark's own packages stay out of scripts/install-deps.sh: CI does
# not need them, and coturn's package starts a TURN server we do not want.
for pkg in xdp-tools coturn ethtool; do
	dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed && continue
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >/dev/null
	[ "$pkg" = coturn ] && command -v systemctl >/dev/null &&
		systemctl disable --now coturn >/dev/null 2>&1 || true
done
make -s module tools
make -s -C bench

out=build/bench/run-$(date +%Y%m%d-%H%M%S)
stages=${BENCH_STAGES:-policy,paths,agent}
vm_stages=$(tr ',' '\n' <<< "$stages" | grep -vx agent | paste -sd, -) || true
env=()
[ -n "$vm_stages" ] && BENCH_STAGES=$vm_stages
for var in BENCH_STAGES BENCH_REPEATS BENCH_SESSIONS BENCH_BUDGET BENCH_POLICY_REPEATS; do
	if [ -n "${!var:-}" ]; then
		env+=("$var=${!var}")
	fi
done

if [ -n "$vm_stages" ]; then
	status=0
	# The paths stage's budget, the policy stage (about 3 minutes), and margin.
	bench_vm "$out" 1350 env "${env[@]}" /usr/bin/python3 bench/bench.py measure "$out/raw.json" ||
		status=$?
	if [ ! -s "$out/raw.json" ]; then
		echo "bench: the VM run failed (exit $status) before measuring anything;" \
		     "see $out/console.log" >&2
		exit 1
	fi
	/usr/bin/python3 bench/bench.py report "$out/raw.json" bench/results/latest.json
	if [ "$status" -ne 0 ]; then
		echo "bench: the VM run failed (exit $status); see $out/console.log" >&2
		exit 1
	fi
fi

# xrelay-agent's figures, from a boot of its own.
if tr ',' '\n' <<< "$stages" | grep -qx agent; then
	bench/agent-run.sh
fi
