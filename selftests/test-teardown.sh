#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: alone (it unloads and reloads the module)
#
# Tearing things down while packets fly: deleting an instance, flushing
# sessions, unloading and reloading the module, deleting the relay's
# namespace. Splats are the harness's to find in dmesg; here the remaining
# state must be sane and the relay must work again afterwards.
#
#   ns A                          ns relay                        ns B
#   192.0.2.2:5000  ==blast==>  203.0.113.1:20000 | 20001  <==blast==  198.51.100.2:6000
#        |                    (10 sessions 20000..20019)                |
#        +--veth-- to_a       (no IP forwarding)       to_b --veth------+
#
#   ns relay2 (the same, built again after the relay ns is deleted)

source "$(dirname "$0")/common.sh"

ktap_plan 18

# blast: both clients send to the first session's ports until stopped,
# carrying on through errors when their links vanish. A sends flat out; B,
# paced, keeps its side alive and leaves the second CPU to the test.
blast_start()
{
	bg_start blast_a "$NS_A" "$UDP_PEER" send --bind "$A4:5000" --to "$RELAY4:20000" \
		--duration-ms "$(scaled 120000)" --keep-going --size 200
	bg_start blast_b "$NS_B" "$UDP_PEER" send --bind "$B4:6000" --to "$RELAY4:20001" \
		--duration-ms "$(scaled 120000)" --keep-going --size 200 --interval-ms 5
}

# relay_ready: an instance and 10 learned sessions in the relay ns; prints
# the instance id.
relay_ready()
{
	local inst port

	inst=$(rctl instance add network 10 addr "$RELAY4" ports 20000-20099) || return
	for port in $(seq 20000 2 20018); do
		rctl session add instance "$inst" a "$port" b $((port + 1)) > /dev/null || return
	done
	echo "$inst"
}

# forwarding: the first session (looked up by port) forwards both ways.
forwarding()
{
	local inst=$1

	rctl -j session show instance "$inst" port 20000 |
		jq -e '.[0] | .a.stats.packets > 0 and .b.stats.packets > 0' > /dev/null
}

flushed_state()
{
	echo "$(rctl -j instance show | jq -r '"\(length) \(.[0].sessions)"') $(netns_get .sessions)"
}

setup_topology || ktap_bail "three namespaces wired"
blast_start

# reloads N: N times rmmod and insmod under traffic, each time the relay
# set up again and forwarding.
reloads()
{
	local i inst

	for ((i = 0; i < $1; i++)); do
		rmmod xrelay && insmod "$REPO/kmod/xrelay.ko" &&
		inst=$(relay_ready) && wait_until 10 forwarding "$inst" || return
	done
}

# Deleting an instance under traffic.
inst=$(relay_ready) || ktap_bail "instance with 10 sessions"
check "traffic flows through the relay" wait_until 10 forwarding "$inst"
check "instance deleted under traffic" rctl instance del id "$inst"
check_value "no instance and no session left" "0 0" netns_get '"\(.instances) \(.sessions)"'
check_value "instance show is empty" "0" eval 'rctl -j instance show | jq length'

# Flushing under traffic.
inst=$(relay_ready) || ktap_bail "instance with 10 sessions again"
check "traffic flows again on a new instance" wait_until 10 forwarding "$inst"
check "sessions flushed under traffic" rctl session flush
check_value "no session left, the instance stays (instances, its sessions, all sessions)" \
	"1 0 0" flushed_state
check "a new session on the same ports forwards again" eval \
	"rctl session add instance $inst a 20000 b 20001 > /dev/null && wait_until 10 forwarding $inst"

# Unloading the module under traffic, then loading it again.
check "rmmod xrelay under traffic" rmmod xrelay
check_fails "the family is gone" rctl stats
check "insmod xrelay again" insmod "$REPO/kmod/xrelay.ko"
check_value "the reloaded module starts empty" "0 0" netns_get '"\(.instances) \(.sessions)"'
inst=$(relay_ready) || ktap_bail "instance with 10 sessions after the reload"
check "and forwards the traffic that never stopped" wait_until 10 forwarding "$inst"
# Packets may be inside the hook while rmmod frees the tables they read:
# the module must wait for them (a use-after-free for KASAN to see if not).
check "five more unloads under traffic, each relay forwarding again" reloads 5

# Deleting the relay's namespace under traffic.
check "relay namespace deleted under traffic" ip netns del "$NS_R"
check "the senders outlive their links" eval "kill -0 ${BG_PID[blast_a]} && kill -0 ${BG_PID[blast_b]}"
bg_stop blast_a
bg_stop blast_b

NS_R=xr-r2-$$
relay_ns_add "$NS_R" || ktap_bail "a second relay namespace"
check_value "a new relay namespace starts empty" "0 0" netns_get '"\(.instances) \(.sessions)"'
check_id inst "and takes an instance on the same address and ports" \
	rctl instance add network 10 addr "$RELAY4" ports 20000-20099

ktap_finish
