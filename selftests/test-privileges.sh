#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Who may talk to xrelay: CAP_NET_ADMIN over the network namespace's user
# namespace, for reads and events as much as for changes.
#
#   ns relay (owned by the initial user ns)      ns fresh (unshare -U -r -n)
#   relay0 203.0.113.1/32                        owned by a user ns that
#   one instance, one session, made by root      nobody created: nobody is
#                                                root there and runs xrelay
#   nobody (uid 65534, no capabilities) is refused in the relay ns, and so is
#   nobody as root of a user ns that does not own the relay ns.

source "$(dirname "$0")/common.sh"

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
# xrelayctl's own report of EPERM, not some other tool's.
EPERM_MSG="^Error: .*Operation not permitted"

ktap_plan 21

nobody_ctl()
{
	ip netns exec "$NS_R" "${NOBODY[@]}" "$XRELAYCTL" "$@"
}

load_modules dummy && relay_ns_add "$NS_R" || ktap_bail "relay namespace"
inst=$(rctl instance add network 10 addr "$RELAY4" ports 20000-20099) &&
sess=$(rctl session add instance "$inst" a 20000 b 20001) ||
	ktap_bail "instance and session created by root"
before=$(rctl -j stats | jq -c '[.session_limit, .sessions, .instances]')

check_refused "unprivileged: instance add refused" "$EPERM_MSG" \
	nobody_ctl instance add network 10 addr "$RELAY4" ports 20100-20199
check_refused "unprivileged: instance del refused" "$EPERM_MSG" nobody_ctl instance del id "$inst"
check_refused "unprivileged: session add refused" "$EPERM_MSG" \
	nobody_ctl session add instance "$inst" a 20002 b 20003
check_refused "unprivileged: session del refused" "$EPERM_MSG" nobody_ctl session del id "$sess"
check_refused "unprivileged: session flush refused" "$EPERM_MSG" nobody_ctl session flush
check_refused "unprivileged: setting the limit refused" "$EPERM_MSG" nobody_ctl limit 1
check_refused "unprivileged: instance show refused" "$EPERM_MSG" nobody_ctl instance show
check_refused "unprivileged: session show refused" "$EPERM_MSG" nobody_ctl session show id "$sess"
check_refused "unprivileged: session dump refused" "$EPERM_MSG" nobody_ctl session dump
check_refused "unprivileged: stats refused" "$EPERM_MSG" nobody_ctl stats
check_refused "unprivileged: showing the limit refused" "$EPERM_MSG" nobody_ctl limit
# A monitor that is let in would wait for events: the timeout turns that
# into exit 124, which check_refused does not accept.
check_refused "unprivileged: monitor refused" "$EPERM_MSG" \
	ip netns exec "$NS_R" "${NOBODY[@]}" timeout 3 "$XRELAYCTL" monitor
check_value "nothing changed (limit, sessions, instances)" "$before" \
	eval 'rctl -j stats | jq -c "[.session_limit, .sessions, .instances]"'

# The rest needs unprivileged user namespaces, which the kernel also denies
# to anyone running chrooted.
check "nobody can create a user namespace here" "${NOBODY[@]}" unshare -U -r true
check_refused "root of a user ns not owning the netns is refused" "$EPERM_MSG" \
	ip netns exec "$NS_R" "${NOBODY[@]}" unshare -U -r "$XRELAYCTL" stats

# Root of a user namespace that owns a fresh network namespace manages it.
cat > "$TEST_TMP/own-netns.sh" <<-EOF
	set -e
	ip link set lo up
	ip link add relay0 type dummy
	ip link set relay0 up
	ip addr add $RELAY4/32 dev relay0
	inst=\$("$XRELAYCTL" instance add network 10 addr $RELAY4 ports 20000-20099)
	sess=\$("$XRELAYCTL" session add instance "\$inst" a 20000 b 20001)
	"$XRELAYCTL" limit 5
	"$XRELAYCTL" -j stats > "$TEST_TMP/own-stats.json"
	"$XRELAYCTL" session del id "\$sess"
	"$XRELAYCTL" instance del id "\$inst"
EOF
chmod 755 "$TEST_TMP" && chmod 644 "$TEST_TMP/own-netns.sh" && touch "$TEST_TMP/own-stats.json" &&
	chmod 666 "$TEST_TMP/own-stats.json"
check "userns root manages its own netns: add, limit, stats, delete" \
	"${NOBODY[@]}" unshare -U -r -n bash "$TEST_TMP/own-netns.sh"
check_value "and sees only its own objects" "5 1 1" \
	jq -r '"\(.session_limit) \(.sessions) \(.instances)"' "$TEST_TMP/own-stats.json"
check_value "while the relay ns is untouched" "$before" \
	eval 'rctl -j stats | jq -c "[.session_limit, .sessions, .instances]"'

# What namespaces of user namespaces hold together is the host's to cap:
# their owners may raise their own limit, not this one.
CAP=/sys/module/xrelay/parameters/userns_max_sessions
cat > "$TEST_TMP/capped.sh" <<-EOF
	ip link set lo up
	ip link add relay0 type dummy
	ip link set relay0 up
	ip addr add $RELAY4/32 dev relay0
	"$XRELAYCTL" limit 100 || exit
	inst=\$("$XRELAYCTL" instance add network 10 addr $RELAY4 ports 20000-20099) || exit
	"$XRELAYCTL" session add instance "\$inst" a 20000 b 20001 > /dev/null || exit
	"$XRELAYCTL" session add instance "\$inst" a 20002 b 20003 > /dev/null || exit
	"$XRELAYCTL" session add instance "\$inst" a 20004 b 20005
EOF
chmod 644 "$TEST_TMP/capped.sh"
cap_before=$(cat "$CAP")
check_fails "userns root cannot change the host-wide cap" \
	"${NOBODY[@]}" unshare -U -r sh -c "echo 1000000 > $CAP"
echo 2 > "$CAP"
check_refused "with a host cap of 2, a userns netns gets 2 sessions, not its limit's 100" \
	"^Error: xrelay: host-wide session limit of user namespaces reached" \
	"${NOBODY[@]}" unshare -U -r -n bash "$TEST_TMP/capped.sh"
echo "$cap_before" > "$CAP"
check_id s2 "the initial namespace is not held by it" \
	rctl session add instance "$inst" a 20010 b 20011

ktap_finish
