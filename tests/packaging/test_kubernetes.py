"""packaging/kubernetes: every object validated offline against the Kubernetes API's and the
prometheus-operator's OpenAPI schemas (npm kubernetes-models and
@kubernetes-models/prometheus-operator, pinned by packaging/kubernetes/test/package-lock.json;
types, required fields, enums and formats, not unknown fields), then what the schemas cannot
say, checked here: the DaemonSet's host namespaces, read-only /host mounts used by the
--path.* flags, tolerations, non-root and read-only root, the span receivers on the node's IP
from the downward API, ports the Services and the ServiceMonitor name, and the kustomization
listing every file."""

import json
import os
import subprocess
import unittest

import yaml

from vitals_testlib import main, require, require_tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K8S = os.path.join(ROOT, "packaging", "kubernetes")
CHECK = os.path.join(K8S, "test")


def load(name):
    with open(os.path.join(K8S, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


class KubernetesManifestsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = sorted(f for f in os.listdir(K8S) if f.endswith(".yaml") and
                           f != "kustomization.yaml")
        cls.objects = [o for f in cls.files for o in load(f)]
        cls.by_kind = {}
        for o in cls.objects:
            cls.by_kind.setdefault(o["kind"], []).append(o)

    def test_schemas(self):
        node = require_tool("node", "nodejs")
        require(os.path.isdir(os.path.join(CHECK, "node_modules", "kubernetes-models")),
                "packaging/kubernetes/test/node_modules missing (`scripts/dev test` runs npm ci)")
        r = subprocess.run([node, "validate.mjs"], cwd=CHECK, input=json.dumps(self.objects),
                           capture_output=True, text=True)
        print(r.stdout, r.stderr, end="")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.count("\nvalid ") + r.stdout.startswith("valid "),
                         len(self.objects))
        # The validator does reject what is wrong (so a pass above means something).
        bad = json.loads(json.dumps(self.by_kind["DaemonSet"][0]))
        bad["spec"]["template"]["spec"]["hostPID"] = "yes"
        del bad["spec"]["selector"]
        r = subprocess.run([node, "validate.mjs"], cwd=CHECK, input=json.dumps([bad]),
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("hostPID must be boolean", r.stdout)
        self.assertIn("selector", r.stdout)

    def test_daemonset(self):
        (ds,) = self.by_kind["DaemonSet"]
        pod = ds["spec"]["template"]["spec"]
        self.assertEqual(ds["spec"]["selector"]["matchLabels"],
                         {k: v for k, v in ds["spec"]["template"]["metadata"]["labels"].items()
                          if k in ds["spec"]["selector"]["matchLabels"]})
        self.assertTrue(pod["hostPID"])
        self.assertTrue(pod["hostNetwork"])
        self.assertEqual(pod["dnsPolicy"], "ClusterFirstWithHostNet")
        self.assertIn({"operator": "Exists"}, pod["tolerations"])  # every taint
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertNotEqual(pod["securityContext"]["runAsUser"], 0)
        (c,) = pod["containers"]
        sc = c["securityContext"]
        self.assertTrue(sc["readOnlyRootFilesystem"])
        self.assertFalse(sc["allowPrivilegeEscalation"])
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        self.assertEqual(sc["capabilities"]["add"], ["DAC_READ_SEARCH"])
        for k in ("requests", "limits"):
            self.assertEqual(sorted(c["resources"][k]), ["cpu", "memory"])
        # /host mounts: read-only, from the host's paths, and what the --path.* flags read.
        volumes = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        self.assertEqual({p: volumes[m["name"]] for p, m in mounts.items()},
                         {"/host/proc": "/proc", "/host/sys": "/sys", "/host/root": "/"})
        self.assertTrue(all(m["readOnly"] for m in mounts.values()))
        self.assertEqual(mounts["/host/root"]["mountPropagation"], "HostToContainer")
        args = c["args"]
        for flag, path in (("--path.procfs", "/host/proc"), ("--path.sysfs", "/host/sys"),
                           ("--path.rootfs", "/host/root")):
            self.assertIn(f"{flag}={path}", args)
        # The span receivers on the node's IP (downward API), so pods on the node reach them.
        env = {e["name"]: e for e in c["env"]}
        self.assertEqual(env["HOST_IP"]["valueFrom"]["fieldRef"]["fieldPath"], "status.hostIP")
        self.assertIn("--apm.otlp.listen-address=$(HOST_IP):4318", args)
        self.assertIn("--apm.zipkin.listen-address=$(HOST_IP):9411", args)
        # Every flag is one this binary knows (the flag table in README).
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        for a in args:
            self.assertIn(f"`{a.split('=')[0]}`", readme)
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        self.assertEqual(ports, {"metrics": 9100, "otlp-http": 4318, "zipkin": 9411})
        for probe in ("readinessProbe", "livenessProbe"):
            self.assertEqual(c[probe]["httpGet"]["port"], "metrics")

    def test_services_and_servicemonitor(self):
        (ds,) = self.by_kind["DaemonSet"]
        labels = ds["spec"]["template"]["metadata"]["labels"]
        (c,) = ds["spec"]["template"]["spec"]["containers"]
        port_names = {p["name"] for p in c["ports"]}
        services = {s["metadata"]["name"]: s for s in self.by_kind["Service"]}
        for s in services.values():
            self.assertTrue(set(s["spec"]["selector"].items()) <= set(labels.items()))
            for p in s["spec"]["ports"]:
                self.assertIn(p["targetPort"], port_names)
        apm = services["vitals-apm"]["spec"]
        self.assertEqual(apm["internalTrafficPolicy"], "Local")
        self.assertEqual({p["port"] for p in apm["ports"]}, {4318, 9411})
        self.assertEqual(services["vitals-metrics"]["spec"]["clusterIP"], "None")
        (sm,) = self.by_kind["ServiceMonitor"]
        self.assertTrue(set(sm["spec"]["selector"]["matchLabels"].items()) <=
                        set(services["vitals-metrics"]["metadata"]["labels"].items()))
        self.assertEqual([e["port"] for e in sm["spec"]["endpoints"]], ["metrics"])
        ns = {o["metadata"]["name"] for o in self.by_kind["Namespace"]}
        for o in self.objects:
            if o["kind"] != "Namespace":
                self.assertIn(o["metadata"]["namespace"], ns)

    def test_kustomization_lists_every_file(self):
        (k,) = load("kustomization.yaml")
        self.assertEqual(sorted(k["resources"]), self.files)


if __name__ == "__main__":
    main()
