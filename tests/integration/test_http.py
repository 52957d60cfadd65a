"""The exporter over real HTTP: plain, gzip, HEAD, collect[]/exclude[] filters, status codes,
the landing page and the health endpoints."""

import gzip
import http.client
import os
import shutil
import tempfile
import unittest

from vitals_testlib import NE_FIXTURES, Agent, parse_exposition

FIXTURE_ARGS = [f"--path.procfs={NE_FIXTURES}/proc", "--collector.stat.softirq"]


class Http(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.agent = Agent(*FIXTURE_ARGS)

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()

    def test_plain_text(self):
        r = self.agent.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        self.assertNotIn("content-encoding", r.headers)
        fams = parse_exposition(r.text)
        self.assertEqual(fams["node_load1"].samples[("node_load1", frozenset())], 0.21)
        self.assertEqual(fams["node_load1"].type, "gauge")
        self.assertEqual(fams["node_load1"].help, "1m load average.")
        self.assertEqual(fams["node_memory_MemTotal_bytes"].samples[
            ("node_memory_MemTotal_bytes", frozenset())], 3742148 * 1024)
        ok = fams["node_scrape_collector_success"].samples
        for c in ("loadavg", "meminfo", "stat"):
            self.assertEqual(ok[("node_scrape_collector_success", frozenset({("collector", c)}))], 1)
        for name in ("process_cpu_seconds_total", "process_resident_memory_bytes",
                     "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                     "process_start_time_seconds", "vitals_build_info",
                     "node_scrape_collector_duration_seconds"):
            self.assertIn(name, fams)
        self.assertGreater(fams["process_resident_memory_bytes"].samples[
            ("process_resident_memory_bytes", frozenset())], 0)
        (key, val), = fams["vitals_build_info"].samples.items()
        self.assertEqual(val, 1)
        self.assertEqual({k for k, _ in key[1]}, {"version", "revision", "compiler"})
        # Deterministic order: families sorted by name.
        names = [l.split()[2] for l in r.text.splitlines() if l.startswith("# TYPE ")]
        self.assertEqual(names, sorted(names))

    def test_gzip(self):
        r = self.agent.get("/metrics", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-encoding"], "gzip")
        self.assertEqual(int(r.headers["content-length"]), len(r.body))
        text = gzip.decompress(r.body).decode()
        self.assertIn("node_load15 0.39\n", text)
        r0 = self.agent.get("/metrics", headers={"Accept-Encoding": "gzip;q=0"})
        self.assertNotIn("content-encoding", r0.headers)

    def test_head(self):
        r = self.agent.get("/metrics", method="HEAD")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        self.assertGreater(int(r.headers["content-length"]), 1000)

    def test_large_bodies_on_one_keep_alive_connection(self):
        """A body over 64 KiB is written after the headers rather than copied in with them: on
        one kept-alive connection, large and small answers follow each other intact."""
        tmp = tempfile.mkdtemp(prefix="vitals-http-large-")
        try:
            with open(os.path.join(tmp, "big.prom"), "w") as f:
                for i in range(4000):
                    f.write(f'http_test_big{{i="{i}",pad="{"x" * 20}"}} {i}\n')
            with Agent("--collector.disable-defaults", "--collector.textfile",
                       f"--collector.textfile.directory={tmp}") as agent:
                conn = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=30)
                try:
                    for path, enc in (("/metrics", None), ("/-/healthy", None),
                                      ("/metrics", "gzip"), ("/metrics", None)):
                        conn.request("GET", path, headers={"Accept-Encoding": enc} if enc else {})
                        r = conn.getresponse()
                        body = r.read()
                        self.assertEqual(r.status, 200, path)
                        self.assertEqual(int(r.getheader("Content-Length")), len(body))
                        if path == "/metrics":
                            text = (gzip.decompress(body) if enc else body).decode()
                            self.assertGreater(len(text), 64 << 10)
                            fams = parse_exposition(text)
                            series = fams["http_test_big"].samples
                            self.assertEqual(len(series), 4000)
                            self.assertEqual(series[("http_test_big", frozenset(
                                {("i", "3999"), ("pad", "x" * 20)}))], 3999)
                    conn.request("HEAD", "/metrics")
                    r = conn.getresponse()
                    self.assertEqual(r.read(), b"")
                    self.assertGreater(int(r.getheader("Content-Length")), 64 << 10)
                finally:
                    conn.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_collect_filter(self):
        fams = parse_exposition(self.agent.scrape("/metrics?collect[]=loadavg"))
        self.assertIn("node_load1", fams)
        self.assertNotIn("node_memory_MemTotal_bytes", fams)
        self.assertNotIn("node_intr_total", fams)
        ok = fams["node_scrape_collector_success"].samples
        self.assertEqual(set(dict(k[1])["collector"] for k in ok), {"loadavg"})
        # URL-encoded brackets, two collectors.
        fams = parse_exposition(self.agent.scrape("/metrics?collect%5B%5D=stat&collect%5B%5D=meminfo"))
        self.assertIn("node_intr_total", fams)
        self.assertIn("node_memory_MemTotal_bytes", fams)
        self.assertNotIn("node_load1", fams)

    def test_exclude_filter(self):
        fams = parse_exposition(self.agent.scrape("/metrics?exclude[]=meminfo"))
        self.assertIn("node_load1", fams)
        self.assertIn("node_intr_total", fams)
        self.assertNotIn("node_memory_MemTotal_bytes", fams)

    def test_filter_errors(self):
        r = self.agent.get("/metrics?collect[]=nosuch")
        self.assertEqual(r.status, 400)
        self.assertIn('unknown collector "nosuch"', r.text)
        r = self.agent.get("/metrics?collect[]=loadavg&exclude[]=stat")
        self.assertEqual(r.status, 400)
        self.assertIn("together", r.text)

    def test_not_found_and_method(self):
        self.assertEqual(self.agent.get("/nope").status, 404)
        r = self.agent.get("/metrics", method="POST")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.headers["allow"], "GET, HEAD")

    def test_landing_and_health(self):
        self.agent.scrape()
        r = self.agent.get("/")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["content-type"].startswith("text/html"))
        for word in ("vitals version", 'href="/metrics"', "loadavg", "meminfo", "stat", ">ok<"):
            self.assertIn(word, r.text)
        self.assertEqual(self.agent.get("/-/healthy").status, 200)
        self.assertEqual(self.agent.get("/-/ready").status, 200)
        self.assertEqual(self.agent.get("/-/healthy", method="HEAD").status, 200)

    def test_promhttp_counters(self):
        before = parse_exposition(self.agent.scrape())["promhttp_metric_handler_requests_total"]
        self.agent.scrape()
        after = parse_exposition(self.agent.scrape())["promhttp_metric_handler_requests_total"]
        key = ("promhttp_metric_handler_requests_total", frozenset({("code", "200")}))
        self.assertEqual(after.samples[key], before.samples[key] + 2)


class CustomPath(unittest.TestCase):
    def test_telemetry_path_and_disable_exporter_metrics(self):
        with Agent(*FIXTURE_ARGS, "--web.telemetry-path=/m",
                   "--web.disable-exporter-metrics") as a:
            self.assertEqual(a.get("/metrics").status, 404)
            fams = parse_exposition(a.scrape("/m"))
            self.assertIn("node_load1", fams)
            self.assertIn("vitals_build_info", fams)
            self.assertNotIn("process_cpu_seconds_total", fams)
            self.assertNotIn("promhttp_metric_handler_requests_total", fams)
            for name in ("vitals_collections_total", "vitals_collections_shared_total",
                         "vitals_collector_threads", "vitals_collector_kept_open_files",
                         "vitals_web_max_requests"):
                self.assertNotIn(name, fams)
            # The APM module's own metrics stay (the receivers are off, the module is not).
            self.assertIn("vitals_apm_series", fams)


class MaxRequests(unittest.TestCase):
    def test_limit_zero_means_unlimited_and_gauge_shows_limit(self):
        with Agent(*FIXTURE_ARGS, "--web.max-requests=3") as a:
            fams = parse_exposition(a.scrape())
            self.assertEqual(fams["vitals_web_max_requests"].samples[
                ("vitals_web_max_requests", frozenset())], 3)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
