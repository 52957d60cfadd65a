"""The three exposition formats over HTTP, negotiated on Accept, and a real Prometheus 2.42 that
(a) negotiates OpenMetrics by default and stores the exemplars of the span duration histogram,
(b) with native histograms negotiates protobuf and computes a p90 from the native histogram,
(c) and promtool accepts the text 0.0.4 a client without Accept gets."""

import gzip
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

from apm_lib import Span, otlp_proto, post
from vitals_testlib import Agent, free_port, http_request, wait_until
from vitals_testlib import require_tool

PROMETHEUS = os.environ.get("PROMETHEUS_BIN", "prometheus")
OM_CT = "application/openmetrics-text; version=1.0.0; charset=utf-8"
PB_CT = ("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
         "encoding=delimited")
TEXT_CT = "text/plain; version=0.0.4; charset=utf-8"
PB_ACCEPT = ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
             "encoding=delimited;q=0.9,text/plain;version=0.0.4;q=0.5")
# promtool's complaints about node_exporter's own names (see test_prometheus.py).
ALLOWED_LINT = ("node_memory_", "node_netstat_", "node_entropy_", "node_vmstat_",
                "container_memory_failcnt ")


def now_ns():
    return time.time_ns()


def varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def family_names(data):
    """Names of the length-delimited MetricFamily messages (field 1 of each)."""
    names, i = [], 0
    while i < len(data):
        n, i = varint(data, i)
        msg = data[i:i + n]
        i += n
        assert msg[0] == 0x0A, msg[:4]  # field 1, length-delimited
        ln, j = varint(msg, 1)
        names.append(msg[j:j + ln].decode())
    return names


def send(otlp, spans):
    r = post(otlp, "/v1/traces", otlp_proto([("web", spans)]))
    assert r.status == 200, r.status


class Prometheus:
    def __init__(self, target_port, *flags):
        self.tmp = tempfile.TemporaryDirectory()
        cfg = os.path.join(self.tmp.name, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: vitals\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{target_port}']\n")
        self.port = free_port()
        self.log = open(os.path.join(self.tmp.name, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [require_tool(PROMETHEUS, "prometheus"), f"--config.file={cfg}",
             f"--storage.tsdb.path={os.path.join(self.tmp.name, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}", *flags],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: http_request(self.port, "/-/ready", timeout=2).status == 200,
                   timeout=60, what="prometheus ready")

    def api(self, path, **params):
        r = http_request(self.port, path + "?" + urllib.parse.urlencode(params), timeout=10)
        data = json.loads(r.body)
        assert data["status"] == "success", data
        return data["data"]

    def logs(self):
        with open(os.path.join(self.tmp.name, "prometheus.log"), "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def close(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()
        self.tmp.cleanup()


class Negotiation(unittest.TestCase):
    def test_each_format_over_http(self):
        otlp = free_port()
        with Agent(f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.native-histograms") as a:
            send(otlp, [Span("GET /", 3_000_000, trace=0xABC, span=7, start=now_ns())])
            # No Accept: text 0.0.4.
            r = a.get("/metrics")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers["content-type"], TEXT_CT)
            self.assertNotIn(b"# EOF", r.body)
            self.assertIn(b"traces_span_metrics_calls_total{", r.body)
            # OpenMetrics, gzipped.
            r = a.get("/metrics", headers={
                "Accept": "application/openmetrics-text; version=1.0.0; q=0.9, */*; q=0.1",
                "Accept-Encoding": "gzip"})
            self.assertEqual(r.headers["content-type"], OM_CT)
            self.assertEqual(r.headers["content-encoding"], "gzip")
            body = gzip.decompress(r.body).decode()
            self.assertTrue(body.endswith("\n# EOF\n"), body[-200:])
            self.assertIn("# TYPE traces_span_metrics_calls counter\n", body)
            self.assertIn("# UNIT traces_span_metrics_duration_seconds seconds\n", body)
            trace = "%032x" % 0xABC
            self.assertRegex(body, r'traces_span_metrics_duration_seconds_bucket\{[^}]*le="0.004"\} 1 '
                             r'# \{trace_id="' + trace + r'",span_id="0000000000000007"\} 0.003 \d+\.?\d*\n')
            self.assertRegex(body, r'traces_span_metrics_calls_created\{[^}]*\} \d+\.?\d*\n')
            # OpenMetrics 0.0.1 is answered with its own version.
            r = a.get("/metrics", headers={"Accept": "application/openmetrics-text; version=0.0.1"})
            self.assertEqual(r.headers["content-type"],
                             "application/openmetrics-text; version=0.0.1; charset=utf-8")
            # Protobuf, plain and gzipped.
            r = a.get("/metrics", headers={"Accept": PB_ACCEPT})
            self.assertEqual(r.headers["content-type"], PB_CT)
            names = family_names(r.body)
            self.assertIn("traces_span_metrics_duration_seconds", names)
            self.assertIn("vitals_build_info", names)
            self.assertEqual(names, sorted(names))
            r2 = a.get("/metrics", headers={"Accept": PB_ACCEPT, "Accept-Encoding": "gzip"})
            self.assertEqual(r2.headers["content-encoding"], "gzip")
            self.assertIn("traces_span_metrics_duration_seconds",
                          family_names(gzip.decompress(r2.body)))
            # Text preferred by q-value.
            r = a.get("/metrics", headers={
                "Accept": "application/openmetrics-text;q=0.2,text/plain;version=0.0.4;q=0.8"})
            self.assertEqual(r.headers["content-type"], TEXT_CT)
            self.assertIn("Accept", r.headers["vary"])


class RealPrometheus(unittest.TestCase):
    def setUp(self):
        require_tool(PROMETHEUS, "prometheus")

    def test_a_openmetrics_exemplars(self):
        otlp = free_port()
        with Agent(f"--apm.otlp.listen-address=127.0.0.1:{otlp}") as agent:
            prom = Prometheus(agent.port, "--enable-feature=exemplar-storage")
            try:
                # One span per bucket, each the latest of its bucket: every trace id is exposed.
                durations = [3_000_000, 30_000_000, 150_000_000, 300_000_000, 3_000_000_000]
                sent = {"%032x" % (0x7000 + i) for i in range(len(durations))}

                def exemplars():
                    t = now_ns()
                    send(otlp, [Span("GET /x", d, trace=0x7000 + i, span=i + 1, start=t - d)
                                for i, d in enumerate(durations)])
                    res = prom.api("/api/v1/query_exemplars",
                                   query="traces_span_metrics_duration_seconds_bucket",
                                   start=time.time() - 3600, end=time.time() + 60)
                    got = {e["labels"]["trace_id"] for s in res for e in s["exemplars"]}
                    return got if sent <= got else None

                got = wait_until(exemplars, timeout=90, interval=0.5, what="exemplars in Prometheus")
                self.assertTrue(sent <= got)
                # The scrape was OpenMetrics: only it carries the _created series. (Over the
                # last minutes, not at this instant: a later scrape that outran the 1 s scrape
                # timeout on a loaded machine, e.g. an ASan build in CI, marks every series stale.)
                res = prom.api("/api/v1/query",
                               query="last_over_time(traces_span_metrics_calls_created[5m])")
                self.assertTrue(res["result"], prom.logs())
                self.assertGreater(float(res["result"][0]["value"][1]), 1.6e9)
                # And counters keep their _total name.
                res = prom.api("/api/v1/query",
                               query="last_over_time(traces_span_metrics_calls_total[5m])")
                self.assertGreaterEqual(float(res["result"][0]["value"][1]), len(durations))
            finally:
                prom.close()

    def test_b_protobuf_native_histogram_p90(self):
        otlp = free_port()
        schema = 3
        # 100 durations, log-uniform over 10 ms .. 1 s; each round sends all of them.
        durs = [int(10_000_000 * 100 ** (i / 99)) for i in range(100)]
        true_p90 = sorted(durs)[89] / 1e9
        width = 2 ** (2 ** -schema)  # one bucket's relative width
        with Agent(f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.native-histograms",
                   f"--apm.native-histograms.schema={schema}") as agent:
            prom = Prometheus(agent.port, "--enable-feature=native-histograms")
            try:
                q = "histogram_quantile(0.9, rate(traces_span_metrics_duration_seconds[1m]))"
                rounds = [0]

                def p90():
                    t = now_ns()
                    rounds[0] += 1
                    send(otlp, [Span("GET /n", d, trace=rounds[0], span=i + 1, start=t - d)
                                for i, d in enumerate(durs)])
                    res = prom.api("/api/v1/query", query=q)["result"]
                    if not res:
                        return None
                    v = float(res[0]["value"][1])
                    return None if math.isnan(v) else v

                v = wait_until(p90, timeout=90, interval=0.5, what="a native p90 from Prometheus")
                print(f"native p90 {v:.5f} s, true p90 {true_p90:.5f} s", file=sys.stderr)
                self.assertGreaterEqual(v, true_p90 / width, (v, true_p90))
                self.assertLessEqual(v, true_p90 * width, (v, true_p90))
                # The series is a native histogram: only the protobuf scrape gives those.
                res = prom.api("/api/v1/query", query="traces_span_metrics_duration_seconds")
                self.assertTrue(res["result"])
                self.assertIn("histogram", res["result"][0], res["result"][0])
            finally:
                prom.close()

    def test_c_text_without_accept_passes_promtool(self):
        otlp = free_port()
        with Agent(f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.native-histograms") as a:
            send(otlp, [Span("GET /c", 5_000_000, start=now_ns())])
            r = http_request(a.port, "/metrics")  # like curl: no Accept header
            self.assertEqual(r.headers["content-type"], TEXT_CT)
            p = subprocess.run([require_tool("promtool", "prometheus"), "check", "metrics"], input=r.body, capture_output=True,
                               timeout=60)
            out = (p.stdout + p.stderr).decode()
            problems = [l for l in out.splitlines()
                        if l.strip() and not l.strip().startswith(ALLOWED_LINT)]
            self.assertEqual(problems, [], out)
            self.assertIn(b"traces_span_metrics_duration_seconds_bucket{", r.body)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
