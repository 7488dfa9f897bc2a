#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the kernel tests inside the test VM; selftests/run.sh boots it for this.
#
# usage: run-guest.sh [-t SECONDS] [-m MODULE] [-l LANE] [-x MODES] [-s FACTOR] [TEST...]
#
# Loads kmod/xrelay.ko (or MODULE, -m: the copy built for the debug kernel,
# bind-mounted over kmod/xrelay.ko for the run so that tests reloading the
# module get it too), runs each VM test (every executable
# selftests/test-*.sh and build/selftests/*_test; the host's tests live in
# selftests/host/) under a per-test timeout (-t, default 300 s, or the
# test's own "# timeout: SECONDS" line if longer), or only
# the named ones, then unloads the module.
#
# -l names the lane (default debian): a test whose "# lanes: LANE..." line
# leaves it out does not run. -x keeps only these of the tests' XDP modes
# (default: all, "native generic"). -s says the kernel runs FACTOR times
# slower than Debian's (a debug kernel): the tests stretch their waits and
# their traffic's durations by it (XRELAY_TIME_SCALE, see common.sh).
#
# Tests run two at a time (RUN_JOBS), except those marked "# vm: alone",
# which run one by one at the end. After each test it takes the new kernel
# log lines (dmesg -c) and looks for splats: any warning, BUG, oops or
# similar fails the run, naming the test that caused it (and those running
# alongside), even when the test itself passed.
#
# On a kernel with kmemleak (the debug kernel), a scan right after boot is
# the baseline: what it finds is the kernel's own and is set aside (echo
# clear). After the tests, with the module still loaded, and again after
# rmmod, kmemleak scans twice (an object is reported only once it has stayed
# unreferenced and unchanged across scans); any object it reports then was
# allocated while the module and the tests ran, and fails the run.
#
# Everything lands in $RESULTS/tests/:
#   NAME.log     the test's output (TAP)
#   NAME.status  "EXIT_STATUS SECONDS"
#   NAME.dmesg   kernel log lines printed while it ran
#   harness.log  this script's own TAP results (harness.status appears
#                only when it got to the end)
#   kmemleak-boot.txt, kmemleak-loaded.txt, kmemleak.txt: kmemleak's
#                reports after boot, after the tests, after rmmod
# Tests get REPO, RESULTS, XRELAYCTL (the CLI) and SELFTESTS_BUILD
# (build/selftests) in the environment; cwd is the repository.
set -u

test_timeout=300
module_given=
lane=debian
xdp_modes="native generic"
XRELAY_TIME_SCALE=1
while getopts "t:m:l:x:s:" opt; do
	case $opt in
	t) test_timeout=$OPTARG ;;
	m) module_given=$OPTARG ;;
	l) lane=$OPTARG ;;
	x) xdp_modes=$OPTARG ;;
	s) XRELAY_TIME_SCALE=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

: "${REPO:?run-guest.sh runs inside the VM, see selftests/run.sh}"
: "${RESULTS:?run-guest.sh runs inside the VM, see selftests/run.sh}"
cd "$REPO" || exit 1
out=$RESULTS/tests
mkdir -p "$out"
harness=$out/harness.log
: >"$harness"

export REPO RESULTS XRELAY_TIME_SCALE
export XRELAYCTL=$REPO/tools/xrelayctl/xrelayctl
export SELFTESTS_BUILD=$REPO/build/selftests
module=kmod/xrelay.ko

# Kernel splats only: a user program's segfault line is that test's business.
# The debug kernel adds ref_tracker (netdev/netns references), ODEBUG
# (debug objects) and lockdep reports, most of them also "WARNING:".
splat='WARNING:|BUG:|Oops|general protection|refcount_t:|KASAN|UBSAN|kernel BUG|Call Trace|list_add corruption|list_del corruption|unreferenced object|rcu.*stall|blocked for more than|Kernel panic|ref_tracker|ODEBUG|unregister_netdevice: waiting|KFENCE|possible circular locking|inconsistent lock state|suspicious RCU usage'

tap_n=0
splats=0

result()
{
	local status=$1
	shift
	tap_n=$((tap_n + 1))
	echo "$status $tap_n $*" | tee -a "$harness"
}

diag()
{
	echo "# $*" | tee -a "$harness"
}

# Move the kernel log printed since the last call into FILE, fail if it has
# a splat.
check_dmesg()
{
	local step=$1 file=$2
	dmesg -c >"$file"
	if grep -Eq "$splat" "$file"; then
		splats=$((splats + 1))
		grep -E "$splat" "$file" | head -n 5 | sed 's/^/#   /' | tee -a "$harness"
		result "not ok" "dmesg clean after $step (full log: tests/$(basename "$file"))"
	fi
}

done_harness()
{
	echo "1..$tap_n" >>"$harness"
	echo "$1 $(($(date +%s) - run_start))" >"$out/harness.status"
	exit "$1"
}

# contains WORD LIST...: is WORD in LIST?
contains()
{
	local word=$1 item
	shift
	for item; do
		[ "$item" = "$word" ] && return 0
	done
	return 1
}

kmemleak=/sys/kernel/debug/kmemleak

# kmemleak_scan FILE: two scans (kmemleak reports an object only when it
# has stayed unreferenced and unchanged across scans, and is older than
# 5 s), the reports into FILE; prints how many objects it reports, or
# fails when kmemleak refuses to scan (it turns itself off when its
# metadata pool runs out, and then reports nothing).
kmemleak_scan()
{
	echo scan 2>/dev/null >"$kmemleak" || return 1
	sleep 6
	echo scan 2>/dev/null >"$kmemleak" || return 1
	cat "$kmemleak" >"$1"
	grep -c '^unreferenced object' "$1"
}

# kmemleak_check STEP FILE: fail if kmemleak reports anything.
kmemleak_check()
{
	local step=$1 file=$2 n

	if ! n=$(kmemleak_scan "$file") && [ -z "$n" ]; then
		result "not ok" "kmemleak: no leak $step (it cannot scan: disabled? see dmesg)"
		return
	fi
	if [ "$n" -eq 0 ]; then
		result ok "kmemleak: no leak $step"
		return
	fi
	diag "kmemleak: $n unreferenced objects $step ($(grep -c '\[xrelay\]' "$file") backtrace lines in xrelay):"
	grep -E '^unreferenced object|^ +comm |\[<[0-9a-f]+>\]' "$file" | head -n 40 |
		sed 's/^/#   /' | tee -a "$harness"
	result "not ok" "kmemleak: no leak $step (full report: tests/$(basename "$file"))"
}

wanted=("$@")
ran=()
run_start=$(date +%s)
check_dmesg boot "$out/boot.dmesg"

if [ -e "$kmemleak" ]; then
	if n=$(kmemleak_scan "$out/kmemleak-boot.txt") || [ -n "$n" ]; then
		diag "kmemleak: $n unreferenced objects after boot, the kernel's own: set aside" \
			"(tests/kmemleak-boot.txt)"
		echo clear >"$kmemleak"
	else
		result "not ok" "kmemleak: scan after boot (it cannot scan: disabled? see dmesg)"
	fi
fi

# The module built for another kernel takes kmod/xrelay.ko's place, for
# this script and for the tests that reload it.
if [ -n "$module_given" ] && [ "$(readlink -f "$module_given")" != "$(readlink -f "$module")" ]; then
	if [ ! -f "$module_given" ]; then
		result "not ok" "insmod $module_given (missing: run make module-debug)"
		echo "Bail out! $module_given is missing" | tee -a "$harness"
		done_harness 1
	fi
	if [ -f "$module" ] && mount --bind "$module_given" "$module"; then
		diag "$module_given mounted over $module"
	else
		module=$module_given
	fi
fi

if [ ! -f "$module" ]; then
	result "not ok" "insmod $module (missing: run make module)"
	echo "Bail out! $module is missing" | tee -a "$harness"
	done_harness 1
fi
# insmod does not resolve dependencies: load what the module needs first.
for dep in $(modinfo -F depends "$module" | tr ',' ' '); do
	modprobe "$dep" || diag "modprobe $dep failed"
done
if ! insmod "$module"; then
	result "not ok" "insmod $module"
	check_dmesg insmod "$out/insmod.dmesg"
	echo "Bail out! cannot load $module" | tee -a "$harness"
	done_harness 1
fi
result ok "insmod $module"
check_dmesg insmod "$out/insmod.dmesg"

# A module built against the BTF-capable kbuild dir must register its BTF,
# or XDP programs cannot call its kfuncs.
if readelf -S -W "$module" | grep -q ' \.BTF '; then
	if [ -e /sys/kernel/btf/xrelay ]; then
		result ok "module BTF registered"
	else
		result "not ok" "module BTF registered"
	fi
else
	result ok "module BTF registered # SKIP $module was built without BTF"
fi

# in_lane T: does test T run in this lane? Only a "# lanes:" line says no.
in_lane()
{
	local lanes

	lanes=$(sed -n 's/^# lanes: *\([a-z ]*\).*/\1/p' "$1")
	[ -z "$lanes" ] || contains "$lane" $lanes
}

vm_tests=()
for t in selftests/test-*.sh build/selftests/*_test; do
	[ -f "$t" ] && in_lane "$t" && vm_tests+=("$t")
done

# Forwarding scenarios run again with the XDP program attached, in each
# mode their "# xdp-modes: MODE..." line names (native, generic): common.sh's
# setup_topology attaches it when XRELAY_XDP names the mode. Their results
# are named NAME@xdp-MODE. Generic mode runs the same program and kfuncs as
# native, so it is kept for the scenarios about packet handling (forwarding,
# pinning, counters, admission, the guard, third parties, WireGuard);
# those about timing, rates and policy bookkeeping take native only.
runs=()
for t in "${vm_tests[@]}"; do
	runs+=("$t:")
	for mode in $(sed -n 's/^# xdp-modes: *\([a-z ]*\).*/\1/p' "$t"); do
		case $mode in
		native|generic) contains "$mode" $xdp_modes && runs+=("$t:$mode") ;;
		*) result "not ok" "$(basename "$t"): unknown XDP mode '$mode' in its xdp-modes line" ;;
		esac
	done
done

# A test's namespaces carry its shell's PID, so tests can share the VM:
# RUN_JOBS of them run at once (default 2, one per vCPU), since most of a
# scenario's time is waiting on emulated processes and timers. Tests whose
# "# vm: alone" line says they must not share it (they reload the module,
# or measure rates and delays that a busy CPU would distort) run one at a
# time after the others.
jobs=${RUN_JOBS:-2}
declare -A running=()

# start_run T MODE NAME: run it in the background, its status to NAME.status.
# A test's "# timeout: SECONDS" line gives it longer than -t: those that
# measure bulk transfers over several paths take minutes under emulation.
start_run()
{
	local t=$1 mode=$2 name=$3 cmd=("$1") limit=$test_timeout own

	own=$(sed -n 's/^# timeout: *\([0-9][0-9]*\).*/\1/p' "$t")
	[ -n "$own" ] && [ "$own" -gt "$limit" ] && limit=$own

	# Scripts run through bash: a missing execute bit must not hide a test.
	[ "${t%.sh}" != "$t" ] && cmd=(bash "$t")
	(
		start=$(date +%s)
		XRELAY_XDP=$mode timeout -k 10 "$limit" "${cmd[@]}" \
			>"$out/$name.log" 2>&1 </dev/null
		status=$?
		[ "$status" -eq 124 ] && echo "# killed after ${limit}s" >>"$out/$name.log"
		echo "$status $(($(date +%s) - start))" >"$out/$name.status"
	) &
	running[$!]=$name
}

# reap_run: wait for one running test to end and report it. The kernel log
# since the last check is blamed on it and on whatever ran alongside.
reap_run()
{
	local pid name status secs others

	wait -n -p pid "${!running[@]}"
	name=${running[$pid]}
	unset "running[$pid]"
	read -r status secs <"$out/$name.status"
	diag "$name: exit $status, ${secs}s," \
		"$(grep -c '^ok ' "$out/$name.log") ok, $(grep -c '^not ok ' "$out/$name.log") not ok"
	others=${running[*]}
	check_dmesg "$name${others:+ (or $others, running alongside)}" "$out/$name.dmesg"
}

# A scenario that failed half-way may leave namespaces behind; they are
# removed once nothing runs, so they cannot pile up.
clean_netns()
{
	local ns

	for ns in $(ip netns list | cut -d' ' -f1); do
		diag "a test left netns $ns behind, deleting it"
		ip netns del "$ns"
	done
}

alone=()
for run in "${runs[@]}"; do
	t=${run%:*}
	mode=${run##*:}
	base=$(basename "$t" .sh)
	name=$base${mode:+@xdp-$mode}
	[ ${#wanted[@]} -eq 0 ] || contains "$base" "${wanted[@]}" ||
		contains "$name" "${wanted[@]}" || continue
	ran+=("$base" "$name")
	if grep -q '^# vm: alone' "$t"; then
		alone+=("$run")
		continue
	fi
	[ ${#running[@]} -ge "$jobs" ] && reap_run
	start_run "$t" "$mode" "$name"
done
while [ ${#running[@]} -gt 0 ]; do
	reap_run
done
clean_netns
for run in "${alone[@]}"; do
	t=${run%:*}
	mode=${run##*:}
	start_run "$t" "$mode" "$(basename "$t" .sh)${mode:+@xdp-$mode}"
	reap_run
	clean_netns
done

for want in "${wanted[@]}"; do
	contains "$want" "${ran[@]}" || result "not ok" "$want: no such VM test"
done

# XDP programs of deleted namespaces let go of the module once the kernel
# has freed them, which it does a little later.
for _ in $(seq 50); do
	[ "$(cat /sys/module/xrelay/refcnt)" = 0 ] && break
	sleep 0.2
done
[ -e "$kmemleak" ] && kmemleak_check "after the tests, module loaded" "$out/kmemleak-loaded.txt"
if rmmod xrelay; then
	result ok "rmmod xrelay"
else
	result "not ok" "rmmod xrelay"
	lsmod | grep -E '^xrelay ' | sed 's/^/# /' | tee -a "$harness"
fi
check_dmesg rmmod "$out/rmmod.dmesg"
if [ -e "$kmemleak" ]; then
	# Those already reported are in kmemleak-loaded.txt: only new ones now.
	echo clear >"$kmemleak"
	kmemleak_check "after rmmod" "$out/kmemleak.txt"
fi
[ "$splats" -eq 0 ] && result ok "dmesg clean after every step"
done_harness 0
