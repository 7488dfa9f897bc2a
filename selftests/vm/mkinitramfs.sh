#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the test VM's initramfs: busybox, selftests/vm/init and the modules
# needed to mount 9p over virtio, taken from /lib/modules/KVER (or MODDIR,
# a modules tree of that kernel such as the debug kernel's). Modules the
# kernel has built in (modules.builtin) are left out; the debug kernel has
# all of them built in, and its initramfs has no modules.
#
# usage: mkinitramfs.sh KVER OUTPUT [MODDIR]
#
# Rebuilt only when OUTPUT is older than its inputs. Left uncompressed: the
# guest unpacks it under emulation, where decompressing costs more than
# reading a few extra megabytes.
set -euo pipefail

if [ $# -ne 2 ] && [ $# -ne 3 ]; then
	echo "usage: $0 KVER OUTPUT [MODDIR]" >&2
	exit 2
fi
kver=$1
out=$2
here=$(dirname "$(readlink -f "$0")")
moddir=${3:-/lib/modules/$kver}
busybox=/bin/busybox
# What mounting the host's root needs; their dependencies come from modules.dep.
wanted="virtio_pci 9pnet_virtio 9p"

for f in "$busybox" "$moddir/modules.dep"; do
	if [ ! -e "$f" ]; then
		echo "mkinitramfs.sh: $f is missing (run scripts/install-deps.sh)" >&2
		exit 1
	fi
done

up_to_date()
{
	[ -e "$out" ] || return 1
	for input in "$here/init" "$0" "$busybox" "$moddir/modules.dep"; do
		[ "$out" -nt "$input" ] || return 1
	done
}
up_to_date && exit 0

# modules.dep lines read "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko ...".
# Emit each module after everything it depends on, once.
declare -A placed
order=()
place()
{
	local path=$1 dep
	[ -n "${placed[$path]:-}" ] && return
	placed[$path]=1
	for dep in $(sed -n "s#^$path: *##p" "$moddir/modules.dep"); do
		place "$dep"
	done
	order+=("$path")
}
for name in $wanted; do
	grep -qE "/$name\.ko$" "$moddir/modules.builtin" 2>/dev/null && continue
	path=$(grep -E "/$name\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | cut -d: -f1)
	if [ -z "$path" ]; then
		echo "mkinitramfs.sh: module $name not found in $moddir/modules.dep" >&2
		exit 1
	fi
	place "$path"
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,modules,newroot,hostroot,results}
cp "$busybox" "$stage/bin/busybox"
cp "$here/init" "$stage/init"
chmod 755 "$stage/init"
# busybox insmod wants plain ELF modules.
for path in "${order[@]}"; do
	name=$(basename "$path")
	case $path in
	*.ko.xz) xz -dc "$moddir/$path" >"$stage/modules/${name%.xz}" ;;
	*.ko.zst) zstd -qdc "$moddir/$path" >"$stage/modules/${name%.zst}" ;;
	*.ko.gz) gzip -dc "$moddir/$path" >"$stage/modules/${name%.gz}" ;;
	*) cp "$moddir/$path" "$stage/modules/" ;;
	esac
	echo "${name%.ko*}.ko" >>"$stage/modules/order"
done
touch "$stage/modules/order"

mkdir -p "$(dirname "$out")"
# Concurrent runs may build it at once: each writes its own file first.
tmp_out=$(mktemp "$out.XXXXXX")
(cd "$stage" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$tmp_out"
mv "$tmp_out" "$out"
echo "  INITRD  $out (${#order[@]} modules)" >&2
