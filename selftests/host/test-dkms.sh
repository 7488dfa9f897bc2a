#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# DKMS builds xrelay.ko from the tree scripts/dkms-tree.sh makes, against the
# installed Debian headers, with module BTF, and the system stays untouched.
#
# dkms works in private trees (--sourcetree, --dkmstree) under a temporary
# directory, with a throwaway signing key there instead of the one dkms
# would otherwise create in /var/lib/dkms.
set -u
cd "$(dirname "$0")/../.." || exit 1

kver=$(scripts/kver.sh) || exit 1
version=$(cat VERSION)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src" "$tmp/dkms"
trees=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms")
export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub

source selftests/host/tap.sh

# What a DKMS run may touch on the system, to compare before and after.
system_state()
{
	ls -la /var/lib/dkms /usr/src "/lib/modules/$kver" 2>&1
	ls -laR "/lib/modules/$kver/updates" 2>/dev/null
}

echo "1..8"
before=$(system_state)

scripts/dkms-tree.sh "$tmp/src/xrelay-$version"
result $? "dkms source tree for xrelay-$version"

dkms add -m xrelay -v "$version" "${trees[@]}" >"$tmp/add.log" 2>&1
status=$?
[ $status -ne 0 ] && sed 's/^/# /' "$tmp/add.log"
result $status "dkms add"

dkms build -m xrelay -v "$version" -k "$kver" "${trees[@]}" >"$tmp/build.log" 2>&1
status=$?
if [ $status -ne 0 ]; then
	sed 's/^/# /' "$tmp/build.log"
	find "$tmp/dkms" -name make.log -exec sed 's/^/# /' {} \; 2>/dev/null
fi
result $status "dkms build for $kver"

ko=$tmp/dkms/xrelay/$version/$kver/$(uname -m)/module/xrelay.ko
[ -f "$ko" ]
result $? "built module kept by dkms"

vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null)
echo "# vermagic: $vermagic"
[ "${vermagic%% *}" = "$kver" ]
result $? "vermagic is $kver"

readelf -S -W "$ko" 2>/dev/null | grep -q ' \.BTF '
result $? "module has a .BTF section"

dkms status -m xrelay -v "$version" "${trees[@]}" 2>/dev/null | grep -q ": built$"
result $? "dkms status says built"

[ "$(system_state)" = "$before" ]
result $? "/var/lib/dkms, /usr/src and /lib/modules/$kver untouched"
exit $failed
