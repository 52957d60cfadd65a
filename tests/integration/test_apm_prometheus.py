"""A real Prometheus 2.42 scrapes the agent while spans of 300 ms arrive; the p99 from
histogram_quantile over the span duration histogram lands in the (0.2, 0.4] bucket."""

import json
import math
import os
import subprocess
import tempfile
import unittest
import urllib.parse

from apm_lib import Span, otlp_proto, post
from vitals_testlib import Agent, free_port, http_request, wait_until

PROMETHEUS = os.environ.get("PROMETHEUS_BIN", "prometheus")
from vitals_testlib import require_tool
QUERY = "histogram_quantile(0.99, sum by (le) (rate(traces_span_metrics_duration_seconds_bucket[1m])))"


class ApmPrometheus(unittest.TestCase):
    def test_p99_lands_in_the_right_bucket(self):
        prometheus = require_tool(PROMETHEUS, "prometheus")
        otlp = free_port()
        with Agent(f"--apm.otlp.listen-address=127.0.0.1:{otlp}") as agent, \
                tempfile.TemporaryDirectory() as tmp:
            cfg = os.path.join(tmp, "prometheus.yml")
            with open(cfg, "w") as f:
                f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                        "scrape_configs:\n  - job_name: vitals\n    static_configs:\n"
                        f"      - targets: ['127.0.0.1:{agent.port}']\n")
            prom_port = free_port()
            log = open(os.path.join(tmp, "prometheus.log"), "wb")
            prom = subprocess.Popen([prometheus, f"--config.file={cfg}",
                                     f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
                                     f"--web.listen-address=127.0.0.1:{prom_port}"],
                                    stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_until(lambda: http_request(prom_port, "/-/ready", timeout=2).status == 200,
                           timeout=60, what="prometheus ready")

                def p99():
                    # Spans keep arriving so that rate() has an increase to work on.
                    spans = [Span("GET /", 300_000_000, span=i + 1) for i in range(50)]
                    self.assertEqual(post(otlp, "/v1/traces", otlp_proto([("web", spans)])).status, 200)
                    r = http_request(prom_port, "/api/v1/query?query=" + urllib.parse.quote(QUERY), timeout=5)
                    data = json.loads(r.body)
                    self.assertEqual(data["status"], "success", data)
                    res = data["data"]["result"]
                    if not res:
                        return None
                    v = float(res[0]["value"][1])
                    return None if math.isnan(v) else v

                v = wait_until(p99, timeout=90, interval=0.5, what="a p99 from Prometheus")
                self.assertGreater(v, 0.2)
                self.assertLessEqual(v, 0.4)
                # Prometheus stored the agent's cumulative buckets: nothing at or under 0.2 s.
                r = http_request(prom_port, "/api/v1/query?query=" + urllib.parse.quote(
                    'traces_span_metrics_duration_seconds_bucket{le="0.2"}'), timeout=5)
                self.assertEqual(float(json.loads(r.body)["data"]["result"][0]["value"][1]), 0)
            finally:
                prom.terminate()
                prom.wait(30)
                log.close()


if __name__ == "__main__":
    from vitals_testlib import main
    main()
