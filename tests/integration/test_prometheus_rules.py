"""packaging/prometheus with the real promtool (Debian's prometheus package): the rule files
pass `promtool check rules`, every unit test in packaging/prometheus/tests passes `promtool
test rules`, every alert has a firing and a not-firing case there, and the scrape configuration
examples pass `promtool check config`. Whether the rules' metric names exist is checked
against a live agent by test_dashboards.py."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import yaml

from vitals_testlib import require_tool

PROM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packaging",
                    "prometheus")
RULES = [os.path.join(PROM, "rules", f) for f in ("vitals-recording.yml", "vitals-alerts.yml")]
TESTS = sorted(os.path.join(PROM, "tests", f) for f in os.listdir(os.path.join(PROM, "tests"))
               if f.endswith(".yml"))


def promtool():
    return require_tool("promtool", "prometheus")


def run(*args, cwd=None):
    return subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def alerts():
    names = []
    for path in RULES:
        with open(path) as f:
            for g in yaml.safe_load(f)["groups"]:
                names += [r["alert"] for r in g["rules"] if "alert" in r]
    return names


class PrometheusRules(unittest.TestCase):
    def test_check_rules(self):
        p = run("check", "rules", *RULES)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(len(re.findall(r"SUCCESS: \d+ rules found", p.stdout)), len(RULES),
                         p.stdout)

    def test_unit_tests_pass(self):
        self.assertGreaterEqual(len(TESTS), 5)
        # One promtool per file, all at once (the APM file's multi-day windows take longest).
        procs = {path: subprocess.Popen([promtool(), "test", "rules", path], text=True,
                                        cwd=os.path.dirname(path), stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
                 for path in TESTS}
        for path, p in procs.items():
            out, _ = p.communicate(timeout=120)
            with self.subTest(file=os.path.basename(path)):
                self.assertEqual(p.returncode, 0, out)
                self.assertIn("SUCCESS", out)

    def test_every_alert_fires_and_stays_quiet_in_a_test(self):
        fired, quiet = set(), set()
        for path in TESTS:
            with open(path) as f:
                doc = yaml.safe_load(f)
            for group in doc["tests"]:
                for t in group.get("alert_rule_test", []):
                    (fired if t.get("exp_alerts") else quiet).add(t["alertname"])
        names = alerts()
        self.assertGreaterEqual(len(names), 20)
        self.assertEqual(len(names), len(set(names)), "alert names repeat")
        self.assertEqual(sorted(set(names) - fired), [], "alerts without a firing test")
        self.assertEqual(sorted(set(names) - quiet), [], "alerts without a not-firing test")
        self.assertEqual(sorted((fired | quiet) - set(names)), [], "tests of unknown alerts")

    def test_every_alert_has_severity_and_annotations(self):
        for path in RULES:
            with open(path) as f:
                for g in yaml.safe_load(f)["groups"]:
                    for r in g["rules"]:
                        if "alert" not in r:
                            continue
                        with self.subTest(alert=r["alert"]):
                            self.assertIn(r["labels"]["severity"], ("critical", "warning", "info"))
                            self.assertTrue(r["annotations"]["summary"])
                            self.assertTrue(r["annotations"]["description"])

    def test_scrape_configs(self):
        for name in ("prometheus.yml", "file_sd.yml"):
            with self.subTest(config=name):
                p = run("check", "config", name, cwd=PROM)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # Debian's Prometheus is built without Kubernetes service discovery, so its promtool
        # rejects kubernetes_sd_configs. Check the rest of the Kubernetes example (relabelling
        # rules, rule files) with the discovery replaced by a static target, and the discovery
        # section's shape here.
        with open(os.path.join(PROM, "kubernetes.yml")) as f:
            cfg = yaml.safe_load(f)
        job = cfg["scrape_configs"][0]
        sd = job.pop("kubernetes_sd_configs")
        self.assertEqual([c["role"] for c in sd], ["pod"])
        self.assertEqual(sd[0]["selectors"][0]["label"], "app.kubernetes.io/name=vitals")
        keeps = {tuple(r["source_labels"]): r["regex"] for r in job["relabel_configs"]
                 if r.get("action") == "keep"}
        self.assertEqual(keeps[("__meta_kubernetes_pod_controller_kind",)], "DaemonSet")
        self.assertEqual(keeps[("__meta_kubernetes_pod_container_port_name",)], "metrics")
        job["static_configs"] = [{"targets": ["node1:9100"]}]
        tmp = tempfile.mkdtemp(prefix="vitals-k8s-")
        try:
            shutil.copytree(os.path.join(PROM, "rules"), os.path.join(tmp, "rules"))
            with open(os.path.join(tmp, "kubernetes.yml"), "w") as f:
                yaml.safe_dump(cfg, f)
            p = run("check", "config", "kubernetes.yml", cwd=tmp)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
