#!/usr/bin/python3
"""Span stress (issue 17): OTLP/HTTP span load offered at 3x the saturation rate for 60 s against
vitals with its defaults, by build/bench/apm_loadgen's paced mode: --connections exporters (16,
the default --apm.max-connections-per-source) each send its share of the offered rate, one request
of 100 spans (53 KB protobuf) at a time, and retry a refused one after its Retry-After, as OTLP
exporters do; after the load they keep retrying until their backlog is in (at most --drain s).

The saturation rate is measured first with the closed-loop generator (the same --connections,
back to back for --sat-seconds, a refused request sent again at once) on a fresh agent: the
accepted spans/s, unless given with --saturation.

Sampled every 0.5 s from /proc/<pid>: VmRSS, RssAnon, Threads, open fds; from /metrics every 2 s:
vitals_apm_ingest_queue_length. Checked at the end (exit status 1 if one fails):
  - the agent is alive and answered every attempt (no broken connection, no other status);
  - every refusal is a 429 or 503 carrying Retry-After;
  - resident and anonymous memory stay under the stated bound: anonymous memory after start-up
    plus the ingestion slots' buffers (--apm.max-concurrent-requests x 2 x
    --apm.max-request-bytes: request body and inflated body) plus --allowance MB (series,
    connection threads' stacks and buffers);
  - memory does not grow with time under constant load: the lowest anonymous memory of the last
    third of the load (between scrapes) is within 2 MB of the middle third's;
  - every span the exporters offered was accepted in the end, and the sum of
    traces_span_metrics_calls_total equals the spans accepted (200).

usage: bench/stress_spans.py [--factor 3] [--seconds 60] [--connections 16] [--saturation N]
                             [--plot docs/img/stress_spans.png] [--table FILE]"""

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from load_scrapes import free_port, wait_ready  # noqa: E402


def proc_status(pid):
    """VmRSS and RssAnon in MB, Threads, open fds."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                out[k] = int(v.split()[0]) / 1024
            elif k == "Threads":
                out[k] = int(v)
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return out


def metrics(port, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", "/metrics")
    body = c.getresponse().read().decode()
    c.close()
    return body


def metric_sum(text, name, label_filter=""):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if label_filter in line:
                total += float(line.rsplit(" ", 1)[1])
    return total


def start_agent(vitals, extra=()):
    mp_port, otlp = free_port(), free_port()
    log = open(f"/tmp/vitals_stress_{os.getpid()}_{mp_port}.log", "w+")
    agent = subprocess.Popen(
        [vitals, f"--web.listen-address=127.0.0.1:{mp_port}",
         f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.zipkin.listen-address=",
         "--apm.otlp.grpc-listen-address=", *extra],
        stdout=subprocess.DEVNULL, stderr=log)
    wait_ready(mp_port, agent, "/-/ready")
    return agent, mp_port, otlp, log


def stop_agent(agent):
    if agent.poll() is None:
        agent.terminate()
        agent.wait(timeout=30)


def measure_saturation(loadgen, vitals, seconds, connections):
    """Closed loop: `connections` keep-alive connections back to back on a fresh agent (a refused
    request is sent again at once), the accepted spans/s."""
    agent, _, otlp, _ = start_agent(vitals)
    try:
        out = subprocess.run([loadgen, "--port", str(otlp), "--pid", str(agent.pid),
                              "--connections", str(connections), "--seconds", str(seconds)],
                             capture_output=True, text=True, check=True).stdout
    finally:
        stop_agent(agent)
    m = re.search(r"([0-9.]+) spans/s", out)
    print(out.strip(), file=sys.stderr)
    return float(m.group(1))


class Sampler(threading.Thread):
    """/proc samples every `every` s and, in a second thread every `scrape_every` s as a
    Prometheus would, a scrape of /metrics (its size and the ingestion queue length)."""

    def __init__(self, pid, port, every=0.5, scrape_every=5.0):
        super().__init__(daemon=True)
        self.pid, self.port, self.every, self.scrape_every = pid, port, every, scrape_every
        self.t0 = None
        self.samples, self.queue = [], []  # queue: (t, length, body bytes, seconds)
        self.stop = threading.Event()
        self.scraper = threading.Thread(target=self.scrape, daemon=True)

    def scrape(self):
        while not self.stop.is_set():
            t = time.monotonic() - self.t0
            try:
                body = metrics(self.port, 30)
                self.queue.append((t, metric_sum(body, "vitals_apm_ingest_queue_length"),
                                   len(body), time.monotonic() - self.t0 - t))
            except OSError:
                pass
            self.stop.wait(self.scrape_every)

    def run(self):
        self.scraper.start()
        while not self.stop.is_set():
            t = time.monotonic() - self.t0
            try:
                self.samples.append((t, proc_status(self.pid)))
            except OSError:
                break  # the agent is gone
            self.stop.wait(self.every)
        self.scraper.join()


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run_loadgen(cmd, t0_holder):
    """Runs the paced generator; returns its JSON lines, t0 set when it starts sending."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in p.stdout:
            if not line.startswith("{"):
                print(line.rstrip(), file=sys.stderr)
                continue
            d = json.loads(line)
            if d.get("start"):
                t0_holder()
            lines.append(d)
        p.wait()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return lines, p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vitals", default="build/vitals")
    ap.add_argument("--loadgen", default="build/bench/apm_loadgen")
    ap.add_argument("--factor", type=float, default=3.0)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--drain", type=float, default=400, help="most seconds to retry the backlog")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--saturation", type=float, help="spans/s; measured when not given")
    ap.add_argument("--sat-seconds", type=float, default=8)
    ap.add_argument("--allowance", type=float, default=16.0,
                    help="MB above start-up anon + slot buffers allowed for series and threads")
    ap.add_argument("--plot")
    ap.add_argument("--table")
    a = ap.parse_args()

    load_start = load_average()
    sat = a.saturation or measure_saturation(a.loadgen, a.vitals, a.sat_seconds, a.connections)
    rate = a.factor * sat
    print(f"saturation {sat:.0f} spans/s; offering {rate:.0f} spans/s for {a.seconds:.0f} s",
          file=sys.stderr)

    agent, mp_port, otlp, log = start_agent(a.vitals)
    try:
        text = metrics(mp_port)
        slots = metric_sum(text, "vitals_apm_ingest_queue_capacity")
        max_bytes = metric_sum(text, "vitals_apm_max_request_bytes")
        idle = proc_status(agent.pid)
        bound_anon = idle["RssAnon"] + slots * 2 * max_bytes / 2**20 + a.allowance
        bound_rss = idle["VmRSS"] + slots * 2 * max_bytes / 2**20 + a.allowance
        sampler = Sampler(agent.pid, mp_port)
        sampler.t0 = time.monotonic()

        def started():
            sampler.t0 = time.monotonic()
            sampler.start()

        lines, rc = run_loadgen(
            [a.loadgen, "--port", str(otlp), "--pid", str(agent.pid), "--connections",
             str(a.connections), "--rate", str(rate), "--seconds", str(a.seconds), "--drain",
             str(a.drain)], started)
        time.sleep(1)
        sampler.stop.set()
        sampler.join()
        alive = agent.poll() is None
        text = metrics(mp_port) if alive else ""
        end = proc_status(agent.pid) if alive else {}
    finally:
        stop_agent(agent)
    load_end = load_average()
    log.seek(0)
    agent_log = log.read()

    seconds = [d for d in lines if "second" in d]
    phase = next(d for d in lines if "phase" in d)
    drain = next(d for d in lines if "drain" in d)
    total = next(d for d in lines if "total" in d)
    counted = metric_sum(text, "traces_span_metrics_calls_total")
    refused_metric = metric_sum(text, "vitals_apm_requests_refused_total")
    samples = sampler.samples
    load_end_t = a.seconds

    def peak(key, t0, t1):
        v = [s[key] for t, s in samples if t0 <= t < t1]
        return max(v) if v else float("nan")

    def floor(key, t0, t1):  # the lowest value: between scrapes, whose bodies come and go
        v = [s[key] for t, s in samples if t0 <= t < t1]
        return min(v) if v else float("nan")

    third = a.seconds / 3
    checks = [
        ("agent alive after the run", alive),
        ("no broken connection or other status", total["broken"] == 0 and total["other"] == 0),
        ("every refusal is 429/503 with Retry-After", total["refused_without_retry_after"] == 0),
        (f"RSS peak {peak('VmRSS', 0, 1e9):.1f} MB < bound {bound_rss:.1f} MB",
         peak("VmRSS", 0, 1e9) < bound_rss),
        (f"anon peak {peak('RssAnon', 0, 1e9):.1f} MB < bound {bound_anon:.1f} MB",
         peak("RssAnon", 0, 1e9) < bound_anon),
        (f"no growth under constant load: anon floor of the last third "
         f"{floor('RssAnon', 2 * third, a.seconds):.1f} MB within 2 MB of the middle third's "
         f"{floor('RssAnon', third, 2 * third):.1f} MB",
         floor("RssAnon", 2 * third, a.seconds) <= floor("RssAnon", third, 2 * third) + 2),
        (f"ingestion queue length never above {slots:.0f}: max "
         f"{max((q[1] for q in sampler.queue), default=0):.0f}",
         all(q[1] <= slots for q in sampler.queue)),
        (f"all offered spans accepted: offered {total['offered_spans_total']}, accepted "
         f"{total['accepted_spans_total']}, unsent {total['unsent_spans']}",
         total["offered_spans_total"] == total["accepted_spans_total"] and rc == 0),
        (f"sum of traces_span_metrics_calls_total {counted:.0f} == spans accepted "
         f"{total['accepted_spans_total']}", round(counted) == total["accepted_spans_total"]),
        (f"agent's refusal counter {refused_metric:.0f} == refusals seen {total['refused']}",
         round(refused_metric) == total["refused"]),
    ]
    drain_secs = drain["drain"][1] - drain["drain"][0] - 1
    mem = lambda k, t0, t1: peak(k, t0, t1)  # noqa: E731
    rows = [
        ("idle, before", "", "", "", "", "", "", f"{idle['VmRSS']:.1f}", f"{idle['RssAnon']:.1f}",
         str(idle["Threads"]), str(idle["fds"])),
        (f"{a.factor:g}x saturation, {a.seconds:.0f} s", f"{rate:.0f}",
         f"{phase['accepted_spans_per_s']:.0f}", str(phase["refused"]),
         str(phase["refused_without_retry_after"]), f"{phase['p50_ms']:.1f} / {phase['p99_ms']:.1f}",
         f"{phase['refused_p50_ms']:.1f} / {phase['refused_p99_ms']:.1f}",
         f"{mem('VmRSS', 0, load_end_t):.1f}", f"{mem('RssAnon', 0, load_end_t):.1f}",
         f"{mem('Threads', 0, load_end_t):.0f}", f"{mem('fds', 0, load_end_t):.0f}"),
        (f"retrying the backlog ({drain_secs:.0f} s)", "0", f"{drain['accepted_spans_per_s']:.0f}",
         str(drain["refused"]), str(drain["refused_without_retry_after"]),
         f"{drain['p50_ms']:.1f} / {drain['p99_ms']:.1f}",
         f"{drain['refused_p50_ms']:.1f} / {drain['refused_p99_ms']:.1f}",
         f"{mem('VmRSS', load_end_t, 1e9):.1f}", f"{mem('RssAnon', load_end_t, 1e9):.1f}",
         f"{mem('Threads', load_end_t, 1e9):.0f}", f"{mem('fds', load_end_t, 1e9):.0f}"),
    ]
    if end:
        rows.append(("idle, after", "", "", "", "", "", "", f"{end['VmRSS']:.1f}",
                     f"{end['RssAnon']:.1f}", str(end["Threads"]), str(end["fds"])))
    lines_md = ["| phase | offered spans/s | accepted spans/s | refused requests | refused without "
                "Retry-After | 200 latency p50 / p99 ms | 429 latency p50 / p99 ms | peak RSS MB | "
                "peak anon MB | threads | fds |", "|" + "---|" * 11]
    lines_md += ["| " + " | ".join(r) + " |" for r in rows]
    summary = (
        f"\nSaturation (closed loop, {a.connections} connections): {sat:.0f} spans/s. Offered "
        f"{total['offered_spans_total']} spans, accepted {total['accepted_spans_total']}, counted "
        f"{counted:.0f}; {total['refused']} refusals (all with Retry-After: "
        f"{total['refused_without_retry_after'] == 0}); delivery delay p50 {total['delay_p50_s']:.1f} s, "
        f"max {total['delay_max_s']:.1f} s. Bound: anon {bound_anon:.1f} MB = {idle['RssAnon']:.1f} "
        f"(start-up) + {slots:.0f} slots x 2 x {max_bytes / 2**20:.0f} MiB + {a.allowance:.0f}; RSS "
        f"{bound_rss:.1f} MB likewise. Load average {load_start} before, {load_end} after.\n")
    table = "\n".join(lines_md) + "\n" + summary
    print(table)
    for name, ok in checks:
        print(("PASS " if ok else "FAIL ") + name)
    if "level=error" in agent_log or "fatal" in agent_log.lower():
        print("agent log:\n" + agent_log[-2000:])
    if a.table:
        with open(a.table, "w") as f:
            f.write(table + "\n" + "\n".join(("PASS " if ok else "FAIL ") + n for n, ok in checks)
                    + "\n")
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(10, 9), sharex=True)
        ts = [d["second"][0] for d in seconds]
        ax1.plot(ts, [d["offered_spans"] for d in seconds], label="offered spans/s", color="grey")
        ax1.plot(ts, [d["accepted_spans"] for d in seconds], label="accepted spans/s")
        ax1.axhline(sat, color="red", linestyle=":", label="saturation (closed loop)")
        ax1.set_ylabel("spans/s")
        ax1b = ax1.twinx()
        ax1b.plot(ts, [d["refused"] for d in seconds], color="red", alpha=0.5,
                  label="429 answers/s")
        ax1b.set_ylabel("429 answers/s")
        ax1.legend(fontsize=8, loc="upper right")
        ax1b.legend(fontsize=8, loc="center right")
        st = [t for t, _ in samples]
        ax2.plot(st, [s["VmRSS"] for _, s in samples], label="RSS MB")
        ax2.plot(st, [s["RssAnon"] for _, s in samples], label="anon MB")
        ax2.axhline(bound_anon, color="red", linestyle=":", label="anon bound")
        ax2.axhline(bound_rss, color="orange", linestyle=":", label="RSS bound")
        ax2.set_ylabel("MB")
        ax2.set_ylim(0, bound_rss * 1.1)
        ax2.legend(fontsize=8, loc="lower right")
        ax3.plot(ts, [d["backlog_spans"] for d in seconds], label="exporters' backlog (spans)")
        ax3.set_ylabel("spans waiting")
        ax3b = ax3.twinx()
        ax3b.plot(ts, [d["p99_ms"] for d in seconds], color="purple", alpha=0.6,
                  label="200 latency p99 ms")
        ax3b.set_ylabel("ms")
        ax3.legend(fontsize=8, loc="upper left")
        ax3b.legend(fontsize=8, loc="upper right")
        ax3.set_xlabel("seconds")
        for ax in (ax1, ax2, ax3):
            ax.axvline(a.seconds, color="grey", linestyle="--", alpha=0.6)
            ax.grid(True, alpha=0.3)
        fig.suptitle(f"OTLP/HTTP spans offered at {a.factor:g}x saturation ({rate / 1e6:.2f} M/s) "
                     f"for {a.seconds:.0f} s, {a.connections} retrying exporters; vitals defaults; "
                     "2-core VM shared", fontsize=10)
        fig.tight_layout()
        fig.savefig(a.plot, dpi=80)
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
