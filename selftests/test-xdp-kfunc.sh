#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kfuncs called from where XDP programs may run other than a NIC's
# softirq: BPF_PROG_TEST_RUN runs a program in process context with bottom
# halves on. The kfunc latches a learned side there, taking the session's
# seqlock that packets take in softirq: it must keep bottom halves off (a
# lockdep report on the debug kernel otherwise, and a deadlock when a
# packet of the same session comes in on that CPU meanwhile). And a program
# may hand the kfunc an unchecked map lookup, which the 6.1 verifier
# accepts: the kfunc must refuse the NULL, not oops.
#
#   ns A ---- ns relay: session s1 (a learned from A by the hook, b pinned to B)
#                       session s2 (a learned by BPF_PROG_TEST_RUN, b learned)

source "$(dirname "$0")/common.sh"

ktap_plan 7

PROG_RUN=$SELFTESTS_BUILD/xdp_prog_run
XRELAY_BPF=$REPO/build/bpf/xrelay.bpf.o

setup_topology || ktap_bail "three namespaces wired"
check_id inst "instance" rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id s1 "session s1, side a learned" rctl session add instance "$inst" a 20000 b 20001 peer "$B4:6000"
# s2's side b waits: the kfunc latches side a, then drops as not paired.
check_id s2 "session s2, both sides learned" rctl session add instance "$inst" a 20002 b 20003

# The hook latches s1's side a in softirq: lockdep learns the seqlock there.
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --size 64
check_value "the hook latched s1's side a (softirq)" "learned $A4:5000" \
	session_get "$s1" '"\(.a.state) \(.a.peer)"'

# xrelay's own program, run on loopback in process context, latches s2's.
check "BPF_PROG_TEST_RUN of xrelay's program to s2's port a" eval \
	"ip netns exec $NS_R $PROG_RUN $XRELAY_BPF xrelay_xdp 192.0.2.99:7000 $RELAY4:20002 > /dev/null"
check_value "the kfunc latched s2's side a in process context" "learned 192.0.2.99:7000" \
	session_get "$s2" '"\(.a.state) \(.a.peer)"'

# XDP_PASS (2): the kfunc said "pass", not an oops on the NULL it was given.
check_value "a NULL flow from a missed map lookup is refused" "retval 2" \
	ip netns exec "$NS_R" "$PROG_RUN" "$SELFTESTS_BUILD/xdp_null_flow.bpf.o" null_flow \
	"$A4:5000" "$RELAY4:20000"

ktap_finish
