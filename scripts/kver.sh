#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Print the kernel release xrelay is built and tested against.
#
# It follows Debian's linux-image-amd64 metapackage, so a kernel update moves
# the build and the VM tests along without editing anything. KVER in the
# environment overrides it (e.g. to build for another installed kernel).
set -eu

if [ -n "${KVER:-}" ]; then
	echo "$KVER"
	exit 0
fi

deps=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null) || {
	echo "kver.sh: linux-image-amd64 is not installed (run scripts/install-deps.sh)" >&2
	exit 1
}
# "linux-image-6.1.0-56-amd64 (= 6.1.192-2)" -> "6.1.0-56-amd64"
kver=$(printf '%s\n' "$deps" | tr ',' '\n' |
	sed -n 's/^ *linux-image-\([0-9][^ ]*\).*/\1/p' | head -n 1)
if [ -z "$kver" ]; then
	echo "kver.sh: cannot find the kernel in linux-image-amd64's dependencies: $deps" >&2
	exit 1
fi
echo "$kver"
