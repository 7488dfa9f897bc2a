# SPDX-License-Identifier: GPL-2.0-only
"""The policy stage of bench.py: what overlay policy costs per packet.

Each configuration is one session of its own network, on a two-port
instance of its own relay address (203.0.113.240 and up), pinned like the
other stages' sessions (B:9 to A:9), so that the configurations differ in
their policy only:

  none       a network without a policy object: the policy-free path
  10         an admission allow list of 10 prefixes
  10000      an allow list of 10 000 prefixes (network add ... allow-file)
  rate       rate limits on the network and on each session, in packets and
             in bits, far above what the generator sends: every bucket is
             checked and charged, none refuses

The allow lists hold B's /24 and other prefixes of every length, so the
lookup is the one a real network's list needs. Measured in each repeat:

  XDP path     BPF_PROG_TEST_RUN: the median ns per packet of xrelay's program
               minus the bare XDP_TX program's (prog_run.c), i.e. xrelay's
               own work, one packet to each configuration in turn (in the
               opposite order in every other repeat) so that all see the
               same conditions
  module path  the ns xrelay's netfilter hook spends on each forwarded
               packet, from fentry to fexit (hook_time.c), median per
               configuration, with the generator sending to all of them at
               once at a moderate rate, each burst to one drawn at random

Each is reported as a ratio to the policy-free path measured in the same
repeat, the median of the repeats' ratios; the issue's target is at most
15% more per packet with 10 000 prefixes.
"""
import ipaddress
import json
import os
import random
import statistics
import subprocess
import sys

SIZE = 64
FIRST = 240                     # config i's relay address: 203.0.113.(FIRST + i)
PORT = 32300                    # its ports: PORT (side a), PORT + 1 (side b, sent to)
REPEATS = int(os.environ.get("BENCH_POLICY_REPEATS", "4"))
# The module path's traffic: far below the module's loss-free rate under
# emulation, so that queues stay short and a stall of the emulated CPU
# delays few packets, and enough packets for each configuration's median.
HOOK_PPS = 2000
HOOK_SECONDS = 10
PROG_RUNS = 20000
TARGET = 1.15                   # 10 000 prefixes: at most 15% slower
RATE = ["pps", "1000000", "burst", "100000", "bps", "1000000000", "burst-bytes", "10000000"]
CONFIGS = [
    # name, label, network, policy arguments (the prefix files are written in measure())
    ("none", "no policy", 11, None),
    ("10", "10 prefixes", 12, ["allow-file", "{dir}/10.list"]),
    ("10000", "10 000 prefixes", 13, ["allow-file", "{dir}/10000.list"]),
    ("rate", "rate limits", 14, ["rate", *RATE, "session-rate", *RATE]),
]


def prefixes(count, keep, seed):
    """@count distinct prefixes, @keep among them, the rest drawn at random
    with lengths 8 to 32 and never covering @keep's addresses."""
    rnd = random.Random(seed)
    keep = ipaddress.ip_network(keep, strict=False)
    chosen = {keep}
    while len(chosen) < count:
        length = rnd.randint(8, 32)
        net = ipaddress.ip_network((rnd.getrandbits(32), length), strict=False)
        if not net.overlaps(keep):
            chosen.add(net)
    return [str(n) for n in sorted(chosen)]


def addr(i):
    return f"203.0.113.{FIRST + i}"


def dest(i):
    return f"{addr(i)}:{PORT + 1}"


ALL_DESTS = f"{addr(0)}+{len(CONFIGS)}:{PORT + 1}"     # as xdp_gen and hook_time take them


class HookTime:
    """hook_time, loaded once: times the module's hook per packet (see hook_time.c)."""

    def __init__(self, bench):
        self.proc = subprocess.Popen([str(bench.BUILD / "hook_time"), "--to", ALL_DESTS],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.answer()

    def answer(self):
        line = self.proc.stdout.readline()
        if not line:
            sys.exit(f"bench: hook_time stopped (exit {self.proc.wait()})")
        return json.loads(line)

    def start(self):
        self.proc.stdin.write("start\n")
        self.proc.stdin.flush()

    def stop(self):
        """Returns one dict per configuration, in CONFIGS' order."""
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        return self.answer()["dests"]

    def close(self):
        self.proc.stdin.close()
        if self.proc.wait():
            sys.exit(f"bench: hook_time failed (exit {self.proc.returncode})")


def measure(bench, topo, raw, save):
    """Sets the configurations up, measures them, removes them; @bench is
    bench.py's module (its helpers), @raw gets the figures under "policy"."""
    work = bench.WORK / "policy"
    work.mkdir(parents=True, exist_ok=True)
    for count in (10, 10000):
        (work / f"{count}.list").write_text(
            "\n".join(prefixes(count, f"{bench.B4}/24", count)) + "\n")
    res = raw["policy"] = {
        "config": {"size": SIZE, "repeats": REPEATS, "hook_pps": HOOK_PPS,
                   "hook_seconds": HOOK_SECONDS, "prog_runs": PROG_RUNS, "target": TARGET},
        "configs": {name: {"label": label, "policy": args} for name, label, _, args in CONFIGS},
        "prog_run": {}, "hook": {}, "hook_traffic": []}
    instances = []
    for i, (_, _, network, args) in enumerate(CONFIGS):
        if args:
            bench.rctl("network", "add", "id", network,
                       *(a.format(dir=work) for a in args))
        bench.run("ip", "-n", bench.NS_R, "addr", "add", f"{addr(i)}/32", "dev", "relay0")
        inst = bench.rctl("instance", "add", "network", network, "addr", addr(i),
                          "ports", f"{PORT}-{PORT + 1}")
        instances.append(inst)
        bench.rctl("session", "add", "instance", inst,
                   "a", PORT, "peer", f"{bench.A4}:{bench.PEER_PORT}",
                   "b", PORT + 1, "peer", f"{bench.B4}:{bench.PEER_PORT}")
    hook = HookTime(bench)
    topo.pin_napi()
    bench.log("policy: configurations set up")

    order = list(enumerate(CONFIGS))
    for repeat in range(REPEATS):
        visit = order if repeat % 2 == 0 else order[::-1]
        out = json.loads(bench.run(
            bench.BUILD / "prog_run", "--ingress", "to_b", "--egress", "to_a",
            "--from", f"{bench.B4}:{bench.PEER_PORT}",
            *(a for i, _ in visit for a in ("--to", dest(i))),
            "--size", SIZE, "--runs", PROG_RUNS, "--bare", bench.BUILD / "xdp_tx.bpf.o",
            ns=bench.NS_R))
        for (i, (name, *_)), ns in zip(visit, out["xrelay_ns_each"]):
            res["prog_run"].setdefault(name, []).append(
                {"xrelay_ns": ns, "bare_ns": out["bare_ns"],
                 "bare_repeat_ns": out["bare_repeat_ns"]})

        # The module path: no XDP program on to_b, every packet meets the hook.
        rx = bench.settle(topo, bench.NS_A)
        hook.start()
        sent = topo.generate(SIZE, HOOK_PPS, HOOK_SECONDS, ALL_DESTS)
        received = bench.settle(topo, bench.NS_A) - rx
        for (name, *_), timed in zip(CONFIGS, hook.stop()):
            res["hook"].setdefault(name, []).append(timed)
        res["hook_traffic"].append({**sent, "received": received})
        save()
        bench.log(f"policy: repeat {repeat + 1} of {REPEATS} done")
    hook.close()

    # Policy must not have dropped anything: the figures compare forwarding.
    res["network_stats"] = {
        str(n["id"]): n["stats"] for n in json.loads(bench.rctl("-j", "network", "show"))}
    for i, inst in enumerate(instances):
        bench.rctl("instance", "del", "id", inst)
        bench.run("ip", "-n", bench.NS_R, "addr", "del", f"{addr(i)}/32", "dev", "relay0")
    for _, _, network, args in CONFIGS:
        if args:
            bench.rctl("network", "del", "id", network)
    save()


def summarize(res):
    """Per configuration and path: ns per packet (median over repeats) and
    the ratio to the policy-free path, the median of the repeats' ratios
    (each against the policy-free figure of the same repeat), with their
    lowest and highest."""
    def per_repeat(name):
        own = [r["xrelay_ns"] - r["bare_ns"] for r in res["prog_run"].get(name, [])]
        hook = [h.get("median_ns") for h in res.get("hook", {}).get(name, [])]
        return {"xdp": own, "module": hook}

    base = per_repeat("none")
    rows = {}
    for name in res["configs"]:
        row = {}
        for path, values in per_repeat(name).items():
            ratios = [v / b for v, b in zip(values, base[path]) if v and b]
            valid = [v for v in values if v is not None]
            row[path] = {"ns": statistics.median(valid) if valid else None,
                         "ratio": statistics.median(ratios) if ratios else None,
                         "low": min(ratios, default=None), "high": max(ratios, default=None)}
        row["timed"] = sum(h["timed"] for h in res.get("hook", {}).get(name, []))
        row["not_forwarded"] = sum(h["not_forwarded"] for h in res.get("hook", {}).get(name, []))
        rows[name] = row
    return rows


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def report(raw, prev_raw):
    """Prints the stage's table; @prev_raw is the previous run, for changes."""
    res = raw["policy"]
    rows = summarize(res)
    prev = summarize(prev_raw["policy"]) if prev_raw and "policy" in prev_raw else {}
    cfg = res["config"]
    paths = (("xdp", "XDP path"), ("module", "module path"))

    def change(now, before):
        return f"{100 * (now - before) / before:+.0f}%" if now and before else ""

    print(f"Overlay policy, cost per packet ({cfg['size']}-byte datagrams, {cfg['repeats']} "
          "repeats): ns (median of the repeats), ratio to the policy-free path (median of "
          "the repeats' ratios) and the repeats' lowest and highest ratio")
    print("XDP path: xrelay's program alone (BPF_PROG_TEST_RUN, minus a bare XDP_TX); "
          "module path: xrelay's netfilter hook per forwarded packet (fentry to fexit), "
          f"{cfg['hook_pps']:,} packets/s for {cfg['hook_seconds']} s over all configurations")
    print(f"{'config':<16}" + "".join(f"{label + ' ns':>15}{'ratio':>6}{'low-high':>11}{'chg':>5}"
                                      for _, label in paths) + f"{'timed':>8}")
    for name, row in rows.items():
        line = f"{res['configs'][name]['label']:<16}"
        for path, _ in paths:
            r, before = row[path], prev.get(name, {}).get(path, {})
            spread = (f"{r['low']:.2f}-{r['high']:.2f}" if r["low"] is not None else "-")
            line += (f"{fmt(r['ns'], ',.0f'):>15}{fmt(r['ratio'], '.2f'):>6}{spread:>11}"
                     f"{change(r['ratio'], before.get('ratio')):>5}")
        print(line + f"{row['timed']:>8,}")
    def verdict(ratio):
        return "-" if ratio is None else "met" if ratio <= cfg["target"] else "NOT met"

    big = rows["10000"]
    print(f"target: 10 000 prefixes at most {100 * (cfg['target'] - 1):.0f}% slower "
          f"(ratio <= {cfg['target']:.2f}): " +
          ", ".join(f"{label} {fmt(big[path]['ratio'], '.2f')} {verdict(big[path]['ratio'])}"
                    for path, label in paths))
    not_forwarded = {name: row["not_forwarded"] for name, row in rows.items()
                     if row["not_forwarded"]}
    if not_forwarded:
        print(f"note: the hook did not forward some packets, left out of its times: "
              f"{not_forwarded}")
    # Packets lost before the hook (the relay's veth ring full during a
    # stall of the emulated CPU) are simply not timed; lost after it, they
    # were timed but the path did not finish.
    traffic = res.get("hook_traffic", [])
    sent, received = sum(t["sent"] for t in traffic), sum(t["received"] for t in traffic)
    seen = sum(row["timed"] + row["not_forwarded"] for row in rows.values())
    if sent > seen or seen > received:
        print(f"note: of {sent:,} packets sent while timing the hook, {sent - seen:,} were "
              f"lost before it, {max(seen - received, 0):,} after it")
    drops = {net: {k: v for k, v in st.items() if k.startswith("drop_") and v}
             for net, st in res.get("network_stats", {}).items()}
    drops = {net: d for net, d in drops.items() if d}
    if drops:
        print(f"note: the policy dropped packets, the figures are not comparable: {drops}")
