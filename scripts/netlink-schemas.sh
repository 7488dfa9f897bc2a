#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Print the directory holding upstream's netlink spec schemas
# (Documentation/netlink/genetlink*.yaml), fetching them first if needed.
#
# linux-source-6.1 predates them; Debian's bookworm-backports has a newer
# linux-doc that ships them. It is fetched with apt-get through a private
# sources list and state (the system's apt configuration is left alone),
# only the schemas are kept, under $XRELAY_CACHE/netlink-schemas/VERSION
# (VERSION: the linux-doc package's), and a cached copy is used without
# going to the network. Nothing of the kernel's is put into the checkout.
set -eu

cache=${XRELAY_CACHE:-/var/cache/xrelay}
[ -w "$(dirname "$cache")" ] || [ -w "$cache" ] 2>/dev/null || cache=${XDG_CACHE_HOME:-$HOME/.cache}/xrelay
root=$cache/netlink-schemas
suite=bookworm-backports

cached=$(ls -d "$root"/*/genetlink-legacy.yaml 2>/dev/null | sort -V | tail -n 1)
if [ -n "$cached" ]; then
	dirname "$cached"
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
	"http://deb.debian.org/debian $suite main" > "$work/sources.list"
apt() {
	cmd=$1
	shift
	"$cmd" -q -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" \
		-o Dir::State::status=/dev/null -o APT::Sandbox::User="$(id -un)" "$@"
}
apt apt-get update >&2
# linux-doc, the meta-package, depends on the versioned one: linux-doc-6.12, say.
pkg=$(apt apt-cache show linux-doc | sed -n 's/^Depends: \(linux-doc-[0-9.]*\).*/\1/p' | sort -V | tail -n 1)
[ -n "$pkg" ] || { echo "netlink-schemas.sh: no linux-doc in $suite" >&2; exit 1; }
(cd "$work" && apt apt-get download "$pkg" >&2)
deb=$(ls "$work"/"$pkg"_*.deb)
version=$(dpkg-deb -f "$deb" Version)
mkdir -p "$work/x"
dpkg-deb --fsys-tarfile "$deb" |
	tar -x -C "$work/x" --wildcards "./usr/share/doc/$pkg/Documentation/netlink/*.yaml*" \
		--exclude "*/specs/*"
mkdir -p "$root/$version.tmp"
for f in "$work/x/usr/share/doc/$pkg/Documentation/netlink/"*; do
	case $f in
	*.gz) gunzip -c "$f" > "$root/$version.tmp/$(basename "$f" .gz)" ;;
	*) cp "$f" "$root/$version.tmp/" ;;
	esac
done
[ -s "$root/$version.tmp/genetlink-legacy.yaml" ] || {
	echo "netlink-schemas.sh: $pkg $version has no genetlink-legacy.yaml" >&2
	exit 1
}
rm -rf "${root:?}/$version"
mv "$root/$version.tmp" "$root/$version"
echo "$root/$version"
