#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Open a TURN allocation on a server running with --no-auth and bind a
channel to one peer (RFC 8656), so that the server relays that peer's
plain UDP datagrams to this client as ChannelData.

usage: turn_alloc.py SERVER:PORT BIND_ADDR:PORT PEER_ADDR:PORT

Prints the relayed port. The allocation lives on in the server after this
exits (lifetime one hour): datagrams for it keep arriving at BIND_ADDR:PORT.
"""
import os
import socket
import struct
import sys

MAGIC = 0x2112A442
ALLOCATE, CHANNEL_BIND = 0x003, 0x009
SUCCESS = 0x100
REQUESTED_TRANSPORT, LIFETIME = 0x0019, 0x000D
CHANNEL_NUMBER, XOR_PEER_ADDRESS, XOR_RELAYED_ADDRESS = 0x000C, 0x0012, 0x0016
ERROR_CODE = 0x0009


def endpoint(text):
    addr, port = text.rsplit(":", 1)
    return addr, int(port)


def attr(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def xor_address(addr, port):
    return struct.pack("!BBH", 0, 1, port ^ (MAGIC >> 16)) + struct.pack(
        "!I", struct.unpack("!I", socket.inet_aton(addr))[0] ^ MAGIC)


def request(sock, method, attrs):
    tid = os.urandom(12)
    body = b"".join(attrs)
    sock.send(struct.pack("!HHI", method, len(body), MAGIC) + tid + body)
    while True:
        reply = sock.recv(2048)
        kind, length, _ = struct.unpack("!HHI", reply[:8])
        if reply[8:20] == tid:
            break
    found = {}
    pos = 20
    while pos < 20 + length:
        akind, alen = struct.unpack("!HH", reply[pos:pos + 4])
        found[akind] = reply[pos + 4:pos + 4 + alen]
        pos += 4 + alen + (-alen % 4)
    if kind != method | SUCCESS:
        error = found.get(ERROR_CODE, b"\0\0\0\0????")
        sys.exit(f"turn_alloc: request {method:#x} failed: {error[2] & 7}{error[3]:02d} "
                 f"{error[4:].decode(errors='replace')}")
    return found


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    server, local, peer = (endpoint(a) for a in sys.argv[1:])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(5)
    sock.bind(local)
    sock.connect(server)
    reply = request(sock, ALLOCATE, [attr(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0])),
                                      attr(LIFETIME, struct.pack("!I", 3600))])
    relayed_port = struct.unpack("!H", reply[XOR_RELAYED_ADDRESS][2:4])[0] ^ (MAGIC >> 16)
    request(sock, CHANNEL_BIND, [attr(CHANNEL_NUMBER, struct.pack("!HH", 0x4000, 0)),
                                 attr(XOR_PEER_ADDRESS, xor_address(*peer))])
    print(relayed_port)


if __name__ == "__main__":
    main()
