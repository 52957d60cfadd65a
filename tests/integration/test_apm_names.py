"""--apm.histogram-unit=ms and --apm.metric-names=tempo with real OpenTelemetry JS exporters
(tests/clients/send.js, OTLP protobuf and Zipkin): the spanmetrics connector's millisecond names
and bounds, and Tempo's metrics-generator names, labels and bounds, with exact counts for every
le; OpenMetrics exemplars in the histogram's unit. Needs `npm ci` in tests/clients."""

import math
import os
import re
import subprocess
import unittest

from apm_lib import series
from vitals_testlib import Agent, free_port, parse_exposition
from vitals_testlib import require, require_tool

CLIENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients")
MODES = ["proto", "zipkin"]
OM = "application/openmetrics-text; version=1.0.0"
# Backend server spans from send.js: 1, 2, 3 and 300 ms ok, one 1.5 s error.
OK_MS = [1, 2, 3, 300]
CONNECTOR_MS = [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000]
TEMPO_S = [0.002 * 2 ** i for i in range(14)]


def send(otlp, zipkin):
    node = require_tool("node", "nodejs")
    for mode in MODES:
        env = dict(os.environ, MODE=mode, OTLP_URL=f"http://127.0.0.1:{otlp}",
                   ZIPKIN_URL=f"http://127.0.0.1:{zipkin}")
        p = subprocess.run([node, "send.js"], cwd=CLIENTS, env=env, capture_output=True,
                           text=True, timeout=120)
        if p.returncode != 0:
            raise AssertionError(f"{mode}: {p.stdout}\n{p.stderr}")


def le_text(v):
    return "%g" % v


def buckets(fams, name, labels):
    """{le: count} of one histogram series (le as the exposition spells it)."""
    fam = fams[name]
    out = {}
    for (n, ls), v in fam.samples.items():
        d = dict(ls)
        le = d.pop("le", None)
        if n == name + "_bucket" and d == labels:
            out[le] = v
    return out


def expected(bounds, unit_per_s, ok_ms):
    """{le: cumulative count} for spans of ok_ms milliseconds; bounds in the exported unit."""
    out = {}
    for b in bounds:
        out[le_text(b)] = sum(1 for d in ok_ms if d / 1000 * unit_per_s <= b + 1e-12)
    out["+Inf"] = len(ok_ms)
    return out


class ApmNames(unittest.TestCase):
    def setUp(self):
        require(os.path.isdir(os.path.join(CLIENTS, "node_modules", "@opentelemetry")),
                "tests/clients/node_modules is missing: run `npm ci` in tests/clients")

    def run_agent(self, *flags):
        otlp, zipkin = free_port(), free_port()
        with Agent(f"--apm.otlp.listen-address=127.0.0.1:{otlp}",
                   f"--apm.zipkin.listen-address=127.0.0.1:{zipkin}",
                   "--apm.native-histograms", *flags) as agent:
            send(otlp, zipkin)
            text = agent.scrape()
            om = agent.get("/metrics", headers={"Accept": OM}).body.decode()
        return parse_exposition(text), text, om

    def test_otel_milliseconds(self):
        f, text, om = self.run_agent("--apm.histogram-unit=ms")
        h = "traces_span_metrics_duration_milliseconds"
        self.assertNotIn("traces_span_metrics_duration_seconds", text)
        for mode in MODES:
            back = f"{mode}-backend"
            ok = {"service_name": back, "span_name": "GET /users", "span_kind": "SPAN_KIND_SERVER",
                  "status_code": "STATUS_CODE_UNSET"}
            err = dict(ok, status_code="STATUS_CODE_ERROR")
            with self.subTest(mode=mode):
                self.assertEqual(series(f, "traces_span_metrics_calls_total", **ok), 4)
                got = buckets(f, h, ok)
                self.assertEqual(len(got), 17)  # 16 bounds and +Inf
                self.assertEqual(got, expected(CONNECTOR_MS, 1000, OK_MS))
                self.assertEqual(got["2"], 2)  # 1 ms and exactly 2 ms
                self.assertEqual(series(f, h + "_count", **ok), 4)
                self.assertAlmostEqual(series(f, h + "_sum", **ok), 306, places=6)
                self.assertEqual(buckets(f, h, err), expected(CONNECTOR_MS, 1000, [1500]))
                # The service graph stays in seconds, under the same names.
                edge = {"client": f"{mode}-frontend", "server": back}
                self.assertEqual(series(f, "traces_service_graph_request_total", **edge), 1)
                self.assertEqual(series(f, "traces_service_graph_request_server_seconds_bucket",
                                        le="0.4", **edge), 1)
        self.assertIn(f"# UNIT {h} milliseconds\n", om)
        # The exemplar of le="2" is the exactly-2-ms span, in ms.
        self.assertRegex(om, h + r'_bucket\{[^}]*le="2"\} 2 # \{trace_id="[0-9a-f]{32}",'
                         r'span_id="[0-9a-f]{16}"\} 2(\.0)? \d+')

    def test_tempo(self):
        f, text, om = self.run_agent("--apm.metric-names=tempo")
        h = "traces_spanmetrics_latency"
        self.assertNotIn("traces_span_metrics_", text)
        self.assertNotIn("service_name=", text)
        for mode in MODES:
            back = f"{mode}-backend"
            ok = {"service": back, "span_name": "GET /users", "span_kind": "SPAN_KIND_SERVER",
                  "status_code": "STATUS_CODE_UNSET"}
            err = dict(ok, status_code="STATUS_CODE_ERROR")
            with self.subTest(mode=mode):
                self.assertEqual(series(f, "traces_spanmetrics_calls_total", **ok), 4)
                got = buckets(f, h, ok)
                self.assertEqual(len(got), 15)  # 14 bounds and +Inf
                self.assertEqual(got, expected(TEMPO_S, 1, OK_MS))
                self.assertIn("16.384", got)
                self.assertEqual(got["0.002"], 2)
                self.assertEqual(got["0.512"], 4)
                self.assertAlmostEqual(series(f, h + "_sum", **ok), 0.306, places=9)
                self.assertEqual(buckets(f, h, err), expected(TEMPO_S, 1, [1500]))
                edge = {"client": f"{mode}-frontend", "server": back}
                self.assertEqual(series(f, "traces_service_graph_request_total", **edge), 1)
                self.assertEqual(series(f, "traces_service_graph_request_failed_total", **edge), 0)
                self.assertEqual(series(f, "traces_service_graph_request_client_seconds_bucket",
                                        le="0.4", **edge), 1)
        # No unit suffix in Tempo's name, so no # UNIT; exemplars in seconds.
        self.assertNotIn(f"# UNIT {h}", om)
        self.assertRegex(om, h + r'_bucket\{[^}]*le="0.002"\} 2 # \{trace_id="[0-9a-f]{32}",'
                         r'span_id="[0-9a-f]{16}"\} 0.002 \d+')


if __name__ == "__main__":
    from vitals_testlib import main
    main()
