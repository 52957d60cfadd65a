"""Real remote write receivers for the tests: Prometheus 2.42 (--web.enable-remote-write-receiver)
and VictoriaMetrics 1.79, each on a free loopback port with its data in a temporary directory,
with a PromQL query helper."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import urllib.parse
import urllib.request

from vitals_testlib import free_port, require_tool, wait_until


class Receiver:
    """A running receiver. `write_url` is its remote write endpoint."""

    kind = ""

    def __init__(self, tmp=None, port=None):
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix=f"vitals-rw-{self.kind}-")
        self.port = port or free_port()
        self.proc = None
        self.start()

    @property
    def write_url(self):
        return f"http://127.0.0.1:{self.port}/api/v1/write"

    def command(self):
        raise NotImplementedError

    def start(self):
        self.log = open(os.path.join(self.tmp, f"{self.kind}.log"), "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self._ready, timeout=60, what=f"{self.kind} ready on port {self.port}")

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.kind} exited with {self.proc.returncode}:\n{self.output()}")
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{self.ready_path}", timeout=2) as r:
            return r.status == 200

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()

    def output(self):
        with open(os.path.join(self.tmp, f"{self.kind}.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def query(self, q, at=None):
        """PromQL instant query; the result list."""
        params = {"query": q}
        if at is not None:
            params["time"] = f"{at:.3f}"
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]["result"]

    def close(self):
        self.stop()
        if self.own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class PrometheusReceiver(Receiver):
    kind = "prometheus"
    ready_path = "/-/ready"

    def command(self):
        prom = require_tool("prometheus", "prometheus")
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1m\n")
        return [prom, f"--config.file={cfg}", f"--storage.tsdb.path={self.tmp}/data",
                f"--web.listen-address=127.0.0.1:{self.port}", "--web.enable-remote-write-receiver"]


class VictoriaMetricsReceiver(Receiver):
    kind = "victoria-metrics"
    ready_path = "/health"

    def command(self):
        vm = require_tool("/usr/bin/victoria-metrics", "victoria-metrics")
        # Fresh samples visible at once (no latency offset, no response cache).
        return [vm, f"-storageDataPath={self.tmp}/data", f"-httpListenAddr=127.0.0.1:{self.port}",
                "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=ERROR"]

    def flush(self):
        """Makes everything received searchable now (VictoriaMetrics buffers ~1 s)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/internal/force_flush",
                                    timeout=10) as r:
            return r.status == 200
