#!/usr/bin/env python3
"""Issue 5's benchmark: with N processes spread over M cgroups (made here, removed afterwards),
CPU time per scrape of vitals' containers collector, of its process_groups collector, and of
Debian's prometheus-process-exporter 0.7.10 grouping every process by comm, scraped alternately
in one run, and each one's memory after the run: RSS, anonymous (RssAnon) and private (USS =
Private_Clean + Private_Dirty of smaps_rollup).  Run as root from the repo root:  bench/containers_groups.py [--procs 2000]
[--cgroups 500] [--scrapes 50]"""

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scrape_cost import cpu_seconds, free_port  # noqa: E402  (one copy of the /proc helpers)

PE = "/usr/bin/prometheus-process-exporter"
NO_APM = ["--apm.otlp.listen-address=", "--apm.zipkin.listen-address="]


def memory_mb(pid):
    """(RSS, anonymous, private) MB of a process."""
    m = {"USS": 0}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                m[k] = int(v.split()[0]) / 1024
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Private_Clean", "Private_Dirty"):
                m["USS"] += int(v.split()[0]) / 1024
    return m["VmRSS"], m["RssAnon"], m["USS"]


def scrape(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/metrics")
    body = c.getresponse().read()
    c.close()
    return body


class Target:
    def __init__(self, name, argv, port):
        self.name, self.port, self.cpu = name, port, 0.0
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                scrape(port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not start")
                time.sleep(0.05)

    def timed(self):
        c0 = cpu_seconds(self.proc.pid)
        body = scrape(self.port)
        self.cpu += cpu_seconds(self.proc.pid) - c0
        return body

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=2000)
    ap.add_argument("--cgroups", type=int, default=500)
    ap.add_argument("--scrapes", type=int, default=50)
    ap.add_argument("--vitals", default="build/vitals")
    a = ap.parse_args()
    roots = [r for r in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified") if os.path.isdir(r)]
    made, kids, targets = [], [], []
    try:
        for r in roots:
            base = os.path.join(r, f"vitals-bench-{os.getpid()}")
            os.mkdir(base)
            made.append(base)
            for i in range(a.cgroups):
                os.mkdir(os.path.join(base, f"cg{i}"))
                made.append(os.path.join(base, f"cg{i}"))
        for i in range(a.procs):
            p = subprocess.Popen(["sleep", "3600"])
            kids.append(p)
            for r in roots:
                with open(os.path.join(r, f"vitals-bench-{os.getpid()}", f"cg{i % a.cgroups}", "cgroup.procs"), "w") as f:
                    f.write(str(p.pid))
        nprocs = len([d for d in os.listdir("/proc") if d.isdigit()])
        cfg = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
        cfg.write('process_names:\n  - name: "{{.Comm}}"\n    cmdline:\n    - ".*"\n')
        cfg.close()
        for name, argv in [
            # Without the APM span listeners: two agents would both claim their ports.
            ("vitals containers", [a.vitals, "--collector.disable-defaults", "--collector.containers",
                                   "--collector.containers.max-cgroups=5000"] + NO_APM),
            ("vitals process_groups", [a.vitals, "--collector.disable-defaults",
                                       "--collector.process_groups"] + NO_APM),
            # process-exporter's -threads and -gather-smaps are vitals' defaults too.
            ("vitals process_groups threads=false gather-smaps=false",
             [a.vitals, "--collector.disable-defaults", "--collector.process_groups",
              "--collector.process_groups.threads=false",
              "--collector.process_groups.gather-smaps=false"] + NO_APM),
            ("process-exporter (default: threads, smaps)", [PE, "-config.path", cfg.name]),
            ("process-exporter -threads=false -gather-smaps=false", [PE, "-config.path", cfg.name,
                                                                      "-threads=false", "-gather-smaps=false"]),
        ]:
            port = free_port()
            flag = "--web.listen-address" if name.startswith("vitals") else "-web.listen-address"
            targets.append(Target(name, argv + [f"{flag}=127.0.0.1:{port}"], port))
        for t in targets:  # warm-up: first scans fill the caches
            t.timed()
            t.cpu = 0
        sizes = {}
        for _ in range(a.scrapes):
            for t in targets:
                sizes[t.name] = len(t.timed())
        print(f"{nprocs} processes, {a.cgroups} cgroups in each of {len(roots)} hierarchies, {a.scrapes} scrapes each\n")
        print("| target | CPU ms per scrape | µs per process | response bytes | RSS MB | anon MB | USS MB |\n"
              "|---|---|---|---|---|---|---|")
        for t in targets:
            ms = t.cpu / a.scrapes * 1000
            rss, anon, uss = memory_mb(t.proc.pid)
            print(f"| {t.name} | {ms:.1f} | {ms * 1000 / nprocs:.0f} | {sizes[t.name]} | {rss:.1f} | "
                  f"{anon:.1f} | {uss:.1f} |")
        pg = targets[1].cpu
        for t in targets[2:]:
            print(f"process_groups / {t.name}: {pg / t.cpu:.3f}")
    finally:
        for t in targets:
            t.stop()
        for p in kids:
            p.kill()
        for p in kids:
            p.wait()
        for d in reversed(made):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.05)


if __name__ == "__main__":
    main()
