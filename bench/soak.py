#!/usr/bin/python3
"""One-hour soak of vitals at a realistic mix (issue 17, "Soak"; a benchmark, not in the test
suite). It starts build/vitals with its defaults plus a textfile directory, a short APM series
expiry and room for the churned cgroups, and for --minutes runs at once:

- a scrape of /metrics every 5 s with Accept-Encoding: gzip, as Prometheus does;
- 2,000 spans/s over OTLP/HTTP protobuf (tests/integration/apm_lib.py's encoder, requests of
  200 spans, 10 per second) spread over a window of 500 series (service x span name); the window
  slides by 50 series every minute, so 10% of the series stop getting spans and 10% are new each
  minute, and the ones that left expire after --apm-expiry;
- --cgroups cgroups alive at a time under the v1 memory and the v2 (unified) hierarchies (the same
  names in both, as systemd makes them), --cgroup-churn of them removed and as many new ones made
  every second;
- a textfile rewritten (write + rename) every second.

Every 10 s it samples RSS, RssAnon and RssFile (/proc/PID/status), open fds, threads, the agent's
CPU seconds (utime+stime), the last scrape's duration and series count (sample lines of the
scrape) and a few of vitals' own metrics, and appends a row to --csv (flushed: a partial run is
usable). At the end it prints a markdown table and the least-squares slope of RSS and RssAnon
over the samples after --warmup minutes, in KB/hour, and with --plot writes the curves.

usage: bench/soak.py [--minutes 60] [--warmup 15] [--csv /tmp/soak.csv]
                     [--plot docs/img/soak.png] [--vitals build/vitals]
       bench/soak.py --report /tmp/soak.csv [--warmup 15] [--plot docs/img/soak.png]
Needs root (cgroups) and a cgroup v1 memory or v2 hierarchy under /sys/fs/cgroup. Run it niced:
`nice -n 10 bench/soak.py`, the load generators share the machine with the agent."""

import argparse
import csv
import gzip
import http.client
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from apm_lib import Span, otlp_proto  # noqa: E402

from load_scrapes import cpu_seconds, free_port, wait_ready  # noqa: E402

SCRAPE_INTERVAL = 5.0
SAMPLE_INTERVAL = 10.0
WINDOW = 500          # series getting spans at any time
SLIDE = 50            # series replaced per minute (10%)
SPANS_PER_S = 2000
REQ_SPANS = 200
SERVICES = 10

# vitals' own metrics worth following (summed over their label sets)
SELF = {
    "apm_series": "vitals_apm_series",
    "apm_expired": "vitals_apm_series_expired_total",
    "cgroups": "vitals_containers_cgroups",
}

FIELDS = ["t_s", "rss_kb", "anon_kb", "file_kb", "fds", "threads", "cpu_s", "scrapes",
          "scrape_ms", "series", "cpu_ms_per_scrape", "spans_sent", "spans_ok", "cgroups_made",
          "load1", "containers_failed"] + list(SELF)


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "Threads"):
                out[k] = int(v.split()[0])
    return out


# ---- load generators ------------------------------------------------------------------------

def span_sender(port, stop, sent, ok):
    """2,000 spans/s in requests of 200; series j = (svc-{j % 10}, op-{j}) for j in the window
    [base, base + 500), base = 50 x minutes since start."""
    t0 = time.monotonic()
    nxt, k, conn = t0, 0, None
    interval = REQ_SPANS / SPANS_PER_S
    while not stop.is_set():
        now = time.monotonic()
        if now < nxt:
            time.sleep(nxt - now)
            continue
        nxt += interval
        base = SLIDE * int((now - t0) // 60)
        by_svc = {}
        for i in range(REQ_SPANS):
            j = base + (k * REQ_SPANS + i) % WINDOW
            by_svc.setdefault(f"svc-{j % SERVICES}", []).append(
                Span(f"op-{j}", 1_000_000 + (i * 7919) % 50_000_000, kind=2,
                     status=2 if i % 23 == 0 else 0, trace=k * REQ_SPANS + i + 1, span=i + 1))
        k += 1
        body = otlp_proto(sorted(by_svc.items()))
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/v1/traces", body,
                         {"Content-Type": "application/x-protobuf"})
            r = conn.getresponse()
            r.read()
            with sent.get_lock():
                sent.value += REQ_SPANS
            if r.status == 200:
                with ok.get_lock():
                    ok.value += REQ_SPANS
        except (OSError, http.client.HTTPException):
            with sent.get_lock():
                sent.value += REQ_SPANS
            conn = None


def cgroup_churn(parents, alive, per_s, stop, made):
    """Keep `alive` cgroups under each parent, replacing `per_s` of them every second (oldest
    removed, new ones made)."""
    live, i = [], 0
    nxt = time.monotonic()
    while not stop.is_set():
        want = per_s if len(live) >= alive else alive - len(live)
        for _ in range(want):
            name = f"c{i}"
            i += 1
            for p in parents:
                try:
                    os.mkdir(os.path.join(p, name))
                except OSError:
                    pass
            live.append(name)
            with made.get_lock():
                made.value += 1
        while len(live) > alive:
            name = live.pop(0)
            for p in parents:
                try:
                    os.rmdir(os.path.join(p, name))
                except OSError:
                    pass
        nxt += 1.0
        time.sleep(max(0.0, nxt - time.monotonic()))
    for name in live:
        for p in parents:
            try:
                os.rmdir(os.path.join(p, name))
            except OSError:
                pass


def textfile_writer(d, stop):
    """A textfile rewritten every second: 50 series whose values change, one info series whose
    label changes every minute."""
    n = 0
    while not stop.wait(1.0):
        n += 1
        lines = ["# HELP soak_textfile_value A value rewritten every second.",
                 "# TYPE soak_textfile_value gauge"]
        lines += [f'soak_textfile_value{{item="{i}"}} {n * (i + 1)}' for i in range(50)]
        lines += ["# HELP soak_textfile_info Label changes every minute.",
                  "# TYPE soak_textfile_info gauge",
                  f'soak_textfile_info{{rev="{n // 60}"}} 1', ""]
        tmp = os.path.join(d, ".soak.prom.tmp")
        with open(tmp, "w") as f:
            f.write("\n".join(lines))
        os.rename(tmp, os.path.join(d, "soak.prom"))


class Scraper(threading.Thread):
    def __init__(self, port, stop):
        super().__init__(daemon=True)
        self.port, self.stop = port, stop
        self.count, self.failed = 0, 0
        self.containers_failed = 0  # scrapes whose containers collector failed (deadline)
        self.last_ms, self.last_series, self.last_self = float("nan"), 0, {}
        self.lock = threading.Lock()

    def scrape(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        t0 = time.perf_counter()
        c.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
        r = c.getresponse()
        body = r.read()
        ms = (time.perf_counter() - t0) * 1000
        c.close()
        if r.status != 200:
            raise RuntimeError(f"status {r.status}")
        if r.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        series, selfv = 0, {k: 0.0 for k in SELF}
        selfv["containers_ok"] = 0
        for line in body.decode().splitlines():
            if not line or line[0] == "#":
                continue
            series += 1
            if line.startswith('node_scrape_collector_success{collector="containers"}'):
                selfv["containers_ok"] = float(line.rsplit(" ", 1)[1])
            name = line.split("{", 1)[0].split(" ", 1)[0]
            for k, m in SELF.items():
                if name == m:
                    selfv[k] += float(line.rsplit(" ", 1)[1])
        return ms, series, selfv

    def run(self):
        nxt = time.monotonic()
        while not self.stop.is_set():
            try:
                ms, series, selfv = self.scrape()
                with self.lock:
                    self.count += 1
                    self.containers_failed += selfv["containers_ok"] != 1
                    self.last_ms, self.last_series, self.last_self = ms, series, selfv
            except (OSError, http.client.HTTPException, RuntimeError) as e:
                with self.lock:
                    self.failed += 1
                print(f"scrape failed: {e}", file=sys.stderr, flush=True)
            nxt += SCRAPE_INTERVAL
            self.stop.wait(max(0.0, nxt - time.monotonic()))


# ---- report ---------------------------------------------------------------------------------

def load_csv(path):
    with open(path) as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def slope_kb_per_h(rows, key, t_from):
    pts = [(r["t_s"] / 3600, r[key]) for r in rows if r["t_s"] >= t_from]
    if len(pts) < 3:
        return float("nan"), len(pts)
    n = len(pts)
    mx = sum(p[0] for p in pts) / n
    my = sum(p[1] for p in pts) / n
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    sxy = sum((p[0] - mx) * (p[1] - my) for p in pts)
    return sxy / sxx, n


def compare(rows, other, offset, label):
    """Stats of two runs over the window they share; `other` started `offset` s after `rows`."""
    lo, hi = offset + 300, offset + other[-1]["t_s"]  # the other run's first 5 minutes left out

    def stats(rs, a, b):
        w = [r for r in rs if a <= r["t_s"] <= b]
        if len(w) < 2:
            return None
        cores = (w[-1]["cpu_s"] - w[0]["cpu_s"]) / (w[-1]["t_s"] - w[0]["t_s"])
        anon = [r["anon_kb"] / 1024 for r in w]
        ms = sorted(r["scrape_ms"] for r in w if r["scrape_ms"] == r["scrape_ms"])
        return (f"RssAnon mean {sum(anon) / len(anon):.1f} MB (min {min(anon):.1f}, max "
                f"{max(anon):.1f}), RSS max {max(r['rss_kb'] for r in w) / 1024:.1f} MB, agent "
                f"CPU {cores:.3f} cores, scrapes {w[-1]['scrapes'] - w[0]['scrapes']:.0f}, "
                f"median scrape {ms[len(ms) // 2]:.0f} ms")
    print(f"\nsame wall-clock window, minutes {lo / 60:.1f}-{hi / 60:.1f} of this run:")
    print(f"  this run: {stats(rows, lo, hi)}")
    print(f"  {label}: {stats(other, lo - offset, hi - offset)}")


def report(rows, warmup_min, plot, other=None, offset=0.0, other_label="other"):
    if not rows:
        sys.exit("no samples")
    dur = rows[-1]["t_s"]
    print(f"covered {dur / 60:.1f} min, {len(rows)} samples, {int(rows[-1]['scrapes'])} scrapes")
    step = max(1, round(300 / SAMPLE_INTERVAL))
    print("\n| minute | RSS MB | anon MB | file MB | fds | threads | series | APM series "
          "| cgroups | scrape ms | CPU ms/scrape | load1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows[::step] + ([rows[-1]] if (len(rows) - 1) % step else []):
        print(f"| {r['t_s'] / 60:.0f} | {r['rss_kb'] / 1024:.1f} | {r['anon_kb'] / 1024:.2f} "
              f"| {r['file_kb'] / 1024:.1f} | {r['fds']:.0f} | {r['threads']:.0f} "
              f"| {r['series']:.0f} | {r['apm_series']:.0f} | {r['cgroups']:.0f} "
              f"| {r['scrape_ms']:.1f} | {r['cpu_ms_per_scrape']:.1f} | {r['load1']:.2f} |")
    t_from = warmup_min * 60
    print(f"\nleast squares over t >= {warmup_min} min:")
    for key, label in (("rss_kb", "RSS"), ("anon_kb", "RssAnon"), ("file_kb", "RssFile")):
        s, n = slope_kb_per_h(rows, key, t_from)
        print(f"  {label}: {s:+.0f} KB/hour ({n} samples)")
    after = [r for r in rows if r["t_s"] >= t_from] or rows
    for key in ("rss_kb", "anon_kb", "fds", "threads", "series", "apm_series", "cgroups"):
        v = [r[key] for r in after]
        print(f"  {key}: min {min(v):.0f} max {max(v):.0f}")
    spent = [r for r in rows[1:] if r["cpu_ms_per_scrape"] == r["cpu_ms_per_scrape"]]
    if spent:
        cores = (rows[-1]["cpu_s"] - rows[0]["cpu_s"]) / max(1.0, dur - rows[0]["t_s"])
        print(f"  agent CPU: {cores:.3f} cores on average; spans sent {rows[-1]['spans_sent']:.0f},"
              f" accepted {rows[-1]['spans_ok']:.0f}; cgroups made {rows[-1]['cgroups_made']:.0f}")
    if "containers_failed" in rows[-1]:
        print(f"  scrapes whose containers collector failed: {rows[-1]['containers_failed']:.0f}"
              f" of {rows[-1]['scrapes']:.0f}")
    if other:
        compare(rows, other, offset, other_label)
    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        t = [r["t_s"] / 60 for r in rows]
        fig, ax = plt.subplots(5, 1, figsize=(9, 12), sharex=True)
        ax[0].plot(t, [r["rss_kb"] / 1024 for r in rows], label="RSS")
        ax[0].plot(t, [r["anon_kb"] / 1024 for r in rows], label="RssAnon")
        ax[0].plot(t, [r["file_kb"] / 1024 for r in rows], label="RssFile")
        if other:
            ax[0].plot([(r["t_s"] + offset) / 60 for r in other],
                       [r["anon_kb"] / 1024 for r in other], ls="--",
                       label=f"RssAnon, {other_label}")
        ax[0].set_ylabel("MB")
        ax[0].set_ylim(bottom=0)
        ax[0].legend(loc="lower right", fontsize="small")
        ax[0].axvline(warmup_min, color="grey", ls=":")
        ax[1].plot(t, [r["fds"] for r in rows], label="open fds")
        ax[1].plot(t, [r["threads"] for r in rows], label="threads")
        ax[1].set_ylim(bottom=0)
        ax[1].legend(loc="center right")
        ax[2].plot(t, [r["series"] for r in rows], label="series in a scrape (left)")
        ax[2].set_ylim(bottom=0)
        ax[2].legend(loc="lower left")
        a2 = ax[2].twinx()
        a2.plot(t, [r["apm_series"] for r in rows], color="C1", label="APM label sets (right)")
        a2.plot(t, [r["cgroups"] for r in rows], color="C2", label="cgroups exported (right)")
        a2.set_ylim(bottom=0)
        a2.legend(loc="lower right")
        ax[3].plot(t, [r["cpu_ms_per_scrape"] for r in rows], label="agent CPU ms / scrape")
        ax[3].plot(t, [r["scrape_ms"] for r in rows], label="scrape duration ms", alpha=0.7)
        ax[3].set_ylim(bottom=0)
        ax[3].legend(loc="upper right")
        ax[4].plot(t, [r["load1"] for r in rows], label="machine load average (1 min)")
        ax[4].set_ylim(bottom=0)
        ax[4].legend(loc="upper right")
        ax[4].set_xlabel("minutes")
        fig.suptitle("vitals soak: scrapes every 5 s, 2,000 spans/s over 500 sliding series,\n"
                     "1,000 cgroups churning, textfile rewritten every second")
        fig.tight_layout()
        fig.savefig(plot, dpi=80)
        print(f"plot: {plot}")


# ---- main -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=15)
    ap.add_argument("--csv", default="/tmp/soak.csv")
    ap.add_argument("--plot")
    ap.add_argument("--vitals", default="build/vitals")
    ap.add_argument("--apm-expiry", default="3m")
    ap.add_argument("--cgroups", type=int, default=1000)
    ap.add_argument("--cgroup-churn", type=int, default=10, help="cgroups replaced per second")
    ap.add_argument("--report", help="only print the report of an earlier run's CSV")
    ap.add_argument("--compare", help="with --report: a second run's CSV, shown against the first")
    ap.add_argument("--compare-offset", type=float, default=0,
                    help="seconds after the first run's start that the second one started")
    ap.add_argument("--compare-label", default="second run")
    a = ap.parse_args()
    if a.report:
        report(load_csv(a.report), a.warmup, a.plot,
               load_csv(a.compare) if a.compare else None, a.compare_offset, a.compare_label)
        return

    roots = [r for r in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified", "/sys/fs/cgroup")
             if os.path.exists(os.path.join(r, "cgroup.procs"))][:2]
    if os.geteuid() != 0 or not roots:
        sys.exit("needs root and a writable cgroup hierarchy under /sys/fs/cgroup")
    parents = [os.path.join(r, f"vitals-soak-{os.getpid()}") for r in roots]
    for p in parents:
        os.mkdir(p)
    tdir = tempfile.mkdtemp(prefix="vitals-soak-")
    port, otlp = free_port(), free_port()
    log = open(os.path.join(tdir, "vitals.log"), "w")
    cmd = [a.vitals, f"--web.listen-address=127.0.0.1:{port}",
           f"--collector.textfile.directory={tdir}",
           f"--collector.containers.max-cgroups={a.cgroups + 1000}",
           f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.zipkin.listen-address=",
           "--apm.otlp.grpc-listen-address=", f"--apm.series-expiry={a.apm_expiry}"]
    print("agent:", " ".join(cmd), flush=True)
    print(f"cgroups under {parents}, {a.cgroups} alive, {a.cgroup_churn}/s replaced", flush=True)
    agent = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    stop = threading.Event()
    pstop = mp.Event()
    sent, ok, made = mp.Value("q", 0), mp.Value("q", 0), mp.Value("q", 0)
    procs = []
    rows = []
    try:
        wait_ready(port, agent, "/-/ready")
        ctx = mp.get_context("fork")
        procs = [ctx.Process(target=span_sender, args=(otlp, pstop, sent, ok))]
        if a.cgroups > 0:
            procs.append(ctx.Process(target=cgroup_churn,
                                     args=(parents, a.cgroups, a.cgroup_churn, pstop, made)))
        for p in procs:
            p.start()
        tw = threading.Thread(target=textfile_writer, args=(tdir, stop), daemon=True)
        tw.start()
        sc = Scraper(port, stop)
        sc.start()
        t0 = time.monotonic()
        end = t0 + a.minutes * 60
        prev_cpu, prev_scrapes = cpu_seconds(agent.pid), 0
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader()
            nxt = t0
            while True:
                now = time.monotonic()
                if agent.poll() is not None:
                    print(f"agent exited with {agent.returncode}", file=sys.stderr)
                    break
                st = proc_status(agent.pid)
                cpu = cpu_seconds(agent.pid)
                with sc.lock:
                    scrapes, ms, series, selfv = (sc.count, sc.last_ms, sc.last_series,
                                                  dict(sc.last_self))
                ds = scrapes - prev_scrapes
                row = {"t_s": round(now - t0, 1), "rss_kb": st["VmRSS"],
                       "anon_kb": st["RssAnon"], "file_kb": st["RssFile"],
                       "fds": len(os.listdir(f"/proc/{agent.pid}/fd")),
                       "threads": st["Threads"], "cpu_s": round(cpu, 3), "scrapes": scrapes,
                       "scrape_ms": round(ms, 2), "series": series,
                       "cpu_ms_per_scrape": round((cpu - prev_cpu) * 1000 / ds, 2) if ds
                       else "nan",
                       "spans_sent": sent.value, "spans_ok": ok.value,
                       "cgroups_made": made.value, "load1": os.getloadavg()[0]}
                row.update({k: selfv.get(k, 0) for k in SELF})
                row["containers_failed"] = sc.containers_failed
                w.writerow(row)
                f.flush()
                prev_cpu, prev_scrapes = cpu, scrapes
                if now >= end:
                    break
                nxt += SAMPLE_INTERVAL
                time.sleep(max(0.0, nxt - time.monotonic()))
        print(f"scrapes {sc.count}, failed {sc.failed}", flush=True)
    finally:
        stop.set()
        pstop.set()
        for p in procs:
            p.join(timeout=30)
        agent.terminate()
        try:
            agent.wait(timeout=30)
        except subprocess.TimeoutExpired:
            agent.kill()
        log.close()
        errs = [ln for ln in open(os.path.join(tdir, "vitals.log"))
                if "level=error" in ln or "level=warn" in ln]
        print(f"agent log: {len(errs)} warn/error lines", flush=True)
        for ln in errs[:10]:
            print("  " + ln.rstrip())
        for p in parents:
            for d in os.listdir(p) if os.path.isdir(p) else []:
                if os.path.isdir(os.path.join(p, d)):
                    try:
                        os.rmdir(os.path.join(p, d))
                    except OSError:
                        pass
            try:
                os.rmdir(p)
            except OSError as e:
                print(f"could not remove {p}: {e}", file=sys.stderr)
        shutil.rmtree(tdir, ignore_errors=True)
    report(load_csv(a.csv), a.warmup, a.plot)


if __name__ == "__main__":
    main()
