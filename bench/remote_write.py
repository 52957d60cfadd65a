#!/usr/bin/env python3
"""Remote write cost: vitals pushing its own samples vs Prometheus 2.42 in agent mode scraping
vitals and pushing them (issue 14's benchmark). Same machine, same run, same receiver.

Processes, all on loopback:
  receiver  Prometheus 2.42, --web.enable-remote-write-receiver (its CPU is not counted)
  vitals-rw vitals with --remote-write.url=<receiver> --remote-write.interval=1s; nobody scrapes
            it (the script reads its self metrics only at the start and the end of the window)
  vitals-ex vitals with the same collector flags and no remote write, scraped every 1s by ...
  agent     Prometheus 2.42 --enable-feature=agent (own storage dir), scrape_interval 1s,
            remote_write to the same receiver
The two senders carry an external label `sender` so their series stay apart in the receiver;
vitals-rw also gets `instance` and `job` external labels equal to what the agent's scrape adds,
so both send the same label sets. Both use their default batching (vitals: up to 2000 samples
per request, 2 shards; the agent: Prometheus' queue_config defaults, up to 500 samples per
request), which is part of what bytes per sample compares.

CPU is utime+stime from /proc/PID/stat over the window (after a warm-up), divided by the samples
that sender's own counters say it sent in the window:
  vitals:  vitals_remote_write_samples_sent_total, _bytes_sent_total
  agent:   prometheus_remote_storage_samples_total, prometheus_remote_storage_bytes_total
Method for "vitals' remote write path": vitals-rw does everything a node needs (collect, encode,
queue on disk, send), so its whole CPU per sample is an upper bound of the remote write path;
the agent's row counts only the agent process, not the exporter it scrapes. The script also
prints vitals-ex (collect + expose to the agent's scrapes) and the difference vitals-rw minus
vitals-ex (remote write path minus the exposition path: a lower bound of the remote write path,
since both collect the same). Goal from issue 14: vitals-rw per sample <= 0.5 x agent (checked
with the upper bound), bytes per sample <= agent's.
Memory: VmRSS and RssAnon (/proc/PID/status) at the end.

usage: bench/remote_write.py [--seconds N] [--warmup S] [--vitals BIN] [-- extra vitals flags]
(run from the repo root after a build; nice it on a shared machine)"""

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scrape_cost import cpu_seconds, free_port  # noqa: E402  (one copy of the /proc helpers)

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def memory_mb(pid):
    m = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                m[k] = int(v.split()[0]) / 1024
    return m["VmRSS"], m["RssAnon"]


def get(port, path, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def metric_sum(text, name, must=True):
    """Sum of every series of `name` (any labels) in a text exposition."""
    total, found = 0.0, False
    pat = re.compile(r"^" + re.escape(name) + r"(\{[^}]*\})?\s+(\S+)")
    for line in text.splitlines():
        m = pat.match(line)
        if m:
            total += float(m.group(2))
            found = True
    if must and not found:
        raise SystemExit(f"no {name} in the exposition")
    return total


class Proc:
    def __init__(self, name, argv, port, log_dir, ready="/-/ready"):
        self.name, self.port = name, port
        self.log = open(os.path.join(log_dir, name + ".log"), "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(port, ready, timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{name} did not start; see {self.log.name}")
            time.sleep(0.1)

    @property
    def pid(self):
        return self.proc.pid

    def metrics(self):
        status, body = get(self.port, "/metrics")
        assert status == 200, f"{self.name}: /metrics {status}"
        return body

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=60, help="measured window")
    ap.add_argument("--warmup", type=int, default=15, help="seconds before the window")
    ap.add_argument("--vitals", default="build/vitals")
    ap.add_argument("extra", nargs="*", help="extra vitals flags (both vitals instances)")
    a = ap.parse_args()
    if not os.access(PROMETHEUS, os.X_OK):
        raise SystemExit("needs prometheus 2.42 (apt-get install prometheus)")

    tmp = tempfile.mkdtemp(prefix="vitals-rwbench-")
    procs = []
    try:
        # Receiver.
        rport = free_port()
        with open(os.path.join(tmp, "receiver.yml"), "w") as f:
            f.write("global: {}\n")
        procs.append(Proc("receiver", [
            PROMETHEUS, f"--config.file={tmp}/receiver.yml", f"--storage.tsdb.path={tmp}/recv",
            f"--web.listen-address=127.0.0.1:{rport}", "--web.enable-remote-write-receiver",
            "--log.level=warn"], rport, tmp))
        write_url = f"http://127.0.0.1:{rport}/api/v1/write"

        common = ["--apm.otlp.listen-address=", "--apm.zipkin.listen-address="] + a.extra
        # vitals with remote write, scraped by nobody.
        vport, eport = free_port(), free_port()
        vitals_rw = Proc("vitals-rw", [
            a.vitals, f"--web.listen-address=127.0.0.1:{vport}", f"--remote-write.url={write_url}",
            "--remote-write.interval=1s", f"--remote-write.queue-dir={tmp}/queue",
            "--remote-write.external-label=sender=vitals",
            # The labels the agent's scrape adds, so both send the same label sets.
            f"--remote-write.external-label=instance=127.0.0.1:{eport}",
            "--remote-write.external-label=job=vitals"] + common, vport, tmp)
        procs.append(vitals_rw)
        # vitals without remote write, scraped by the Prometheus agent.
        vitals_ex = Proc("vitals-ex", [a.vitals, f"--web.listen-address=127.0.0.1:{eport}"]
                         + common, eport, tmp)
        procs.append(vitals_ex)
        # Prometheus agent mode.
        aport = free_port()
        with open(os.path.join(tmp, "agent.yml"), "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  external_labels: {{sender: prometheus-agent}}
scrape_configs:
  - job_name: vitals
    static_configs: [{{targets: ['127.0.0.1:{eport}']}}]
remote_write:
  - url: {write_url}
""")
        agent = Proc("agent", [
            PROMETHEUS, "--enable-feature=agent", f"--config.file={tmp}/agent.yml",
            f"--storage.agent.path={tmp}/agent-wal", f"--web.listen-address=127.0.0.1:{aport}",
            "--log.level=warn"], aport, tmp)
        procs.append(agent)

        time.sleep(a.warmup)
        # Window start: CPU first, then the counters (vitals-rw's /metrics read is one extra
        # collection inside the window; about 1/N of it).
        cpu0 = {p.name: cpu_seconds(p.pid) for p in (vitals_rw, vitals_ex, agent)}
        vm0, am0 = vitals_rw.metrics(), agent.metrics()
        t0 = time.monotonic()
        time.sleep(a.seconds)
        cpu1 = {p.name: cpu_seconds(p.pid) for p in (vitals_rw, vitals_ex, agent)}
        elapsed = time.monotonic() - t0
        mem = {p.name: memory_mb(p.pid) for p in (vitals_rw, vitals_ex, agent)}
        vm1, am1 = vitals_rw.metrics(), agent.metrics()

        def delta(t0_, t1_, name):
            return metric_sum(t1_, name) - metric_sum(t0_, name)

        v_samples = delta(vm0, vm1, "vitals_remote_write_samples_sent_total")
        v_bytes = delta(vm0, vm1, "vitals_remote_write_bytes_sent_total")
        a_samples = delta(am0, am1, "prometheus_remote_storage_samples_total")
        a_bytes = delta(am0, am1, "prometheus_remote_storage_bytes_total")
        v_failed = metric_sum(vm1, "vitals_remote_write_samples_failed_total", must=False) + \
            metric_sum(vm1, "vitals_remote_write_samples_dropped_total", must=False)
        a_failed = metric_sum(am1, "prometheus_remote_storage_samples_failed_total", must=False) + \
            metric_sum(am1, "prometheus_remote_storage_samples_dropped_total", must=False)
        if v_samples <= 0 or a_samples <= 0:
            raise SystemExit(f"nothing sent in the window (vitals {v_samples}, agent {a_samples}); "
                             f"logs in {tmp}")
        # What reached the receiver, per sender (sanity: both pipelines deliver).
        q = urllib.parse.quote('count by (sender) ({sender!=""})')
        _, recv = get(rport, f"/api/v1/query?query={q}")

        cpu = {n: cpu1[n] - cpu0[n] for n in cpu1}
        v_cpu, e_cpu, a_cpu = cpu["vitals-rw"], cpu["vitals-ex"], cpu["agent"]
        rows = [
            ("vitals-rw (collect+queue+send)", v_cpu, v_samples, v_bytes, mem["vitals-rw"]),
            ("Prometheus 2.42 agent mode", a_cpu, a_samples, a_bytes, mem["agent"]),
            ("vitals-ex (collect+expose, scraped)", e_cpu, a_samples, None, mem["vitals-ex"]),
        ]
        print(f"window {elapsed:.1f}s after {a.warmup}s warm-up; interval 1s; "
              f"series per interval: vitals {v_samples / elapsed:.0f}, "
              f"agent {a_samples / elapsed:.0f}")
        print(f"{'process':<38}{'CPU s':>8}{'samples':>10}{'µs CPU/sample':>15}"
              f"{'bytes/sample':>14}{'samples/s/core':>16}{'RSS MB':>8}{'anon MB':>9}")
        for name, c, s, b, (rss, anon) in rows:
            per = c / s * 1e6
            rate = s / c if c > 0 else float("inf")
            bps = f"{b / s:.2f}" if b is not None else "-"
            print(f"{name:<38}{c:>8.2f}{s:>10.0f}{per:>15.2f}{bps:>14}{rate:>16.0f}"
                  f"{rss:>8.1f}{anon:>9.2f}")
        print(f"{'vitals-rw minus vitals-ex (lower bound)':<38}{v_cpu - e_cpu:>8.2f}{v_samples:>10.0f}"
              f"{(v_cpu - e_cpu) / v_samples * 1e6:>15.2f}")
        r_cpu = (v_cpu / v_samples) / (a_cpu / a_samples)
        r_e2e = (v_cpu / v_samples) / ((a_cpu + e_cpu) / a_samples)
        r_bytes = (v_bytes / v_samples) / (a_bytes / a_samples)
        print(f"ratio vitals-rw / agent: CPU per sample {r_cpu:.2f} (goal <= 0.5), "
              f"bytes per sample {r_bytes:.2f} (goal <= 1)")
        print(f"ratio vitals-rw / (agent + the vitals it scrapes): CPU per sample {r_e2e:.2f}")
        print(f"failed+dropped samples: vitals {v_failed:.0f}, agent {a_failed:.0f}; "
              f"receiver series by sender: {recv.strip()}")
        print("(CPU = utime+stime of each process over the window; bytes = the sender's own "
              "counter of request bytes (snappy-compressed protobuf); RSS = VmRSS, anon = "
              "RssAnon at the end)")
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
