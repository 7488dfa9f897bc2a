#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The largest session is reported whole: a session on the IPv6 instance
# whose four side lists hold 233 IPv6 prefixes together, the most that
# keeps it within the 8 KiB every object a dump lists must fit in, reads
# back by session show and by a dump, and its side-learned event, which
# carries side a's lists, reaches the monitor. A 234th prefix is refused.
#
#   ns A [2001:db8:a::2]:5000  --  ns relay [2001:db8:ff::1]:20000 20001  --  ns B

source "$(dirname "$0")/common.sh"

ktap_plan 6

setup_topology || ktap_bail "three namespaces wired"
inst=$(rctl instance add network 10 addr "$RELAY6" ports 20000-20099) ||
	ktap_bail "instance created"
monitor_start mon || ktap_bail "monitor receives events"

# COUNT IPv6 /128s of 2001:db8:ad::/64 from FIRST on, comma-separated.
v6_list()
{
	local first=$1 count=$2 i out=

	for ((i = first; i < first + count; i++)); do
		out+=${out:+,}2001:db8:ad::$(printf %x "$i")/128
	done
	echo "$out"
}

a_allow=2001:db8:a::/64,$(v6_list 0 63)
a_deny=$(v6_list 1000 64)
b_allow=2001:db8:b::/64,$(v6_list 2000 63)
b_deny=$(v6_list 3000 41)
sum='[.a.admission.allow, .a.admission.deny, .b.admission.allow, .b.admission.deny] |
	map(length) | add'

check_id sess "a session with 233 IPv6 prefixes in its side lists" \
	rctl session add instance "$inst" a 20000 allow "$a_allow" deny "$a_deny" \
		b 20001 allow "$b_allow" deny "$b_deny"
check_refused "a 234th is refused" "too large to be read back" \
	rctl session add instance "$inst" a 20002 allow "$a_allow" deny "$a_deny" \
		b 20003 allow "$b_allow" deny "$b_deny,2001:db8:ad::ffff/128"
check_value "session show lists all 233" 233 session_get "$sess" "$sum"
check_eq "a dump lists all 233" 233 \
	"$(rctl -j session show | jq -r ".[] | select(.id == $sess) | $sum")"
check "A latches side a" udp_send "$NS_A" --bind "[$A6]:5000" --to "[$RELAY6]:20000"
check "side-learned event for A, with side a's lists" monitor_wait mon 5 \
	".event == \"side-learned\" and .session == $sess and .side == \"a\" and .peer == \"[$A6]:5000\""

ktap_finish
