"""Real OpenTelemetry JS exporters (OTLP protobuf, JSON and gRPC, each with and without gzip) and
the Zipkin exporter send spans with known times and statuses (tests/clients/send.js); the exact
call counts, bucket counts and service-graph counts are scraped from /metrics.
Needs `npm ci` in tests/clients (see docs/apm.md)."""

import os
import subprocess
import unittest

from apm_lib import series, span_labels
from vitals_testlib import Agent, free_port, parse_exposition
from vitals_testlib import require, require_tool

CLIENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients")
MODES = ["proto", "proto-gzip", "json", "json-gzip", "zipkin", "grpc", "grpc-gzip"]


class ApmRealClients(unittest.TestCase):
    def test_exporters(self):
        node = require_tool("node", "nodejs")
        require(os.path.isdir(os.path.join(CLIENTS, "node_modules", "@opentelemetry")),
                "tests/clients/node_modules is missing: run `npm ci` in tests/clients")
        otlp, zipkin, grpc = free_port(), free_port(), free_port()
        with Agent(f"--apm.otlp.listen-address=127.0.0.1:{otlp}",
                   f"--apm.otlp.grpc-listen-address=127.0.0.1:{grpc}",
                   f"--apm.zipkin.listen-address=127.0.0.1:{zipkin}",
                   "--apm.dimension=http.route") as agent:
            for mode in MODES:
                env = dict(os.environ, MODE=mode, OTLP_URL=f"http://127.0.0.1:{otlp}",
                           ZIPKIN_URL=f"http://127.0.0.1:{zipkin}",
                           GRPC_URL=f"http://127.0.0.1:{grpc}")
                p = subprocess.run([node, "send.js"], cwd=CLIENTS, env=env, capture_output=True,
                                   text=True, timeout=120)
                self.assertEqual(p.returncode, 0, f"{mode}: {p.stdout}\n{p.stderr}")
            f = parse_exposition(agent.scrape())

        def bucket(name, le, **labels):
            return series(f, name + "_bucket", le=le, **labels)

        h = "traces_span_metrics_duration_seconds"
        for mode in MODES:
            back, front = f"{mode}-backend", f"{mode}-frontend"
            ok = span_labels(back, "GET /users", http_route="/users")
            err = span_labels(back, "GET /users", status="STATUS_CODE_ERROR", http_route="/users")
            with self.subTest(mode=mode):
                self.assertEqual(series(f, "traces_span_metrics_calls_total", **ok), 4)
                self.assertEqual(bucket(h, "0.002", **ok), 2)  # 1 ms and exactly 2 ms
                self.assertEqual(bucket(h, "0.004", **ok), 3)
                self.assertEqual(bucket(h, "0.2", **ok), 3)
                self.assertEqual(bucket(h, "0.4", **ok), 4)
                self.assertEqual(series(f, h + "_count", **ok), 4)
                self.assertAlmostEqual(series(f, h + "_sum", **ok), 0.306, places=9)
                self.assertEqual(series(f, "traces_span_metrics_calls_total", **err), 1)
                self.assertEqual(bucket(h, "1.4", **err), 0)
                self.assertEqual(bucket(h, "2", **err), 1)
                self.assertEqual(series(f, "traces_span_metrics_calls_total",
                                        **span_labels(front, "GET backend", kind="SPAN_KIND_CLIENT")), 1)
                self.assertEqual(series(f, "traces_span_metrics_calls_total", **span_labels(back, "GET /api")), 1)
                edge = {"client": front, "server": back}
                self.assertEqual(series(f, "traces_service_graph_request_total", **edge), 1)
                self.assertEqual(series(f, "traces_service_graph_request_failed_total", **edge), 0)
                self.assertEqual(bucket("traces_service_graph_request_server_seconds", "0.2", **edge), 0)
                self.assertEqual(bucket("traces_service_graph_request_server_seconds", "0.4", **edge), 1)
                self.assertEqual(bucket("traces_service_graph_request_client_seconds", "0.4", **edge), 1)
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="otlp_proto"), 2 * 7)
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="otlp_json"), 2 * 7)
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="zipkin"), 7)
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="otlp_grpc"), 2 * 7)
        self.assertEqual(series(f, "vitals_apm_service_graph_pending_edges"), 0)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
