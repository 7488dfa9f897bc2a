#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Hub ACLs: the relay is itself the hub of a WireGuard overlay with three
# spokes, and network 10's rules decide who may reach whom through it.
#
#   ns spoke1                 ns spoke2                 ns spoke3
#   wg0 10.77.0.1/24          wg0 10.77.0.2/24          wg0 10.77.0.3/24
#   veth0 172.16.1.2          veth0 172.16.2.2          veth0 172.16.3.2
#        |                         |                         |
#        +-- s1 172.16.1.1    s2 172.16.2.1 --+   s3 172.16.3.1 --+
#                     ns hub ($NS_R): wg-hub 10.77.0.254/24, listen 7000,
#                     forwarding on; every spoke's only peer is the hub
#
#   Rules: allow spoke1 -> spoke2 tcp/22; default locked. So spoke1 reaches
#   spoke2's ssh port and gets the replies, and nothing else crosses: not
#   spoke2 -> spoke1, not port 23, not ICMP, not spoke3. Decrypted overlay
#   traffic never passes an XDP hook, so this scenario has no XDP variants.

source "$(dirname "$0")/common.sh"

ktap_plan 26

# tcp_talks FROM_SPOKE ADDR PORT: a TCP exchange through the hub: the
# listener answers "pong" to what it reads.
tcp_talks()
{
	[ "$(echo ping | ip netns exec "$(spoke_ns "$1")" \
		socat -T "$(scaled 3)" - "TCP:$2:$3,connect-timeout=$(scaled 3)" 2>/dev/null)" = pong ]
}

# listen SPOKE PORT: a TCP server in SPOKE answering "pong" to each connection.
listen()
{
	bg_start "listen-$1-$2" "$(spoke_ns "$1")" \
		socat "TCP-LISTEN:$2,reuseaddr,fork" SYSTEM:"read line; echo pong"
}

hub_get()
{
	network_get 10 "$1"
}

hub_setup 3 || ktap_bail "hub and three spokes wired"
for n in 1 2 3; do
	wait_until 10 reaches "spoke$n" 10.77.0.254 || ktap_bail "spoke$n reaches the hub"
done
check "without a policy, spoke1 reaches spoke2 and spoke3 through the hub" eval \
	"reaches spoke1 10.77.0.2 && reaches spoke1 10.77.0.3"

cat > "$TEST_TMP/hub.rules" <<-EOF
	# spoke1 may open ssh to spoke2; nothing else crosses the hub
	interface wg-hub
	default locked
	group spoke1 10.77.0.1/32
	group spoke2 10.77.0.2/32
	allow from spoke1 to spoke2 proto tcp port 22
EOF
listen spoke2 22
listen spoke2 23
listen spoke1 22
monitor_bg=mon
bg_start "$monitor_bg" "$NS_R" "$XRELAYCTL" -j monitor
check "network 10 gets the hub ruleset" rctl network add id 10 hub-file "$TEST_TMP/hub.rules"
check_value "the ruleset reads back: one rule, default locked" "wg-hub locked 1 spoke1 spoke2 6 22" \
	hub_get '"\(.hub.interfaces[0]) \(.hub.default) \(.hub.rules | length) \(.hub.rules[0].from_group) \(.hub.rules[0].to_group) \(.hub.rules[0].protocol) \(.hub.rules[0].port_min)"'

check "spoke1 -> spoke2 tcp/22 is allowed and the replies come back" wait_until 10 tcp_talks spoke1 10.77.0.2 22
check_fails "spoke1 -> spoke2 tcp/23 is dropped" tcp_talks spoke1 10.77.0.2 23
check_fails "spoke2 -> spoke1 tcp/22 is dropped: only spoke1 may open" tcp_talks spoke2 10.77.0.1 22
check_fails "spoke1 -> spoke2 ICMP is dropped" reaches spoke1 10.77.0.2
check_fails "spoke1 -> spoke3 is dropped" reaches spoke1 10.77.0.3
check_fails "spoke3 -> spoke2 tcp/22 is dropped" tcp_talks spoke3 10.77.0.2 22
check "spokes still reach the hub itself: it only filters what it forwards" reaches spoke3 10.77.0.254

check_value "the rule counted the allowed connection's packets" "ok" hub_get \
	'if .hub.rules[0].hits >= 3 then "ok" else "hits \(.hub.rules[0].hits)" end'
check_value "every refused packet is a default hit and a drop-acl of the network" "ok" hub_get \
	'if .hub.default_hits > 0 and .hub.default_hits == .stats.drop_acl then "ok"
	 else "default_hits \(.hub.default_hits) drop_acl \(.stats.drop_acl)" end'
check "a policy-drop event names the hub's refusal" monitor_wait "$monitor_bg" 5 \
	'.event == "policy-drop" and .reason == "acl" and .network == 10 and .rule == 0'

# Swapped in one step: ICMP from spoke1 becomes allowed, tcp/22 stays.
cat >> "$TEST_TMP/hub.rules" <<-EOF
	allow from spoke1 to any proto icmp
EOF
check "the ruleset is replaced" rctl network set id 10 hub-file "$TEST_TMP/hub.rules"
check "spoke1 -> spoke2 ICMP now passes" wait_until 5 reaches spoke1 10.77.0.2
# Retried like the first exchange: the server forks a shell per connection,
# which a busy emulated CPU may take longer than the client's 3 s to run.
check "tcp/22 still passes after the swap" wait_until 10 tcp_talks spoke1 10.77.0.2 22
check_fails "spoke3 still cannot reach spoke2" reaches spoke3 10.77.0.2

# A hub names its interfaces, as iptables' -i does: membership follows the
# name. Renamed, the interface is no hub's; renamed back, it is again.
# A link renamed must be down, and WireGuard forgets its sessions when it
# goes down: the hub's own pings make new ones at once, so that what comes
# next is decided by the rules and not by a tunnel still being rebuilt.
hub_reaches()
{
	ip netns exec "$NS_R" busybox ping -c 1 -W 2 "$1" > /dev/null 2>&1
}
hub_rename()
{
	local n

	ip -n "$NS_R" link set "$1" down &&
	ip -n "$NS_R" link set "$1" name "$2" &&
	ip -n "$NS_R" link set "$2" up || return 1
	for n in 1 2 3; do
		wait_until 20 hub_reaches "10.77.0.$n" || return 1
	done
}
check "the hub's interface is renamed" hub_rename wg-hub wg-renamed
check "renamed, the rules do not govern it: spoke3 reaches spoke2" \
	wait_until 10 reaches spoke3 10.77.0.2
check "renamed back" hub_rename wg-renamed wg-hub
check "spoke1 -> spoke2 ICMP passes" wait_until 10 reaches spoke1 10.77.0.2
check_fails "and spoke3 cannot reach spoke2 again" reaches spoke3 10.77.0.2

printf 'interface wg-hub\nallow from nobody to spoke2\n' > "$TEST_TMP/bad.rules"
check_fails "a rule naming an unknown group is refused" \
	rctl network set id 10 hub-file "$TEST_TMP/bad.rules"
check_value "and the ruleset in force is unchanged" "2 locked" \
	hub_get '"\(.hub.rules | length) \(.hub.default)"'
check "the network is deleted and the hub with it" rctl network del id 10
check "with no hub, spoke3 reaches spoke2 again" wait_until 5 reaches spoke3 10.77.0.2

ktap_finish
