#!/usr/bin/python3
"""Scrape load and saturation (issue 17): 1, 2, 4 ... 64 concurrent scrapers against /metrics of
vitals (its defaults) and of node_exporter 1.5.0 (upstream defaults), in the same run, step by
step alternating between the two. Each scraper is a process with one keep-alive connection from
its own loopback address (127.0.1.N: distinct scrapers are distinct hosts, so vitals'
--web.max-connections-per-source=8 does not refuse them), sending `Accept-Encoding: gzip` as
Prometheus does and scraping back to back for --step seconds.

Per step: throughput (scrapes/s), p50/p99 latency, the exporter's CPU (utime+stime from
/proc/PID/stat over the step, in cores and in ms per scrape), failed scrapes. The saturation
point is the first step whose throughput is within 5% of the highest of the run (beyond it
throughput stops rising by more than 5% and latency only grows). Writes a markdown table
to stdout (and --table FILE) and a PNG plot (--plot FILE; python3-matplotlib).

usage: bench/load_scrapes.py [--step 3] [--max 64] [--vitals build/vitals]
                             [--node-exporter /usr/bin/prometheus-node-exporter]
                             [--plot docs/img/load_scrapes.png] [--table FILE]"""

import argparse
import http.client
import multiprocessing as mp
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scrape_cost import cpu_seconds, free_port  # noqa: E402  (one copy of the /proc helpers)

NE_UPSTREAM = ["--no-collector.systemd",
               "--collector.filesystem.mount-points-exclude=^/(dev|proc|run/credentials/.+|sys|"
               "var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"]


def wait_ready(port, proc, path):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"exporter exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"exporter on port {port} not ready")


def scraper(idx, port, barrier, secs, out):
    """One scraper: back-to-back scrapes over one keep-alive connection for `secs`."""
    src = (f"127.0.1.{idx + 1}", 0)
    lat, failed, conn = [], 0, None
    barrier.wait()
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=src)
        t0 = time.perf_counter()
        try:
            conn.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                lat.append(time.perf_counter() - t0)
            else:
                failed += 1
        except OSError:
            failed += 1
            conn.close()
            conn = None
    out.put((lat, failed))


def step(pid, port, n, secs):
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    barrier = ctx.Barrier(n + 1)  # every scraper forked and connected-ready before the clock runs
    procs = [ctx.Process(target=scraper, args=(i, port, barrier, secs, out)) for i in range(n)]
    for p in procs:
        p.start()
    barrier.wait()
    c0 = cpu_seconds(pid)
    lat, failed = [], 0
    for _ in procs:
        l, f = out.get()
        lat += l
        failed += f
    c1 = cpu_seconds(pid)
    for p in procs:
        p.join()
    lat.sort()

    def q(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    return {"n": n, "rate": len(lat) / secs, "p50": q(0.5), "p99": q(0.99),
            "cpu": (c1 - c0) / secs, "cpu_ms": (c1 - c0) * 1000 / max(1, len(lat)),
            "failed": failed, "scrapes": len(lat)}


def saturation(rows):
    """Index of the first step within 5% of the run's highest throughput."""
    peak = max(r["rate"] for r in rows)
    return next(i for i, r in enumerate(rows) if r["rate"] >= peak * 0.95)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--step", type=float, default=3.0)
    ap.add_argument("--max", type=int, default=64)
    ap.add_argument("--vitals", default="build/vitals")
    ap.add_argument("--node-exporter", default="/usr/bin/prometheus-node-exporter")
    ap.add_argument("--plot")
    ap.add_argument("--table")
    a = ap.parse_args()

    targets = []
    vp, np_ = free_port(), free_port()
    targets.append(("vitals", subprocess.Popen(
        [a.vitals, f"--web.listen-address=127.0.0.1:{vp}", "--apm.otlp.listen-address=",
         "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), vp))
    if a.node_exporter:
        targets.append(("node_exporter 1.5.0", subprocess.Popen(
            [a.node_exporter, f"--web.listen-address=127.0.0.1:{np_}", "--log.level=warn",
             *NE_UPSTREAM], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), np_))
    results = {name: [] for name, _, _ in targets}
    try:
        for _, p, port in targets:
            wait_ready(port, p, "/metrics")
        n = 1
        while n <= a.max:
            for name, p, port in targets:
                r = step(p.pid, port, n, a.step)
                results[name].append(r)
                print(f"{name:20} {n:3} scrapers: {r['rate']:7.1f}/s p50 {r['p50']:7.1f} ms "
                      f"p99 {r['p99']:7.1f} ms cpu {r['cpu']:.2f} cores "
                      f"({r['cpu_ms']:.1f} ms/scrape) failed {r['failed']}", file=sys.stderr)
            n *= 2
    finally:
        for _, p, _ in targets:
            p.terminate()
            p.wait()

    lines = ["| exporter | scrapers | scrapes/s | p50 ms | p99 ms | CPU cores | CPU ms/scrape | failed |",
             "|---|---|---|---|---|---|---|---|"]
    sat = {}
    for name, rows in results.items():
        sat[name] = saturation(rows)
        for i, r in enumerate(rows):
            mark = " **(saturation)**" if i == sat[name] else ""
            lines.append(f"| {name} | {r['n']}{mark} | {r['rate']:.1f} | {r['p50']:.1f} | "
                         f"{r['p99']:.1f} | {r['cpu']:.2f} | {r['cpu_ms']:.1f} | {r['failed']} |")
    table = "\n".join(lines) + "\n"
    print(table)
    for name, rows in results.items():
        r = rows[sat[name]]
        print(f"saturation {name}: {r['n']} scrapers, {r['rate']:.1f} scrapes/s, "
              f"p99 {r['p99']:.1f} ms")
    if a.table:
        with open(a.table, "w") as f:
            f.write(table)
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
        for name, rows in results.items():
            xs = [r["n"] for r in rows]
            line, = ax1.plot(xs, [r["rate"] for r in rows], marker="o", label=name)
            s = rows[sat[name]]
            ax1.axvline(s["n"], color=line.get_color(), linestyle=":", alpha=0.7)
            ax1.annotate("saturation", (s["n"], s["rate"]), textcoords="offset points",
                         xytext=(5, 5), color=line.get_color(), fontsize=8)
            ax2.plot(xs, [r["p50"] for r in rows], marker="o", color=line.get_color(),
                     label=f"{name} p50")
            ax2.plot(xs, [r["p99"] for r in rows], marker="x", linestyle="--",
                     color=line.get_color(), label=f"{name} p99")
            ax2.axvline(s["n"], color=line.get_color(), linestyle=":", alpha=0.7)
        for ax in (ax1, ax2):
            ax.set_xscale("log", base=2)
            ax.set_xlabel("concurrent scrapers (keep-alive)")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        ax1.set_ylabel("scrapes/s")
        ax2.set_ylabel("latency ms")
        ax2.set_yscale("log")
        fig.suptitle("Scrape load, 2-core VM shared with other builds (loaded)", fontsize=10)
        fig.tight_layout()
        fig.savefig(a.plot, dpi=90)


if __name__ == "__main__":
    main()
