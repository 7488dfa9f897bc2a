#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The one test command (make check): build everything, run the host tests,
# then the kernel tests in two VMs side by side; end with "N passed, N
# failed".
#
# usage: selftests/run.sh [TEST...]   e.g. test-dkms netlink_test (default: all)
#
# Where tests run:
#   host  selftests/host/test-*.sh (tests that need no xrelay.ko), and
#         "make -C ctl-server check" when that target exists (reported as
#         ctl-server-check).
#   VM    selftests/test-*.sh and build/selftests/*_test (from
#         selftests/Makefile), run by selftests/run-guest.sh between insmod
#         and rmmod of kmod/xrelay.ko, with a kernel log check after each.
#
# Counting: tests print TAP and every unindented "ok"/"not ok" line is one
# result (indented subtest lines are not). A test also gets one failure when
# it exits non-zero with no "not ok" (4, kselftest's skip, is fine), when its
# results do not match its "1..N" plan, or when it prints no result at all.
# The VM timing out or dying counts as a failure too.
#
# Two VM lanes, run side by side: "debian" boots Debian's kernel with
# kmod/xrelay.ko; "debug" boots the debug kernel (scripts/debug-kernel.sh:
# KASAN, UBSAN, lockdep, kmemleak, refcount trackers; built once, then
# cached) with build/debug/xrelay.ko, and reports its results as
# "debug:NAME". The debug lane runs the tests selftests/debug-set names
# (DEBUG_TESTS=all: every VM test but those whose "# lanes:" line says
# debian only), in XDP's native mode only (generic runs the same program
# and kfuncs), and stretches the tests' waits by DEBUG_TIME_SCALE (default
# 8: the debug kernel ran test-forward 10 times slower than Debian's).
#
# Environment: VM_TIMEOUT (whole VM, default 4500 s), TEST_TIMEOUT (each
# test, default 300 s; in the debug lane DEBUG_VM_TIMEOUT, default 3000 s
# or 7200 s with DEBUG_TESTS=all, and DEBUG_TEST_TIMEOUT, default 900 s),
# LANES (default "debian debug", or "debian" when tests are named),
# DEBUG_TESTS, DEBUG_TIME_SCALE, V=1 to
# stream all output instead of only failures' (the debug lane's goes to
# its logs).
# Logs: build/check/ (build.log, host/, vm/tests/, vm/console.log, vm/dmesg,
# debug-lane.log, debug-kernel.log, debug-module.log, debug-vm/ as vm/).
set -uo pipefail

repo=$(readlink -f "$(dirname "$0")/..")
cd "$repo" || exit 1
check=$repo/build/check
vm_timeout=${VM_TIMEOUT:-4500}
test_timeout=${TEST_TIMEOUT:-300}
debug_test_timeout=${DEBUG_TEST_TIMEOUT:-900}
debug_set=${DEBUG_TESTS:-set}
debug_vm_timeout=${DEBUG_VM_TIMEOUT:-$([ "$debug_set" = all ] && echo 7200 || echo 3000)}
debug_time_scale=${DEBUG_TIME_SCALE:-8}
# Named tests are a developer's quick check: Debian's lane only, unless asked.
if [ $# -gt 0 ]; then
	lanes=${LANES:-debian}
else
	lanes=${LANES:-debian debug}
fi
verbose=${V:-}
wanted=("$@")
passed=0
failed=0
suite_start=$(date +%s)

section()
{
	echo "== $*"
}

# Send a command's output to LOG, and also to stdout with V=1.
logged()
{
	local log=$1
	shift
	if [ -n "$verbose" ]; then
		"$@" 2>&1 | tee "$log"
	else
		"$@" >"$log" 2>&1
	fi
}

finish()
{
	section "total $(($(date +%s) - suite_start))s"
	echo "$passed passed, $failed failed"
	if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then
		exit 0
	fi
	exit 1
}

fail_harness()
{
	echo "FAIL $*"
	failed=$((failed + 1))
}

# Count one test's results from its LOG and "STATUS SECONDS" file.
evaluate()
{
	local name=$1 log=$2 status_file=$3 dmesg=${4:-}
	local ok nok skip plan status=missing secs="?" why=

	ok=$(grep -c '^ok ' "$log")
	nok=$(grep -c '^not ok ' "$log")
	skip=$(grep -Ec '^ok .*# *SKIP' "$log")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	[ -f "$status_file" ] && read -r status secs <"$status_file"

	if [ "$status" = missing ]; then
		why="$why; did not finish"
	elif [ "$status" -ne 0 ] && [ "$status" -ne 4 ] && [ "$nok" -eq 0 ]; then
		why="$why; exited with status $status"
	fi
	if [ -n "$plan" ] && [ $((ok + nok)) -ne "$plan" ]; then
		why="$why; planned $plan results, printed $((ok + nok))"
	fi
	if [ $((ok + nok)) -eq 0 ] && [ "$plan" != 0 ]; then
		why="$why; printed no TAP result"
	fi

	passed=$((passed + ok))
	failed=$((failed + nok + (${#why} > 0)))
	if [ "$nok" -eq 0 ] && [ -z "$why" ]; then
		printf 'PASS %-32s %3d ok%s, %ss\n' "$name" "$ok" \
			"$([ "$skip" -gt 0 ] && echo " ($skip skipped)")" "$secs"
		return
	fi
	printf 'FAIL %-32s %3d ok, %d not ok, %ss%s\n' "$name" "$ok" "$nok" "$secs" \
		"${why:+: ${why#; }}"
	[ -n "$verbose" ] && return
	sed 's/^/    /' "$log"
	if [ -n "$dmesg" ] && [ -s "$dmesg" ]; then
		echo "    -- kernel log while it ran:"
		sed 's/^/    /' "$dmesg"
	fi
}

lane()
{
	case " $lanes " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

is_wanted()
{
	local want
	[ ${#wanted[@]} -eq 0 ] && return 0
	for want in "${wanted[@]}"; do
		[ "$want" = "$1" ] && return 0
	done
	return 1
}

# Echo "NAME COMMAND..." per host test.
host_tests()
{
	local t
	for t in selftests/host/test-*.sh; do
		[ -f "$t" ] && echo "$(basename "$t" .sh) bash $t"
	done
	grep -qs '^check:' ctl-server/Makefile && echo "ctl-server-check make -s -C ctl-server check"
}

# boot_vm DIR SECONDS [RUN-VM OPTION...] -- [RUN-GUEST ARGUMENT...]: one VM
# boot running run-guest.sh, results in DIR, "EXIT_STATUS SECONDS" in
# DIR.status.
boot_vm()
{
	local vm=$1 limit=$2 vm_args
	shift 2
	vm_args=(-t "$limit" -r "$vm")
	while [ "$1" != -- ]; do
		vm_args+=("$1")
		shift
	done
	shift
	[ -z "$verbose" ] && vm_args+=(-q)
	selftests/vm/run-vm.sh "${vm_args[@]}" -- selftests/run-guest.sh "$@"
	echo "$? $limit" >"$vm.status"
}

# report_vm PREFIX DIR: count the results of boot_vm's run in DIR, each
# reported as PREFIXNAME.
report_vm()
{
	local prefix=$1 vm=$2 vm_status limit log name rel=${2#"$repo"/}

	read -r vm_status limit <"$vm.status"
	if [ "$vm_status" -eq 124 ] || [ "$vm_status" -eq 125 ]; then
		fail_harness "${prefix}VM $([ "$vm_status" -eq 124 ] && echo "timed out after ${limit}s" ||
			echo "died") (log: $rel/console.log)"
		[ -z "$verbose" ] && tail -n 60 "$vm/console.log" | sed 's/^/    /'
	fi
	if [ -f "$vm/tests/harness.log" ]; then
		evaluate "${prefix}vm-harness" "$vm/tests/harness.log" "$vm/tests/harness.status"
		for log in "$vm"/tests/*.log; do
			name=$(basename "$log" .log)
			[ "$name" = harness ] && continue
			evaluate "$prefix$name" "$log" "$vm/tests/$name.status" "$vm/tests/$name.dmesg"
		done
	elif [ "$vm_status" -ne 124 ] && [ "$vm_status" -ne 125 ]; then
		fail_harness "${prefix}VM ran no tests (exit $vm_status, log: $rel/console.log)"
		tail -n 60 "$vm/console.log" | sed 's/^/    /'
	fi
}

# The debug lane's tests: those named on the command line, or every VM test
# with DEBUG_TESTS=all, or else selftests/debug-set's.
debug_tests()
{
	if [ ${#wanted[@]} -gt 0 ]; then
		echo "${vm_wanted[@]}"
	elif [ "$debug_set" != all ]; then
		sed 's/#.*//' selftests/debug-set | xargs
	fi
}

# debug_lane: build (or find) the debug kernel and its module, then boot it.
# Runs in the background; what it did goes to stdout, for the report.
debug_lane()
{
	local start kdir

	start=$(date +%s)
	kdir=$(scripts/debug-kernel.sh 2>"$check/debug-kernel.log") || return
	echo "debug kernel $(cat "$kdir/kernelrelease"): $(($(date +%s) - start))s"
	start=$(date +%s)
	make -C "$repo" module-debug >"$check/debug-module.log" 2>&1 || return
	echo "debug module: $(($(date +%s) - start))s"
	# The tests run what the main build makes.
	while [ ! -e "$check/build.ok" ]; do
		kill -0 $$ 2>/dev/null || return
		sleep 2
	done
	start=$(date +%s)
	# shellcheck disable=SC2046 # debug_tests prints a word list
	boot_vm "$check/debug-vm" "$debug_vm_timeout" -k "$kdir" -- \
		-t "$debug_test_timeout" -m build/debug/xrelay.ko -l debug -x native \
		-s "$debug_time_scale" $(debug_tests)
	echo "debug VM: $(($(date +%s) - start))s"
}

# One run at a time per tree: a second one would delete the first's logs.
mkdir -p "$repo/build"
exec 9>"$repo/build/check.lock"
if ! flock -n 9; then
	echo "# waiting for another selftests/run.sh in this tree to finish"
	flock 9
fi
rm -rf "$check"
mkdir -p "$check/host"

# Names that are not host tests are left for the VM.
vm_wanted=("${wanted[@]}")
while read -r name cmd; do
	for i in "${!vm_wanted[@]}"; do
		[ "${vm_wanted[$i]}" = "$name" ] && unset "vm_wanted[$i]"
	done
done < <(host_tests)
run_vms=
[ ${#wanted[@]} -eq 0 ] || [ ${#vm_wanted[@]} -gt 0 ] && run_vms=1

# The debug lane runs beside everything else: its kernel builds (or comes
# from its cache) under nice -n 19 while the build, the host tests and the
# Debian lane run, then its VM boots, each VM in one emulator thread, one
# per core. It runs in a process group of its own (set -m), ended with the
# run.
debug_pid=
if [ -n "$run_vms" ] && lane debug; then
	set -m
	debug_lane >"$check/debug-lane.log" 2>&1 &
	debug_pid=$!
	set +m
	trap 'exit 1' INT TERM HUP
	trap 'kill -- -"$debug_pid" 2>/dev/null' EXIT
fi

section build
start=$(date +%s)
if ! logged "$check/build.log" make -j"$(nproc)" -C "$repo" all selftests; then
	[ -z "$verbose" ] && tail -n 60 "$check/build.log"
	fail_harness "build (log: build/check/build.log)"
	finish
fi
# The VMs have no network: what their tests fetch is fetched here.
if ! logged "$check/promtool.log" scripts/promtool.sh; then
	fail_harness "promtool (log: build/check/promtool.log)"
	finish
fi
echo "# build: $(($(date +%s) - start))s"
touch "$check/build.ok"

section "host tests"
start=$(date +%s)
while read -r name cmd; do
	is_wanted "$name" || continue
	t0=$(date +%s)
	# shellcheck disable=SC2086 # cmd is a word list from host_tests
	logged "$check/host/$name.log" timeout -k 10 "$test_timeout" $cmd </dev/null
	echo "$? $(($(date +%s) - t0))" >"$check/host/$name.status"
	evaluate "$name" "$check/host/$name.log" "$check/host/$name.status"
done < <(host_tests)
echo "# host tests: $(($(date +%s) - start))s"

# Boot the VMs unless every requested test was a host test.
if [ -n "$run_vms" ]; then
	if lane debian; then
		section "VM tests"
		start=$(date +%s)
		boot_vm "$check/vm" "$vm_timeout" -- -t "$test_timeout" "${vm_wanted[@]}"
		echo "# VM tests: $(($(date +%s) - start))s"
		report_vm "" "$check/vm"
	fi
	if lane debug; then
		section "debug: VM tests"
		[ -n "$debug_pid" ] && wait "$debug_pid"
		sed -E 's/^(# )?/# /' "$check/debug-lane.log"
		if [ -f "$check/debug-vm.status" ]; then
			report_vm debug: "$check/debug-vm"
		else
			tail -n 30 "$check/debug-kernel.log" "$check/debug-module.log" 2>/dev/null
			fail_harness "debug: kernel or module build" \
				"(logs: build/check/debug-kernel.log, build/check/debug-module.log)"
		fi
	fi
fi

[ $((passed + failed)) -eq 0 ] && fail_harness "no tests ran"
finish
