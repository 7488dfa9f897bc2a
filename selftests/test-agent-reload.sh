#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: alone (it reloads the module)
#
# The module reloaded under the agent: rmmod takes the kernel's state with
# it; the agent hears the generic netlink family go and come back, and
# restores the desired state within a second of insmod.
#
#   ns A                        ns relay                               ns B
#   udp_peer recv          xrelay-ctld, xrelay-agent                  udp_peer send
#   192.0.2.2:5000          xrelay.ko: rmmod, insmod                  198.51.100.2:6000
#   veth0 ---------- to_a   session "pinned" a 40000 <-> b 40001 to_b ----- veth0

source "$(dirname "$0")/agent-common.sh"

ktap_plan 7

MODULE=$REPO/kmod/xrelay.ko

# Whatever happens, later tests find the module loaded.
agent_reload_cleanup()
{
	cleanup
	[ -d /sys/module/xrelay ] || insmod "$MODULE"
}
trap agent_reload_cleanup EXIT

agent_setup || ktap_bail "topology, PKI and YAML"
yaml_sessions "$(pinned_session pinned)"
ctld_start || ktap_bail "xrelay-ctld started" "$(bg_out ctld)"
agent_start
check "the agent applies the state" wait_until 20 agent_started
check "traffic flows through the session" pinned_traffic

# A dump in progress (the agent's resync) holds the module until it ends.
check "rmmod xrelay with the agent running" wait_until 5 rmmod xrelay
check "the agent notices the module is gone" wait_until 10 agent_log_has "module unloaded"
# The agent restores on the module's return, or on the periodic resync
# when that happens to come first.
applied=$(agent_applied "module loaded|resync")
insmod "$MODULE" || ktap_bail "insmod $MODULE"
check_within_second "the state is restored within a second of insmod" "$applied" \
	"module loaded|resync"
check "traffic flows again" pinned_traffic
check "ctld shows the state restored and the module's return" \
	wait_until 10 eval 'agent_in_sync &&
		[ "$(reported sessions) $(reported kernel_returns_total)" = "1 1" ]'

agent_finish
