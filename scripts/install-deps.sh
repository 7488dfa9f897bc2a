#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian 12 packages xrelay needs to build, test and demo.
#
# Safe to run again: when everything is installed it only asks dpkg and
# returns; otherwise it runs apt-get update and installs what is missing.
set -eu

packages="
	build-essential make gcc libc6-dev binutils pkg-config python3 python3-yaml python3-jsonschema
	linux-image-amd64 linux-headers-amd64 linux-source-6.1 dwarves xz-utils
	kmod dkms openssl
	clang llvm libbpf-dev bpftool
	libnl-genl-3-dev libyaml-dev libssl-dev libevent-dev libcurl4-openssl-dev
	libsqlite3-dev libjansson-dev
	qemu-system-x86 busybox-static cpio
	flex bison bc libelf-dev
	iproute2 iputils-ping procps util-linux wireguard-tools iperf3 socat jq ethtool curl
	man-db systemd
"
# build-essential, make, gcc, libc6-dev, binutils: the module and the tools
# linux-source-6.1: resolve_btfids (module BTF) and the kselftest headers
# python3-jsonschema: checking the netlink spec against upstream's schemas, which
#   scripts/netlink-schemas.sh fetches (apt-get, dpkg-deb, gzip: always there)
# dwarves: pahole, which kbuild runs to generate module BTF
# dkms, openssl: the DKMS test (openssl makes its throwaway signing key)
# qemu-system-x86, busybox-static, cpio: the test VM and its initramfs
# flex, bison, bc, libelf-dev: building the debug kernel (scripts/debug-kernel.sh)
# iproute2 ... ethtool: what the tests and the demo run inside the VM
# curl: the control server's integration tests
# man-db, systemd: test-install renders the man pages and judges the units'
#   hardening (systemd-analyze, offline: systemd need not run)

# shellcheck disable=SC2086 # one word per package
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $packages 2>/dev/null |
	awk '$2 == "installed" { print $1 }') || true
missing=
for pkg in $packages; do
	echo "$installed" | grep -qx "$pkg" || missing="$missing $pkg"
done
if [ -z "$missing" ]; then
	echo "install-deps.sh: all $(echo "$packages" | wc -w) packages installed"
	exit 0
fi

sudo=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "install-deps.sh: missing:$missing; run as root to install them" >&2
		exit 1
	}
	sudo=sudo
fi
echo "install-deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
# shellcheck disable=SC2086 # one word per package
$sudo apt-get install -y --no-install-recommends $missing
