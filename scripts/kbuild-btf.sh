#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Prepare a kbuild directory that produces modules with BTF, print its path.
#
# usage: kbuild-btf.sh KVER HEADERS_DIR OUT_DIR
#
# Debian's headers package ships neither an ELF vmlinux nor resolve_btfids, so
# kbuild silently skips module BTF, and without module BTF an XDP program
# cannot call xrelay's kfuncs. This makes a copy of HEADERS_DIR under
# OUT_DIR/kbuild-KVER with:
#   vmlinux                                  recovered from /boot/vmlinuz-KVER
#   tools/bpf/resolve_btfids/resolve_btfids  built from linux-source's tarball
# which is where kbuild's modfinal step looks for them. The copy is reused
# until one of its inputs changes. When an input is missing it prints
# HEADERS_DIR itself after a warning: the module still builds and relays,
# it just has no BTF.
#
# Everything but the path goes to stderr, so callers can use $(...).
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 KVER HEADERS_DIR OUT_DIR" >&2
	exit 2
fi
kver=$1
headers=$(readlink -f "$2") || true
out_dir=$3
script_dir=$(dirname "$(readlink -f "$0")")

if [ ! -f "$headers/Makefile" ]; then
	echo "kbuild-btf.sh: no kernel headers at $2 (install linux-headers-$kver)" >&2
	exit 1
fi

vmlinuz=/boot/vmlinuz-$kver
# 6.1.0-56-amd64 -> linux-source-6.1
source_pkg=linux-source-$(echo "$kver" | cut -d. -f1-2)
source_tar=/usr/src/$source_pkg.tar.xz
kbuild=$out_dir/kbuild-$kver
stamp=$kbuild/.xrelay-inputs

no_btf()
{
	echo "WARNING: $1" >&2
	echo "WARNING: building xrelay.ko WITHOUT BTF: it relays, but XDP offload" \
	     "(kfuncs) will be unavailable." >&2
	echo "$headers"
	exit 0
}

[ -r "$vmlinuz" ] || no_btf "$vmlinuz is missing or unreadable"
[ -r "$source_tar" ] || no_btf "$source_tar is missing (install $source_pkg)"
command -v pahole >/dev/null || no_btf "pahole is missing (install dwarves)"

# What the copy was made from: a new kernel upload keeps KVER but changes these.
inputs()
{
	stat -L -c '%n %s %Y' "$headers/Module.symvers" "$headers/.config" \
		"$vmlinuz" "$source_tar" "$0" "$script_dir/vmlinux-elf.py"
}

up_to_date()
{
	[ -f "$stamp" ] && [ "$(inputs)" = "$(cat "$stamp")" ]
}

if up_to_date; then
	echo "$kbuild"
	exit 0
fi
# Concurrent builds wait for the first one's copy instead of racing it.
mkdir -p "$out_dir"
exec 8>"$out_dir/kbuild-$kver.lock"
flock 8
if up_to_date; then
	echo "$kbuild"
	exit 0
fi

echo "  KBUILD  preparing $kbuild (module BTF for $kver)" >&2
work=$(mktemp -d "$out_dir/kbuild-$kver.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir "$tree"

# The headers dir is small (a few MB): a real copy, with its relative
# scripts/ and tools/ links turned absolute so they resolve from here.
cp -a "$headers/." "$tree/"
rm -f "$tree/scripts" "$tree/tools"
ln -s "$(readlink -f "$headers/scripts")" "$tree/scripts"
mkdir -p "$tree/tools/bpf/resolve_btfids"
for tool in "$headers/tools/"*; do
	ln -s "$(readlink -f "$tool")" "$tree/tools/$(basename "$tool")"
done

echo "  VMLINUX $vmlinuz" >&2
python3 "$script_dir/vmlinux-elf.py" "$vmlinuz" "$tree/vmlinux"
if ! readelf -S -W "$tree/vmlinux" | grep -q ' \.BTF '; then
	no_btf "$vmlinuz has no .BTF section"
fi

# resolve_btfids needs its own sources, the tools/ libraries it links
# (libbpf, libsubcmd) and bpf_doc.py for libbpf's generated helper header.
echo "  EXTRACT resolve_btfids sources from $source_tar" >&2
src_top=$(basename "$source_tar" .tar.xz)
tar -xJf "$source_tar" -C "$work" \
	"$src_top/tools/bpf/resolve_btfids" "$src_top/tools/build" \
	"$src_top/tools/lib" "$src_top/tools/include" "$src_top/tools/scripts" \
	"$src_top/tools/arch/x86/include" "$src_top/scripts/bpf_doc.py"
echo "  BUILD   resolve_btfids" >&2
if ! make -C "$work/$src_top/tools/bpf/resolve_btfids" -j"$(nproc)" \
	>"$work/resolve_btfids.log" 2>&1; then
	tail -n 30 "$work/resolve_btfids.log" >&2
	no_btf "building resolve_btfids failed"
fi
cp "$work/$src_top/tools/bpf/resolve_btfids/resolve_btfids" \
	"$tree/tools/bpf/resolve_btfids/"

inputs >"$tree/.xrelay-inputs"
rm -rf "$kbuild"
mv "$tree" "$kbuild"
echo "$kbuild"
