# SPDX-License-Identifier: GPL-2.0-only
"""The policy stage of bench.py: what overlay policy costs per packet.

Each configuration is one session of its own network, on a two-port
instance of 203.0.113.1 above the other stages' ports, pinned like theirs
(B:9 to A:9), so that the configurations differ in their policy only:

  none       a network without a policy object: the policy-free path
  10         an admission allow list of 10 prefixes
  10000      an allow list of 10 000 prefixes (network add ... allow-file)
  rate       rate limits on the network and on each session, in packets and
             in bits, far above what the generator sends: every bucket is
             checked and charged, none refuses

The allow lists hold B's /24 and other prefixes of every length, so the
lookup is the one a real network's list needs. Measured, the configurations
in alternating order in each repeat:

  XDP path     BPF_PROG_TEST_RUN: the median ns per packet of xrelay's program
               minus the bare XDP_TX program's (prog_run.c), i.e. xrelay's
               own work, one packet to each configuration in turn so that all
               see the same conditions; and the relay CPU's time per
               forwarded packet with the generator flat out
  module path  the relay CPU's time per forwarded packet, the same way

Each is reported as a ratio to the policy-free path; the issue's target is
at most 15% more per packet with 10 000 prefixes.
"""
import ipaddress
import json
import os
import random
import statistics

SIZE = 64
PORT = 32300                    # above the other stages' ports, below ephemeral ones
REPEATS = int(os.environ.get("BENCH_POLICY_REPEATS", "4"))
TRIAL_SECONDS = 2
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


def dest(i):
    return f"203.0.113.1:{PORT + 2 * i + 1}"


def measure(bench, topo, raw, save):
    """Sets the configurations up, measures them, removes them; @bench is
    bench.py's module (its helpers), @raw gets the figures under "policy"."""
    work = bench.WORK / "policy"
    work.mkdir(parents=True, exist_ok=True)
    for count in (10, 10000):
        (work / f"{count}.list").write_text(
            "\n".join(prefixes(count, f"{bench.B4}/24", count)) + "\n")
    res = raw["policy"] = {
        "config": {"size": SIZE, "repeats": REPEATS, "trial_seconds": TRIAL_SECONDS,
                   "prog_runs": PROG_RUNS, "target": TARGET},
        "configs": {name: {"label": label, "policy": args} for name, label, _, args in CONFIGS},
        "trials": {}, "prog_run": {}}
    instances = []
    for i, (name, _, network, args) in enumerate(CONFIGS):
        if args:
            bench.rctl("network", "add", "id", network,
                       *(a.format(dir=work) for a in args))
        inst = bench.rctl("instance", "add", "network", network, "addr", "203.0.113.1",
                          "ports", f"{PORT + 2 * i}-{PORT + 2 * i + 1}")
        instances.append(inst)
        bench.rctl("session", "add", "instance", inst,
                   "a", PORT + 2 * i, "peer", f"{bench.A4}:{bench.PEER_PORT}",
                   "b", PORT + 2 * i + 1, "peer", f"{bench.B4}:{bench.PEER_PORT}")
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
        for path in (bench.XrelayXdp(), bench.XrelayModule()):
            path.start()
            topo.pin_napi()
            bench.settle(topo, path.receiver)
            for i, (name, *_) in visit:
                t = bench.trial(topo, path, SIZE, 0, dest(i), TRIAL_SECONDS)
                res["trials"].setdefault(path.name, {}).setdefault(name, []).append(t)
            path.stop()
        save()
        bench.log(f"policy: repeat {repeat + 1} of {REPEATS} done")

    # Policy must not have dropped anything: the figures compare forwarding.
    res["network_stats"] = {
        str(n["id"]): n["stats"] for n in json.loads(bench.rctl("-j", "network", "show"))}
    for inst in instances:
        bench.rctl("instance", "del", "id", inst)
    for _, _, network, args in CONFIGS:
        if args:
            bench.rctl("network", "del", "id", network)
    save()


def summarize(res):
    """Medians per configuration and their ratios to the policy-free path."""
    def cost(trials):
        """Relay CPU microseconds per forwarded packet, median over repeats."""
        values = [1e6 * t[4] / t[2] for t in trials if t[2]]
        return statistics.median(values) if values else None

    rows = {}
    for name in res["configs"]:
        runs = res["prog_run"].get(name, [])
        own = [r["xrelay_ns"] - r["bare_ns"] for r in runs]
        rows[name] = {
            "prog_ns": statistics.median(own) if own else None,
            "cpu_us": {path: cost(by_config.get(name, []))
                       for path, by_config in res["trials"].items()},
            "pps": {path: statistics.median(t[2] / t[3] for t in by_config[name])
                    for path, by_config in res["trials"].items() if by_config.get(name)},
        }

    def ratio(value, base):
        return value / base if value is not None and base else None

    base = rows["none"]
    for row in rows.values():
        row["prog_ratio"] = ratio(row["prog_ns"], base["prog_ns"])
        row["cpu_ratio"] = {path: ratio(v, base["cpu_us"].get(path))
                            for path, v in row["cpu_us"].items()}
    return rows


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def report(raw, prev_raw):
    """Prints the stage's table; @prev_raw is the previous run, for changes."""
    res = raw["policy"]
    rows = summarize(res)
    prev = summarize(prev_raw["policy"]) if prev_raw and "policy" in prev_raw else {}
    paths = list(res["trials"])
    cfg = res["config"]

    def change(now, before):
        return f"{100 * (now - before) / before:+.0f}%" if now and before else ""

    short = {p: p.replace("xrelay-", "") for p in paths}
    print(f"Overlay policy, cost per packet ({cfg['size']}-byte datagrams, medians of "
          f"{cfg['repeats']} repeats), each with its ratio to the policy-free path:")
    print("xrelay's XDP program alone (BPF_PROG_TEST_RUN, minus a bare XDP_TX), and the "
          "relay CPU per forwarded packet with the generator flat out")
    print(f"{'config':<16}{'prog ns':>8}{'ratio':>6}{'chg':>5}" +
          "".join(f"{short[p] + ' us':>10}{'ratio':>6}{'chg':>5}" for p in paths) +
          "".join(f"{short[p] + ' pps':>12}" for p in paths))
    for name, row in rows.items():
        before = prev.get(name, {})
        line = (f"{res['configs'][name]['label']:<16}{fmt(row['prog_ns'], ',.0f'):>8}"
                f"{fmt(row['prog_ratio'], '.2f'):>6}"
                f"{change(row['prog_ratio'], before.get('prog_ratio')):>5}")
        for p in paths:
            line += (f"{fmt(row['cpu_us'].get(p), '.2f'):>10}"
                     f"{fmt(row['cpu_ratio'].get(p), '.2f'):>6}"
                     f"{change(row['cpu_ratio'].get(p), before.get('cpu_ratio', {}).get(p)):>5}")
        line += "".join(f"{fmt(row['pps'].get(p), ',.0f'):>12}" for p in paths)
        print(line)
    big = rows["10000"]
    verdicts = [("XDP program", big["prog_ratio"])] + \
        [(f"{short[p]} path CPU", big["cpu_ratio"].get(p)) for p in paths]
    print(f"target: 10 000 prefixes at most {100 * (cfg['target'] - 1):.0f}% slower "
          f"(ratio <= {cfg['target']:.2f}): " +
          ", ".join(f"{what} {fmt(r, '.2f')} "
                    f"{'-' if r is None else 'met' if r <= cfg['target'] else 'NOT met'}"
                    for what, r in verdicts))
    drops = {net: {k: v for k, v in st.items() if k.startswith("drop_") and v}
             for net, st in res.get("network_stats", {}).items()}
    drops = {net: d for net, d in drops.items() if d}
    if drops:
        print(f"note: the policy dropped packets, the figures are not comparable: {drops}")
