#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# IPv4-mapped addresses on the wire (::ffff:a.b.c.d) are IPv4 in IPv6
# clothing, which the IPv6 stack does not refuse by itself. An IPv6
# datagram to ::ffff:<relay's IPv4 address> must not reach an IPv4
# session, and one from ::ffff:<A's IPv4 address> must not latch an IPv6
# side, whichever path takes it. A sends both as raw frames, since no
# socket sends such packets.
#
#   ns A (raw frames) --- to_a  ns relay: s4 (IPv4, side a pinned to A:5000)
#                               s6 (IPv6, side a learned, b pinned to B)

source "$(dirname "$0")/common.sh"

ktap_plan 6

# send_frame6 SRC DST DPORT: one IPv6 UDP datagram from SRC:5000 to
# DST:DPORT, out of A's veth0 to the relay's MAC address.
send_frame6()
{
	local mac

	mac=$(ip -n "$NS_R" -j link show to_a | jq -r '.[0].address')
	ip netns exec "$NS_A" python3 - "$1" "$2" "$3" "$mac" <<-'EOF'
		import socket, struct, sys
		src, dst, dport, mac = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
		s6 = lambda a: socket.inet_pton(socket.AF_INET6, a)
		payload = b"x" * 32
		udp_len = 8 + len(payload)
		def csum(data):
		    data += b"\0" * (len(data) % 2)
		    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
		    while total >> 16:
		        total = (total & 0xffff) + (total >> 16)
		    return ~total & 0xffff or 0xffff
		udp = struct.pack("!HHHH", 5000, dport, udp_len, 0) + payload
		pseudo = s6(src) + s6(dst) + struct.pack("!I3xB", udp_len, socket.IPPROTO_UDP)
		udp = udp[:6] + struct.pack("!H", csum(pseudo + udp)) + udp[8:]
		ip6 = struct.pack("!IHBB", 6 << 28, udp_len, socket.IPPROTO_UDP, 64) + s6(src) + s6(dst)
		eth = bytes.fromhex(mac.replace(":", "")) + b"\x02\0\0\0\0\x01" + b"\x86\xdd"
		sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
		sock.bind(("veth0", 0))
		sock.send(eth + ip6 + udp)
	EOF
}

# counted SESSION: every packet and drop of the session's two sides.
counted()
{
	session_get "$1" '[.a.stats, .b.stats | to_entries[] | select(.key != "bytes") | .value] | add'
}

setup_topology || ktap_bail "three namespaces wired"
check_id inst4 "IPv4 instance" rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id inst6 "IPv6 instance" rctl instance add network 10 addr "$RELAY6" ports 20000-20099
check_id s4 "IPv4 session, side a pinned to A" \
	rctl session add instance "$inst4" a 20000 peer "$A4:5000" b 20001 peer "$B4:6000"
check_id s6 "IPv6 session, side a learned" \
	rctl session add instance "$inst6" a 20000 b 20001 peer "[$B6]:6000"

send_frame6 "$A6" "::ffff:$RELAY4" 20000
send_frame6 "::ffff:$A4" "$RELAY6" 20000
nap 1
check_value "IPv6 to ::ffff:<relay's IPv4> did not reach the IPv4 session" 0 counted "$s4"
check_value "IPv6 from ::ffff:<A's IPv4> did not latch the IPv6 side" "waiting 0" \
	session_get "$s6" '"\(.a.state) \([.a.stats | to_entries[] | select(.key != "bytes") | .value] | add)"'

ktap_finish
