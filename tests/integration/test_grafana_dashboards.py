"""packaging/grafana: the committed dashboards are what generate.py makes (`--check`), and each
is a well-formed Grafana dashboard: schemaVersion 39, a unique uid, the Prometheus data source
as the `datasource` template variable used by every panel and target, `job` and `instance`
variables from label_values, unique panel ids, every target carrying the instance selector.
That every query returns data from a live agent is test_dashboards.py's part."""

import json
import os
import subprocess
import sys
import unittest

import yaml

GRAFANA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packaging",
                       "grafana")
DASHBOARDS = os.path.join(GRAFANA, "dashboards")
WANT = {"vitals-host.json", "vitals-containers.json", "vitals-sockets.json",
        "vitals-process-groups.json", "vitals-apm.json", "vitals-agent.json"}


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


class GrafanaDashboards(unittest.TestCase):
    def test_committed_json_is_generated(self):
        p = subprocess.run([sys.executable, os.path.join(GRAFANA, "generate.py"), "--check"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_structure(self):
        self.assertEqual({f for f in os.listdir(DASHBOARDS) if f.endswith(".json")}, WANT)
        uids = set()
        for name in sorted(WANT):
            with open(os.path.join(DASHBOARDS, name)) as f:
                d = json.load(f)
            with self.subTest(dashboard=name):
                self.assertEqual(d["schemaVersion"], 39)
                self.assertNotIn(d["uid"], uids)
                uids.add(d["uid"])
                variables = {v["name"]: v for v in d["templating"]["list"]}
                self.assertEqual(variables["datasource"]["type"], "datasource")
                self.assertEqual(variables["datasource"]["query"], "prometheus")
                for v in ("job", "instance"):
                    self.assertTrue(variables[v]["definition"].startswith("label_values("))
                ids = [p["id"] for p in all_panels(d["panels"])]
                self.assertEqual(len(ids), len(set(ids)), "panel ids repeat")
                n = 0
                for p in all_panels(d["panels"]):
                    if p["type"] == "row":
                        continue
                    self.assertEqual(p["datasource"]["uid"], "${datasource}", p["title"])
                    self.assertTrue(p["targets"], p["title"])
                    for t in p["targets"]:
                        n += 1
                        self.assertEqual(t["datasource"]["uid"], "${datasource}")
                        self.assertIn('instance=~"$instance"', t["expr"], p["title"])
                self.assertGreaterEqual(n, 10)

    def test_provisioning(self):
        with open(os.path.join(GRAFANA, "provisioning", "datasources", "vitals.yml")) as f:
            ds = yaml.safe_load(f)["datasources"]
        self.assertEqual([d["type"] for d in ds], ["prometheus"])
        self.assertEqual(ds[0]["jsonData"]["exemplarTraceIdDestinations"][0]["name"], "trace_id")
        with open(os.path.join(GRAFANA, "provisioning", "dashboards", "vitals.yml")) as f:
            providers = yaml.safe_load(f)["providers"]
        self.assertEqual(providers[0]["type"], "file")


if __name__ == "__main__":
    from vitals_testlib import main
    main()
