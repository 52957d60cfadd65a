#!/usr/bin/env python3
"""Scrape cost of an exporter: CPU time per scrape (utime+stime of the exporter process over the
run, from /proc/PID/stat), median and p99 latency, memory after the run, series count.

Memory is given three ways: RSS (VmRSS: every resident page, including clean file pages of code
that the kernel can drop and fault back at will), anon (RssAnon from /proc/PID/status: heap,
stacks, copied-on-write data: what only this process can hold) and USS (Private_Clean +
Private_Dirty from /proc/PID/smaps_rollup: the pages no other process shares, i.e. what the
machine gets back when the process ends).

usage: bench/scrape_cost.py [--scrapes N] [--vitals BIN] [--node-exporter BIN] [--compare BIN]
                            [--spans SECONDS] [--plain] [--openmetrics] [-- extra vitals flags]
With --node-exporter, both run side by side (same collector set flags are the caller's job) and
are scraped alternately, and the ratio vitals / node_exporter is printed.

With --compare and --node-exporter, a second vitals build runs with the same flags and the
scrapes go vitals, node_exporter, the other build, node_exporter: each build is scraped with its
caches as cold as node_exporter leaves them, as in the comparison, and the ratio of the two builds
is printed. An A/B of two builds scraped only alternately with each other measures them warm
(~30% cheaper on this VM), which weighs their differences wrongly. Without --node-exporter the
two builds are scraped alternately (for costs that do not hang on kernel caches, such as APM).

With --spans, each vitals gets an OTLP/HTTP receiver and SECONDS of spans from
build/bench/apm_loadgen before the scrapes (20 services x 50 operations: ~2,000 duration
histograms). Scrapes ask for gzip unless --plain; --openmetrics sends Prometheus 2.42's Accept
header (OpenMetrics first) instead of none (text)."""

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time

CLK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK


def memory_bytes(pid):
    """(RSS, anonymous, private) bytes of a process."""
    m = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                m[k] = int(v.split()[0]) * 1024
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Private_Clean", "Private_Dirty"):
                m["USS"] = m.get("USS", 0) + int(v.split()[0]) * 1024
    return m["VmRSS"], m["RssAnon"], m["USS"]


PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


class Target:
    headers = {"Accept-Encoding": "gzip"}

    def __init__(self, name, argv, port):
        self.name, self.port = name, port
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.scrape()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit(f"{name} did not start")
                time.sleep(0.05)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.lat = []

    def scrape(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", "/metrics")
        body = c.getresponse().read()
        c.close()
        return body

    def timed_scrape(self):
        t0 = time.perf_counter()
        self.conn.request("GET", "/metrics", headers=self.headers)
        r = self.conn.getresponse()
        r.read()
        self.lat.append(time.perf_counter() - t0)

    def series(self):
        return sum(1 for l in self.scrape().decode().splitlines() if l and not l.startswith("#"))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scrapes", type=int, default=200)
    ap.add_argument("--vitals", default="build/vitals")
    ap.add_argument("--node-exporter", default=None)
    ap.add_argument("--ne-args", default="", help="extra node_exporter flags (space separated)")
    ap.add_argument("--compare", default=None, help="a second vitals build, run with the same flags")
    ap.add_argument("--spans", type=float, default=0,
                    help="seconds of OTLP spans from build/bench/apm_loadgen into each vitals first")
    ap.add_argument("--plain", action="store_true", help="scrape without gzip")
    ap.add_argument("--openmetrics", action="store_true", help="Prometheus 2.42's Accept header")
    ap.add_argument("extra", nargs="*", help="extra vitals flags")
    a = ap.parse_args()
    Target.headers = {} if a.plain else {"Accept-Encoding": "gzip"}
    if a.openmetrics:
        Target.headers["Accept"] = PROMETHEUS_ACCEPT

    def start_vitals(name, binary):
        p = free_port()
        argv = [binary, f"--web.listen-address=127.0.0.1:{p}"] + a.extra
        otlp = free_port() if a.spans else None
        if otlp:
            argv.append(f"--apm.otlp.listen-address=127.0.0.1:{otlp}")
        t = Target(name, argv, p)
        if otlp:
            loadgen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build",
                                   "bench", "apm_loadgen")
            subprocess.run([loadgen, "--port", str(otlp), "--pid", str(t.proc.pid),
                            "--connections", "2", "--seconds", str(a.spans)],
                           stdout=subprocess.DEVNULL, check=True)
        return t

    targets = [start_vitals("vitals", a.vitals)]
    if a.node_exporter:
        p = free_port()
        targets.append(Target("node_exporter", [a.node_exporter, f"--web.listen-address=127.0.0.1:{p}"]
                              + a.ne_args.split(), p))
    order = targets
    if a.compare:
        targets.append(start_vitals("vitals (compare)", a.compare))
        if a.node_exporter:
            order = [targets[0], targets[1], targets[2], targets[1]]
    for t in targets:  # warm up
        for _ in range(5):
            t.timed_scrape()
        t.lat.clear()
    for t in targets:
        t.cpu0 = cpu_seconds(t.proc.pid)
        t.n = 0
    for _ in range(a.scrapes):
        for t in order:
            t.timed_scrape()
            t.n += 1
    rows = []
    for t in targets:
        cpu = (cpu_seconds(t.proc.pid) - t.cpu0) / t.n
        lat = sorted(t.lat)
        rows.append((t.name, cpu * 1e3, statistics.median(lat) * 1e3,
                     lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
                     *(b / 1e6 for b in memory_bytes(t.proc.pid)), t.series()))
    for t in targets:
        t.stop()
    print(f"{'exporter':<17}{'CPU ms/scrape':>13}{'median ms':>12}{'p99 ms':>10}{'RSS MB':>9}"
          f"{'anon MB':>9}{'USS MB':>9}{'series':>8}")
    for r in rows:
        print(f"{r[0]:<17}{r[1]:>13.3f}{r[2]:>12.3f}{r[3]:>10.3f}{r[4]:>9.2f}{r[5]:>9.2f}{r[6]:>9.2f}"
              f"{r[7]:>8}")
    cols = ((1, 13), (2, 12), (3, 10), (4, 9), (5, 9), (6, 9))
    if a.node_exporter:
        v, n = rows[0], rows[1]
        print(f"{'ratio v/ne':<17}" + "".join(f"{v[i]/n[i]:>{w}.2f}" for i, w in cols))
    if a.compare:
        v, c = rows[0], rows[-1]
        print(f"{'ratio compare/v':<17}" + "".join(f"{c[i]/v[i]:>{w}.3f}" for i, w in cols))
    asked = ("openmetrics " if a.openmetrics else "") + ("plain" if a.plain else "gzip")
    print(f"({a.scrapes} scrapes each, alternating, {asked}; CPU = utime+stime of the exporter "
          "process; anon = RssAnon, USS = Private_Clean+Private_Dirty of smaps_rollup)")


if __name__ == "__main__":
    sys.exit(main())
