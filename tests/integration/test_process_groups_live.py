"""process_groups on this machine: processes spawned with known names and thread counts show up
as groups with the right counts, memory and descriptors; Debian's prometheus-process-exporter
0.7.10 grouping by comm agrees on group names, process and thread counts and memory."""

import ctypes
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from vitals_testlib import Agent, free_port, http_request, parse_exposition, proc_fds, wait_until
from vitals_testlib import require_tool

PE = "/usr/bin/prometheus-process-exporter"
CHILD = textwrap.dedent("""
    import ctypes, sys, threading
    name, threads, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)   # PR_SET_NAME: the comm
    block = bytearray(mib << 20)                          # touched: resident
    for i in range(0, len(block), 4096): block[i] = 1
    ev = threading.Event()
    for _ in range(threads - 1): threading.Thread(target=ev.wait, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()
""")


def proc_value(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise AssertionError(key)


def groups(text):
    fams = parse_exposition(text)
    out = {}
    for (name, labels), v in fams["namedprocess_namegroup_num_procs"].samples.items():
        out[dict(labels)["groupname"]] = {"procs": v}
    for fam, field in (("namedprocess_namegroup_num_threads", "threads"),
                       ("namedprocess_namegroup_open_filedesc", "fds")):
        for (name, labels), v in fams[fam].samples.items():
            out[dict(labels)["groupname"]][field] = v
    for (name, labels), v in fams["namedprocess_namegroup_memory_bytes"].samples.items():
        d = dict(labels)
        out[d["groupname"]][d["memtype"]] = v
    return out


class ProcessGroupsLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.children = []
        # group vt5a: 3 processes x 1 thread x 8 MiB; group vt5b: 1 process x 6 threads x 32 MiB
        for name, threads, mib in [("vt5a", 1, 8)] * 3 + [("vt5b", 6, 32)]:
            p = subprocess.Popen([sys.executable, "-c", CHILD, name, str(threads), str(mib)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            cls.children.append(p)
        for p in cls.children:
            assert p.stdout.readline().strip() == b"ready"

    @classmethod
    def tearDownClass(cls):
        for p in cls.children:
            p.kill()
            p.wait()

    def test_known_groups(self):
        with Agent("--collector.disable-defaults", "--collector.process_groups") as agent:
            g = groups(agent.scrape())
        a, b = g["vt5a"], g["vt5b"]
        self.assertEqual(a["procs"], 3)
        self.assertEqual(a["threads"], 3)
        self.assertEqual(b["procs"], 1)
        self.assertEqual(b["threads"], 6)
        pids_a = [p.pid for p in self.children[:3]]
        rss_a = sum(proc_value(p, "VmRSS") for p in pids_a) * 1024
        self.assertAlmostEqual(a["resident"], rss_a, delta=rss_a * 0.05)
        self.assertGreater(a["resident"], 3 * 8 << 20)
        self.assertGreater(b["resident"], 32 << 20)
        self.assertEqual(b["fds"], proc_fds(self.children[3].pid))

    def test_group_cap_folds_rest(self):
        with Agent("--collector.disable-defaults", "--collector.process_groups",
                   "--collector.process_groups.max-groups=5") as agent:
            g = groups(agent.scrape())
        self.assertLessEqual(len(g), 6)  # 5 groups + _other
        self.assertIn("_other", g)
        total = sum(len([d for d in os.listdir("/proc") if d.isdigit()]) for _ in [0])
        self.assertAlmostEqual(sum(v["procs"] for v in g.values()), total, delta=total * 0.2)

    def test_agrees_with_process_exporter(self):
        require_tool(PE, "prometheus-process-exporter")
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as cfg:
            cfg.write('process_names:\n  - name: "{{.Comm}}"\n    cmdline:\n    - ".*"\n')
            cfg.flush()
            port = free_port()
            pe = subprocess.Popen([PE, f"-web.listen-address=127.0.0.1:{port}", "-config.path", cfg.name,
                                   "-threads=false", "-gather-smaps=false"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_until(lambda: http_request(port, "/metrics", timeout=5).status == 200,
                           what="process-exporter up")
                with Agent("--collector.disable-defaults", "--collector.process_groups") as agent:
                    want = groups(http_request(port, "/metrics").text)
                    got = groups(agent.scrape())
            finally:
                pe.terminate()
                pe.wait()
        for name in ("vt5a", "vt5b"):
            self.assertEqual(got[name]["procs"], want[name]["procs"], name)
            self.assertEqual(got[name]["threads"], want[name]["threads"], name)
            self.assertAlmostEqual(got[name]["resident"], want[name]["resident"],
                                   delta=want[name]["resident"] * 0.05)
            self.assertAlmostEqual(got[name]["virtual"], want[name]["virtual"],
                                   delta=want[name]["virtual"] * 0.05)
        # Long-lived groups (everything but the compilers and tests of a busy machine) agree.
        common = set(got) & set(want)
        self.assertGreater(len(common), 0.8 * len(want), (sorted(set(want) - set(got))[:10]))
        stable = [n for n in common if n in ("systemd", "sshd", "vt5a", "vt5b", "dockerd", "cron")]
        for n in stable:
            self.assertEqual(got[n]["procs"], want[n]["procs"], n)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
