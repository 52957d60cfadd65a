"""Remote write to real receivers, both at once: Prometheus 2.42 (--web.enable-remote-write-
receiver) and VictoriaMetrics 1.79. With an interval of 1 s, every collection the agent queued
arrives in both (count_over_time of node_time_seconds over the run equals the collections the
agent reports), each value matches its timestamp, and a series that disappears (a textfile
metric removed) gets a staleness marker. A few seconds."""

import base64
import http.server
import os
import re
import shutil
import tempfile
import threading
import time
import unittest
import uuid

from remote_write_lib import PrometheusReceiver, VictoriaMetricsReceiver
from vitals_testlib import Agent, free_port, main, parse_exposition, wait_until


def series(fams, name):
    """[(labels dict, value)] of one family."""
    return [(dict(labels), v) for (_, labels), v in fams[name].series().items()]


def collections(agent):
    fams = parse_exposition(agent.scrape())
    return int(series(fams, "vitals_remote_write_collections_total")[0][1])


class RemoteWriteToRealReceivers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vitals-rw-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_every_sample_arrives_in_both(self):
        text = os.path.join(self.tmp, "textfile")
        os.mkdir(text)
        with open(os.path.join(text, "kept.prom"), "w") as f:
            f.write("rw_test_kept 42\n")
        with open(os.path.join(text, "gone.prom"), "w") as f:
            f.write('rw_test_gone{k="v"} 1\n')
        run = uuid.uuid4().hex[:12]
        with PrometheusReceiver() as prom, VictoriaMetricsReceiver() as vm:
            agent = Agent("--collector.disable-defaults", "--collector.time",
                          "--collector.textfile", f"--collector.textfile.directory={text}",
                          f"--remote-write.url={prom.write_url}",
                          f"--remote-write.url={vm.write_url}",
                          "--remote-write.interval=1s", "--remote-write.batch-deadline=0s",
                          f"--remote-write.queue-dir={self.tmp}/queue",
                          f"--remote-write.external-label=rwrun={run}")
            try:
                wait_until(lambda: collections(agent) >= 3, timeout=20, what="3 collections")
                os.unlink(os.path.join(text, "gone.prom"))
                removed_at = collections(agent)
                wait_until(lambda: collections(agent) >= removed_at + 2, timeout=20,
                           what="2 collections after the removal")
                # Self metrics per endpoint, labelled by URL.
                fams = parse_exposition(agent.scrape())
                urls = {l["url"] for l, _ in series(fams, "vitals_remote_write_samples_queued_total")}
                self.assertEqual(urls, {prom.write_url, vm.write_url})
                writable = series(fams, "vitals_remote_write_queue_writable")
                self.assertEqual([v for _, v in writable], [1.0, 1.0])
            finally:
                rc = agent.stop()
            out = agent.output()
            self.assertEqual(rc, 0, out)
            m = re.search(r'msg="remote write stopped" collections=(\d+)', out)
            self.assertIsNotNone(m, out)
            n = int(m.group(1))
            self.assertGreaterEqual(n, 5)
            self.assertNotIn("unsent samples", out)
            self.assertIsNone(re.search(r'level=error msg="remote write', out), out)

            sel = f'{{rwrun="{run}"}}'
            vm.flush()
            for r in (prom, vm):
                with self.subTest(receiver=r.kind):
                    got = wait_until(
                        lambda: (lambda res: res and res[0]["values"] if len(res[0]["values"]) >= n else None)(
                            r.query(f"node_time_seconds{sel}[10m]")),
                        timeout=20, what=f"{n} samples of node_time_seconds in {r.kind}")
                    self.assertEqual(len(got), n, got)
                    for ts, value in got:
                        self.assertAlmostEqual(float(value), float(ts), delta=1.0)
                    # VictoriaMetrics moves a query time that lies within its latency offset of
                    # its clock (at least 1 s, whatever -search.latencyOffset says) back to
                    # now - 1 s, and the newest sample falls out of the window. Asking 3 s
                    # ahead is past that; the raw query above already has every sample.
                    def counts():
                        at = time.time() + 3
                        return (r.query(f"count_over_time(node_time_seconds{sel}[10m])", at=at),
                                r.query(f"count_over_time(rw_test_kept{sel}[10m])", at=at))
                    try:
                        wait_until(lambda: all(c and float(c[0]["value"][1]) >= n for c in counts()),
                                   timeout=10, what=f"count_over_time {n} in {r.kind}")
                    except AssertionError:
                        pass  # the assertions below say what is wrong
                    count, kept = counts()
                    raw = {m: r.query(f"{m}{sel}[10m]") for m in ("node_time_seconds", "rw_test_kept")}
                    self.assertEqual(float(count[0]["value"][1]), n, raw)
                    self.assertEqual(float(kept[0]["value"][1]), n, raw)
                    at = time.time() + 3
                    gone = r.query(f"count_over_time(rw_test_gone{sel}[10m])", at=at)
                    self.assertGreaterEqual(float(gone[0]["value"][1]), 3)
                    self.assertLessEqual(float(gone[0]["value"][1]), removed_at + 1)
                    # The staleness marker ends rw_test_gone at once; rw_test_kept (no marker:
                    # the agent only stopped) is still there within the 5 m lookback.
                    self.assertEqual(r.query(f"rw_test_gone{sel}", at=at), [])
                    self.assertEqual(len(r.query(f"rw_test_kept{sel}", at=at)), 1)


class RequestShape(unittest.TestCase):
    def test_headers_and_basic_auth(self):
        """The request a receiver gets: POST, remote write 1.0 headers, basic auth from the
        password file, credentials never in the url label."""
        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                seen.append((self.path, dict(self.headers), body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        port = free_port()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        tmp = tempfile.mkdtemp(prefix="vitals-rw-shape-")
        try:
            with open(os.path.join(tmp, "password"), "w") as f:
                f.write("s3cret\n")
            with Agent("--collector.disable-defaults", "--collector.time",
                       f"--remote-write.url=http://u:x@127.0.0.1:{port}/api/v1/write",
                       "--remote-write.basic-auth.username=agent",
                       f"--remote-write.basic-auth.password-file={tmp}/password",
                       "--remote-write.interval=1s", "--remote-write.batch-deadline=0s",
                       f"--remote-write.queue-dir={tmp}/queue") as agent:
                wait_until(lambda: seen, timeout=20, what="a request")
                text = agent.scrape()
            path, headers, body = seen[0]
            self.assertEqual(path, "/api/v1/write")
            self.assertEqual(headers["Content-Encoding"], "snappy")
            self.assertEqual(headers["Content-Type"], "application/x-protobuf")
            self.assertEqual(headers["X-Prometheus-Remote-Write-Version"], "0.1.0")
            self.assertRegex(headers["User-Agent"], r"^vitals/\d+\.\d+\.\d+$")
            self.assertEqual(headers["Authorization"],
                             "Basic " + base64.b64encode(b"agent:s3cret").decode())
            self.assertGreater(len(body), 0)
            self.assertIn(f'url="http://127.0.0.1:{port}/api/v1/write"', text)
            self.assertNotIn("u:x@", text)
        finally:
            server.shutdown()
            server.server_close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
