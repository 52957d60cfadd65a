#!/usr/bin/python3
"""Span load and saturation (issue 17): OTLP/HTTP protobuf senders stepping the offered span rate
up (doubling from --start spans/s) against vitals' OTLP/HTTP receiver (its defaults) until
refusals start (429/503 above --stop-refused, 1% of requests) or --max is reached, or the
accepted rate stopped rising for two steps. Requests are pre-encoded
(tests/integration/apm_lib.py's encoder): --spans spans each, over 10 services x 20 span names
with a few attributes; each sender is a process with one keep-alive connection, paced to its
share of the offered rate (a sender that falls behind sends back to back, so the offered rate is
an upper bound of what was sent).

Per step: offered and accepted spans/s, refused requests (429/503, Retry-After honoured by not
resending: the refusal is the measurement), other failures, p50/p99 request latency, the
agent's CPU (utime+stime, cores) and resident memory (VmRSS at the end of the step). The
saturation point is the first step within 5% of the highest accepted rate.

usage: bench/load_spans.py [--step 3] [--start 20000] [--max 20480000] [--senders 4] [--spans 1000]
                           [--vitals build/vitals] [--plot docs/img/load_spans.png]"""

import argparse
import http.client
import multiprocessing as mp
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from apm_lib import Span, otlp_proto  # noqa: E402
from load_scrapes import cpu_seconds, free_port, wait_ready  # noqa: E402


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_requests(spans_per_req, count=8):
    reqs = []
    for r in range(count):
        resources = []
        for svc in range(10):
            spans = [Span(f"op-{(i + r) % 20}", 1_000_000 + i * 1000, kind=2 if i % 3 else 3,
                          status=2 if i % 17 == 0 else 0, trace=r * 1000 + svc + 1, span=i + 1,
                          attrs={"http.method": "GET", "http.status_code": 200})
                     for i in range(spans_per_req // 10)]
            resources.append((f"svc-{svc}", spans))
        reqs.append(otlp_proto(resources))
    return reqs


def sender(k, n, port, reqs, spans, rate, secs, barrier, out):
    """Sender k of n: requests of `spans` spans at `rate` spans/s for `secs`, its phase
    shifted by k/n of an interval so that the senders do not send in bursts."""
    interval = spans / rate
    lat, statuses, conn, i = [], {}, None, 0
    barrier.wait()
    t0 = time.monotonic()
    end = t0 + secs
    nxt = t0 + interval * k / n
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if now < nxt:
            time.sleep(min(nxt - now, end - now))
            continue
        nxt += interval
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        s = time.perf_counter()
        try:
            conn.request("POST", "/v1/traces", body=reqs[i % len(reqs)],
                         headers={"Content-Type": "application/x-protobuf"})
            r = conn.getresponse()
            r.read()
            lat.append(time.perf_counter() - s)
            statuses[r.status] = statuses.get(r.status, 0) + 1
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except OSError:
            statuses["error"] = statuses.get("error", 0) + 1
            conn.close()
            conn = None
        i += 1
    out.put((lat, statuses))


def step(pid, port, reqs, spans, rate, senders, secs):
    ctx = mp.get_context("fork")
    out, barrier = ctx.Queue(), ctx.Barrier(senders + 1)
    procs = [ctx.Process(target=sender, args=(k, senders, port, reqs, spans, rate / senders, secs,
                                                   barrier, out))
             for k in range(senders)]
    for p in procs:
        p.start()
    barrier.wait()
    c0 = cpu_seconds(pid)
    lat, statuses = [], {}
    for _ in procs:
        l, s = out.get()
        lat += l
        for k, v in s.items():
            statuses[k] = statuses.get(k, 0) + v
    c1 = cpu_seconds(pid)
    for p in procs:
        p.join()
    lat.sort()

    def q(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    sent = sum(statuses.values())
    refused = statuses.get(429, 0) + statuses.get(503, 0)
    other = sent - statuses.get(200, 0) - refused
    return {"offered": rate, "sent": sent * spans / secs, "accepted": statuses.get(200, 0) * spans / secs,
            "requests": sent, "refused": refused, "other": other, "p50": q(0.5), "p99": q(0.99),
            "cpu": (c1 - c0) / secs, "rss": rss_mb(pid)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--step", type=float, default=3.0)
    ap.add_argument("--start", type=int, default=20000)
    ap.add_argument("--max", type=int, default=20480000)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--spans", type=int, default=1000)
    ap.add_argument("--vitals", default="build/vitals")
    ap.add_argument("--stop-refused", type=float, default=0.01,
                    help="stop after a step refusing more than this share of requests")
    ap.add_argument("--plot")
    ap.add_argument("--table")
    a = ap.parse_args()

    reqs = make_requests(a.spans)
    mp_port, otlp = free_port(), free_port()
    agent = subprocess.Popen(
        [a.vitals, f"--web.listen-address=127.0.0.1:{mp_port}",
         f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.zipkin.listen-address=",
         "--apm.otlp.grpc-listen-address=", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        wait_ready(mp_port, agent, "/-/ready")
        rate = a.start
        while rate <= a.max:
            r = step(agent.pid, otlp, reqs, a.spans, rate, a.senders, a.step)
            rows.append(r)
            print(f"offered {rate:7d}/s sent {r['sent']:8.0f}/s accepted {r['accepted']:8.0f}/s "
                  f"refused {r['refused']}/{r['requests']} other {r['other']} p50 {r['p50']:.1f} ms "
                  f"p99 {r['p99']:.1f} ms cpu {r['cpu']:.2f} rss {r['rss']:.1f} MB", file=sys.stderr)
            if r["refused"] > a.stop_refused * r["requests"] or (
                    len(rows) >= 3 and r["accepted"] < 1.05 * rows[-2]["accepted"]
                    and rows[-2]["accepted"] < 1.05 * rows[-3]["accepted"]):
                break
            rate *= 2
        # Every accepted span is counted: the sum of traces_span_metrics_calls_total.
        c = http.client.HTTPConnection("127.0.0.1", mp_port, timeout=30)
        c.request("GET", "/metrics")
        counted = sum(float(line.rsplit(" ", 1)[1]) for line in c.getresponse().read().decode().splitlines()
                      if line.startswith("traces_span_metrics_calls_total{"))
        accepted = sum(round(r["accepted"] * a.step) for r in rows)
        print(f"spans accepted (200) {accepted}, counted by the agent {counted:.0f}", file=sys.stderr)
    finally:
        agent.terminate()
        agent.wait()

    peak = max(r["accepted"] for r in rows)
    sat = next(i for i, r in enumerate(rows) if r["accepted"] >= peak * 0.95)
    lines = ["| offered spans/s | sent spans/s | accepted spans/s | requests | refused (429/503) | "
             "other failures | p50 ms | p99 ms | CPU cores | RSS MB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(rows):
        mark = " **(saturation)**" if i == sat else ""
        lines.append(f"| {r['offered']}{mark} | {r['sent']:.0f} | {r['accepted']:.0f} | {r['requests']} | "
                     f"{r['refused']} | {r['other']} | {r['p50']:.1f} | {r['p99']:.1f} | "
                     f"{r['cpu']:.2f} | {r['rss']:.1f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    print(f"saturation: offered {rows[sat]['offered']}/s, accepted {rows[sat]['accepted']:.0f} spans/s, "
          f"p99 {rows[sat]['p99']:.1f} ms")
    if a.table:
        with open(a.table, "w") as f:
            f.write(table)
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        xs = [r["offered"] for r in rows]
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
        ax1.plot(xs, xs, linestyle=":", color="grey", label="offered")
        ax1.plot(xs, [r["sent"] for r in rows], marker=".", label="sent")
        ax1.plot(xs, [r["accepted"] for r in rows], marker="o", label="accepted")
        ax1.axvline(rows[sat]["offered"], color="red", linestyle=":", alpha=0.7)
        ax1.annotate("saturation", (rows[sat]["offered"], rows[sat]["accepted"]),
                     textcoords="offset points", xytext=(5, -12), color="red", fontsize=8)
        ax1b = ax1.twinx()
        ax1b.bar(xs, [r["refused"] for r in rows], width=[x * 0.3 for x in xs], alpha=0.3,
                 color="red", label="refused requests")
        ax1b.set_ylabel("refused requests (429/503)")
        ax1.set_ylabel("spans/s")
        ax2.plot(xs, [r["p50"] for r in rows], marker="o", label="p50 request latency")
        ax2.plot(xs, [r["p99"] for r in rows], marker="x", label="p99 request latency")
        ax2.set_ylabel("ms")
        ax2b = ax2.twinx()
        ax2b.plot(xs, [r["rss"] for r in rows], color="green", marker="s", label="RSS MB")
        ax2b.set_ylabel("RSS MB")
        for ax in (ax1, ax2):
            ax.set_xscale("log", base=2)
            ax.set_xlabel("offered spans/s")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8, loc="upper left")
        ax2b.legend(fontsize=8, loc="lower right")
        fig.suptitle(f"OTLP/HTTP span load ({a.spans} spans/request, {a.senders} senders), "
                     "2-core VM shared with other builds (loaded)", fontsize=10)
        fig.tight_layout()
        fig.savefig(a.plot, dpi=90)


if __name__ == "__main__":
    main()
