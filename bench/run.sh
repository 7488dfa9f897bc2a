#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: build what the benchmark needs, measure every relay path in
# one run of the test VM, print the table, compare it with the previous run
# (bench/results/latest.json) and replace that file. See bench/README.md.
#
# Environment: BENCH_REPEATS (default 3), BENCH_SESSIONS (default
# 1,10000,1000000) and BENCH_BUDGET (seconds the VM may measure, default
# 960) are passed to the VM.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
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
env=()
for var in BENCH_REPEATS BENCH_SESSIONS BENCH_BUDGET; do
	if [ -n "${!var:-}" ]; then
		env+=("$var=${!var}")
	fi
done

# The guest reports progress into a file of the results share (its
# console reaches the host in big blocks).
tail -n +1 -F "$out/progress.log" 2>/dev/null &
follower=$!
set +e
selftests/vm/run-vm.sh -q -t 1110 -r "$out" -- \
	env "${env[@]}" /usr/bin/python3 bench/bench.py measure "$out/raw.json"
status=$?
set -e
kill "$follower"
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
