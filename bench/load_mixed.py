#!/usr/bin/python3
"""Spans and scrapes at once (issue 17): scrape latency of vitals' /metrics (one scrape per
--interval, as Prometheus does) while idle, then while OTLP/HTTP senders offer --rate spans/s
(80% of the saturation bench/load_spans.py measured), then idle again. The issue's bar: the
scrape latency under span load stays within 2x its idle value (collection and ingestion must not
starve each other). Prints a markdown table; --plot writes the latencies over time.

usage: bench/load_mixed.py [--rate 1170000] [--senders 4] [--spans 1000] [--seconds 15]
                           [--interval 1] [--vitals build/vitals] [--plot docs/img/load_mixed.png]
                           [--burn] [--agent-cpu 0 --load-cpu 1] [--memory-map]
--burn is the control: the same number of processes spin on the CPU in the middle phase instead
of sending spans, to tell the machine's CPU contention from starvation inside vitals.
--agent-cpu/--load-cpu pin the agent and the load (senders or burners) to separate CPUs
(sched_setaffinity, as taskset), so that only starvation inside the agent slows the scrapes;
this script's scrapes (one a second, mostly waiting) run on the agent's CPU, not behind the
load. The agent's memory (VmRSS, RssAnon, USS) is printed after each phase;
--memory-map prints bench/memory_map.py's split of its anonymous memory at the end.
--loadgen BIN sends the spans with build/bench/apm_loadgen's paced mode (--senders retrying
exporters of --spans-span requests) instead of the Python senders, which cannot offer the rate
from one CPU; with --saturate it first measures the saturation closed loop in the same set-up
(the agent on --agent-cpu, the generator on --load-cpu) and offers --fraction (0.8) of it."""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import subprocess
import sys
import threading
import time

from load_scrapes import cpu_seconds, free_port, wait_ready
from load_spans import make_requests, rss_mb, sender


def scrape_ms(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    t0 = time.perf_counter()
    c.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 200, r.status
    return (time.perf_counter() - t0) * 1000


def phase(port, seconds, interval, t_start, points, label):
    lat = []
    end = time.monotonic() + seconds
    nxt = time.monotonic()
    while time.monotonic() < end:
        ms = scrape_ms(port)
        lat.append(ms)
        points.append((time.monotonic() - t_start, ms, label))
        nxt += interval
        time.sleep(max(0, nxt - time.monotonic()))
    return sorted(lat)


def burn(k, n, port, reqs, spans, rate, secs, barrier, out):
    """--burn: the control; a process spinning on the CPU instead of sending spans."""
    barrier.wait()
    end = time.monotonic() + secs
    while time.monotonic() < end:
        pass
    out.put(([], {}))


def memory_mb(pid):
    """VmRSS, RssAnon and USS (Private_Clean + Private_Dirty of smaps_rollup) in MB."""
    vals = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                vals[k] = int(v.split()[0]) / 1024
    uss = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Private_Clean", "Private_Dirty"):
                uss += int(v.split()[0])
    return vals.get("VmRSS", 0.0), vals.get("RssAnon", 0.0), uss / 1024


def pinned(cpu, target, *args):
    """A sender or burner process, on `cpu` when given."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    target(*args)


def q(lat, p):
    return lat[min(len(lat) - 1, int(p * len(lat)))]


def sender_phase(a, pid, otlp, reqs, port, t_start, points):
    """The middle phase with the Python senders (or --burn's spinners)."""
    ctx = mp.get_context("fork")
    out, barrier = ctx.Queue(), ctx.Barrier(a.senders + 1)
    target = burn if a.burn else sender
    procs = [ctx.Process(target=pinned, args=(a.load_cpu, target, k, a.senders, otlp, reqs,
                                              a.spans, a.rate / a.senders, a.seconds,
                                              barrier, out))
             for k in range(a.senders)]
    for p in procs:
        p.start()
    barrier.wait()
    c0 = cpu_seconds(pid)
    loaded = phase(port, a.seconds, a.interval, t_start, points, "spans")
    statuses = {}
    for _ in procs:
        _, s = out.get()
        for k, v in s.items():
            statuses[k] = statuses.get(k, 0) + v
    cpu = (cpu_seconds(pid) - c0) / a.seconds
    for p in procs:
        p.join()
    return loaded, (statuses, cpu)


def load_pin(a):
    """preexec_fn that puts the generator on --load-cpu (None when not pinned)."""
    return (lambda: os.sched_setaffinity(0, {a.load_cpu})) if a.load_cpu is not None else None


def saturate(a, pid, otlp):
    """--saturate: the closed-loop saturation with the same connections and pinning; sets
    a.rate to --fraction of it. Run before the idle phase, so that the span series exist in
    every phase and the scrapes compared are the same size."""
    pin = load_pin(a)
    res = subprocess.run([a.loadgen, "--port", str(otlp), "--pid", str(pid), "--connections",
                          str(a.senders), "--seconds", "8", "--spans", str(a.spans)],
                         capture_output=True, text=True, check=True, preexec_fn=pin)
    sat = float(res.stdout.split(" spans/s")[0].split()[-1])
    a.rate = int(sat * a.fraction)
    print(f"saturation (closed loop, {a.senders} connections, same pinning): {sat:.0f} "
          f"spans/s; offering {a.fraction:g} of it: {a.rate}", file=sys.stderr)
    return sat


def loadgen_phase(a, pid, otlp, port, t_start, points):
    """The middle phase with apm_loadgen's paced mode."""
    pin = load_pin(a)
    c0 = cpu_seconds(pid)
    gen = subprocess.Popen([a.loadgen, "--port", str(otlp), "--connections", str(a.senders),
                            "--spans", str(a.spans), "--rate", str(a.rate), "--seconds",
                            str(a.seconds), "--drain", "10"],
                           stdout=subprocess.PIPE, text=True, preexec_fn=pin)
    for line in gen.stdout:  # "requests: ..." first
        if line.startswith('{"start"'):
            break
    loaded = phase(port, a.seconds, a.interval, t_start, points, "spans")
    cpu = (cpu_seconds(pid) - c0) / a.seconds
    lines = [json.loads(x) for x in gen.stdout if x.startswith("{")]
    gen.wait()
    ph = next(x for x in lines if "phase" in x)
    return loaded, ({200: ph["accepted_spans"] // a.spans, 429: ph["refused"]}, cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=1170000)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--spans", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--vitals", default="build/vitals")
    ap.add_argument("--burn", action="store_true",
                    help="control run: the senders spin on the CPU instead of sending spans")
    ap.add_argument("--plot")
    ap.add_argument("--agent-cpu", type=int, help="pin the agent to this CPU")
    ap.add_argument("--load-cpu", type=int,
                    help="pin the senders/burners and the scrapes to this CPU")
    ap.add_argument("--memory-map", action="store_true",
                    help="print bench/memory_map.py's split of the agent's anonymous memory")
    ap.add_argument("--vitals-arg", action="append", default=[],
                    help="one more argument for the agent (repeatable)")
    ap.add_argument("--loadgen", help="build/bench/apm_loadgen: send with it (paced)")
    ap.add_argument("--saturate", action="store_true",
                    help="with --loadgen: measure the saturation first, offer --fraction of it")
    ap.add_argument("--fraction", type=float, default=0.8)
    a = ap.parse_args()
    if a.agent_cpu is not None:
        os.sched_setaffinity(0, {a.agent_cpu})  # the scrapes; the agent inherits it

    reqs = make_requests(a.spans)
    port, otlp = free_port(), free_port()
    agent = subprocess.Popen(
        [a.vitals, f"--web.listen-address=127.0.0.1:{port}",
         f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.zipkin.listen-address=",
         "--apm.otlp.grpc-listen-address=", "--log.level=warn"] + a.vitals_arg,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mem = []
    points, rows = [], []
    try:
        wait_ready(port, agent, "/-/ready")
        if a.loadgen and a.saturate:
            saturate(a, agent.pid, otlp)
            time.sleep(3)  # the agent settles after the closed-loop burst
        scrape_ms(port)  # warm-up
        t_start = time.monotonic()
        idle = phase(port, a.seconds, a.interval, t_start, points, "idle")
        rows.append(("idle", idle, None))
        mem.append(("idle", memory_mb(agent.pid)))

        if a.loadgen:
            loaded, extra = loadgen_phase(a, agent.pid, otlp, port, t_start, points)
        else:
            loaded, extra = sender_phase(a, agent.pid, otlp, reqs, port, t_start, points)
        rows.append(("spans", loaded, extra))
        mem.append(("spans" if not a.burn else "CPU burners", memory_mb(agent.pid)))
        after = phase(port, a.seconds, a.interval, t_start, points, "idle again")
        rows.append(("idle again", after, None))
        rss = rss_mb(agent.pid)
        mem.append(("idle again", memory_mb(agent.pid)))
        if a.memory_map:
            here = os.path.dirname(os.path.abspath(__file__))
            mm = subprocess.run([sys.executable, os.path.join(here, "memory_map.py"),
                                 str(agent.pid)], capture_output=True, text=True)
            memory_map = mm.stdout
    finally:
        agent.terminate()
        agent.wait()

    print("| phase | scrapes | scrape p50 ms | scrape max ms | spans/s accepted | refused requests | agent CPU cores |")
    print("|---|---|---|---|---|---|---|")
    for name, lat, extra in rows:
        acc = ref = cpu = ""
        if extra:
            st, c = extra
            acc = f"{st.get(200, 0) * a.spans / a.seconds:.0f}"
            ref = str(st.get(429, 0) + st.get(503, 0))
            cpu = f"{c:.2f}"
        print(f"| {name} | {len(lat)} | {q(lat, 0.5):.1f} | {lat[-1]:.1f} | {acc} | {ref} | {cpu} |")
    ratio = q(rows[1][1], 0.5) / q(rows[0][1], 0.5)
    print(f"\nscrape p50 under span load / idle: {ratio:.2f} (bar: <= 2); RSS at the end {rss:.1f} MB")
    print("\n| after phase | VmRSS MB | RssAnon MB | USS MB |\n|---|---|---|---|")
    for name, (r, an, u) in mem:
        print(f"| {name} | {r:.1f} | {an:.1f} | {u:.1f} |")
    if a.memory_map:
        print("\n" + memory_map)
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 3.6))
        for label in ("idle", "spans", "idle again"):
            pts = [(t, ms) for t, ms, lab in points if lab == label]
            ax.plot([t for t, _ in pts], [ms for _, ms in pts], marker="o", linestyle="",
                    label=label if label != "spans" else
                    ("CPU burners" if a.burn else f"spans offered at {a.rate}/s"))
        ax.set_xlabel("s")
        ax.set_ylabel("scrape latency ms")
        ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.suptitle("Scrapes every second, idle / under span load / idle (loaded 2-core VM)",
                     fontsize=10)
        fig.tight_layout()
        fig.savefig(a.plot, dpi=90)


if __name__ == "__main__":
    main()
