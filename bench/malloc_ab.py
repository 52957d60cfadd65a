#!/usr/bin/python3
"""Two vitals binaries side by side on large scrapes (the soak's malloc question, issue 17):
makes --cgroups cgroups under the v1 memory and v2 hierarchies (static, ~40k series per scrape
with the defaults), starts both binaries with the same flags, scrapes them alternately (gzip) and
prints CPU ms per scrape, median scrape ms and RssAnon/RSS after each block of scrapes.

usage: bench/malloc_ab.py A_BIN B_BIN [--scrapes 60] [--cgroups 1000]   (root)"""

import argparse
import gzip
import http.client
import os
import subprocess
import sys
import time

from load_scrapes import cpu_seconds, free_port, wait_ready


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def scrape(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.perf_counter()
    c.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
    r = c.getresponse()
    body = r.read()
    ms = (time.perf_counter() - t0) * 1000
    c.close()
    n = sum(1 for ln in gzip.decompress(body).split(b"\n") if ln and ln[:1] != b"#")
    return ms, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--scrapes", type=int, default=60)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--cgroups", type=int, default=1000)
    a = ap.parse_args()
    roots = [r for r in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified")
             if os.path.exists(os.path.join(r, "cgroup.procs"))]
    parents = [os.path.join(r, f"vitals-ab-{os.getpid()}") for r in roots]
    made = []
    procs = {}
    try:
        for p in parents:
            os.mkdir(p)
            made.append(p)
            for i in range(a.cgroups):
                os.mkdir(os.path.join(p, f"c{i}"))
                made.append(os.path.join(p, f"c{i}"))
        for name, binary in (("A", a.a), ("B", a.b)):
            port = free_port()
            proc = subprocess.Popen(
                [binary, f"--web.listen-address=127.0.0.1:{port}",
                 f"--collector.containers.max-cgroups={a.cgroups + 1000}",
                 "--apm.otlp.listen-address=", "--apm.zipkin.listen-address=",
                 "--apm.otlp.grpc-listen-address="],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs[name] = (proc, port, binary)
            wait_ready(port, proc, "/-/ready")
        print("| block | binary | scrapes | series | CPU ms/scrape | median scrape ms "
              "| RssAnon MB | RSS MB |")
        print("|---|---|---|---|---|---|---|---|")
        for blk in range(a.blocks):
            res = {k: [] for k in procs}
            cpu0 = {k: cpu_seconds(v[0].pid) for k, v in procs.items()}
            series = {}
            for _ in range(a.scrapes):
                for k, (proc, port, _) in procs.items():
                    ms, series[k] = scrape(port)
                    res[k].append(ms)
            for k, (proc, port, binary) in procs.items():
                cpu = (cpu_seconds(proc.pid) - cpu0[k]) * 1000 / a.scrapes
                med = sorted(res[k])[len(res[k]) // 2]
                print(f"| {blk + 1} | {k} {binary} | {a.scrapes} | {series[k]} | {cpu:.1f} "
                      f"| {med:.0f} | {status_kb(proc.pid, 'RssAnon') / 1024:.1f} "
                      f"| {status_kb(proc.pid, 'VmRSS') / 1024:.1f} |", flush=True)
    finally:
        for proc, _, _ in procs.values():
            proc.terminate()
            proc.wait(timeout=30)
        for d in reversed(made):
            try:
                os.rmdir(d)
            except OSError as e:
                print(f"could not remove {d}: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
