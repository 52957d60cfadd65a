"""OTLP/gRPC span receiver (--apm.otlp.grpc-listen-address): TraceService/Export with raw
protobuf bytes from Debian's python3-grpcio (exact span, bucket and rejection counts, gzip,
INVALID_ARGUMENT for junk, RESOURCE_EXHAUSTED for a message over --apm.max-request-bytes and, with
RetryInfo, when the ingestion slots shared with OTLP/HTTP are taken), every refusal of an
overloaded listener RESOURCE_EXHAUSTED with RetryInfo, TLS + basic auth with the OpenTelemetry JS
gRPC exporter, and the listener off when the flag is empty."""

import os
import sys

try:
    import grpc
except ImportError:
    # Debian's python3-grpcio is installed for Debian's interpreter; a pyenv python3 lacks it.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

import socket
import subprocess
import tempfile
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from apm_lib import Span, otlp_proto, read_fields, series, span_labels
from test_web_config import PROM_HASH, Certs, basic
from vitals_testlib import Agent, free_port, parse_exposition, require, require_tool, wait_until

CLIENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients")
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
MS = 1_000_000
MAX_BYTES = 8192


def export(port, body, creds=None, **kw):
    target = f"127.0.0.1:{port}"
    with (grpc.secure_channel(target, creds) if creds else grpc.insecure_channel(target)) as ch:
        return ch.unary_unary(EXPORT).with_call(body, timeout=20, **kw)


def retry_delay(e):
    """RetryInfo.retry_delay seconds of a refused call's google.rpc.Status, or None."""
    details = dict(e.trailing_metadata() or ()).get("grpc-status-details-bin")
    if details is None:
        return None
    st = read_fields(details)  # google.rpc.Status
    for any_bytes in st.get(3, []):
        anyv = read_fields(any_bytes)
        if anyv[1] == [b"type.googleapis.com/google.rpc.RetryInfo"]:
            return read_fields(read_fields(anyv[2][0])[1][0])[1][0]  # retry_delay.seconds
    return None


def callback_threads():
    # gRPC 1.51's callback threads: clamp(configured CPUs / 2, 2, 16).
    return min(max(os.sysconf("SC_NPROCESSORS_CONF") // 2, 2), 16)


class ApmGrpc(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.grpc, cls.otlp = free_port(), free_port()
        cls.agent = Agent(f"--apm.otlp.grpc-listen-address=127.0.0.1:{cls.grpc}",
                          f"--apm.otlp.listen-address=127.0.0.1:{cls.otlp}",
                          f"--apm.max-request-bytes={MAX_BYTES}", "--apm.max-concurrent-requests=1",
                          "--apm.dimension=http.route")
        cls.agent.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()

    def test_spans_gzip_partial_success_and_junk(self):
        spans = [Span("GET /a", 2 * MS, attrs={"http.route": "/a"}, span=1),  # exactly on le=0.002
                 Span("GET /a", 2 * MS + 500_000, attrs={"http.route": "/a"}, span=2),
                 Span("GET /a", 20_000 * MS, status=2, attrs={"http.route": "/a"}, span=3),
                 Span("bad", 5 * MS, span=4)]
        spans[3].dur_ns = -1  # end before start: rejected
        f0 = parse_exposition(self.agent.scrape())

        def delta(f, name, **labels):
            return series(f, name, **labels) - (series(f0, name, **labels) or 0)

        resp, call = export(self.grpc, otlp_proto([("grpc-svc", spans)]))
        self.assertEqual(call.code(), grpc.StatusCode.OK)
        ps = read_fields(read_fields(resp)[1][0])  # ExportTraceServiceResponse.partial_success
        self.assertEqual(ps[1], [1])  # rejected_spans
        self.assertIn(b"end_before_start", ps[2][0])
        # grpc-encoding: gzip, the same spans again under another service.
        resp, call = export(self.grpc, otlp_proto([("grpc-gz", spans[:3])]),
                            compression=grpc.Compression.Gzip)
        self.assertEqual((call.code(), resp), (grpc.StatusCode.OK, b""))

        with self.assertRaises(grpc.RpcError) as e:
            export(self.grpc, b"\x0a\xff\xff\xff\xff\x0f junk")
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("ExportTraceServiceRequest", e.exception.details())
        # Over --apm.max-request-bytes (gRPC's max receive message size): not retryable.
        big = otlp_proto([("big", [Span("x" * 1000, MS, span=i + 1) for i in range(10)])])
        with self.assertRaises(grpc.RpcError) as e:
            export(self.grpc, big)
        self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        # The limit holds after gzip too: a small compressed message that inflates past it.
        with self.assertRaises(grpc.RpcError) as e:
            export(self.grpc, big, compression=grpc.Compression.Gzip)
        self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn(f"vs. {MAX_BYTES}", e.exception.details())

        f = parse_exposition(self.agent.scrape())
        for svc in ("grpc-svc", "grpc-gz"):
            ok = span_labels(svc, "GET /a", http_route="/a")
            err = span_labels(svc, "GET /a", status="STATUS_CODE_ERROR", http_route="/a")
            h = "traces_span_metrics_duration_seconds"
            self.assertEqual(series(f, "traces_span_metrics_calls_total", **ok), 2, svc)
            self.assertEqual(series(f, "traces_span_metrics_calls_total", **err), 1, svc)
            self.assertEqual(series(f, h + "_bucket", le="0.002", **ok), 1, svc)
            self.assertEqual(series(f, h + "_bucket", le="0.004", **ok), 2, svc)
            self.assertEqual(series(f, h + "_bucket", le="15", **err), 0, svc)
            self.assertEqual(series(f, h + "_bucket", le="+Inf", **err), 1, svc)
            self.assertAlmostEqual(series(f, h + "_sum", **ok), 0.0045, places=9)
        self.assertIsNone(series(f, "traces_span_metrics_calls_total", **span_labels("grpc-svc", "bad")))
        self.assertEqual(delta(f, "vitals_apm_spans_received_total", protocol="otlp_grpc"), 6)
        self.assertEqual(delta(f, "vitals_apm_spans_rejected_total", protocol="otlp_grpc",
                               reason="end_before_start"), 1)
        self.assertEqual(delta(f, "vitals_apm_requests_total", protocol="otlp_grpc", code="200"), 2)
        self.assertEqual(series(f, "vitals_apm_requests_total", protocol="otlp_grpc", code="400"), 1)
        self.assertEqual(series(f, "vitals_apm_requests_refused_total", protocol="otlp_grpc",
                                reason="undecodable"), 1)
        self.assertEqual(series(f, "vitals_apm_receiver_up", receiver="otlp_grpc"), 1)
        self.assertEqual(series(f, "vitals_apm_otlp_grpc_max_threads"), callback_threads())

    def test_resource_exhausted_with_retry_info_when_slots_are_taken(self):
        # An OTLP/HTTP request whose body never ends holds the one ingestion slot
        # (--apm.max-concurrent-requests=1), which the gRPC listener shares.
        s = socket.create_connection(("127.0.0.1", self.otlp))
        try:
            s.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                      b"Content-Length: 4000\r\n\r\n\x0a")
            wait_until(lambda: series(parse_exposition(self.agent.scrape()),
                                      "vitals_apm_ingest_queue_length") == 1, what="slot taken")
            with self.assertRaises(grpc.RpcError) as e:
                export(self.grpc, otlp_proto([("busy", [Span("x", MS)])]))
            self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
            details = dict(e.exception.trailing_metadata())["grpc-status-details-bin"]
            self.assertEqual(read_fields(details)[1], [8])  # google.rpc.Status.code
            self.assertEqual(retry_delay(e.exception), 1)
        finally:
            s.close()
        wait_until(lambda: series(parse_exposition(self.agent.scrape()),
                                  "vitals_apm_ingest_queue_length") == 0, what="slot freed")
        # Free again: the same call goes through.
        _, call = export(self.grpc, otlp_proto([("busy", [Span("x", MS)])]))
        self.assertEqual(call.code(), grpc.StatusCode.OK)
        f = parse_exposition(self.agent.scrape())
        self.assertEqual(series(f, "vitals_apm_requests_refused_total", protocol="otlp_grpc",
                                reason="overloaded"), 1)


class ApmGrpcOverload(unittest.TestCase):
    """One ingestion slot and 16 connections calling at once: each call is taken (OK) or refused
    with RESOURCE_EXHAUSTED + RetryInfo, never gRPC's own RESOURCE_EXHAUSTED without it (what the
    synchronous server answered when its thread quota ran out)."""

    CHANNELS, CALLS, SPANS = 16, 4, 20  # 64 calls of 20 spans

    def burst(self, port, retry):
        """Every connection makes CALLS calls at once with the others; with `retry` a refused
        call is sent again (as an OTLP exporter does) until taken, without waiting. Returns
        the answers: "ok", "retry" (RESOURCE_EXHAUSTED with RetryInfo 1 s) or what else came."""
        body = otlp_proto([("burst", [Span("x", MS, span=i + 1) for i in range(self.SPANS)])])

        def connection(_):
            answers = []
            # A channel of its own per connection (a shared subchannel would be one TCP
            # connection, which carries --apm.max-concurrent-requests streams at a time).
            with grpc.insecure_channel(f"127.0.0.1:{port}",
                                       options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
                call = ch.unary_unary(EXPORT)
                for _ in range(self.CALLS):
                    deadline = time.monotonic() + 60
                    while True:
                        try:
                            call(body, timeout=20)
                            answers.append("ok")
                            break
                        except grpc.RpcError as e:
                            if (e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                                    and retry_delay(e) == 1):
                                answers.append("retry")
                            else:
                                answers.append(f"{e.code()}: {e.details()}")
                                break
                        if not retry or time.monotonic() > deadline:
                            break
            return answers

        with ThreadPoolExecutor(self.CHANNELS) as ex:
            return [a for answers in ex.map(connection, range(self.CHANNELS)) for a in answers]

    def test_every_refusal_carries_retry_info(self):
        port, otlp = free_port(), free_port()
        with Agent(f"--apm.otlp.grpc-listen-address=127.0.0.1:{port}",
                   f"--apm.otlp.listen-address=127.0.0.1:{otlp}",
                   "--apm.max-concurrent-requests=1") as agent:
            sent = self.CHANNELS * self.CALLS
            # The one slot taken by an OTLP/HTTP request whose body never ends: every call is
            # refused, each with RetryInfo.
            s = socket.create_connection(("127.0.0.1", otlp))
            try:
                s.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/x-protobuf\r\nContent-Length: 4000\r\n\r\n\x0a")
                wait_until(lambda: series(parse_exposition(agent.scrape()),
                                          "vitals_apm_ingest_queue_length") == 1, what="slot taken")
                held = self.burst(port, retry=False)
            finally:
                s.close()
            self.assertEqual(held, ["retry"] * sent)
            wait_until(lambda: series(parse_exposition(agent.scrape()),
                                      "vitals_apm_ingest_queue_length") == 0, what="slot freed")
            # The slot free, 16 calls at a time for it: taken or refused with RetryInfo, and
            # retried until every call is taken.
            answers = self.burst(port, retry=True)
            others = [a for a in answers if a not in ("ok", "retry")]
            self.assertEqual(others, [])
            self.assertEqual(answers.count("ok"), sent)
            refused = sent + answers.count("retry")
            f = parse_exposition(agent.scrape())
        # The agent counted the same: every call answered was taken or refused for overload.
        self.assertEqual(series(f, "vitals_apm_requests_total", protocol="otlp_grpc", code="200"),
                         sent)
        self.assertEqual(series(f, "vitals_apm_requests_total", protocol="otlp_grpc", code="429"),
                         refused)
        self.assertEqual(series(f, "vitals_apm_requests_refused_total", protocol="otlp_grpc",
                                reason="overloaded"), refused)
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="otlp_grpc"),
                         sent * self.SPANS)


class ApmGrpcTlsAuth(unittest.TestCase):
    def test_js_exporter_over_tls_with_basic_auth(self):
        node = require_tool("node", "nodejs")
        require(os.path.isdir(os.path.join(CLIENTS, "node_modules", "@opentelemetry",
                                           "exporter-trace-otlp-grpc")),
                "tests/clients/node_modules is missing: run `npm ci` in tests/clients")
        with tempfile.TemporaryDirectory() as d:
            certs = Certs.__new__(Certs)
            certs.d, certs.openssl = d, require_tool("openssl", "openssl")
            certs.ca("ca")
            certs.cert("server", "ca", "IP:127.0.0.1,DNS:localhost")
            cfg = os.path.join(d, "apm-web.yml")
            with open(cfg, "w") as f:
                f.write(f"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                        f"basic_auth_users:\n  prom: {PROM_HASH}\n")
            port = free_port()
            with Agent(f"--apm.web.config.file={cfg}",
                       f"--apm.otlp.grpc-listen-address=127.0.0.1:{port}") as agent:
                with open(certs.p("ca.crt"), "rb") as f:
                    creds = grpc.ssl_channel_credentials(f.read())
                body = otlp_proto([("py-tls", [Span("GET /", MS)])])
                with self.assertRaises(grpc.RpcError) as e:
                    export(port, body, creds=creds)
                self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
                with self.assertRaises(grpc.RpcError) as e:
                    export(port, body, creds=creds, metadata=(("authorization", basic("prom", "no")),))
                self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
                _, call = export(port, body, creds=creds,
                                 metadata=(("authorization", basic("prom", "s3cret")),))
                self.assertEqual(call.code(), grpc.StatusCode.OK)
                # Plaintext to a TLS listener fails.
                with self.assertRaises(grpc.RpcError):
                    export(port, body)
                env = dict(os.environ, MODE="grpc-gzip", GRPC_URL=f"https://127.0.0.1:{port}",
                           GRPC_CA=certs.p("ca.crt"), GRPC_AUTH="prom:s3cret")
                p = subprocess.run([node, "send.js"], cwd=CLIENTS, env=env, capture_output=True,
                                   text=True, timeout=120)
                self.assertEqual(p.returncode, 0, f"{p.stdout}\n{p.stderr}")
                f = parse_exposition(agent.scrape())
        self.assertEqual(series(f, "vitals_apm_spans_received_total", protocol="otlp_grpc"), 8)
        ok = span_labels("grpc-gzip-backend", "GET /users")
        self.assertEqual(series(f, "traces_span_metrics_calls_total", **ok), 4)
        self.assertEqual(series(f, "traces_span_metrics_duration_seconds_bucket", le="0.002", **ok), 2)
        self.assertEqual(series(f, "traces_span_metrics_calls_total", **span_labels("py-tls", "GET /")), 1)

    def test_listener_off_when_flag_empty(self):
        with Agent("--apm.otlp.grpc-listen-address=") as agent:
            f = parse_exposition(agent.scrape())
        self.assertIsNone(series(f, "vitals_apm_receiver_up", receiver="otlp_grpc"))
        self.assertIsNone(series(f, "vitals_apm_otlp_grpc_max_threads"))


if __name__ == "__main__":
    unittest.main()
