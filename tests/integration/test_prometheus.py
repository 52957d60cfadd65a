"""Real Prometheus tools against the agent: promtool check metrics accepts the output (apart
from the camelCase names node_exporter itself has), and a real Prometheus 2.42 server started on
loopback scrapes it (up == 1, node_load1 present)."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse
import urllib.request

from vitals_testlib import NE_FIXTURES, Agent, free_port, wait_until
from vitals_testlib import require_tool

# promtool warns about these names because node_exporter's own names are camelCase, and about
# cAdvisor's counter container_memory_failcnt (no _total), kept for cAdvisor's dashboards.
ALLOWED_LINT = ("node_memory_", "node_netstat_", "node_entropy_", "node_vmstat_",
                "container_memory_failcnt ")


def promtool():
    return require_tool("promtool", "prometheus")


class Promtool(unittest.TestCase):
    def check(self, text):
        p = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=60)
        problems = [l for l in (p.stdout + p.stderr).splitlines()
                    if l.strip() and not l.strip().startswith(ALLOWED_LINT)]
        self.assertEqual(problems, [], p.stdout + p.stderr)
        return p

    def test_live_output(self):
        with Agent() as a:
            self.check(a.scrape())

    def test_fixture_output(self):
        with Agent(f"--path.procfs={NE_FIXTURES}/proc", "--collector.stat.softirq") as a:
            p = self.check(a.scrape())
        # The allowed warnings are there (so the filter is not hiding everything else).
        self.assertIn("node_memory_", p.stdout + p.stderr)


class RealPrometheus(unittest.TestCase):
    def test_prometheus_scrapes_agent(self):
        prom = require_tool("prometheus", "prometheus")
        tmp = tempfile.mkdtemp(prefix="vitals-prom-")
        try:
            with Agent() as agent:
                cfg = os.path.join(tmp, "prometheus.yml")
                with open(cfg, "w") as f:
                    f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: vitals
    static_configs:
      - targets: ['127.0.0.1:{agent.port}']
""")
                port = free_port()
                log = open(os.path.join(tmp, "prometheus.log"), "w")
                p = subprocess.Popen([prom, f"--config.file={cfg}",
                                      f"--storage.tsdb.path={tmp}/data",
                                      f"--web.listen-address=127.0.0.1:{port}"],
                                     stdout=log, stderr=subprocess.STDOUT)
                try:
                    def query(q):
                        url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
                        with urllib.request.urlopen(url, timeout=5) as r:
                            body = json.load(r)
                        return body["data"]["result"]

                    up = wait_until(lambda: (lambda r: r and r[0]["value"][1] == "1" and r)(
                        query('up{job="vitals"}')), timeout=60, what="up == 1")
                    self.assertEqual(up[0]["metric"]["instance"], f"127.0.0.1:{agent.port}")
                    load = wait_until(lambda: query('node_load1{job="vitals"}'), timeout=60,
                                      what="node_load1 in Prometheus")
                    self.assertGreaterEqual(float(load[0]["value"][1]), 0.0)
                    ok = wait_until(lambda: query('node_scrape_collector_success{job="vitals"} == 1'),
                                    timeout=60, what="collector success series")
                    self.assertEqual({r["metric"]["collector"] for r in ok} >= {"loadavg", "meminfo", "stat"}, True)
                finally:
                    p.terminate()
                    p.wait(timeout=30)
                    log.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
