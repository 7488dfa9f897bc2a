#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Print the path of a promtool (Prometheus's checker), fetching it first if
# needed.
#
# Debian ships promtool only in the prometheus package, whose installation
# would also enable and start a Prometheus server. So unless one is
# installed already, the package is downloaded (apt-get download, the
# system's sources) and only its promtool kept, under
# $XRELAY_CACHE/promtool/VERSION; a cached copy is used without going to
# the network.
set -eu

if command -v promtool >/dev/null 2>&1; then
	command -v promtool
	exit 0
fi
cache=${XRELAY_CACHE:-/var/cache/xrelay}
home_cache=${XDG_CACHE_HOME:-$HOME/.cache}/xrelay
# A copy cached before (also where it cannot be written now: the test VM
# sees the host's /var/cache read-only).
cached=$(ls "$cache"/promtool/*/promtool "$home_cache"/promtool/*/promtool 2>/dev/null |
	sort -V | tail -n 1)
if [ -n "$cached" ]; then
	echo "$cached"
	exit 0
fi
[ -w "$(dirname "$cache")" ] || [ -w "$cache" ] 2>/dev/null || cache=$home_cache
root=$cache/promtool

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get -q download prometheus >&2) || {
	echo "promtool.sh: cannot download the prometheus package" >&2
	exit 1
}
deb=$(ls "$work"/prometheus_*.deb)
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" ./usr/bin/promtool
mkdir -p "$root/$version"
mv "$work/usr/bin/promtool" "$root/$version/promtool"
echo "$root/$version/promtool"
