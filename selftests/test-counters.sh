#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# Counters exact to the packet and the byte: per side, per instance (its
# sessions plus packets to unused ports) and per namespace (all instances).
#
#   ns A                        ns relay                          ns B
#   192.0.2.2:5000       inst4 203.0.113.1:20000..20099    198.51.100.2:6000
#   [2001:db8:a::2]:5000 inst6 [2001:db8:ff::1]:20000..20099 [2001:db8:b::2]:6000
#        |                                                        |
#        +--veth-- to_a   (no IP forwarding)   to_b --veth--------+
#
#   s4 on inst4: a 20000 b 20001      s6 on inst6: a 20000 b 20001
#   bytes count UDP payload only.

source "$(dirname "$0")/common.sh"

ktap_plan 20

stats_of()
{
	session_get "$1" "\"\\(.$2.stats.packets) \\(.$2.stats.bytes) \\(.$2.stats.drop_not_paired)\""
}

setup_topology || ktap_bail "three namespaces wired"

check_id inst4 "IPv4 instance created" rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id inst6 "IPv6 instance created" rctl instance add network 10 addr "$RELAY6" ports 20000-20099
check_id s4 "IPv4 session created" rctl session add instance "$inst4" a 20000 b 20001
check_id s6 "IPv6 session created" rctl session add instance "$inst6" a 20000 b 20001

# IPv4. Only A known yet: all 5 datagrams, the latching one included, wait in vain.
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 5 --size 100
check_value "IPv4 a: 5 not paired, nothing forwarded (packets bytes not-paired)" "0 0 5" \
	stats_of "$s4" a

recv_start at_a "$NS_A" "$A4:5000" 20
udp_send "$NS_B" --bind "$B4:6000" --to "$RELAY4:20001" --count 20 --size 200
bg_wait at_a
check_eq "A received B's 20 datagrams of 200 bytes" "20 from $RELAY4:20000 len 200" \
	"$(recv_froms at_a)"
check_value "IPv4 b: 20 packets, 4000 bytes" "20 4000 0" stats_of "$s4" b

recv_start at_b "$NS_B" "$B4:6000" 33
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 30 --size 300
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 2 --size 0
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 1 --size 1400
bg_wait at_b
check_eq "B received A's 30 + 2 empty + 1 large datagrams" \
	"$(printf '%s\n' "2 from $RELAY4:20001 len 0" "30 from $RELAY4:20001 len 300" \
		"1 from $RELAY4:20001 len 1400")" "$(recv_froms at_b | sort -t' ' -k5n)"
check_value "IPv4 a: 33 packets, 10400 bytes, still 5 not paired" "33 10400 5" stats_of "$s4" a
check_value "IPv4: no drop other than not-paired on either side" "0" session_get "$s4" \
	'[.a.stats, .b.stats] | map(to_entries[] | select(.key | startswith("drop_")) | select(.key != "drop_not_paired") | .value) | add'

# IPv6, B first this time.
udp_send "$NS_B" --bind "[$B6]:6000" --to "[$RELAY6]:20001" --count 3 --size 50
check_value "IPv6 b: 3 not paired" "0 0 3" stats_of "$s6" b
recv_start at_b "$NS_B" "[$B6]:6000" 7
udp_send "$NS_A" --bind "[$A6]:5000" --to "[$RELAY6]:20000" --count 7 --size 60
bg_wait at_b
check_eq "B received A's 7 datagrams over IPv6" "7 from [$RELAY6]:20001 len 60" \
	"$(recv_froms at_b)"
check_value "IPv6 a: 7 packets, 420 bytes" "7 420 0" stats_of "$s6" a
recv_start at_a "$NS_A" "[$A6]:5000" 2
udp_send "$NS_B" --bind "[$B6]:6000" --to "[$RELAY6]:20001" --count 2 --size 10
bg_wait at_a
check_value "IPv6 b: 2 packets, 20 bytes, still 3 not paired" "2 20 3" stats_of "$s6" b

# Ports of an instance that no session uses.
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20050" --count 4 --size 10
check_value "datagrams to unused ports counted on the instance" "4" \
	instance_get "$inst4" .stats.drop_no_session

# Totals. inst4: 20 + 33 packets, 4000 + 10400 bytes; inst6: 9 packets, 440 bytes.
totals='"\(.stats.packets) \(.stats.bytes) \(.stats.drop_not_paired) \(.stats.drop_no_session)"'
check_value "IPv4 instance totals" "53 14400 5 4" instance_get "$inst4" "$totals"
check_value "IPv6 instance totals" "9 440 3 0" instance_get "$inst6" "$totals"
check_value "namespace totals" "62 14840 8 4" netns_get "$totals"
check_value "namespace totals are the sum of its instances' for every counter" "true" netns_get \
	'.stats as $t | [.instance[].stats] as $i | $t | keys | all(. as $k | $t[$k] == ($i | map(.[$k]) | add))'
check_value "stats counts the sessions and instances" "2 2" netns_get '"\(.sessions) \(.instances)"'

ktap_finish
