#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build (or find in the cache) the debug kernel the debug test lane boots,
# print its cache directory.
#
# usage: debug-kernel.sh
#
# The kernel is Debian's linux-source-6.1 with Debian's config
# (/boot/config-KVER, KVER from scripts/kver.sh), trimmed by localmodconfig
# to the modules scripts/debug-kernel.modules names, then given the options
# of scripts/debug-kernel.config (KASAN, UBSAN, lockdep, kmemleak, refcount
# trackers...; 9p and virtio built in) and completed by `make olddefconfig`.
# Nothing of Debian's config is committed: it is generated here every time.
#
# Cache: $DEBUG_KERNEL_CACHE (default /var/cache/xrelay/debug-kernel)/KEY/,
# KEY = sha256 of the final .config and the source package's version. It holds
#   bzImage          the kernel
#   kernelrelease    its release (6.1.N-xrelay-debug)
#   config           its .config
#   modules/         modules_install tree: modules/lib/modules/RELEASE/
#   kbuild/          the build tree without object files: the kbuild dir for
#                    out-of-tree modules, with vmlinux (module BTF),
#                    resolve_btfids and objtool
#   build.log, build-seconds (wall), build-cpu (user and system CPU time)
# inputs/HASH links to KEY, HASH being that of everything the config is made
# from, so a cache hit needs no source extraction. A build runs in
# build.KEY/ under the cache, renamed into place when complete, under a lock
# that concurrent runs wait on. An interrupted build stays there and the next
# run goes on with it where make left off: the first build takes the better
# part of an hour on two cores, longer than a session may have to spare.
#
# The build runs under `nice -n 19` with -j$DEBUG_KERNEL_JOBS (default: the
# number of CPUs). Progress goes to stderr, the path alone to stdout.
set -euo pipefail

# All of it in one compound command, read whole before it runs: bash reads
# a script as it goes, and this one runs for most of an hour while its
# checkout may change under it.
{
script_dir=$(dirname "$(readlink -f "$0")")
cache=${DEBUG_KERNEL_CACHE:-/var/cache/xrelay/debug-kernel}
jobs=${DEBUG_KERNEL_JOBS:-$(nproc)}
fragment=$script_dir/debug-kernel.config
modlist=$script_dir/debug-kernel.modules

kver=$("$script_dir/kver.sh")
debian_config=/boot/config-$kver
source_pkg=linux-source-$(echo "$kver" | cut -d. -f1-2)
source_tar=/usr/src/$source_pkg.tar.xz
for f in "$debian_config" "$source_tar" "/lib/modules/$kver/kernel"; do
	if [ ! -e "$f" ]; then
		echo "debug-kernel.sh: $f is missing (run scripts/install-deps.sh)" >&2
		exit 1
	fi
done
source_version=$(dpkg-query -W -f='${Version}' "$source_pkg")

# Everything the final .config is made from.
inputs()
{
	echo "$source_pkg $source_version"
	stat -L -c '%s %Y' "$source_tar"
	sha256sum <"$debian_config"
	cat "$fragment" "$modlist" "$0"
	gcc --version | head -n 1
	pahole --version
}
inputs_hash=$(inputs | sha256sum | cut -c1-16)

cached()
{
	local dir=$cache/inputs/$inputs_hash
	[ -f "$dir/.complete" ] || return 1
	readlink -f "$dir"
}

if dir=$(cached); then
	echo "$dir"
	exit 0
fi
mkdir -p "$cache/inputs"
exec 8>"$cache/.lock"
if ! flock -n 8; then
	echo "  DEBUGK  waiting for another build of the debug kernel" >&2
	flock 8
fi
if dir=$(cached); then
	echo "$dir"
	exit 0
fi

start=$(date +%s)
work=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
echo "  DEBUGK  extracting $source_tar" >&2
tar -xJf "$source_tar" -C "$work"
src=$work/$(basename "$source_tar" .tar.xz)
log=$work/build.log
: >"$log"

# localmodconfig keeps the modules an lsmod listing names: make one from
# Debian's modules matching the list.
lsmod=$work/lsmod
echo "Module Size Used" >"$lsmod"
(
	cd "/lib/modules/$kver/kernel"
	grep -v -e '^#' -e '^$' "$modlist" | while read -r pattern; do
		for f in $pattern; do
			[ -e "$f" ] && basename "$f" | sed 's/\.ko.*//; s/-/_/g; s/$/ 0 0/'
		done
	done
) >>"$lsmod"

echo "  DEBUGK  config: $debian_config, $(($(wc -l <"$lsmod") - 1)) modules, $(basename "$fragment")" >&2
cp "$debian_config" "$src/.config"
mk()
{
	nice -n 19 make -C "$src" -j"$jobs" "$@" >>"$log" 2>&1 || {
		tail -n 40 "$log" >&2
		echo "debug-kernel.sh: make $* failed (log: $log)" >&2
		exit 1
	}
}
mk LSMOD="$lsmod" localmodconfig </dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$fragment" >>"$log" 2>&1
mk olddefconfig

# Every option of the fragment must have taken: a dependency turned off
# would silently drop the debugging the lane is for.
bad=0
while read -r line; do
	case $line in
	CONFIG_*=*) want=$line ;;
	"# CONFIG_"*" is not set") want=$line ;;
	*) continue ;;
	esac
	name=$(echo "$want" | sed -E 's/^# //; s/[= ].*//')
	got=$(grep -E "^($name=|# $name is not set)" "$src/.config" || echo "# $name is not set")
	if [ "$got" != "$want" ]; then
		echo "debug-kernel.sh: wanted '$want', got '$got'" >&2
		bad=1
	fi
done <"$fragment"
[ "$bad" -eq 0 ] || exit 1

key=$( (cat "$src/.config"; echo "$source_pkg $source_version") | sha256sum | cut -c1-16)
link_inputs()
{
	ln -sfn "../$key" "$cache/inputs/.$inputs_hash.tmp"
	mv -T "$cache/inputs/.$inputs_hash.tmp" "$cache/inputs/$inputs_hash"
}
if [ -f "$cache/$key/.complete" ]; then
	link_inputs
	echo "$cache/$key"
	exit 0
fi

# The build's own directory, kept when interrupted: a run that finds one
# goes on with its tree, and make with what is left to do.
build=$cache/build.$key
if [ -f "$build/$(basename "$src")/.config" ]; then
	echo "  DEBUGK  going on with the interrupted build in $build" >&2
	rm -rf "$src"
else
	rm -rf "$build"
	mkdir -p "$build"
	mv "$src" "$build/"
fi
src=$build/$(basename "$src")
echo "  DEBUGK  building in $build (log: $log; nice -n 19, -j$jobs)" >&2
mk bzImage modules
out=$work/out
mkdir -p "$out/modules"
mk INSTALL_MOD_PATH="$out/modules" INSTALL_MOD_STRIP=1 modules_install
release=$(cat "$src/include/config/kernel.release")
cp "$src/arch/x86/boot/bzImage" "$out/bzImage"
cp "$src/.config" "$out/config"
echo "$release" >"$out/kernelrelease"
# The kbuild dir: the tree minus what out-of-tree modules never read.
find "$src" \( -name '*.o' -o -name '*.ko' -o -name '*.a' \) \
	! -path "$src/scripts/*" ! -path "$src/tools/*" -delete
rm -f "$src/vmlinux.o" "$src/arch/x86/boot/compressed/vmlinux"
mv "$src" "$out/kbuild"
ln -sfn ../../../../kbuild "$out/modules/lib/modules/$release/build"
rm -f "$out/modules/lib/modules/$release/source"
echo "$(($(date +%s) - start))" >"$out/build-seconds"
# CPU time of the whole build (user, system), which unlike the wall time
# does not depend on what else the machine was running.
# (Not in a pipeline: a subshell's times start at zero.)
times >"$work/times"
tail -n 1 "$work/times" >"$out/build-cpu"
cp "$log" "$out/build.log"
touch "$out/.complete"
rm -rf "${cache:?}/$key"
mv "$out" "$cache/$key"
rm -rf "$build"
link_inputs
echo "  DEBUGK  $release built in $(cat "$cache/$key/build-seconds")s: $cache/$key" >&2
echo "$cache/$key"
exit
}
