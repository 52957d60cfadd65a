"""packaging/compose: compose.yaml passes `docker-compose config` (Debian's docker-compose 1.29:
the compose file format's schema, checked offline, no engine needed); every relative
path it mounts exists (the rules and Grafana files come from packaging/prometheus and
packaging/grafana); its Prometheus configuration, with the rules mounted where the compose file
puts them, passes `promtool check config` (rules included); Grafana's provisioning points at
the compose file's Prometheus service and at the folder the dashboards are mounted in; vitals
runs as in the Containerfile: non-root, read-only, the host's filesystems under /host."""

import os
import subprocess
import tempfile
import unittest

import yaml

from vitals_testlib import main, require_tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPOSE_DIR = os.path.join(ROOT, "packaging", "compose")
SIBLINGS = [os.path.join(ROOT, "packaging", d) for d in ("prometheus", "grafana")]


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.compose = load(os.path.join(COMPOSE_DIR, "compose.yaml"))
        cls.services = cls.compose["services"]

    def mounts(self, service):
        """{container path: host path (absolute; relative ones resolved from the file)}"""
        out = {}
        for v in self.services[service].get("volumes", []):
            src, dst = v.split(":")[:2]
            if src.startswith("."):
                src = os.path.normpath(os.path.join(COMPOSE_DIR, src))
            out[dst] = src
        return out

    def require_siblings(self):
        missing = [d for d in SIBLINGS if not os.path.isdir(d)]
        if missing:
            raise unittest.SkipTest(f"{', '.join(missing)} not in this tree yet")

    def test_schema(self):
        dc = require_tool("docker-compose", "docker-compose")
        r = subprocess.run([dc, "-f", os.path.join(COMPOSE_DIR, "compose.yaml"), "config", "-q"],
                           capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        # And the check does refuse what is wrong.
        with tempfile.TemporaryDirectory() as d:
            bad = dict(self.compose, services=dict(self.services))
            bad["services"]["vitals"] = dict(self.services["vitals"], read_only="very")
            with open(os.path.join(d, "compose.yaml"), "w") as f:
                yaml.safe_dump(bad, f)
            r = subprocess.run([dc, "-f", os.path.join(d, "compose.yaml"), "config", "-q"],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("read_only", r.stderr)

    def test_shape(self):
        self.assertEqual(sorted(self.services), ["grafana", "prometheus", "vitals"])
        for name, s in self.services.items():
            self.assertIn("image", s, name)
            for v in s.get("volumes", []):
                src = v.split(":")[0]
                self.assertTrue(src.startswith(("/", ".")) or src in self.compose["volumes"], v)
        v = self.services["vitals"]
        self.assertEqual(v["build"]["context"], "../..")
        self.assertTrue(os.path.isfile(os.path.join(COMPOSE_DIR, v["build"]["context"],
                                                    v["build"]["dockerfile"])))
        self.assertTrue(v["read_only"])
        self.assertEqual(v["user"], "65534:65534")
        self.assertEqual((v["network_mode"], v["pid"]), ("host", "host"))
        self.assertEqual(self.mounts("vitals"),
                         {"/host/proc": "/proc", "/host/sys": "/sys", "/host/root": "/"})
        self.assertTrue(all(m.split(":")[2].startswith("ro") for m in v["volumes"]))
        for flag in ("--path.procfs=/host/proc", "--path.sysfs=/host/sys",
                     "--path.rootfs=/host/root"):
            self.assertIn(flag, v["command"])

    def test_relative_paths_exist(self):
        self.require_siblings()
        for service in self.services:
            for dst, src in self.mounts(service).items():
                if src.startswith(ROOT):
                    self.assertTrue(os.path.exists(src), f"{service}: {src} (for {dst})")

    def test_prometheus_config(self):
        self.require_siblings()
        promtool = require_tool("promtool", "prometheus")
        m = self.mounts("prometheus")
        with tempfile.TemporaryDirectory() as d:
            # The container's /etc/prometheus, laid out from the compose file's mounts.
            for dst, src in m.items():
                if dst.startswith("/etc/prometheus/"):
                    os.symlink(src, os.path.join(d, dst[len("/etc/prometheus/"):]))
            r = subprocess.run([promtool, "check", "config", os.path.join(d, "prometheus.yml")],
                               capture_output=True, text=True)
            print(r.stdout, r.stderr, end="")
            self.assertEqual(r.returncode, 0)
            self.assertRegex(r.stdout, r"SUCCESS: \d+ rules found")
            self.assertNotIn("SUCCESS: 0 rules found", r.stdout)
        config = load(m["/etc/prometheus/prometheus.yml"])
        (job,) = config["scrape_configs"]
        self.assertEqual(job["static_configs"][0]["targets"], ["host.docker.internal:9100"])
        self.assertIn("host.docker.internal:host-gateway", self.services["prometheus"]["extra_hosts"])

    def test_grafana_provisioning(self):
        self.require_siblings()
        m = self.mounts("grafana")
        prov = m["/etc/grafana/provisioning"]
        urls = []
        for f in os.listdir(os.path.join(prov, "datasources")):
            for ds in load(os.path.join(prov, "datasources", f)).get("datasources", []):
                if ds["type"] == "prometheus":
                    urls.append(ds["url"])
        self.assertIn("http://prometheus:9090", urls)  # the compose service and its port
        paths = []
        for f in os.listdir(os.path.join(prov, "dashboards")):
            for p in load(os.path.join(prov, "dashboards", f)).get("providers", []):
                paths.append(p["options"]["path"])
        self.assertIn(paths[0], m)  # the dashboards are mounted where the provider reads
        dashboards = [f for f in os.listdir(m[paths[0]]) if f.endswith(".json")]
        self.assertGreater(len(dashboards), 0)


if __name__ == "__main__":
    main()
