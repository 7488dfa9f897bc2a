#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make fuzz: boot the test VM and run selftests/test-fuzz.sh with the
# fuzzer going for as long as asked, then print its tables.
#
# usage: FUZZ_SECONDS=600 FUZZ_SEED=N scripts/fuzz.sh
#
# FUZZ_SECONDS is the main run's length (default 600); FUZZ_SEED defaults
# to the time, and is printed so that a run can be repeated. FUZZ_MAX_HUB
# and FUZZ_STALL_MS are passed on (see selftests/test-fuzz.sh). Results,
# with the kernel log and the slowest request's bytes (xrelay_fuzz
# --replay takes them), land in build/fuzz/.
set -uo pipefail

repo=$(readlink -f "$(dirname "$0")/..")
cd "$repo" || exit 1
seconds=${FUZZ_SECONDS:-600}
seed=${FUZZ_SEED:-$(date +%s)}
results=$repo/build/fuzz/run-$(date +%Y%m%d-%H%M%S)

echo "== fuzz: seed $seed, $seconds s; results in $results"
make -s -j"$(nproc)" all selftests > /dev/null || exit 1
mkdir -p "$repo/build/fuzz"
# The scratch namespaces, the reload and the checks after take about two
# minutes of their own under emulation.
selftests/vm/run-vm.sh -q -t $((seconds * 2 + 600)) -r "$results" -- \
	env FUZZ_SEED="$seed" FUZZ_SECONDS="$seconds" FUZZ_REQUESTS=1000000000 \
	${FUZZ_MAX_HUB:+FUZZ_MAX_HUB=$FUZZ_MAX_HUB} ${FUZZ_STALL_MS:+FUZZ_STALL_MS=$FUZZ_STALL_MS} \
	selftests/run-guest.sh -t $((seconds * 2 + 300)) test-fuzz
vm_status=$?
log=$results/tests/test-fuzz.log
if [ ! -f "$log" ]; then
	echo "fuzz: the VM ran no test (exit $vm_status); see $results/console.log"
	exit 1
fi
cat "$log"
echo "== kernel log checks (selftests/run-guest.sh):"
grep -E '^(not )?ok ' "$results/tests/harness.log"
! grep -q '^not ok' "$log" "$results/tests/harness.log" && [ "$vm_status" -eq 0 ]
