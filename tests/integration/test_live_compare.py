"""Live comparison with node_exporter 1.5.0 (Debian's prometheus-node-exporter) on this machine:
with the same collector set, the same family names, TYPE, HELP and series label sets, and equal
values for the stable facts (MemTotal, boot time, CPU count, filesystem sizes, uname)."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from vitals_testlib import VITALS_BIN, Agent, free_port, http_request, parse_exposition, wait_until
from vitals_testlib import require_tool

NE = "prometheus-node-exporter"

# Families outside any collector, or about the exporter process itself.
SKIP = re.compile(r"^(go_|process_|promhttp_|node_exporter_build_info|vitals_|"
                  r"node_scrape_collector_duration_seconds)")
# Series sets that legitimately change between two scrapes a moment apart.
VOLATILE_SERIES = re.compile(r"^(node_textfile_mtime_seconds|node_processes_state|"
                             r"node_processes_threads_state)$")
# Debian patches node_exporter's mount-point default (adds mnt, media, run); vitals keeps
# upstream's. Both get the same explicit value here.
MOUNT_EXCLUDE = ("--collector.filesystem.mount-points-exclude="
                 "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)")


# Collectors vitals has only node_exporter's fixture path for (none: wifi reads nl80211 live;
# tests/integration/test_wifi_live.py compares it on its own, test_fixture_parity.py its fixtures).
FIXTURE_ONLY = set()


def ne_collectors(help_text):
    return set(re.findall(r"--(?:\[no-\])?collector\.([a-z_0-9]+)\s+Enable the", help_text))


def vitals_collectors():
    out = subprocess.run([VITALS_BIN, "--list-collectors"], capture_output=True, text=True,
                         check=True).stdout
    return {l.split()[0] for l in out.splitlines() if l.endswith(" implemented")}


def label_set_differences(v, n):
    """{family: what differs} for the families both exporters made whose series label sets are
    not the same."""
    out = {}
    for name in sorted(set(v) & set(n)):
        if SKIP.match(name) or VOLATILE_SERIES.match(name):
            continue
        w, g = n[name], v[name]
        if w.samples and g.samples and set(w.samples) != set(g.samples):
            missing = sorted(map(str, set(w.samples) - set(g.samples)))[:3]
            extra = sorted(map(str, set(g.samples) - set(w.samples)))[:3]
            out[name] = f"{name}: label sets differ; missing {missing} extra {extra}"
    return out


class LiveCompare(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ne = require_tool(NE, "prometheus-node-exporter")
        p = subprocess.run([ne, "--help"], capture_output=True, text=True)
        cls.collectors = sorted((vitals_collectors() & ne_collectors(p.stdout + p.stderr)) -
                                FIXTURE_ONLY)
        cls.tmp = tempfile.mkdtemp(prefix="vitals-live-")
        with open(os.path.join(cls.tmp, "a.prom"), "w") as f:
            f.write("# HELP live_test_metric A test metric.\n# TYPE live_test_metric gauge\n"
                    'live_test_metric{k="v"} 42\n')
        flags = ["--collector.disable-defaults"] + [f"--collector.{c}" for c in cls.collectors]
        if "textfile" in cls.collectors:
            flags.append(f"--collector.textfile.directory={cls.tmp}")
        if "filesystem" in cls.collectors:
            flags.append(MOUNT_EXCLUDE)
        cls.agent = Agent(*flags)
        port = free_port()
        cls.ne = subprocess.Popen([ne, f"--web.listen-address=127.0.0.1:{port}"] + flags,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.ne_port = port
        wait_until(lambda: http_request(port, "/metrics", timeout=5).status == 200, timeout=30,
                   what="node_exporter up")
        cls.v, cls.n = cls.scrape_both()

    @classmethod
    def scrape_both(cls):
        return (parse_exposition(cls.agent.scrape()),
                parse_exposition(http_request(cls.ne_port, "/metrics").text))

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        cls.ne.terminate()
        cls.ne.wait(10)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_collectors_compared(self):
        for c in ("loadavg", "meminfo", "stat"):
            self.assertIn(c, self.collectors)
        print("compared collectors:", " ".join(self.collectors))

    def test_same_families_types_help_and_label_sets(self):
        problems = []
        want = {n: f for n, f in self.n.items() if not SKIP.match(n) and f.samples}
        got = {n: f for n, f in self.v.items() if not SKIP.match(n) and f.samples}
        for name in sorted(set(want) - set(got)):
            problems.append(f"{name}: made by node_exporter, missing in vitals")
        for name in sorted(set(got) - set(want)):
            problems.append(f"{name}: made by vitals, not by node_exporter")
        for name in sorted(set(want) & set(got)):
            w, g = want[name], got[name]
            if (w.type, w.help) != (g.type, g.help):
                problems.append(f"{name}: TYPE/HELP {g.type!r} {g.help!r} != {w.type!r} {w.help!r}")
        # Label sets follow the host: a socket that changes state or an interface that comes or
        # goes between the two scrapes (other tests run beside this one) is not a difference.
        # A family fails when its label sets differ in each of up to five pairs of scrapes.
        differ = label_set_differences(self.v, self.n)
        for _ in range(4):
            if not differ:
                break
            again = label_set_differences(*self.scrape_both())
            differ = {name: again[name] for name in differ if name in again}
        problems += [differ[name] for name in sorted(differ)]
        self.assertEqual(problems, [], "\n".join(problems))

    def test_collector_success_as_node_exporter(self):
        # A facility this host lacks (no RAPL, no NVMe, no schedstats, a module not loaded) is
        # node_exporter's "no data": success 0, as for a real failure. vitals reports the same.
        key = "node_scrape_collector_success"
        want = {dict(k[1])["collector"]: v for k, v in self.n[key].samples.items()}
        got = {dict(k[1])["collector"]: v for k, v in self.v[key].samples.items()}
        self.assertEqual(sorted(got), self.collectors)
        differ = {c: (got[c], want.get(c)) for c in self.collectors if got[c] != want.get(c)}
        self.assertEqual(differ, {}, "collector: (vitals, node_exporter)")
        print("collectors with no data on this host:",
              " ".join(c for c in self.collectors if got[c] == 0))

    def value(self, fams, name, labels=()):
        return fams[name].samples[(name, frozenset(labels))]

    def test_stable_values(self):
        for name in ("node_memory_MemTotal_bytes", "node_boot_time_seconds"):
            self.assertEqual(self.value(self.v, name), self.value(self.n, name), name)
        if "node_cpu_seconds_total" in self.n:
            def cpus(f):
                return sorted(dict(k[1])["cpu"] for k in f["node_cpu_seconds_total"].samples
                              if dict(k[1]).get("mode") == "idle")
            self.assertEqual(cpus(self.v), cpus(self.n))
            self.assertEqual(len(cpus(self.v)), os.cpu_count())
        if "node_filesystem_size_bytes" in self.n:
            self.assertEqual(self.n["node_filesystem_size_bytes"].samples,
                             self.v["node_filesystem_size_bytes"].samples)
        if "node_uname_info" in self.n:
            self.assertEqual(set(self.n["node_uname_info"].samples),
                             set(self.v["node_uname_info"].samples))


if __name__ == "__main__":
    from vitals_testlib import main
    main()
