#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# Legs of different MTU: B's link is 1280 bytes, A's 1500. A datagram that
# fits A's leg but not B's must still reach B: the relay is the packet's
# origin on B's leg and fragments it as a source would, for IPv4 with DF
# set as for IPv6, where routers never fragment. So must a datagram A's
# own stack fragmented, which the relay reassembles first. Before, both
# were dropped, and the "too big" went to the relay's own address.
#
#   ns A (veth0 MTU 1500) --- ns relay: to_a 1500, to_b 1280 --- ns B (veth0 MTU 1280)
#                                      to_m 1500 --- ns router: up0 1500, down0 1280 --- ns C

source "$(dirname "$0")/common.sh"

ktap_plan 11

setup_topology || ktap_bail "three namespaces wired"
ip -n "$NS_R" link set to_b mtu 1280
ip -n "$NS_B" link set veth0 mtu 1280

check_id inst4 "IPv4 instance" rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id inst6 "IPv6 instance" rctl instance add network 10 addr "$RELAY6" ports 20000-20099
check_id s4 "IPv4 session pinned on both sides" \
	rctl session add instance "$inst4" a 20000 peer "$A4:5000" b 20001 peer "$B4:6000"
check_id s6 "IPv6 session pinned on both sides" \
	rctl session add instance "$inst6" a 20000 peer "[$A6]:5000" b 20001 peer "[$B6]:6000"

recv_start at_b4 "$NS_B" "$B4:6000" 3
udp_sends "$NS_A" \
	"--bind $A4:5000 --to $RELAY4:20000 --size 1400 --dont-fragment" \
	"--bind $A4:5000 --to $RELAY4:20000 --size 1400" \
	"--bind $A4:5000 --to $RELAY4:20000 --size 3000"
bg_wait at_b4
check_eq "IPv4: 1400 bytes with DF, 1400 without, 3000 fragmented by A: all reach B whole" \
	"1 from $RELAY4:20001 len 3000 2 from $RELAY4:20001 len 1400" \
	"$(recv_froms at_b4 | sort | xargs)"

recv_start at_b6 "$NS_B" "[$B6]:6000" 2
udp_sends "$NS_A" \
	"--bind [$A6]:5000 --to [$RELAY6]:20000 --size 1400 --dont-fragment" \
	"--bind [$A6]:5000 --to [$RELAY6]:20000 --size 3000"
bg_wait at_b6
check_eq "IPv6: 1400 bytes, and 3000 fragmented by A, reach B whole" \
	"1 from [$RELAY6]:20001 len 1400 1 from [$RELAY6]:20001 len 3000" \
	"$(recv_froms at_b6 | sort | xargs)"

check_value "IPv4: the session counts the three, no drop" "3 0" session_get "$s4" \
	'"\(.a.stats.packets) \([.a.stats | to_entries[] | select(.key | startswith("drop_")) | .value] | add)"'
check_value "IPv6: the session counts the two, no drop" "2 0" session_get "$s6" \
	'"\(.a.stats.packets) \([.a.stats | to_entries[] | select(.key | startswith("drop_")) | .value] | add)"'
# B's leg behind a router whose next link is smaller than the relay's:
# its "too big" comes to the relay, about a datagram from a session port.
# IPv4 leaves without DF and the router fragments; IPv6 routers cannot,
# so the relay must learn the path's MTU and fragment the next ones.
NS_M=xr-m-$$ NS_C=xr-c-$$
netns_add "$NS_M" && netns_add "$NS_C" &&
ip netns exec "$NS_M" sysctl -qw net.ipv6.conf.all.forwarding=1 &&
ip -n "$NS_R" link add to_m type veth peer name up0 netns "$NS_M" &&
ip -n "$NS_M" link add down0 mtu 1280 type veth peer name veth0 mtu 1280 netns "$NS_C" &&
ip -n "$NS_R" -batch - <<-EOF &&
	addr add 2001:db8:c0::1/64 dev to_m nodad
	link set to_m up
	route add 2001:db8:c1::/64 via 2001:db8:c0::2
EOF
ip -n "$NS_M" -batch - <<-EOF &&
	addr add 2001:db8:c0::2/64 dev up0 nodad
	addr add 2001:db8:c1::1/64 dev down0 nodad
	link set up0 up
	link set down0 up
	route add ::/0 via 2001:db8:c0::1
EOF
ip -n "$NS_C" -batch - <<-EOF || ktap_bail "a router, and C behind its 1280-byte link"
	addr add 2001:db8:c1::2/64 dev veth0 nodad
	link set veth0 up
	route add ::/0 via 2001:db8:c1::1
EOF
check_id s7 "IPv6 session A <-> C behind the router" \
	rctl session add instance "$inst6" a 20002 peer "[$A6]:5000" b 20003 peer "[2001:db8:c1::2]:7000"
# The first is lost, as with any path MTU discovery; its "too big" teaches
# the relay, and what comes after gets through.
recv_start at_c "$NS_C" "[2001:db8:c1::2]:7000" 3
udp_send "$NS_A" --bind "[$A6]:5000" --to "[$RELAY6]:20002" --size 1400 --count 4 --interval-ms 500
bg_wait at_c
check_eq "IPv6 through a smaller link further on: C gets the three after the first" \
	"3 from [$RELAY6]:20003 len 1400" "$(recv_froms at_c)"

# The relay fragmented as a source: nothing told anyone their packet was too big.
check_value "the relay sent no ICMP 'too big' or 'fragmentation needed'" "0 0" eval \
	"ip netns exec $NS_R nstat -az IcmpOutDestUnreachs Icmp6OutPktTooBigs | awk '/^Icmp/ { printf \"%s \", \$2 }' | xargs"

ktap_finish
