#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run a command inside a throwaway VM booting the Debian kernel under QEMU.
#
# usage: run-vm.sh [-t SECONDS] [-r RESULTS_DIR] [-k KERNEL_DIR] [-q] -- COMMAND [ARG...]
#
#   -t  wall-clock limit for the whole VM (default 900); the command itself
#       gets this minus a margin for boot and power-off
#   -r  results directory (created, must not exist; default: a fresh
#       build/vm/results.XXXXXX)
#   -k  boot another kernel: a directory as scripts/debug-kernel.sh makes
#       (bzImage, kernelrelease, modules/lib/modules/RELEASE), whose modules
#       the guest sees as /lib/modules (exported as $MODULES); it gets more
#       memory (KASAN's shadow, kmemleak), kasan_multi_shot and no5lvl
#   -q  do not copy the serial console to stdout (it is always saved in
#       RESULTS_DIR/console.log)
#
# VM_TCG_THREAD=multi gives each vCPU a host thread of its own (default
# single: one thread for both, see the QEMU command below).
#
# The guest sees the host's root read-only, tmpfs on /tmp, /var/tmp and /run,
# and RESULTS_DIR writable at the same path as on the host (exported to the
# command as $RESULTS). The command runs as root with cwd = this checkout
# ($REPO), and may load modules: the host's /lib/modules matches the kernel.
#
# After the run RESULTS_DIR holds console.log, dmesg (the kernel log at the
# end) and exitcode. Exit status: the command's, or 124 if the VM ran out of
# time, or 125 if it stopped without reporting (panic, harness failure).
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
repo=$(readlink -f "$here/../..")
vm_timeout=900
results=
quiet=
kernel_dir=

usage()
{
	sed -n '3,/^set -/{/^set -/d; s/^# \{0,1\}//; p}' "$0" >&2
	exit "$1"
}

while getopts "t:r:k:qh" opt; do
	case $opt in
	t) vm_timeout=$OPTARG ;;
	r) results=$OPTARG ;;
	k) kernel_dir=$(readlink -f "$OPTARG") ;;
	q) quiet=1 ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage 2
case $vm_timeout in
'' | *[!0-9]*) echo "run-vm.sh: -t wants whole seconds, not '$vm_timeout'" >&2; exit 2 ;;
esac
# Boot takes a few seconds under TCG, power-off less: leave the command
# enough time to finish cleanly before the host pulls the plug.
cmd_timeout=$((vm_timeout - 30))
if [ "$cmd_timeout" -lt 10 ]; then
	echo "run-vm.sh: -t must be at least 40 seconds" >&2
	exit 2
fi

memory=2048
extra_append=
modules=
if [ -n "$kernel_dir" ]; then
	kver=$(cat "$kernel_dir/kernelrelease") || exit 1
	kernel=$kernel_dir/bzImage
	modules=$kernel_dir/modules/lib/modules
	memory=3072
	# 4-level paging: -cpu max offers LA57, and 6.1's identify_cpu()
	# clears the CPU's feature bits for a moment, so pgtable_l5_enabled()
	# says no; KASAN then takes the 5-level direct map for wild addresses,
	# and an interrupt in that window (TCG's timing makes one likely) set
	# off a storm of 2 million lines of reports at boot.
	extra_append=" kasan_multi_shot no5lvl"
else
	kver=$("$repo/scripts/kver.sh")
	kernel=/boot/vmlinuz-$kver
fi
if [ ! -r "$kernel" ]; then
	echo "run-vm.sh: $kernel is missing (run scripts/install-deps.sh)" >&2
	exit 1
fi
initramfs=$repo/build/vm/initramfs-$kver.cpio
"$here/mkinitramfs.sh" "$kver" "$initramfs" ${modules:+"$modules/$kver"}

if [ -n "$results" ]; then
	mkdir -p "$(dirname "$results")"
	mkdir "$results"
	results=$(readlink -f "$results")
else
	mkdir -p "$repo/build/vm"
	results=$(mktemp -d "$repo/build/vm/results.XXXXXX")
fi

# The command runs through bash in the guest, quoted as given here.
printf '%q ' "$@" >"$results/cmd"
echo >>"$results/cmd"
{
	printf 'REPO=%q\n' "$repo"
	printf 'RESULTS=%q\n' "$results"
	printf 'TIMEOUT=%q\n' "$cmd_timeout"
	printf 'MODULES=%q\n' "$modules"
} >"$results/vm.conf"

# No panic_on_warn: a warning must fail the run, but the guest should live
# on to save the log. Callers look for splats in the saved dmesg instead.
# mitigations=off only speeds up the emulated guest.
#
# One host thread runs both vCPUs (thread=single) unless VM_TCG_THREAD says
# otherwise: QEMU 7.2's multi-threaded TCG can hang the whole guest when the
# kernel patches its code across CPUs (static keys and the XDP dispatcher,
# switched as tests add and remove hooks and programs) while the other vCPU
# is in softirq: both vCPUs loop on an INT3 at a patched branch. A CI run
# hung so, with soft lockups in the receive path. Measured on the Debian
# kernel, eight scenarios took 1.27 times as long in one thread (299 s
# against 235 s).
tcg_thread=${VM_TCG_THREAD:-single}
append="console=ttyS0 panic=-1 loglevel=5 mitigations=off$extra_append"

start=$(date +%s)
set +e
timeout -k 10 "$vm_timeout" qemu-system-x86_64 \
	-accel "tcg,thread=$tcg_thread" -cpu max -smp 2 -m "$memory" \
	-nographic -no-reboot -nic none \
	-kernel "$kernel" -initrd "$initramfs" -append "$append" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$results",mount_tag=results,security_model=none \
	</dev/null | tr -d '\r' | tee "$results/console.log" |
	if [ -n "$quiet" ]; then cat >/dev/null; else cat; fi
qemu_status=${PIPESTATUS[0]}
set -e
echo "# vm: $(($(date +%s) - start))s, results in $results" >&2

if [ "$qemu_status" -eq 124 ]; then
	echo "run-vm.sh: VM did not finish within ${vm_timeout}s, killed" >&2
	exit 124
fi
if [ ! -f "$results/exitcode" ]; then
	echo "run-vm.sh: VM stopped without reporting an exit code (qemu status $qemu_status);" \
	     "see $results/console.log" >&2
	exit 125
fi
exit "$(cat "$results/exitcode")"
