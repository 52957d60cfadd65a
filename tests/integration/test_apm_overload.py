"""Overload: when every ingestion slot (--apm.max-concurrent-requests) is busy, span requests
get 429 with Retry-After; clients that retry end with every span counted."""

import os
import socket
import threading
import unittest

from apm_lib import Span, otlp_proto, post, series, span_labels
from vitals_testlib import Agent, free_port, parse_exposition, wait_until


class ApmOverload(unittest.TestCase):
    def test_saturated_ingestion_answers_429_and_retried_spans_all_count(self):
        port = free_port()
        # No per-source connection limit: the 6 clients below open a new connection per attempt,
        # and a refused one's connection is still counted until the server has closed it, so
        # rapid retries can pass the default 16 for a moment and get closed at accept (a broken
        # pipe for the client): that limit is test_network's subject, not this test's.
        with Agent(f"--apm.otlp.listen-address=127.0.0.1:{port}",
                   "--apm.max-concurrent-requests=1",
                   "--apm.max-connections-per-source=0") as agent:
            def gauge(name):
                return series(parse_exposition(agent.scrape()), name)

            self.assertEqual(gauge("vitals_apm_ingest_queue_capacity"), 1)
            # Client A takes the only slot: headers and half of a chunked body, then holds.
            body_a = otlp_proto([("held", [Span("op", 1000, span=i + 1) for i in range(10)])])
            a = socket.create_connection(("127.0.0.1", port), timeout=30)
            a.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n")
            half = len(body_a) // 2
            a.sendall(b"%x\r\n" % half + body_a[:half] + b"\r\n")
            wait_until(lambda: gauge("vitals_apm_ingest_queue_length") == 1, what="queue length 1")

            # Client B is refused while A holds the slot.
            body_b = otlp_proto([("retried", [Span("op", 1000)])])
            r = post(port, "/v1/traces", body_b)
            self.assertEqual(r.status, 429)
            self.assertEqual(r.headers.get("retry-after"), "1")

            # A finishes; B's retry is taken.
            rest = body_a[half:]
            a.sendall(b"%x\r\n" % len(rest) + rest + b"\r\n0\r\n\r\n")
            resp = b""
            while b"\r\n\r\n" not in resp:
                chunk = a.recv(4096)
                self.assertTrue(chunk, "connection closed before the answer")
                resp += chunk
            self.assertTrue(resp.startswith(b"HTTP/1.1 200"), resp[:100])
            a.close()
            self.assertEqual(post(port, "/v1/traces", body_b).status, 200)

            # Many clients at once against one slot: each retries until taken.
            threads, per_thread, spans_per_req = 6, 20, 100
            refused = [0] * threads
            errors = []

            def client(t):
                spans = [Span("load", 3_000_000, span=i + 1) for i in range(spans_per_req)]
                body = otlp_proto([("load-svc", spans)])
                for _ in range(per_thread):
                    for _attempt in range(10000):
                        r = post(port, "/v1/traces", body)
                        if r.status in (429, 503):
                            refused[t] += 1
                            continue
                        if r.status != 200:
                            errors.append(r.status)
                        break
                    else:
                        errors.append("gave up")

            ts = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            self.assertEqual(errors, [])
            f = parse_exposition(agent.scrape())
            self.assertEqual(series(f, "traces_span_metrics_calls_total", **span_labels("load-svc", "load")),
                             threads * per_thread * spans_per_req)
            self.assertEqual(series(f, "traces_span_metrics_calls_total", **span_labels("held", "op")), 10)
            self.assertEqual(series(f, "traces_span_metrics_calls_total", **span_labels("retried", "op")), 1)
            # Every 429 the clients saw is counted by the agent, and nothing else was refused.
            self.assertEqual(series(f, "vitals_apm_requests_total", protocol="otlp_proto", code="429"),
                             1 + sum(refused))
            self.assertEqual(series(f, "vitals_apm_ingest_queue_length"), 0)
            print(f"load phase: {sum(refused)} answers 429 before retries succeeded")

    def test_span_decoding_threads_yield_to_collection(self):
        """--apm.ingestion-nice (default 10): a thread that decodes spans runs at nice 10, the
        collector threads and the metrics server at the agent's nice 0; 0 turns it off."""
        def nice_by_thread(pid):
            out = {}
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    with open(f"/proc/{pid}/task/{tid}/stat") as f:
                        comm, rest = f.read().rsplit(")", 1)
                except FileNotFoundError:
                    continue
                name = comm.split("(", 1)[1]
                out.setdefault(name, set()).add(int(rest.split()[16]))  # field 19: nice
            return out

        for flag, want in ((None, 10), ("--apm.ingestion-nice=0", 0), ("--apm.ingestion-nice=19", 19)):
            port = free_port()
            args = [f"--apm.otlp.listen-address=127.0.0.1:{port}", "--apm.max-concurrent-requests=1"]
            with Agent(*args, *([flag] if flag else [])) as agent:
                body = otlp_proto([("nice-svc", [Span("op", 1000)])])
                for _ in range(3):
                    self.assertEqual(post(port, "/v1/traces", body).status, 200)
                agent.scrape()
                nice = nice_by_thread(agent.pid)
                # The server threads that took the span requests run at `want`; the metrics
                # server's (which answered the scrape) and the collectors' at 0.
                self.assertIn(want, nice.get("civetweb-worker", set()), (flag, nice))
                self.assertIn(0, nice.get("civetweb-worker", set()), (flag, nice))
                self.assertEqual(nice.get("collector"), {0}, (flag, nice))
                self.assertEqual(nice.get("civetweb-master"), {0}, (flag, nice))

if __name__ == "__main__":
    from vitals_testlib import main
    main()
