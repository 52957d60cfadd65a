"""APM receivers over HTTP: OTLP/HTTP protobuf and JSON, Zipkin v2, gzip and chunked bodies,
the answers the specs require (200 + partial_success, 400, 405, 413, 415, 202) and the exact
span metrics and self metrics scraped from /metrics afterwards."""

import gzip
import http.client
import json
import socket
import subprocess
import tempfile
import unittest

from apm_lib import (Span, otlp_json, otlp_proto, post, read_fields, series, span_labels,
                     zipkin_json)
from vitals_testlib import VITALS_BIN, Agent, free_port, parse_exposition

MS = 1_000_000
MAX_BYTES = 65536


class ApmReceiver(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.otlp, cls.zipkin = free_port(), free_port()
        cls.agent = Agent(f"--apm.otlp.listen-address=127.0.0.1:{cls.otlp}",
                          f"--apm.zipkin.listen-address=127.0.0.1:{cls.zipkin}",
                          "--apm.dimension=http.route", f"--apm.max-request-bytes={MAX_BYTES}")

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()

    def scrape(self):
        return parse_exposition(self.agent.scrape())

    def test_protobuf_json_gzip_chunked_and_zipkin(self):
        spans = [Span("GET /a", 2 * MS, attrs={"http.route": "/a"}, span=1),   # exactly on le=0.002
                 Span("GET /a", 2 * MS + 500_000, attrs={"http.route": "/a"}, span=2),
                 Span("GET /a", 20_000 * MS, status=2, attrs={"http.route": "/a"}, span=3),
                 Span("bad", 5 * MS, span=4, start=10**18)]
        spans[3].dur_ns = -1  # end before start: rejected
        body = otlp_proto([("proto-svc", spans)])
        bytes_before = series(self.scrape(), "vitals_apm_request_bytes_total", protocol="otlp_proto")
        r = post(self.otlp, "/v1/traces", body)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["content-type"], "application/x-protobuf")
        ps = read_fields(read_fields(r.body)[1][0])
        self.assertEqual(ps[1], [1])  # rejected_spans
        self.assertIn(b"end_before_start", ps[2][0])

        # Same spans as JSON, gzipped, chunked (no Content-Length).
        r = post(self.otlp, "/v1/traces", otlp_json([("json-svc", spans[:3])]),
                 content_type="application/json", gzip_it=True, chunked=True)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(json.loads(r.body), {})
        # Protobuf, gzip + chunked.
        r = post(self.otlp, "/v1/traces", otlp_proto([("gz-svc", spans[:1])]), gzip_it=True,
                 chunked=True)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.body, b"")

        r = post(self.zipkin, "/api/v2/spans", zipkin_json("zipkin-svc", spans[:3]),
                 content_type="application/json", gzip_it=True)
        self.assertEqual(r.status, 202, r.body)

        f = self.scrape()
        for svc, n in (("proto-svc", 2), ("json-svc", 2), ("zipkin-svc", 2)):
            ok = span_labels(svc, "GET /a", http_route="/a")
            err = span_labels(svc, "GET /a", status="STATUS_CODE_ERROR", http_route="/a")
            self.assertEqual(series(f, "traces_span_metrics_calls_total", **ok), n, svc)
            self.assertEqual(series(f, "traces_span_metrics_calls_total", **err), 1, svc)
            self.assertEqual(series(f, "traces_span_metrics_duration_seconds_bucket", le="0.002", **ok), 1, svc)
            self.assertEqual(series(f, "traces_span_metrics_duration_seconds_bucket", le="0.004", **ok), 2, svc)
            self.assertEqual(series(f, "traces_span_metrics_duration_seconds_bucket", le="15", **err), 0, svc)
            self.assertEqual(series(f, "traces_span_metrics_duration_seconds_bucket", le="+Inf", **err), 1, svc)
            self.assertEqual(series(f, "traces_span_metrics_duration_seconds_count", **err), 1, svc)
        self.assertEqual(series(f, "traces_span_metrics_calls_total",
                                **span_labels("gz-svc", "GET /a", http_route="/a")), 1)
        self.assertIsNone(series(f, "traces_span_metrics_calls_total", **span_labels("proto-svc", "bad")))
        self.assertEqual(series(f, "vitals_apm_spans_rejected_total", protocol="otlp_proto",
                                reason="end_before_start"), 1)
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="otlp_proto"), 4)
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="otlp_json"), 3)
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="zipkin"), 3)
        self.assertEqual(series(f, "vitals_apm_requests_total", protocol="zipkin", code="202"), 1)
        self.assertEqual(series(f, "vitals_apm_request_bytes_total", protocol="otlp_proto") - bytes_before,
                         len(body) + len(gzip.compress(otlp_proto([("gz-svc", spans[:1])]))))
        self.assertEqual(series(f, "vitals_apm_max_request_bytes"), MAX_BYTES)

    def test_errors(self):
        # 400 with a google.rpc.Status in the request's encoding.
        r = post(self.otlp, "/v1/traces", b"\x0a\x7f\x00")
        self.assertEqual(r.status, 400)
        st = read_fields(r.body)
        self.assertEqual(st[1], [3])
        self.assertIn(b"malformed protobuf at byte 1 in ExportTraceServiceRequest", st[2][0])
        r = post(self.otlp, "/v1/traces", b'{"resourceSpans": [', content_type="application/json")
        self.assertEqual(r.status, 400)
        self.assertIn("invalid OTLP JSON", json.loads(r.body)["message"])
        r = post(self.otlp, "/v1/traces", b"\x1f\x8b garbage", headers={"Content-Encoding": "gzip"})
        self.assertEqual(r.status, 400)
        self.assertIn(b"invalid gzip body", r.body)
        r = post(self.zipkin, "/api/v2/spans", b"[{", content_type="application/json")
        self.assertEqual(r.status, 400)
        self.assertIn(b"invalid Zipkin JSON", r.body)
        # 413: by Content-Length, by a chunked body, and by a small gzip body that inflates past the limit.
        big = b"\x00" * (MAX_BYTES + 1)
        r = post(self.otlp, "/v1/traces", big)
        self.assertEqual(r.status, 413)
        self.assertIn(b"--apm.max-request-bytes", r.body)
        r = post(self.otlp, "/v1/traces", big, chunked=True)
        self.assertEqual(r.status, 413)
        bomb = gzip.compress(b'{"resourceSpans": []}' + b" " * (MAX_BYTES * 4))
        self.assertLess(len(bomb), MAX_BYTES)
        r = post(self.otlp, "/v1/traces", bomb, content_type="application/json",
                 headers={"Content-Encoding": "gzip"})
        self.assertEqual(r.status, 413)
        self.assertIn("decompressed request body", json.loads(r.body)["message"])
        # 415.
        r = post(self.otlp, "/v1/traces", b"x", content_type="text/plain")
        self.assertEqual(r.status, 415)
        r = post(self.otlp, "/v1/traces", b"x", headers={"Content-Encoding": "br"})
        self.assertEqual(r.status, 415)
        r = post(self.zipkin, "/api/v2/spans", b"x", content_type="application/x-thrift")
        self.assertEqual(r.status, 415)
        # 405 and 404.
        c = http.client.HTTPConnection("127.0.0.1", self.otlp, timeout=10)
        c.request("GET", "/v1/traces")
        resp = c.getresponse()
        self.assertEqual(resp.status, 405)
        self.assertEqual(resp.getheader("Allow"), "POST")
        resp.read()
        c.request("POST", "/v1/metrics", body=b"")
        self.assertEqual(c.getresponse().status, 404)
        c.close()
        # The agent still answers and nothing was counted from these.
        f = self.scrape()
        self.assertEqual(series(f, "vitals_apm_requests_total", protocol="otlp_proto", code="413"), 2)
        self.assertEqual(series(f, "vitals_apm_requests_total", protocol="otlp_json", code="413"), 1)
        self.assertEqual(series(f, "vitals_apm_requests_refused_total", protocol="otlp_proto",
                                reason="too_large"), 2)
        self.assertEqual(series(f, "vitals_apm_requests_total", protocol="otlp", code="415"), 1)
        self.assertEqual(series(f, "vitals_apm_requests_total", protocol="zipkin", code="400"), 1)
        self.assertEqual(series(f, "vitals_apm_ingest_queue_length"), 0)


class ApmListeners(unittest.TestCase):
    def test_default_off_in_tests_and_port_in_use_is_an_error(self):
        with Agent() as a:
            self.assertIn("--apm.otlp.listen-address=", a.args)
        port = free_port()
        with Agent(f"--apm.otlp.listen-address=127.0.0.1:{port}") as a:
            with tempfile.TemporaryFile() as log:
                p = subprocess.run([VITALS_BIN, f"--web.listen-address=127.0.0.1:{free_port()}",
                                    f"--apm.otlp.listen-address=127.0.0.1:{port}",
                                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address="],
                                   stdout=log, stderr=subprocess.STDOUT, timeout=30)
                log.seek(0)
                out = log.read().decode()
            self.assertEqual(p.returncode, 1, out)
            self.assertIn("flag --apm.otlp.listen-address", out)
            # SIGTERM stops the APM listener too: a clean exit, and the port is free again.
            self.assertEqual(a.stop(), 0)
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))


if __name__ == "__main__":
    from vitals_testlib import main
    main()
