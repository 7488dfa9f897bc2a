#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""xrelay-agent's benchmark: how fast a state reaches the kernel.

  agent_bench.py measure RAW_JSON             inside the test VM (bench/run.sh
                                              boots it): measure, write raw results
  agent_bench.py report RAW_JSON LATEST_JSON  on the host: print the table, the
                                              changes since LATEST_JSON, replace it

The agent runs as a daemon on a state file (--state-file, read again on
SIGHUP): the same code path as a state from ctld, without ctld, whose
configuration cannot put 100 000 sessions on one relay (every port of a
relay is unique there, whatever its addresses: some 32 000 sessions at
most). The 100 000 sessions come as a full state; each one-session change
then comes as a delta state in the same file, which the agent reads and
applies with the code that applies ctld's deltas; a few changes also come
as full states, for comparison. Figures come from the agent's own log line
for each state applied ("parse ... ms, diff ... ms, kernel ... ms", where
parse is reading the document and, for a delta, applying it to the state
held). See bench/README.md.
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AGENT = REPO / "tools" / "xrelay-agent" / "xrelay-agent"
MKSESSIONS = REPO / "build" / "bench" / "mksessions"
WORK = Path("/tmp/xrelay-agent-bench")

SESSIONS = int(os.environ.get("BENCH_AGENT_SESSIONS", "100000"))
CHANGES = int(os.environ.get("BENCH_AGENT_CHANGES", "5"))
FULL_CHANGES = int(os.environ.get("BENCH_AGENT_FULL_CHANGES", "2"))
ADDRESSES = 8                           # 203.0.113.1-8, 12 500 sessions each
PORT_MIN = 1024                         # below the ephemeral range: nothing to reserve
SEQUENTIAL = 10000                      # sessions made one round trip at a time
TARGET_CREATE_S = 5.0
TARGET_CHANGE_MS = 50.0

APPLIED = re.compile(r"generation (\d+) \(new state\): (\d+) sessions created, (\d+) deleted, "
                     r".* (\d+) failed.*parse ([\d.]+) ms, diff ([\d.]+) ms, kernel ([\d.]+) ms")
DELTA = re.compile(r"delta state generation \d+ from \d+: 1 sessions upserted, 0 removed")
KERNEL_READ = re.compile(r"kernel read: (\d+) instances, (\d+) sessions in ([\d.]+) ms")


PROGRESS = None


def progress(msg):
    """The guest's console reaches the host in big blocks: a file of the results share does not."""
    line = f"agent-bench: {msg}"
    print(line, flush=True)
    if PROGRESS:
        with open(PROGRESS, "a") as f:
            f.write(line + "\n")


def run(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, **kw)


PER = -(-SESSIONS // ADDRESSES)


def session(k, idle=604800):
    """Session k: on address k // PER, ports PORT_MIN + j and + PER + j."""
    return (f'{{"name":"s{k}","instance":{k // PER + 1},"network":10,"idle_timeout":{idle},'
            f'"a":{{"port":{PORT_MIN + k % PER},"relearn_timeout":30}},'
            f'"b":{{"port":{PORT_MIN + PER + k % PER},"relearn_timeout":30}}}}')


def state():
    """The full state document, generation 1."""
    instances = ",".join(
        f'{{"id":{i + 1},"network":10,"addr":"203.0.113.{i + 1}",'
        f'"port_min":{PORT_MIN},"port_max":{PORT_MIN + 2 * PER - 1}}}' for i in range(ADDRESSES))
    sessions = ",".join(session(k) for k in range(SESSIONS))
    return (f'{{"generation":1,"relay":"bench","instances":[{instances}],'
            f'"networks":[{{"id":10,"name":"bench"}}],"policies":[],"sessions":[{sessions}]}}')


def delta(generation, idle):
    """The delta state from generation - 1: session SESSIONS/2's idle timeout changed."""
    return (f'{{"generation":{generation},"base":{generation - 1},"relay":"bench",'
            f'"sessions_upsert":[{session(SESSIONS // 2, idle)}],"sessions_remove":[]}}')


def changed(base, generation, idle):
    """@base with another generation and session SESSIONS/2's idle timeout changed."""
    name = f'"name":"s{SESSIONS // 2}",'
    at = base.index(name)
    at = base.index('"idle_timeout":604800', at)
    text = base[:at] + f'"idle_timeout":{idle}' + base[at + len('"idle_timeout":604800'):]
    return text.replace('{"generation":1,', f'{{"generation":{generation},', 1)


def wait_line(log, pattern, start, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in log.read_text().splitlines()[start:]:
            m = pattern.search(line)
            if m:
                return m
        time.sleep(0.05)
    sys.exit(f"agent-bench: no '{pattern.pattern}' in the agent's log:\n{log.read_text()[-3000:]}")


def applied(m):
    return {"generation": int(m[1]), "created": int(m[2]), "deleted": int(m[3]),
            "failed": int(m[4]), "parse_ms": float(m[5]), "diff_ms": float(m[6]),
            "kernel_ms": float(m[7])}


def sequential_rate():
    """Sessions/s with one request per round trip, as xrelayctl makes them."""
    run("ip", "addr", "add", "203.0.113.100/32", "dev", "relay0")
    inst = run(REPO / "tools" / "xrelayctl" / "xrelayctl", "instance", "add", "network", "10",
               "addr", "203.0.113.100", "ports", f"{PORT_MIN}-{PORT_MIN + 2 * SEQUENTIAL}").stdout
    out = run(MKSESSIONS, inst.strip(), PORT_MIN, PORT_MIN + SEQUENTIAL, SEQUENTIAL,
              "192.0.2.2:9", "198.51.100.2:9").stdout
    res = json.loads(out)
    run(REPO / "tools" / "xrelayctl" / "xrelayctl", "instance", "del", "id", inst.strip())
    return res["created"] / res["seconds"]


def measure(raw_path):
    global PROGRESS
    PROGRESS = Path(raw_path).with_name("progress.log")
    WORK.mkdir(parents=True, exist_ok=True)
    deps = run("modinfo", "-F", "depends", REPO / "kmod" / "xrelay.ko").stdout.strip()
    for module in filter(None, deps.split(",")):
        run("modprobe", module)
    run("insmod", REPO / "kmod" / "xrelay.ko")
    run("modprobe", "dummy")
    run("ip", "link", "add", "relay0", "type", "dummy")
    run("ip", "link", "set", "relay0", "up")
    for i in range(ADDRESSES):
        run("ip", "addr", "add", f"203.0.113.{i + 1}/32", "dev", "relay0")
    raw = {"kernel": os.uname().release, "sessions": SESSIONS, "addresses": ADDRESSES,
           "changes": []}

    progress(f"sessions made one request per round trip: {SEQUENTIAL}")
    raw["sequential_per_s"] = sequential_rate()

    doc = WORK / "state.json"
    base = state()
    doc.write_text(base)
    raw["state_bytes"] = doc.stat().st_size
    log = WORK / "agent.log"
    progress(f"the agent applies {SESSIONS} sessions to an empty kernel")
    with open(log, "w") as out:
        agent = subprocess.Popen([str(AGENT), "--state-file", str(doc), "--resync-interval", "1h",
                                  "--verbose"], stdout=out, stderr=subprocess.STDOUT)
    t0 = time.time()
    raw["create"] = applied(wait_line(log, APPLIED, 0))
    raw["create"]["wall_ms"] = (time.time() - t0) * 1000
    raw["full_changes"] = []
    generation = 1
    # Idle timeouts stay within the kernel's longest, 604 800 s.
    try:
        for n in range(CHANGES):
            lines = len(log.read_text().splitlines())
            generation += 1
            doc.write_text(delta(generation, 600000 + n))
            progress(f"one session changed, delta state ({n + 1}/{CHANGES})")
            agent.send_signal(signal.SIGHUP)
            raw["changes"].append(applied(wait_line(log, APPLIED, lines)))
            wait_line(log, DELTA, lines)
        for n in range(FULL_CHANGES):
            lines = len(log.read_text().splitlines())
            generation += 1
            doc.write_text(changed(base, generation, 601000 + n))
            progress(f"one session changed, full state ({n + 1}/{FULL_CHANGES})")
            agent.send_signal(signal.SIGHUP)
            raw["full_changes"].append(applied(wait_line(log, APPLIED, lines)))
        doc.write_text(changed(base, generation, 601000 + FULL_CHANGES - 1))
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait()
    progress(f"a full read of {SESSIONS} sessions (xrelay-agent --once)")
    once = run(AGENT, "--once", "--state-file", doc, "--verbose").stderr
    m = KERNEL_READ.search(once)
    raw["kernel_read_ms"] = float(m[3]) if m else None
    raw["agent_log"] = log.read_text()[-4000:]
    Path(raw_path).write_text(json.dumps(raw, indent=1) + "\n")


def summary(raw):
    c = raw["create"]
    # Runs before delta states timed full states there: not comparable.
    changes = raw["changes"] if "full_changes" in raw else []
    full = raw.get("full_changes") or [{"parse_ms": 0, "diff_ms": 0, "kernel_ms": 0}]

    def median(key, of=changes):
        return statistics.median(x[key] for x in of) if of else None

    return {
        "create_s": (c["parse_ms"] + c["diff_ms"] + c["kernel_ms"]) / 1000,
        "create_parse_s": c["parse_ms"] / 1000,
        "create_diff_s": c["diff_ms"] / 1000,
        "create_kernel_s": c["kernel_ms"] / 1000,
        "pipelined_per_s": c["created"] / (c["kernel_ms"] / 1000),
        "sequential_per_s": raw["sequential_per_s"],
        "change_ms": statistics.median(x["parse_ms"] + x["diff_ms"] + x["kernel_ms"]
                                       for x in changes) if changes else None,
        "change_parse_ms": median("parse_ms"),
        "change_diff_ms": median("diff_ms"),
        "change_kernel_ms": median("kernel_ms"),
        "full_change_ms": statistics.median(x["parse_ms"] + x["diff_ms"] + x["kernel_ms"]
                                            for x in full),
        "full_change_parse_ms": median("parse_ms", full),
        "kernel_read_s": (raw["kernel_read_ms"] or 0) / 1000,
    }


def report(raw_path, latest_path):
    raw = json.loads(Path(raw_path).read_text())
    latest = Path(latest_path)
    prev = json.loads(latest.read_text()) if latest.exists() else None
    s = summary(raw)
    p = summary(prev) if prev else None
    n = raw["sessions"]

    def change(key):
        if not p or not p.get(key):
            return ""
        return f"  ({(s[key] / p[key] - 1) * 100:+.0f}% vs last run)"

    def verdict(ok):
        return "met" if ok else "MISSED"

    print(f"\nxrelay-agent, in the VM (TCG: compare runs, not machines); "
          f"state {raw['state_bytes'] / 1e6:.1f} MB")
    print(f"{'figure':58} {'value':>10} {'target':>9}")
    print(f"{'apply ' + format(n, ',') + ' sessions to an empty kernel':58} "
          f"{s['create_s']:>8.2f} s {'< 5 s':>9}  {verdict(s['create_s'] < TARGET_CREATE_S)}"
          f"{change('create_s')}")
    print(f"{'  reading the state document':58} {s['create_parse_s']:>8.2f} s")
    print(f"{'  comparing with the kernel':58} {s['create_diff_s']:>8.2f} s")
    print(f"{'  kernel requests, pipelined':58} {s['create_kernel_s']:>8.2f} s"
          f"   {s['pipelined_per_s']:,.0f} sessions/s")
    print(f"{'  (one request per round trip, for comparison)':58} {'':>10}   "
          f"{s['sequential_per_s']:,.0f} sessions/s")
    print(f"{'apply a one-session change to a kernel holding ' + format(n, ',')[:-4] + ' 000':58} "
          f"{s['change_ms']:>7.1f} ms {'< 50 ms':>9}  {verdict(s['change_ms'] < TARGET_CHANGE_MS)}"
          f"{change('change_ms')}")
    print(f"{'  as a delta state, received to applied (median of ' + str(len(raw['changes'])) + ')':58}")
    print(f"{'  reading the delta, applying it to the state held':58} {s['change_parse_ms']:>7.1f} ms")
    print(f"{'  comparing the sessions it touched with the kernel':58} {s['change_diff_ms']:>7.1f} ms")
    print(f"{'  kernel requests':58} {s['change_kernel_ms']:>7.1f} ms")
    print(f"{'  (as a full state instead, median of ' + str(len(raw['full_changes'])) + ')':58} "
          f"{s['full_change_ms']:>7.0f} ms")
    print(f"{'    of which reading the whole document':58} {s['full_change_parse_ms']:>7.0f} ms")
    print(f"{'full read of the kernel (dump of every session)':58} {s['kernel_read_s']:>8.2f} s")
    raw["summary"] = s
    latest.parent.mkdir(parents=True, exist_ok=True)
    latest.write_text(json.dumps(raw, indent=1) + "\n")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "measure":
        measure(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
