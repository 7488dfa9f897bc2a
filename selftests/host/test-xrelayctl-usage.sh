#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# xrelayctl's command line, on a host where the xrelay module is not loaded:
#  - help works for every command and exits 0;
#  - bad input exits 2 with an error naming the problem, before any kernel
#    contact: had it opened the netlink socket first, it would have failed
#    with "module not loaded" and exit 1 instead;
#  - well-formed commands exit 1 and say that the module is not loaded.
# Set XRELAYCTL to test another binary.

here=$(cd "$(dirname "$0")" && pwd)
xrelayctl=${XRELAYCTL:-$here/../../tools/xrelayctl/xrelayctl}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	for line in "$@"; do
		echo "# $line"
	done
}

# run ARGS...: runs xrelayctl, leaving $rc, $tmp/out and $tmp/err.
run() {
	"$xrelayctl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# help WORDS: "WORDS -h", "WORDS help" and "WORDS --help" print WORDS' usage.
help() {
	for flag in -h help --help; do
		# shellcheck disable=SC2086
		run $1 $flag
		if [ $rc -eq 0 ] && grep -q "^Usage: xrelayctl .*$2" "$tmp/out" &&
		   [ ! -s "$tmp/err" ]; then
			ok "help: $1 $flag"
		else
			not_ok "help: $1 $flag" "exit $rc" "$(cat "$tmp/out" "$tmp/err")"
		fi
	done
}

# bad PATTERN ARGS...: exit 2, nothing on stdout, and an error matching PATTERN.
bad() {
	pattern=$1
	shift
	run "$@"
	if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] &&
	   head -n 1 "$tmp/err" | grep -q "^Error: .*$pattern"; then
		ok "rejects: $*"
	else
		not_ok "rejects: $*" "exit $rc, expected 2 and an error matching: $pattern" \
			"$(cat "$tmp/out" "$tmp/err")"
	fi
}

# no_module ARGS...: a valid command; exit 1 saying the module is not loaded.
no_module() {
	run "$@"
	if [ $rc -eq 1 ] && grep -q '^Error: xrelay module not loaded' "$tmp/err"; then
		ok "no module: $*"
	else
		not_ok "no module: $*" "exit $rc, expected 1 and 'module not loaded'" \
			"$(cat "$tmp/out" "$tmp/err")"
	fi
}

echo "TAP version 13"
if [ ! -x "$xrelayctl" ]; then
	echo "Bail out! $xrelayctl not built (make -C tools)"
	exit 1
fi

help "" "OBJECT COMMAND"
for command in "instance add" "instance del" "instance show" "instance dump" \
	       "session add" "session del" "session show" "session dump" \
	       "session flush" "stats" "limit" "monitor" \
	       "xdp attach" "xdp detach" "xdp show"; do
	help "$command" "$command"
done
help "instance" "instance add"
help "session" "session add"
help "xdp" "xdp attach"
help "session add instance 1 a 40000" "session add"
help "-j session show id 3" "session show"

bad 'missing object'
bad 'unknown option "-x"' -x stats
bad 'unknown object "frobnicate"' frobnicate
bad 'unknown command "frob" for "instance"' instance frob
bad 'unknown command "list" for "session"' session list

bad 'missing value after "id"' instance del id
bad 'missing value after "ports"' instance add addr 192.0.2.1 ports
bad 'missing value after "peer"' session add instance 1 a 40000 peer
bad 'missing value after "b"' session add instance 1 a 40000 b
bad 'missing "addr ADDR"' instance add ports 40000-40999
bad 'missing "ports MIN-MAX"' instance add addr 192.0.2.1
bad 'missing "instance ID"' session add a 40000 b 40001
bad 'missing side "b SIDE"' session add instance 1 a 40000
bad 'missing "id ID" or "instance ID port PORT"' session del instance 1
bad 'missing "id ID"' instance del

bad 'address' instance add addr 192.0.2.256 ports 40000-40999
bad 'address' instance add addr example.org ports 40000-40999
bad 'address' session add instance 1 a 40000 peer 198.51.100.x:5000 b 40001
bad 'needs brackets' session add instance 1 a 40000 peer 2001:db8::1:5000 b 40001
bad 'IPv6 address' session add instance 1 a 40000 peer '[192.0.2.1]:5000' b 40001
bad 'not ADDR:PORT' session add instance 1 a 40000 peer 192.0.2.1 b 40001

bad 'not a port number' session add instance 1 a 0 b 40001
bad 'not a port number' session add instance 1 a 40000 b 65536
bad 'not a port number' session add instance 1 a 40000 peer 192.0.2.1:0 b 40001
bad 'not a port number' session add instance 1 a 40000 peer '[2001:db8::1]:http' b 40001
bad 'not a port number' session del instance 1 port -1

bad 'range ends below its start' instance add addr 192.0.2.1 ports 40999-40000
bad 'not a port range' instance add addr 192.0.2.1 ports 40000
bad 'not a port range' instance add addr 192.0.2.1 ports 0-10
bad 'not a number from 1 to 604800' session add instance 1 idle 0 a 40000 b 40001
bad 'not a number from 1 to 604800' session add instance 1 lifetime 604801 a 40000 b 40001
bad 'not a number from 1 to 604800' session add instance 1 a 40000 learn relearn 0 b 40001
bad 'not a number from 1 to 4294967295' instance show id 0
bad 'not a number from 1 to 4294967295' session show id 4294967296
bad 'not a number from 0 to 4294967295' limit 99999999999999999999
bad 'not a number from 0 to 4294967295' limit -5

bad 'bits set beyond the prefix length' session add instance 1 a 40000 learn from 192.0.2.1/24 b 40001
bad 'prefix length is not 0-32' session add instance 1 a 40000 learn from 192.0.2.0/33 b 40001
bad 'prefix length is not 0-128' session add instance 1 a 40000 learn from 2001:db8::/129 b 40001
bad 'prefix length' session add instance 1 a 40000 learn from 192.0.2.0/ b 40001
bad 'address' session add instance 1 a 40000 learn from host/24 b 40001

bad 'unexpected argument "extra"' instance del id 1 extra
bad 'unexpected argument "now"' stats now
bad 'unexpected argument "x"' monitor x
bad 'unexpected argument "6"' limit 5 6
bad 'unexpected argument "x"' instance dump x
bad 'unexpected argument "x"' session flush instance 1 x
bad 'unexpected argument "id"' session dump id 1
bad 'unexpected argument "40002"' session add instance 1 a 40000 b 40001 40002
bad 'bad value "1x" for "id"' instance show id 1x
bad 'bad value "40000-40999x" for "ports"' instance add addr 192.0.2.1 ports 40000-40999x
bad 'bad value "192.0.2.1:5000x" for "peer"' session add instance 1 a 40000 peer 192.0.2.1:5000x b 40001
bad 'expected "id ID"' instance show 3

bad '"id" given twice' instance add id 1 id 2 addr 192.0.2.1 ports 1-2
bad '"a" given twice' session add instance 1 a 40000 a 40002 b 40001
bad '"from" belongs after "learn"' session add instance 1 a 40000 from 192.0.2.0/24 b 40001
bad 'cannot be combined' session show id 1 instance 2
bad 'cannot be combined' session flush instance 1 network 2
bad '"port" needs "instance"' session show port 40000
bad 'tab-separated' -j session dump
bad 'tab-separated' -j instance dump

bad 'missing "dev DEV"' xdp attach
bad 'missing value after "dev"' xdp detach dev
bad 'no such interface' xdp attach dev xrelay-nosuch0
bad 'native or generic' xdp attach dev lo mode fast
bad 'unexpected argument "x"' xdp show x

if genl ctrl get name xrelay >/dev/null 2>&1; then
	echo "# the xrelay family exists here: skipping the module-absent checks"
else
	no_module instance show
	no_module -j instance show id 1
	no_module instance add addr 2001:db8::1 ports 40000-40999
	no_module session add instance 1 network 7 idle 60 lifetime 3600 \
		a 40000 learn from 192.0.2.0/24 relearn 10 b 40001 peer '[2001:db8::2]:6000'
	no_module session del instance 1 port 40000
	no_module session dump network 7
	no_module stats
	no_module limit 1000
	no_module monitor
fi

echo "1..$n"
[ $failed -eq 0 ]
