#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hold idle and dribbling TCP connections against a server, reopening those
it closes, for a while; print one JSON summary line.

usage: flood.py HOST PORT SECONDS --sources A[,B...] --idle N --dribble N
                [--interval S]

Connections are spread over the source addresses (each a loopback address to
bind to). An idle one sends nothing; a dribbling one sends a TLS record header
announcing 16 KiB, then one byte every --interval seconds, which no idle
timeout that resets on every byte would ever end. A connection the server
closes is opened again 250 ms later.

The summary: connects (completed), closed (by the server), dribblers_closed
(dribbling connections the server closed after their first bytes), failed
(connect errors), and the longest a connection stayed open before the
server closed it (seconds from the connect's completion, which includes
any wait in the server's listen backlog).
"""
import argparse
import errno
import json
import selectors
import socket
import time

RECORD_HEADER = bytes([0x16, 0x03, 0x01, 0x40, 0x00])


class Conn:
    def __init__(self, source, dribble):
        self.source = source
        self.dribble = dribble
        self.sock = None
        self.opened = None
        self.next_at = 0.0
        self.sent_header = False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("seconds", type=float)
    ap.add_argument("--sources", required=True)
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--dribble", type=int, default=0)
    ap.add_argument("--interval", type=float, default=0.5)
    args = ap.parse_args()

    sources = args.sources.split(",")
    conns = [Conn(sources[i % len(sources)], i >= args.idle)
             for i in range(args.idle + args.dribble)]
    sel = selectors.DefaultSelector()
    stats = {"connects": 0, "closed": 0, "dribblers_closed": 0, "failed": 0,
             "longest_closed_s": 0.0}
    end = time.monotonic() + args.seconds

    def close(c, by_server):
        sel.unregister(c.sock)
        c.sock.close()
        if by_server and c.opened is not None:
            stats["closed"] += 1
            stats["dribblers_closed"] += c.sent_header
            stats["longest_closed_s"] = max(stats["longest_closed_s"],
                                            time.monotonic() - c.opened)
        c.sock = None
        c.opened = None
        c.next_at = time.monotonic() + 0.25

    def open_(c):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((c.source, 0))
            rc = s.connect_ex((args.host, args.port))
        except OSError:
            s.close()
            stats["failed"] += 1
            c.next_at = time.monotonic() + 0.2
            return
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            stats["failed"] += 1
            c.next_at = time.monotonic() + 0.2
            return
        c.sock = s
        c.sent_header = False
        sel.register(s, selectors.EVENT_WRITE, c)

    while time.monotonic() < end:
        now = time.monotonic()
        for c in conns:
            if c.sock is None and now >= c.next_at:
                open_(c)
            elif c.sock is not None and c.opened is not None and c.dribble and \
                    now >= c.next_at:
                try:
                    c.sock.send(b"\x01" if c.sent_header else RECORD_HEADER)
                    c.sent_header = True
                except OSError:
                    close(c, True)
                    continue
                c.next_at = now + args.interval
        for key, events in sel.select(timeout=0.05):
            c = key.data
            if c.opened is None:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    sel.unregister(c.sock)
                    c.sock.close()
                    c.sock = None
                    stats["failed"] += 1
                    c.next_at = time.monotonic() + 0.2
                    continue
                c.opened = time.monotonic()
                c.next_at = c.opened
                stats["connects"] += 1
                sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            try:
                data = c.sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                close(c, True)

    stats["longest_closed_s"] = round(stats["longest_closed_s"], 2)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
