#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Copy what DKMS needs to build xrelay.ko into DEST (e.g. /usr/src/xrelay-VERSION).
#
# usage: dkms-tree.sh DEST
#
# Only sources: the module (with the bpf/ header it shares), kbuild glue, and
# the scripts `make module` runs to prepare module BTF. dkms.conf gets its version from ./VERSION.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DEST" >&2
	exit 2
fi
dest=$1
top=$(dirname "$(readlink -f "$0")")/..
cd "$top"
version=$(cat VERSION)

# Replace an earlier copy, never anything else.
if [ -e "$dest" ]; then
	if ! grep -qs '^PACKAGE_NAME="xrelay"' "$dest/dkms.conf"; then
		echo "dkms-tree.sh: $dest exists and is not an xrelay source tree" >&2
		exit 1
	fi
	rm -rf "$dest"
fi
mkdir -p "$dest/scripts"
cp Makefile Kbuild VERSION "$dest/"
cp scripts/kver.sh scripts/kbuild-btf.sh scripts/vmlinux-elf.py "$dest/scripts/"
# The module includes bpf/'s header shared with the XDP program.
find kmod -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) \
	-exec cp --parents {} "$dest/" \;
find bpf -type f -name '*.h' -exec cp --parents {} "$dest/" \;
sed "s/@VERSION@/$version/" dkms.conf >"$dest/dkms.conf"
