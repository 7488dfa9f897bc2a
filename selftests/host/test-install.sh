#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `make install` into a staging root puts every program, man page, unit and
# example in place; the man pages render without warnings; xrelay-ctld's
# unit is hardened (systemd-analyze's exposure at most 2.0, judged offline:
# no systemd needs to run).
set -u
cd "$(dirname "$0")/../.." || exit 1

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
version=$(cat VERSION)

source selftests/host/tap.sh

make -s install DESTDIR="$root" PREFIX=/usr >"$root.log" 2>&1
result $? "make install DESTDIR=... PREFIX=/usr"
sed 's/^/# /' "$root.log" | tail -20
rm -f "$root.log"

for f in usr/sbin/xrelay-ctld usr/sbin/xrelay-agent usr/sbin/xrelayctl \
	usr/share/man/man8/xrelay-ctld.8 usr/share/man/man8/xrelay-agent.8 \
	usr/share/man/man8/xrelayctl.8 usr/lib/systemd/system/xrelay-ctld.service \
	usr/lib/systemd/system/xrelay-agent.service \
	usr/share/doc/xrelay/ctld-examples/relays.yaml; do
	test -s "$root/$f"
	result $? "installed: /$f"
done

out=$("$root/usr/sbin/xrelay-ctld" --version)
test "$out" = "xrelay-ctld $version"
result $? "the installed xrelay-ctld is release $version ($out)"
"$root/usr/sbin/xrelay-ctld" check "$root/usr/share/doc/xrelay/ctld-examples" >/dev/null
result $? "the installed examples pass xrelay-ctld check"

for page in xrelay-ctld xrelay-agent xrelayctl; do
	warnings=$(man --warnings -l "$root/usr/share/man/man8/$page.8" 2>&1 >/dev/null)
	test -z "$warnings"
	result $? "man $page renders without warnings"
	[ -n "$warnings" ] && echo "$warnings" | sed 's/^/# /'
done

unit=$root/usr/lib/systemd/system/xrelay-ctld.service
grep -q "^ExecStart=/usr/sbin/xrelay-ctld serve" "$unit"
result $? "the ctld unit starts the installed program"
report=$(systemd-analyze security --offline=yes "$unit" 2>&1)
exposure=$(echo "$report" | sed -n 's/.*Overall exposure level for xrelay-ctld.service: \([0-9.]*\).*/\1/p')
awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'
result $? "the ctld unit's exposure is at most 2.0 (systemd-analyze security: ${exposure:-unreadable})"
[ -z "$exposure" ] && echo "$report" | sed 's/^/# /' | tail -10

echo "1..$n"
exit "$failed"
