#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""xrelay's benchmark: every relay path on the same topology and traffic.

  bench.py measure RAW_JSON            inside the test VM (bench/run.sh boots
                                       it): measure, write the raw results
  bench.py report RAW_JSON LATEST_JSON on the host: print the table with the
                                       ratios and the changes since
                                       LATEST_JSON, then replace LATEST_JSON

Topology and method: bench/README.md. Two stages: "policy" (policy.py, what
overlay policy costs per packet) and "paths" (every relay path);
BENCH_STAGES=policy or =paths runs only one.
"""
import ctypes
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import policy

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build" / "bench"
XRELAYCTL = REPO / "tools" / "xrelayctl" / "xrelayctl"
WORK = Path("/tmp/xrelay-bench")

NS_A, NS_R, NS_B = "xb-a", "xb-r", "xb-b"
A4, RELAY_A4, B4, RELAY_B4 = "192.0.2.2", "192.0.2.1", "198.51.100.2", "198.51.100.1"
PEER_PORT = 9                           # both clients' port: the discard port
USER_RELAY = "203.0.113.200"            # where socat and coturn listen
GEN_CPU, RELAY_CPU = 0, 1

# Session k of instance i: ports A_PORT+k and B_PORT+k of 203.0.113.(1+i),
# side a pinned to A4:9, side b to B4:9. Traffic comes from B, so it is
# sent to the B ports. 64 addresses x 15625 sessions make a million, all
# below the ephemeral port range.
PER_ADDR = 15625
A_PORT = 1024
B_PORT = A_PORT + PER_ADDR

SIZES = (64, 1400)
# Quicker runs while developing: BENCH_SESSIONS=1,10000 BENCH_REPEATS=1.
SESSION_COUNTS = tuple(int(n) for n in
                       os.environ.get("BENCH_SESSIONS", "1,10000,1000000").split(","))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
TRIAL_SECONDS = 1
SEARCH_STEPS = 4
LOSS_TOLERANCE = 0.001                  # "loss-free": at most 0.1% lost
BURST = 64                              # the generator's largest burst
PROG_RUNS = 20000
BUDGET_SECONDS = int(os.environ.get("BENCH_BUDGET", "960"))       # the paths stage's
STAGES = ("policy", "paths")
RUN_STAGES = tuple(s for s in os.environ.get("BENCH_STAGES", ",".join(STAGES)).split(",") if s)
CREATE_RATE_GUESS = 4000                # sessions/s, until a growth is timed
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---- running things --------------------------------------------------------

LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def child_setup(ns, cpu):
    """Runs in the child before exec: enters network namespace @ns the way
    `ip netns exec` does, minus remounting /sys (half a second of emulated time
    per command), and moves to @cpu."""
    if ns:
        fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
        if LIBC.setns(fd, CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), f"setns into {ns}")
        os.close(fd)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def run(*cmd, ns=None, stdin=None, timeout=300):
    """Runs a command (in namespace @ns), returns its stdout; exits on failure."""
    argv = [str(c) for c in cmd]
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=lambda: child_setup(ns, None))
    if proc.returncode:
        sys.exit(f"bench: {' '.join(argv)} (netns {ns}): exit {proc.returncode}: "
                 f"{proc.stderr.strip()}")
    return proc.stdout


def spawn(*cmd, ns=None, cpu=None, log=None):
    out = open(log, "w") if log else subprocess.DEVNULL
    return subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: child_setup(ns, cpu))


def stop(proc, sig=signal.SIGTERM):
    proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for(what, check, seconds=10):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            sys.exit(f"bench: timed out waiting for {what}")
        time.sleep(0.1)


def rctl(*args):
    return run(XRELAYCTL, *args, ns=NS_R).strip()


def mac_of(ns, dev):
    return json.loads(run("ip", "-j", "-n", ns, "link", "show", dev))[0]["address"]


# ---- the topology ----------------------------------------------------------

class Topology:
    """ns B (sender) -- to_b [relay ns] to_a -- ns A; see README.md."""

    def __init__(self):
        os.sched_setaffinity(0, {GEN_CPU})      # children inherit it
        WORK.mkdir(parents=True, exist_ok=True)
        deps = run("modinfo", "-F", "depends", REPO / "kmod" / "xrelay.ko").strip()
        for module in filter(None, deps.split(",")):
            run("modprobe", module)
        run("insmod", REPO / "kmod" / "xrelay.ko")
        run("modprobe", "-a", "veth", "dummy", "sch_ingress", "cls_matchall", "act_gact")
        # Userspace relays get the socket buffers they ask for.
        run("sysctl", "-qw", "net.core.rmem_max=8388608", "net.core.wmem_max=8388608")
        for ns in (NS_A, NS_R, NS_B):
            run("ip", "netns", "add", ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            # No IPv6 chatter in the interface counters that count packets.
            run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1", ns=ns)
        relay_addrs = [f"addr add 203.0.113.{i + 1}/32 dev relay0"
                       for i in range(math.ceil(SESSION_COUNTS[-1] / PER_ADDR))]
        run("ip", "-n", NS_R, "-batch", "-", stdin="\n".join([
            "link add relay0 type dummy", "link set relay0 up",
            f"addr add {USER_RELAY}/32 dev relay0", *relay_addrs]) + "\n")
        for ns, dev, addr, gw in ((NS_A, "to_a", A4, RELAY_A4), (NS_B, "to_b", B4, RELAY_B4)):
            run("ip", "-n", ns, "link", "add", "veth0", "type", "veth",
                "peer", "name", dev, "netns", NS_R)
            run("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", "veth0")
            run("ip", "-n", ns, "link", "set", "veth0", "up")
            run("ip", "-n", NS_R, "addr", "add", f"{gw}/24", "dev", dev)
            run("ip", "-n", NS_R, "link", "set", dev, "up")
            run("ip", "-n", ns, "route", "add", "default", "via", gw)
            # Static neighbours: no ARP, which the reflector would bounce back.
            run("ip", "-n", NS_R, "neigh", "replace", addr, "lladdr", mac_of(ns, "veth0"),
                "dev", dev, "nud", "permanent")
            run("ip", "-n", ns, "neigh", "replace", gw, "lladdr", mac_of(NS_R, dev),
                "dev", "veth0", "nud", "permanent")
            # GRO gives a veth the NAPI instance it needs to take XDP frames
            # (from the generator, a redirect or XDP_TX) without an XDP program.
            run("ethtool", "-K", "veth0", "gro", "on", ns=ns)
            run("ethtool", "-K", dev, "gro", "on", ns=NS_R)
            run("tc", "qdisc", "add", "dev", "veth0", "clsact", ns=ns)
            self.attach_sink(ns)
        # The relay's receive side runs in a NAPI thread on the relay's CPU.
        # sysfs shows the namespace it was mounted in: ip netns exec mounts it.
        run("ip", "netns", "exec", NS_R, "sh", "-c", "echo 1 > /sys/class/net/to_b/threaded")
        self.pin_napi()
        # One generator serves the whole run (see xdp_gen.c).
        self.generator = subprocess.Popen(
            [BUILD / "xdp_gen", "--dev", "veth0", "--dst-mac", mac_of(NS_R, "to_b"),
             "--from", f"{B4}:{PEER_PORT}", "--prog", BUILD / "gen.bpf.o", "--burst", str(BURST)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            preexec_fn=lambda: child_setup(NS_B, None))
        # Processes whose /proc/PID/net/dev shows A's and B's counters.
        self.holders = {ns: spawn("sleep", "1000000", ns=ns) for ns in (NS_A, NS_B)}
        self.instances = {}
        self.sessions = [0] * math.ceil(SESSION_COUNTS[-1] / PER_ADDR)

    # The receivers drop IPv4 at tc ingress, after the veth counted it, so
    # receiving costs every path the same: a socket buffer, built around
    # the frame for XDP paths, then a drop.
    @staticmethod
    def attach_sink(ns):
        run("tc", "filter", "add", "dev", "veth0", "ingress", "protocol", "ip",
            "matchall", "action", "drop", ns=ns)

    @staticmethod
    def detach_sink(ns):
        run("tc", "filter", "del", "dev", "veth0", "ingress", ns=ns)

    @staticmethod
    def pin_napi():
        threads = [p for p in Path("/proc").iterdir()
                   if p.name.isdigit() and (p / "comm").read_text().startswith("napi/to_b")]
        if not threads:
            sys.exit("bench: no NAPI thread for to_b")
        for proc in threads:
            os.sched_setaffinity(int(proc.name), {RELAY_CPU})

    def generate(self, size, rate, seconds, dest):
        self.generator.stdin.write(f"{size} {rate} {seconds} {dest}\n")
        self.generator.stdin.flush()
        line = self.generator.stdout.readline()
        if not line:
            sys.exit(f"bench: xdp_gen stopped (exit {self.generator.wait()})")
        return json.loads(line)

    def rx_packets(self, ns):
        for line in open(f"/proc/{self.holders[ns].pid}/net/dev"):
            name, _, fields = line.partition(":")
            if name.strip() == "veth0":
                return int(fields.split()[1])
        sys.exit(f"bench: no veth0 in {ns}")

    def grow_sessions(self, total):
        """Adds sessions up to @total; returns how many it added and the seconds
        it took. (Creators in parallel gain nothing: the kernel serialises them.)"""
        added, start = 0, time.monotonic()
        for i in range(math.ceil(total / PER_ADDR)):
            want, have = min(PER_ADDR, total - i * PER_ADDR), self.sessions[i]
            if i not in self.instances:
                self.instances[i] = rctl("instance", "add", "network", "1",
                                         "addr", f"203.0.113.{i + 1}",
                                         "ports", f"{A_PORT}-{B_PORT + PER_ADDR - 1}")
            if want > have:
                out = run(BUILD / "mksessions", self.instances[i], A_PORT + have, B_PORT + have,
                          want - have, f"{A4}:{PEER_PORT}", f"{B4}:{PEER_PORT}", ns=NS_R)
                added += json.loads(out)["created"]
                self.sessions[i] = want
        return added, time.monotonic() - start

    @staticmethod
    def session_dests(total):
        """The B ports of all @total sessions, as xdp_gen and prog_run take them."""
        per_addr = min(total, PER_ADDR)
        return f"203.0.113.1+{math.ceil(total / PER_ADDR)}:{B_PORT}-{B_PORT + per_addr - 1}"


def cpu_busy_ticks(cpu):
    for line in open("/proc/stat"):
        if line.startswith(f"cpu{cpu} "):
            v = [int(x) for x in line.split()[1:9]]
            return sum(v) - v[3] - v[4]        # all but idle and iowait
    sys.exit(f"bench: no cpu{cpu} in /proc/stat")


# ---- the paths -------------------------------------------------------------

class Reflector:
    """xdp-bench tx on the relay's ingress: sends every packet straight back."""
    name, receiver = "reflector", NS_B

    def start(self):
        run("ip", "-n", NS_B, "link", "set", "dev", "veth0", "xdpdrv",
            "obj", BUILD / "pass.bpf.o", "sec", "xdp")
        self.proc = spawn("xdp-bench", "tx", "-p", "swap-macs", "-i", "3600", "to_b",
                          ns=NS_R, log=WORK / "xdp-bench.log")
        wait_for("xdp-bench to attach", lambda: "xdp" in run(
            "ip", "-j", "-n", NS_R, "link", "show", "to_b"))

    def stop(self):
        stop(self.proc, signal.SIGINT)
        run("ip", "-n", NS_B, "link", "set", "dev", "veth0", "xdpdrv", "off")

    def dest(self, sessions):
        return f"203.0.113.1:{B_PORT}"


class XrelayXdp:
    name, receiver = "xrelay-xdp", NS_A

    def start(self):
        rctl("xdp", "attach", "dev", "to_b", "mode", "native")

    def stop(self):
        rctl("xdp", "detach", "dev", "to_b")

    def dest(self, sessions):
        return Topology.session_dests(sessions)


class XrelayModule(XrelayXdp):
    name = "xrelay-module"

    def start(self):
        pass

    def stop(self):
        pass


class Socat:
    """One unidirectional socat: B's datagrams to port 7001 go to A from 7000."""
    name, receiver = "socat", NS_A

    def start(self):
        self.proc = spawn("socat", "-u", f"UDP4-RECV:7001,bind={USER_RELAY},rcvbuf=1048576",
                          f"UDP4-SENDTO:{A4}:{PEER_PORT},bind={USER_RELAY}:7000",
                          ns=NS_R, cpu=RELAY_CPU, log=WORK / "socat.log")
        wait_for("socat to bind", lambda: ":7001" in run("ss", "-Hunl", ns=NS_R))

    def stop(self):
        stop(self.proc)

    def dest(self, sessions):
        return f"{USER_RELAY}:7001"


class Coturn:
    """turnserver with an allocation for A and a channel to B: B's plain
    datagrams to the relayed port reach A as ChannelData (4 bytes more)."""
    name, receiver = "coturn", NS_A

    def start(self):
        self.proc = spawn("turnserver", "-n", "--no-auth", f"--listening-ip={USER_RELAY}",
                          f"--relay-ip={USER_RELAY}", "--listening-port=3478",
                          "--min-port=40000", "--max-port=40099", "--no-tls", "--no-dtls",
                          "--no-tcp", "--no-tcp-relay", "--no-cli", "--simple-log",
                          f"--log-file={WORK}/turnserver.log", f"--pidfile={WORK}/turn.pid",
                          f"--db={WORK}/turndb", ns=NS_R, cpu=RELAY_CPU,
                          log=WORK / "turnserver.out")
        wait_for("turnserver to listen", lambda: ":3478" in run("ss", "-Hunl", ns=NS_R))
        # The sink would drop the server's answers.
        Topology.detach_sink(NS_A)
        self.port = run("/usr/bin/python3", REPO / "bench" / "turn_alloc.py",
                        f"{USER_RELAY}:3478", f"{A4}:3479", f"{B4}:{PEER_PORT}", ns=NS_A).strip()
        Topology.attach_sink(NS_A)

    def stop(self):
        stop(self.proc)

    def dest(self, sessions):
        return f"{USER_RELAY}:{self.port}"


# ---- measuring -------------------------------------------------------------

def settle(topo, ns):
    """Waits until nothing more arrives (relays' queues drained); returns the count."""
    count, stable_since = topo.rx_packets(ns), time.monotonic()
    deadline = stable_since + 5
    while time.monotonic() - stable_since < 0.2 and time.monotonic() < deadline:
        time.sleep(0.1)
        now = topo.rx_packets(ns)
        if now != count:
            count, stable_since = now, time.monotonic()
    return count


def trial(topo, path, size, rate, dest, seconds=TRIAL_SECONDS):
    """One timed run of the generator, the receiver settled before it;
    returns [rate, sent, received, seconds, relay CPU seconds]."""
    rx0, cpu0 = topo.rx_packets(path.receiver), cpu_busy_ticks(RELAY_CPU)
    out = topo.generate(size, rate, seconds, dest)
    rx1, cpu1 = settle(topo, path.receiver), cpu_busy_ticks(RELAY_CPU)
    return [rate, out["sent"], rx1 - rx0, out["seconds"], (cpu1 - cpu0) / CLK_TCK]


def loss_free(t):
    return t[2] >= t[1] * (1 - LOSS_TOLERANCE)


SENDER_TOP = {}     # size -> the generator's best rate so far in this run


def search(topo, path, size, dest):
    """The highest loss-free rate: first as fast as the sender goes, then
    bisection between 0 and the sender's top rate, starting at the rate
    the relay forwarded under that overload."""
    trials = []
    settle(topo, path.receiver)
    for _ in range(3):
        top = trial(topo, path, size, 0, dest)
        trials.append(top)
        sender_pps = top[1] / top[3]
        # Far below its usual rate, the generator was starved (the host did
        # not run the VM): that says nothing about the relay, so try again.
        if sender_pps >= SENDER_TOP.get(size, 0) / 2:
            break
    SENDER_TOP[size] = max(SENDER_TOP.get(size, 0), sender_pps)
    if not loss_free(top):
        low, high, rate = 0, sender_pps, min(top[2] / top[3], sender_pps * 0.95)
        for _ in range(SEARCH_STEPS):
            t = trial(topo, path, size, max(int(rate), 1), dest)
            trials.append(t)
            # A little loss may be one stall of the VM's CPU (veth's ring
            # holds 256 frames): the same rate once more decides.
            if not loss_free(t) and t[2] >= 0.95 * t[1]:
                t = trial(topo, path, size, max(int(rate), 1), dest)
                trials.append(t)
            # A starved sender may fall short of the rate asked for.
            low, high = (rate, high) if loss_free(t) else (low, min(rate, t[1] / t[3]))
            rate = (low + high) / 2
    best = max((t for t in trials if loss_free(t)), key=lambda t: t[2] / t[3], default=None)
    lossfree_pps = best[2] / best[3] if best else 0
    return {
        "lossfree_pps": lossfree_pps,
        "cpu_us": 1e6 * best[4] / best[2] if best and best[2] else None,
        "overload_pps": top[2] / top[3],
        "overload_cpu_us": 1e6 * top[4] / top[2] if top[2] else None,
        "sender_pps": sender_pps,
        # Within 10% of all the generator could send: the relay may do more.
        "sender_limited": lossfree_pps >= 0.9 * sender_pps,
        "trials": trials,
    }


def prog_run(sessions, size):
    out = run(BUILD / "prog_run", "--ingress", "to_b", "--egress", "to_a",
              "--from", f"{B4}:{PEER_PORT}", "--to", Topology.session_dests(sessions),
              "--size", size, "--runs", PROG_RUNS, "--bare", BUILD / "xdp_tx.bpf.o", ns=NS_R)
    return json.loads(out)


def memory_snapshot():
    """Bytes in slab caches, per-CPU areas, vmalloc, and bytes free."""
    snap = {"xrelay_session": 0, "kmalloc": 0, "slab": 0}
    for line in open("/proc/slabinfo").readlines()[2:]:
        f = line.split()
        pages = int(f[5]) * int(f[14])          # pages per slab * slabs
        size = pages * os.sysconf("SC_PAGE_SIZE")
        if f[0] == "xrelay_session":
            snap["xrelay_session"] = size
        elif f[0].startswith("kmalloc"):
            snap["kmalloc"] += size
        snap["slab"] += size
    for line in open("/proc/meminfo"):
        key, value = line.split(":")
        if key in ("Percpu", "VmallocUsed", "MemFree"):
            snap[key.lower()] = int(value.split()[0]) * 1024
    return snap


def measure(raw_path):
    global PROGRESS
    PROGRESS = Path(raw_path).with_name("progress.log")
    start = time.monotonic()
    unknown = set(RUN_STAGES) - set(STAGES)
    if unknown:
        sys.exit(f"bench: unknown stages {sorted(unknown)} in BENCH_STAGES (known: {STAGES})")
    topo = Topology()
    paths_one = [Reflector(), XrelayXdp(), XrelayModule(), Socat(), Coturn()]
    paths_many = [Reflector(), XrelayXdp(), XrelayModule()]
    raw = {"kernel": os.uname().release, "cpus": os.cpu_count(), "complete": False,
           "stages": list(RUN_STAGES),
           "config": {"repeats": REPEATS, "trial_seconds": TRIAL_SECONDS, "burst": BURST,
                      "search_steps": SEARCH_STEPS, "loss_tolerance": LOSS_TOLERANCE,
                      "prog_runs": PROG_RUNS, "budget_seconds": BUDGET_SECONDS},
           "runs": {}, "prog_run": {}, "create": {}, "memory": {}, "notes": []}

    def save():
        raw["seconds"] = time.monotonic() - start
        tmp = Path(raw_path).with_suffix(".tmp")
        tmp.write_text(json.dumps(raw, indent=1) + "\n")
        tmp.rename(raw_path)

    if "policy" in RUN_STAGES:
        policy.measure(sys.modules[__name__], topo, raw, save)
        log("policy stage done")
    # The budget is the paths stage's.
    paths_start = time.monotonic()
    create_rate = CREATE_RATE_GUESS
    for phase, sessions in enumerate(SESSION_COUNTS if "paths" in RUN_STAGES else ()):
        time.sleep(2)           # let deferred frees of earlier traffic finish
        before = memory_snapshot()
        added, seconds = topo.grow_sessions(sessions)
        if added > 1:
            create_rate = added / seconds
            time.sleep(2)       # let the port table finish resizing
            after = memory_snapshot()
            raw["create"][str(sessions)] = {"added": added, "seconds": seconds}
            raw["memory"][str(sessions)] = {
                "added": added, "memfree_drop": before["memfree"] - after["memfree"],
                **{k: after[k] - before[k] for k in after if k != "memfree"}}
        log(f"{sessions} sessions ({added} added in {seconds:.1f} s)")
        for size in SIZES:
            raw["prog_run"][f"{sessions}/{size}"] = prog_run(sessions, size)
        log("BPF_PROG_TEST_RUN timed")

        # The reflector is measured in every phase: it does not depend on
        # sessions, so it shows how fast the host let the VM run meanwhile.
        paths = paths_one if sessions == 1 else paths_many
        for repeat in range(REPEATS):
            if repeat and not time_for_repeat(paths_start, phase, last_repeat, len(paths),
                                              create_rate, len(paths_many)):
                raw["notes"].append(f"{sessions} sessions: {repeat} repeats, the time "
                                    "budget allowed no more")
                break
            repeat_start = time.monotonic()
            # Alternate: each repeat visits the paths in the other order.
            for path in (paths if repeat % 2 == 0 else paths[::-1]):
                path.start()
                topo.pin_napi()
                for size in SIZES:
                    result = search(topo, path, size, path.dest(sessions))
                    raw["runs"].setdefault(f"{path.name}/{size}/{sessions}", []).append(result)
                    save()
                    log(f"  {path.name} {size} B: loss-free {result['lossfree_pps']:.0f} pps, "
                        f"overload {result['overload_pps']:.0f} pps")
                path.stop()
            last_repeat = time.monotonic() - repeat_start

    if "paths" in RUN_STAGES:
        raw["xrelay_stats"] = json.loads(rctl("-j", "stats"))["stats"]
    dmesg = run("dmesg")
    raw["kernel_warnings"] = sum(("WARNING:" in l or "BUG:" in l) for l in dmesg.splitlines())
    raw["complete"] = True
    save()


def time_for_repeat(start, phase, last_repeat, paths, create_rate, later_paths):
    """Whether another repeat of @phase (its last took @last_repeat seconds
    for @paths paths) fits in the budget, leaving time to create the later
    phases' sessions (at two thirds of the rate seen so far: creating slows
    down as the table grows) and to measure each later phase once."""
    later = len(SESSION_COUNTS) - phase - 1
    creating = 1.5 * (SESSION_COUNTS[-1] - SESSION_COUNTS[phase]) / create_rate
    needed = last_repeat * (1 + later * later_paths / paths) + creating
    return time.monotonic() - start + needed <= BUDGET_SECONDS


PROGRESS = None     # a file run.sh follows: the VM's console is block-buffered
STARTED = time.monotonic()


def log(text):
    line = f"# {time.monotonic() - STARTED:4.0f}s {text}"
    print(line, flush=True)
    if PROGRESS:
        with open(PROGRESS, "a") as f:
            f.write(line + "\n")


# ---- reporting -------------------------------------------------------------

TARGETS = [
    # name, numerator, denominator: (path, sessions; "most": the largest
    # count measured; "userspace": the best userspace relay), target
    ("xrelay XDP / reflector", ("xrelay-xdp", 1), ("reflector", 1), 0.7),
    ("xrelay XDP / best userspace", ("xrelay-xdp", 1), ("userspace", 1), 5.0),
    ("module path / best userspace", ("xrelay-module", 1), ("userspace", 1), 3.0),
    ("XDP, most sessions / 1 session", ("xrelay-xdp", "most"), ("xrelay-xdp", 1), 0.9),
    ("module, most sessions / 1 session", ("xrelay-module", "most"), ("xrelay-module", 1), None),
]
USERSPACE = ("socat", "coturn")


def median_of(runs, key):
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values) if values else None


def summarize(raw):
    rows = {}
    for key, runs in raw["runs"].items():
        rows[key] = {k: median_of(runs, k) for k in
                     ("lossfree_pps", "cpu_us", "overload_pps", "overload_cpu_us", "sender_pps")}
        rows[key]["sender_limited"] = sum(r["sender_limited"] for r in runs)
        rows[key]["repeats"] = len(runs)
    most = max(int(key.split("/")[2]) for key in rows)

    def row(path, sessions, size):
        sessions = most if sessions == "most" else sessions
        if path == "userspace":
            path = max(USERSPACE, key=lambda p: rows.get(f"{p}/{size}/1", {})
                       .get("lossfree_pps") or 0)
        return path, sessions, rows.get(f"{path}/{size}/{sessions}")

    def pps(r):
        return r and r["lossfree_pps"] or None

    def pps_by_cpu(r):
        """Packets per second of the relay's CPU."""
        return r and r["cpu_us"] and 1e6 / r["cpu_us"] or None

    def ratio(measure, n, d, control):
        if not measure(n) or not measure(d):
            return None
        value = measure(n) / measure(d)
        if control:
            if not measure(control[0]) or not measure(control[1]):
                return None
            value /= measure(control[0]) / measure(control[1])
        return value

    ratios = {}
    for name, num, den, target in TARGETS:
        for size in SIZES:
            _, n_sessions, n = row(*num, size)
            versus, d_sessions, d = row(*den, size)
            # Across phases, relative to the reflector of each phase: it
            # does not depend on sessions, so it shows how fast the host
            # let the VM run in each.
            control = None
            if n_sessions != d_sessions:
                control = (rows.get(f"reflector/{size}/{n_sessions}"),
                           rows.get(f"reflector/{size}/{d_sessions}"))
            # A relay the generator could not saturate did more than its
            # loss-free rate says; then only its cost compares it fairly.
            limited = any(r and 2 * r["sender_limited"] > r["repeats"] for r in (n, d))
            ratios[f"{name}/{size}"] = {
                "ratio": ratio(pps, n, d, control), "cpu_ratio": ratio(pps_by_cpu, n, d, control),
                "by": "cpu" if limited else "pps", "versus": versus, "target": target,
                "controlled": bool(control)}
    return {"rows": rows, "ratios": ratios, "most": most}


def change(now, before):
    if now is None or not before:
        return ""
    return f"{100 * (now - before) / before:+.0f}%"


def fmt(value, spec=",.0f"):
    return "-" if value is None else format(value, spec)


def report(raw_path, latest_path):
    raw = json.loads(Path(raw_path).read_text())
    latest = Path(latest_path)
    prev_raw = json.loads(latest.read_text()) if latest.exists() else None

    print(f"xrelay benchmark: kernel {raw['kernel']}, {raw['cpus']} vCPUs under TCG; "
          f"generator on CPU {GEN_CPU}, relay on CPU {RELAY_CPU}; "
          f"'chg' compares with the previous run")
    if "policy" in raw:
        print()
        policy.report(raw, prev_raw)
    if raw["runs"]:
        print()
        raw["summary"] = report_paths(raw, (prev_raw or {}).get("summary"))

    for note in raw["notes"]:
        print(f"note: {note}")
    if not raw["complete"]:
        print("note: INCOMPLETE: the VM run stopped early; these are the figures it saved")
    if raw.get("kernel_warnings"):
        print(f"note: the kernel log has {raw['kernel_warnings']} WARNING/BUG lines")
    if "xrelay_stats" in raw:
        print(f"xrelay's counters: {raw['xrelay_stats']['packets']:,} packets forwarded, "
              f"{raw['xrelay_stats']['packets_xdp']:,} of them in XDP")
    raw["host"] = {"cpus": os.cpu_count(), "loadavg": Path("/proc/loadavg").read_text().split()[:3]}
    print(f"measured in {raw['seconds'] / 60:.1f} min; host load average now (1, 5, 15 min): "
          f"{' '.join(raw['host']['loadavg'])} on {raw['host']['cpus']} CPUs, of which the VM "
          "itself makes about 2: more means the figures are noisier")

    # Only a complete run of every stage replaces the reference.
    if raw["complete"] and set(raw.get("stages", STAGES)) == set(STAGES):
        latest.parent.mkdir(parents=True, exist_ok=True)
        latest.write_text(json.dumps(raw, indent=1) + "\n")
    else:
        print(f"note: {latest} keeps the previous complete run of every stage")


def report_paths(raw, prev):
    """The paths stage's tables; returns their summary."""
    summary = summarize(raw)
    prev_rows = prev["rows"] if prev else {}
    prev_ratios = prev["ratios"] if prev else {}

    print(f"Relay paths: medians of up to {raw['config']['repeats']} repeats, "
          f"loss-free = at most {100 * raw['config']['loss_tolerance']:g}% lost")
    print()
    print(f"{'path':<14}{'size':>5}{'sessions':>10}{'loss-free pps':>15}{'chg':>6}"
          f"{'relay CPU us/pkt':>18}{'chg':>6}{'overload pps':>14}{'sender pps':>12}  note")
    for key, row in summary["rows"].items():
        path, size, sessions = key.split("/")
        before = prev_rows.get(key, {})
        note = []
        if row["sender_limited"]:
            note.append(f"sender-limited in {row['sender_limited']}/{row['repeats']}")
        if path == "coturn":
            note.append("out: ChannelData, +4 B")
        pps, cpu = row["lossfree_pps"], row["cpu_us"]
        print(f"{path:<14}{size:>5}{'-' if path in USERSPACE else sessions:>10}"
              f"{fmt(pps):>15}{change(pps, before.get('lossfree_pps')):>6}"
              f"{fmt(cpu, '.1f'):>18}{change(cpu, before.get('cpu_us')):>6}"
              f"{fmt(row['overload_pps']):>14}{fmt(row['sender_pps']):>12}  {', '.join(note)}")

    print()
    print(f"BPF_PROG_TEST_RUN, ns/packet (median of {raw['config']['prog_runs']} single runs; "
          "forwarded = XDP_REDIRECT verdicts)")
    print(f"{'sessions':>10}{'size':>6}{'xrelay':>9}{'bare XDP_TX':>13}{'difference':>12}"
          f"{'bare, repeat':>14}{'forwarded':>11}")
    for key, pr in raw["prog_run"].items():
        sessions, size = key.split("/")
        print(f"{sessions:>10}{size:>6}{pr['xrelay_ns']:>9}{pr['bare_ns']:>13}"
              f"{pr['xrelay_ns'] - pr['bare_ns']:>12}{pr['bare_repeat_ns']:>14}"
              f"{pr['xrelay_forwarded']:>7}/{pr['runs']}")

    print()
    for sessions, c in raw["create"].items():
        print(f"creating sessions: {c['added']:,} more (to {int(sessions):,}) in "
              f"{c['seconds']:.1f} s, {c['added'] / c['seconds']:,.0f}/s "
              f"(one netlink socket, one request at a time)")
    for sessions, m in raw["memory"].items():
        n = m["added"]
        print(f"memory per session (+{n:,} to {int(sessions):,}): "
              f"xrelay_session slab {m['xrelay_session'] / n:.0f} B, "
              f"kmalloc {m['kmalloc'] / n:.0f} B, all slab {m['slab'] / n:.0f} B, "
              f"per-CPU {m['percpu'] / n:.0f} B, vmalloc {m['vmallocused'] / n:.0f} B; "
              f"all memory (MemFree drop) {m['memfree_drop'] / n:.0f} B")

    print()
    print(f"{'ratio (loss-free pps; by relay CPU/pkt)':<46}{'size':>5}{'ratio':>8}{'by CPU':>8}"
          f"{'chg':>6}{'target':>8}  verdict")
    for key, r in summary["ratios"].items():
        name, size = key.rsplit("/", 1)
        label = name.replace("best userspace", f"best userspace ({r['versus']})")
        label = label.replace("most sessions", f"{summary['most']:,} sessions")
        if r["controlled"]:
            label += " *"
        judged = r["cpu_ratio"] if r["by"] == "cpu" else r["ratio"]
        if r["target"] is None:
            verdict = ""
        elif judged is None:
            verdict = "not measured"
        else:
            verdict = "met" if judged >= r["target"] else "NOT met"
            if r["by"] == "cpu":
                verdict += " (by CPU: sender-limited)"
        print(f"{label:<46}{size:>5}{fmt(r['ratio'], '.2f'):>8}{fmt(r['cpu_ratio'], '.2f'):>8}"
              f"{change(r['ratio'], (prev_ratios.get(key) or {}).get('ratio')):>6}"
              f"{fmt(r['target'], '.1f') if r['target'] else '':>8}  {verdict}")
    print("* relative to the reflector measured at each session count, which shows how fast "
          "the host let the VM run then")
    return summary


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "measure":
        measure(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
