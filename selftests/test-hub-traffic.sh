#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: alone (a throughput ratio: a neighbour's load would distort it)
# lanes: debian (throughput ratios tell of Debian's kernel only, and would take an hour on a debug one)
#
# Hub ACLs with bulk traffic: the relay namespace is the hub of a
# WireGuard overlay, and a 5 s iperf3 from spoke1 to spoke2 crosses it
# with network 10's ruleset allowing exactly that (tcp/5201, replies
# included) and without any ruleset, alternating; with the ruleset the
# hub must keep HUB_MIN% of the median without. What the ruleset does not
# allow must still be dropped afterwards, so the transfers did cross an
# enforced ruleset. Decrypted overlay traffic never passes an XDP hook, so
# there are no XDP variants (as test-policy-hub.sh).
#
#   ns spoke1                 ns hub ($NS_R)                   ns spoke2
#   wg0 10.77.0.1/24          wg-hub 10.77.0.254/24            wg0 10.77.0.2/24
#   veth0 172.16.1.2 ---- s1  forwarding on, network 10  s2 ---- veth0 172.16.2.2
#                             hub ruleset or none
#
# Measured (TCG, 2 vCPUs, a busy host), medians of 3 in kbit/s: with the
# ruleset 8365, without 6137 (136%); single transfers ranged from 2496 to
# 8665, hence a threshold of half: a hub that drops or stalls the allowed
# flow's full-size packets scores near 0.

source "$(dirname "$0")/common.sh"

ktap_plan 10

ROUNDS=3
SECONDS_EACH=5
HUB_MIN=50

setup_hub_rules()
{
	cat > "$TEST_TMP/hub.rules" <<-EOF
		# spoke1 may open iperf3's port on spoke2; nothing else crosses the hub
		interface wg-hub
		default locked
		group spoke1 10.77.0.1/32
		group spoke2 10.77.0.2/32
		allow from spoke1 to spoke2 proto tcp port 5201
	EOF
}

hub_open()
{
	rctl network set id 10
}

hub_ruled()
{
	rctl network set id 10 hub-file "$TEST_TMP/hub.rules"
}

hub_setup 2 || ktap_bail "hub and two spokes wired"
for n in 1 2; do
	wait_until 10 reaches "spoke$n" 10.77.0.254 || ktap_bail "spoke$n reaches the hub"
done
setup_hub_rules
check "network 10 created, no policy yet" rctl network add id 10

spoke1=$(spoke_ns spoke1)
spoke2=$(spoke_ns spoke2)
measure_paths "$ROUNDS" "$spoke1" "$spoke2" 10.77.0.2 "$SECONDS_EACH" hub_open hub_ruled
check_carried "the hub without a ruleset carried every transfer" hub_open
check_carried "the hub with the ruleset carried every transfer" hub_ruled
check_ratio "with the ruleset, median >= $HUB_MIN% of without (kbit/s)" \
	"$(median ${KBPS[hub_ruled]})" "$(median ${KBPS[hub_open]})" "$HUB_MIN"

# The last round ended with the ruleset in force.
check_value "the ruleset is in force: one rule, default locked" "locked 1" \
	network_get 10 '"\(.hub.default) \(.hub.rules | length)"'
check_value "its rule counted the transfers' packets, nothing refused" "ok" network_get 10 \
	'if .hub.rules[0].hits > 1000 and .stats.drop_acl == 0 then "ok"
	 else "hits \(.hub.rules[0].hits) drop_acl \(.stats.drop_acl)" end'
check_fails "ICMP spoke1 -> spoke2 is dropped under it" reaches spoke1 10.77.0.2
check_fails "so is tcp/5201 spoke2 -> spoke1" \
	iperf_measure "$spoke2" "$spoke1" 10.77.0.1 1 --connect-timeout 3000
check_value "and counted as the network's drop-acl" "ok" network_get 10 \
	'if .stats.drop_acl > 0 and .hub.default_hits == .stats.drop_acl then "ok"
	 else "default_hits \(.hub.default_hits) drop_acl \(.stats.drop_acl)" end'
check "with the ruleset removed, spoke1 reaches spoke2 again" eval "hub_open && wait_until 5 reaches spoke1 10.77.0.2"

ktap_finish
