#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# xdp-modes: native generic (run again with XDP attached, see run-guest.sh)
#
# The relay's IPsec policies hold for what it relays, on both families and
# both paths: what the relay sends to B must leave in ESP, since B accepts
# nothing else from the relay. The XDP path cannot apply a transform, so it
# must leave such packets to the stack rather than send them in the clear.
#
#   ns A ------ ns relay: out policy relay -> B: ESP (transport) ------ ns B:
#                                                        in policy relay -> B: ESP only

source "$(dirname "$0")/common.sh"

ktap_plan 8

ENC=0x00112233445566778899aabbccddeeff
AUTH=0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

# esp_between SRC DST SPI: transport-mode ESP from SRC to DST, the relay
# sending and B receiving; B takes nothing unprotected from SRC.
esp_between()
{
	local src=$1 dst=$2 spi=$3 ns

	for ns in "$NS_R" "$NS_B"; do
		ip -n "$ns" xfrm state add src "$src" dst "$dst" proto esp spi "$spi" \
			mode transport enc 'cbc(aes)' "$ENC" auth 'hmac(sha256)' "$AUTH" || return
	done
	ip -n "$NS_R" xfrm policy add src "$src" dst "$dst" proto udp dir out \
		tmpl src "$src" dst "$dst" proto esp mode transport &&
	ip -n "$NS_B" xfrm policy add src "$src" dst "$dst" proto udp dir in \
		tmpl src "$src" dst "$dst" proto esp mode transport
}

# esp_packets SRC DST SPI: packets the relay's ESP state protected, from
# its "lifetime current" line, e.g. "  4680(bytes), 20(packets)".
esp_packets()
{
	ip -n "$NS_R" -s xfrm state get src "$1" dst "$2" proto esp spi "$3" |
		grep -A1 'lifetime current:' | sed -n 's/.* \([0-9]*\)(packets).*/\1/p'
}

load_modules esp4 esp6 xfrm_user authenc cbc aes_generic hmac sha256_generic 2> /dev/null
setup_topology || ktap_bail "three namespaces wired"
esp_between "$RELAY4" "$B4" 0x104 && esp_between "$RELAY6" "$B6" 0x106 ||
	ktap_bail "ESP from the relay to B, IPv4 and IPv6"

check_id inst4 "IPv4 instance" rctl instance add network 10 addr "$RELAY4" ports 20000-20099
check_id inst6 "IPv6 instance" rctl instance add network 10 addr "$RELAY6" ports 20000-20099
check_id s4 "IPv4 session A <-> B" \
	rctl session add instance "$inst4" a 20000 peer "$A4:5000" b 20001 peer "$B4:6000"
check_id s6 "IPv6 session A <-> B" \
	rctl session add instance "$inst6" a 20000 peer "[$A6]:5000" b 20001 peer "[$B6]:6000"

recv_start at_b4 "$NS_B" "$B4:6000" 20
udp_send "$NS_A" --bind "$A4:5000" --to "$RELAY4:20000" --count 20 --size 200 --interval-ms 10
check_bg "IPv4: B gets all 20, which it takes only in ESP" at_b4
check_value "IPv4: the relay's ESP state protected the 20" 20 esp_packets "$RELAY4" "$B4" 0x104

recv_start at_b6 "$NS_B" "[$B6]:6000" 20
udp_send "$NS_A" --bind "[$A6]:5000" --to "[$RELAY6]:20000" --count 20 --size 200 --interval-ms 10
check_bg "IPv6: B gets all 20, which it takes only in ESP" at_b6
check_value "IPv6: the relay's ESP state protected the 20" 20 esp_packets "$RELAY6" "$B6" 0x106

ktap_finish
