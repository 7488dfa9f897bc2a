#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xrelay-agent's benchmark, the last part of make bench (bench/run.sh runs
# it; it also runs alone): build, boot the test VM once, measure with
# bench/agent_bench.py, print the table with the issue's targets, compare
# with the previous run and keep the raw results in
# bench/results/agent-latest.json. About three minutes. See bench/README.md.
#
# Environment: BENCH_AGENT_SESSIONS (default 100000), BENCH_AGENT_CHANGES
# (one-session changes timed, default 5) are passed to the VM.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
source bench/vm.sh
make -s module tools
make -s -C bench

out=build/bench/agent-$(date +%Y%m%d-%H%M%S)
env=()
for var in BENCH_AGENT_SESSIONS BENCH_AGENT_CHANGES; do
	if [ -n "${!var:-}" ]; then
		env+=("$var=${!var}")
	fi
done

status=0
bench_vm "$out" 900 env "${env[@]}" /usr/bin/python3 bench/agent_bench.py measure "$out/raw.json" ||
	status=$?
if [ "$status" -ne 0 ] || [ ! -s "$out/raw.json" ]; then
	echo "bench: the agent's VM run failed (exit $status); see $out/console.log" >&2
	exit 1
fi
/usr/bin/python3 bench/agent_bench.py report "$out/raw.json" bench/results/agent-latest.json
