# SPDX-License-Identifier: GPL-2.0-only
# Sourced by bench/run.sh and bench/agent-run.sh.

# bench_vm OUT TIMEOUT CMD...: CMD in the test VM, results in OUT, its
# progress lines shown as they come (the guest writes them to a file of
# the results share: its console reaches the host in big blocks).
# Returns the VM run's status.
bench_vm()
{
	local out=$1 timeout=$2 follower status=0

	shift 2
	tail -n +1 -F "$out/progress.log" 2>/dev/null &
	follower=$!
	selftests/vm/run-vm.sh -q -t "$timeout" -r "$out" -- "$@" || status=$?
	kill "$follower"
	return "$status"
}
