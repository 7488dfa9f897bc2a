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
	       "session flush" "network add" "network set" "network del" \
	       "network show" "network dump" "stats" "limit" "monitor" \
	       "xdp attach" "xdp detach" "xdp show"; do
	help "$command" "$command"
done
help "instance" "instance add"
help "session" "session add"
help "network" "network add"
help "network set id 1 rate pps 10" "network set"
help "network add id 1 hub-file /nonexistent" "network add"
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

# Overlay network policies: every value is checked before the kernel is asked.
printf '# office\n192.0.2.0/24  # hq\n\n2001:db8::/32\n' >"$tmp/good.list"
printf '192.0.2.0/24\n10.0.0.1/8\n' >"$tmp/host-bits.list"
printf '192.0.2.0/24 198.51.100.0/24\n' >"$tmp/two.list"
printf '192.0.2.0/24\n# again\n192.0.2.0/24\n' >"$tmp/twice.list"
awk 'BEGIN { for (i = 0; i <= 65536; i++) printf "10.%d.%d.0/24\n", i / 256 % 256, i % 256 }' \
	>"$tmp/65537.list"
head -n 65536 "$tmp/65537.list" >"$tmp/65536.list"
side65=$(awk 'BEGIN { for (i = 0; i < 65; i++) printf "%s198.51.100.%d", i ? "," : "", i }')

bad 'missing "id NET"' network add
bad 'missing "id NET"' network set allow 192.0.2.0/24
bad 'missing "id ID"' network del
bad 'expected "id ID"' network show 10
bad 'not a number from 1 to 4294967295' network add id 0
bad 'unexpected argument "frob"' network add id 1 frob
bad 'unexpected argument "x"' network del id 1 x
bad 'unexpected argument "x"' network dump x
bad 'tab-separated' -j network dump
bad 'bits set beyond the prefix length' network add id 1 allow 192.0.2.1/24
bad 'bits set beyond the prefix length' network set id 1 deny 2001:db8::1/64
bad 'bad value "192.0.2.0/33" for "allow": prefix length is not 0-32' \
	network add id 1 allow 198.51.100.0/24,192.0.2.0/33
bad 'bad value "host" for "deny": not an address' network add id 1 deny 192.0.2.0/24,host
bad 'empty prefix in the list' network add id 1 allow 192.0.2.0/24,,198.51.100.0/24
bad 'empty prefix in the list' network add id 1 allow 192.0.2.0/24,
bad 'missing value after "deny"' network add id 1 deny
bad '192.0.2.0/24 is twice in the allow list of the network' \
	network add id 1 allow 192.0.2.0/24 allow 198.51.100.0/24,192.0.2.0/24
bad '2001:db8::/32 is twice in the deny list' network add id 1 deny 2001:db8::/32,2001:db8:0::/32
bad 'cannot read ".*nosuch.list" for "allow-file"' network add id 1 allow-file "$tmp/nosuch.list"
bad 'cannot read .*Is a directory' network add id 1 deny-file "$tmp"
bad 'host-bits.list:2: bad prefix "10.0.0.1/8" for "deny-file": address has bits' \
	network add id 1 deny-file "$tmp/host-bits.list"
bad 'two.list:1: .*one prefix per line' network add id 1 allow-file "$tmp/two.list"
bad '192.0.2.0/24 is twice in the allow list' network add id 1 allow-file "$tmp/twice.list"
bad '192.0.2.0/24 is twice in the allow list' \
	network add id 1 allow 192.0.2.0/24 allow-file "$tmp/good.list"
bad 'the deny list of the network has 65537 prefixes, more than 65536' \
	network add id 1 deny-file "$tmp/65537.list"
bad 'the allow list of the network has 65537 prefixes, more than 65536' \
	network set id 1 allow-file "$tmp/65536.list" allow 192.0.2.0/24
bad '"rate" needs "pps N" or "bps N"' network add id 1 rate
bad '"session-rate" needs "pps N" or "bps N"' network add id 1 session-rate burst 10
bad '"burst" needs "pps" in "rate"' network add id 1 rate bps 1M burst 10
bad '"burst-bytes" needs "bps" in "session-rate"' network add id 1 session-rate pps 10 burst-bytes 1k
bad '"pps" given twice in "rate"' network add id 1 rate pps 10 pps 20
bad '"rate" given twice' network add id 1 rate pps 10 rate bps 1M
bad '"protocol" given twice' network add id 1 protocol any protocol wireguard
bad 'bad value "7" for "bps": not a number from 8 to' network add id 1 rate bps 7
bad 'bad value "0" for "pps": not a number from 1 to' network add id 1 rate pps 0
bad 'bad value "10m" for "bps"' network add id 1 rate bps 10m
bad 'bad value "10MB" for "bps"' network add id 1 rate bps 10MB
bad 'bad value "k" for "burst-bytes"' network add id 1 rate bps 1M burst-bytes k
bad 'bad value "-5" for "pps"' network add id 1 rate pps -5
bad 'bad value "20000000000G" for "session-quota"' network add id 1 session-quota 20000000000G
bad 'bad value "0" for "session-quota"' network add id 1 session-quota 0
bad 'bad value "5G" for "max-sessions": not a number from 1 to 4294967295' \
	network add id 1 max-sessions 5G
bad 'bad value "udp" for "protocol": any or wireguard' network add id 1 protocol udp
bad 'missing value after "protocol"' network set id 1 protocol

bad '"allow" belongs in a side' session add instance 1 allow 192.0.2.0/24 a 40000 b 40001
bad 'bits set beyond the prefix length' session add instance 1 a 40000 allow 192.0.2.1/24 b 40001
bad 'bad value "x" for "deny"' session add instance 1 a 40000 b 40001 peer 192.0.2.1:5 deny x
bad '192.0.2.1/32 is twice in the deny list of side a' \
	session add instance 1 a 40000 deny 192.0.2.1,192.0.2.1/32 b 40001
bad 'the allow list of side b has 65 prefixes, more than 64' \
	session add instance 1 a 40000 b 40001 allow "$side65"
bad 'unexpected argument "allow-file"' session add instance 1 a 40000 allow-file "$tmp/good.list" b 40001
bad '"rate" needs "pps N" or "bps N"' session add instance 1 rate a 40000 b 40001
bad 'bad value "0" for "quota"' session add instance 1 quota 0 a 40000 b 40001
bad '"quota" given twice' session add instance 1 quota 1G quota 2G a 40000 b 40001
bad 'bad value "wg" for "protocol"' session add instance 1 protocol wg a 40000 b 40001

# Hub rulesets: checked whole before the kernel is asked, errors name FILE:LINE.
cat >"$tmp/hub.rules" <<'EOF'
# spoke1 may open ssh to spoke2
interface wg-hub wg-site   # two overlay interfaces
default locked

group spoke1 10.77.0.1/32 2001:db8:77::1
group spoke2 10.77.0.2/32
allow from spoke1 to spoke2 proto tcp port 22
deny from any to 10.0.0.0/8 proto udp port 1000-2000
allow to spoke1 proto ipv6-icmp
allow proto 47
EOF
# rules NAME LINE...: a ruleset file $tmp/NAME.rules of those lines.
rules() {
	file=$tmp/$1.rules
	shift
	printf '%s\n' "$@" >"$file"
}
rules empty
rules comments '# nothing' '' '   # here'
rules no-interface 'default locked' 'group a 10.0.0.0/8' 'allow from a'
rules keyword 'interface wg0' 'alow from any'
rules prefix 'interface wg0' 'group a 10.0.0.1/8'
rules to-prefix 'interface wg0' 'deny to 10.0.0.300'
rules port 'interface wg0' 'allow to 10.0.0.0/8 port 22'
rules icmp-port 'interface wg0' 'allow proto icmp port 22'
rules range 'interface wg0' 'allow proto tcp port 22-21'
rules unknown 'interface wg0' 'group a 10.0.0.0/8' 'allow from a to nobody'
rules later 'interface wg0' 'allow from a' 'group a 10.0.0.0/8'
rules twice 'interface wg0' 'group a 10.0.0.0/8' '' 'group a 10.1.0.0/16'
rules any 'interface wg0' 'group any 10.0.0.0/8'
rules name 'interface wg0' 'group a:b 10.0.0.0/8'
rules long-name 'interface wg0' "group $(printf '%064d' 0 | tr 0 g) 10.0.0.0/8"
rules no-member 'interface wg0' 'group a'
rules ifname 'interface wg-0123456789abc'
rules if-twice 'interface wg0' 'interface wg1 wg0'
rules default 'interface wg0' 'default closed'
rules default-twice 'interface wg0' 'default open' 'default locked'
rules proto 'interface wg0' 'allow proto gre'
rules rule-twice 'interface wg0' 'allow to any to any'
rules rule-word 'interface wg0' 'deny from any via wg0'
rules rule-value 'interface wg0' 'deny from any proto'
awk 'BEGIN { printf "interface wg0\ngroup big"
	for (i = 0; i < 513; i++) printf " 10.%d.%d.0/24", i / 256, i % 256; print "" }' \
	>"$tmp/513.rules"
awk 'BEGIN { print "interface wg0"; for (i = 0; i <= 1024; i++) print "deny proto 6" }' \
	>"$tmp/1025.rules"
head -n 1025 "$tmp/1025.rules" >"$tmp/1024.rules"

bad 'empty.rules: no "interface" line' network add id 1 hub-file "$tmp/empty.rules"
bad 'comments.rules: no "interface" line' network add id 1 hub-file "$tmp/comments.rules"
bad 'no-interface.rules: no "interface" line' network set id 1 hub-file "$tmp/no-interface.rules"
bad 'keyword.rules:2: unknown keyword "alow"' network add id 1 hub-file "$tmp/keyword.rules"
bad 'prefix.rules:2: bad prefix "10.0.0.1/8" in group "a": address has bits' \
	network add id 1 hub-file "$tmp/prefix.rules"
bad 'to-prefix.rules:2: bad prefix "10.0.0.300" after "to"' \
	network add id 1 hub-file "$tmp/to-prefix.rules"
bad 'port.rules:2: "port" needs "proto" tcp, udp, udplite or sctp' \
	network add id 1 hub-file "$tmp/port.rules"
bad 'icmp-port.rules:2: "port" needs "proto"' network add id 1 hub-file "$tmp/icmp-port.rules"
bad 'range.rules:2: bad value "22-21" for "port": range ends below its start' \
	network add id 1 hub-file "$tmp/range.rules"
bad 'unknown.rules:3: unknown group "nobody" after "to"' \
	network add id 1 hub-file "$tmp/unknown.rules"
bad 'later.rules:2: unknown group "a" after "from"' network add id 1 hub-file "$tmp/later.rules"
bad 'twice.rules:4: group "a" is defined twice (first on line 2)' \
	network add id 1 hub-file "$tmp/twice.rules"
bad 'any.rules:2: "any" cannot name a group' network add id 1 hub-file "$tmp/any.rules"
bad 'name.rules:2: bad group name "a:b"' network add id 1 hub-file "$tmp/name.rules"
bad 'long-name.rules:2: bad group name "g*": up to 63' \
	network add id 1 hub-file "$tmp/long-name.rules"
bad 'no-member.rules:2: group "a" needs at least one prefix' \
	network add id 1 hub-file "$tmp/no-member.rules"
bad '513.rules:2: group "big" has 513 prefixes, more than 512' \
	network add id 1 hub-file "$tmp/513.rules"
bad 'ifname.rules:1: bad interface name "wg-0123456789abc"' \
	network add id 1 hub-file "$tmp/ifname.rules"
bad 'if-twice.rules:2: interface "wg0" is listed twice' \
	network add id 1 hub-file "$tmp/if-twice.rules"
bad 'default.rules:2: "default" takes one word: open or locked' \
	network add id 1 hub-file "$tmp/default.rules"
bad 'default-twice.rules:3: "default" given twice' \
	network add id 1 hub-file "$tmp/default-twice.rules"
bad 'proto.rules:2: bad value "gre" for "proto"' network add id 1 hub-file "$tmp/proto.rules"
bad 'rule-twice.rules:2: "to" given twice in a rule' \
	network add id 1 hub-file "$tmp/rule-twice.rules"
bad 'rule-word.rules:2: unexpected "via" in a rule' \
	network add id 1 hub-file "$tmp/rule-word.rules"
bad 'rule-value.rules:2: missing value after "proto"' \
	network add id 1 hub-file "$tmp/rule-value.rules"
bad '1025.rules:1026: more than 1024 rules' network add id 1 hub-file "$tmp/1025.rules"
bad 'cannot read ".*nosuch.rules" for "hub-file"' network add id 1 hub-file "$tmp/nosuch.rules"
bad 'missing value after "hub-file"' network add id 1 hub-file
bad '"hub-file" given twice' \
	network add id 1 hub-file "$tmp/hub.rules" hub-file "$tmp/hub.rules"

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
	no_module network add id 10 allow 192.0.2.0/24,2001:db8::/32 deny 192.0.2.66 \
		rate pps 10k burst 1k bps 100M burst-bytes 1M session-rate bps 10M \
		session-quota 50G max-sessions 1k protocol wireguard
	no_module network set id 10 allow-file "$tmp/good.list" deny-file "$tmp/65536.list"
	no_module network set id 10
	no_module network add id 10 hub-file "$tmp/hub.rules" allow 192.0.2.0/24
	no_module network set id 10 hub-file "$tmp/1024.rules"
	no_module network del id 10
	no_module network show
	no_module -j network show id 10
	no_module network dump
	no_module session add instance 1 rate pps 100 quota 5G protocol any \
		a 40000 learn from 192.0.2.0/24 allow 192.0.2.0/24 deny 192.0.2.66 \
		b 40001 peer 198.51.100.2:6000 allow 198.51.100.0/24
fi

echo "1..$n"
[ $failed -eq 0 ]
