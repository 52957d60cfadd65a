"""process_groups on this machine: processes spawned with known names and thread counts show up
as groups with the right counts, memory and descriptors; Debian's prometheus-process-exporter
0.7.10 grouping by comm agrees on group names, process and thread counts and memory; and with
the same process-exporter config file (matchers, templates, children, threads, smaps) both
report the same groups, counts and values. A bad config file stops the start and is refused
on SIGHUP."""

import ctypes
import os
import pwd
import signal
import subprocess
import sys
import tempfile
import textwrap
import unittest

from vitals_testlib import Agent, free_port, http_request, parse_exposition, proc_fds, wait_until
from vitals_testlib import require_tool, VITALS_BIN

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

    def test_recheck_follows_a_renamed_process(self):
        """A process that renames itself (PR_SET_NAME) stays in its first group, or moves with
        recheck=true."""
        code = ("import ctypes, sys\n"
                "ctypes.CDLL(None).prctl(15, b'vtrc1', 0, 0, 0)\n"
                "print('ready', flush=True); sys.stdin.readline()\n"
                "ctypes.CDLL(None).prctl(15, b'vtrc2', 0, 0, 0)\n"
                "print('renamed', flush=True); sys.stdin.read()\n")
        p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
        try:
            self.assertEqual(p.stdout.readline().strip(), b"ready")
            flags = ["--collector.disable-defaults", "--collector.process_groups",
                     "--collector.process_groups.threads=false",
                     "--collector.process_groups.gather-smaps=false"]
            with Agent(*flags) as once, Agent(*flags, "--collector.process_groups.recheck") as re:
                self.assertEqual(groups(once.scrape())["vtrc1"]["procs"], 1)
                self.assertEqual(groups(re.scrape())["vtrc1"]["procs"], 1)
                p.stdin.write(b"go\n")
                p.stdin.flush()
                self.assertEqual(p.stdout.readline().strip(), b"renamed")
                g_once, g_re = groups(once.scrape()), groups(re.scrape())
            self.assertEqual(g_once["vtrc1"]["procs"], 1)
            self.assertNotIn("vtrc2", g_once)
            self.assertEqual(g_re["vtrc1"]["procs"], 0)
            self.assertEqual(g_re["vtrc2"]["procs"], 1)
        finally:
            p.kill()
            p.wait()

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


PE_CONFIG = r"""# process-exporter 0.7.10's config, read by both exporters
process_names:
  - name: "vtsleep-{{.Matches.tag}}"
    comm: [sleep]
    cmdline: ['^sleep (?P<tag>\d+)7913$']
  - name: "vtpy:{{ .Comm }}:{{.Matches.role}}"
    cmdline: ['vt-procx-role=(?P<role>\w+)']
  - name: "{{.ExeBase}}-{{.Username}}"
    exe: [vtprocx-exe]
  - name: "{{.Username}}|{{.PID}}|{{.StartTime}}|{{.Cgroups}}|{{.ExeFull}}|{{.Comm}}"
    exe: [vtfields]
"""
PY_WORKERS = textwrap.dedent("""
    import ctypes, subprocess, sys, threading, time
    libc = ctypes.CDLL(None)
    named, stop = threading.Barrier(5), threading.Event()
    def worker():
        libc.prctl(15, b"vtworker", 0, 0, 0)   # PR_SET_NAME of this thread: its threadname
        named.wait()
        stop.wait()
    for _ in range(4): threading.Thread(target=worker, daemon=True).start()
    named.wait()
    cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE)  # unmatched: joins by -children
    t = time.process_time()
    while time.process_time() - t < 0.3: pass              # some CPU, then idle
    print("ready", cat.pid, flush=True)
    for line in sys.stdin:                                  # "burn": 0.3 s more CPU
        t = time.process_time()
        while time.process_time() - t < 0.3: pass
        print("done", flush=True)
""")
HZ = os.sysconf("SC_CLK_TCK")
TG = ("groupname", "threadname")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ  # utime, stime (fields 14 and 15)


def by_labels(fams, name, *keys):
    out = {}
    fam = fams.get(name)
    for (_, labels), v in (fam.samples.items() if fam else []):
        d = dict(labels)
        k = tuple(d[x] for x in keys)
        out[k] = out.get(k, 0) + v
    return out


class SameConfigAsProcessExporter(unittest.TestCase):
    """Both exporters read PE_CONFIG and see the test's processes."""

    @classmethod
    def setUpClass(cls):
        require_tool(PE, "prometheus-process-exporter")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cfg = os.path.join(cls.tmp.name, "pe.yml")
        with open(cls.cfg, "w") as f:
            f.write(PE_CONFIG)
        cls.pe_port = free_port()
        cls.pe = subprocess.Popen([PE, f"-web.listen-address=127.0.0.1:{cls.pe_port}",
                                   "-config.path", cls.cfg],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.agent = Agent("--collector.disable-defaults", "--collector.process_groups",
                          f"--collector.process_groups.config-file={cls.cfg}")
        wait_until(lambda: http_request(cls.pe_port, "/metrics", timeout=5).status == 200,
                   what="process-exporter up")
        cls.agent.scrape()  # vitals' first look (process-exporter's was at its start)
        exe = os.path.join(cls.tmp.name, "vtprocx-exe")
        cls.children = [subprocess.Popen(a, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         executable=x)
                        for a, x in [(["sleep", "1007913"], None), (["sleep", "1007913"], None),
                                     (["sleep", "2007913"], None), (["sleep", "7777"], None),
                                     ([exe, "3007913"], "/bin/sleep"),
                                     (["vtfields", "4007913"], "/bin/sleep")]]
        cls.py = subprocess.Popen([sys.executable, "-c", PY_WORKERS, "vt-procx-role=worker"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        cls.cat_pid = int(cls.py.stdout.readline().split()[1])

    @classmethod
    def tearDownClass(cls):
        for p in cls.children + [cls.py]:
            p.kill()
            p.wait()
        cls.agent.stop()
        cls.pe.terminate()
        cls.pe.wait()
        cls.tmp.cleanup()

    def test_same_groups_counts_and_values(self):
        members = [self.py.pid, self.cat_pid]
        c0 = sum(cpu_seconds(p) for p in members)
        got = parse_exposition(self.agent.scrape())
        want = parse_exposition(http_request(self.pe_port, "/metrics").text)
        c1 = sum(cpu_seconds(p) for p in members)
        procs = by_labels(got, "namedprocess_namegroup_num_procs", "groupname")
        self.assertEqual(procs, by_labels(want, "namedprocess_namegroup_num_procs", "groupname"))
        me = pwd.getpwuid(os.geteuid()).pw_name
        # Every template field: the same name from both (above), and what it says.
        fields = [k for k in procs if k[0].startswith(f"{me}|{self.children[-1].pid}|")]
        self.assertEqual(len(fields), 1, procs)
        self.assertRegex(fields[0][0], r"^[^|]+\|\d+\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? "
                         r"[-+]\d{4} \S+\|\[/.*\]\|vtfields\|sleep$")
        del procs[fields[0]]
        self.assertEqual(procs, {("vtsleep-100",): 2, ("vtsleep-200",): 1,
                                 (f"vtprocx-exe-{me}",): 1, ("vtpy:python3:worker",): 2})
        for fam, keys in [("namedprocess_namegroup_num_threads", ["groupname"]),
                          ("namedprocess_namegroup_thread_count", ["groupname", "threadname"])]:
            self.assertEqual(by_labels(got, fam, *keys), by_labels(want, fam, *keys), fam)
        self.assertEqual(
            by_labels(got, "namedprocess_namegroup_thread_count", "groupname", "threadname"),
            {("vtpy:python3:worker", "python3"): 1, ("vtpy:python3:worker", "vtworker"): 4})
        self.assertEqual(by_labels(got, "namedprocess_namegroup_num_threads", "groupname")
                         [("vtpy:python3:worker",)], 6)
        # Every state counted (processes, and the threads of multi-threaded ones) adds up alike.
        states_g = by_labels(got, "namedprocess_namegroup_states", "groupname")
        self.assertEqual(states_g, by_labels(want, "namedprocess_namegroup_states", "groupname"))
        mem_g = by_labels(got, "namedprocess_namegroup_memory_bytes", "groupname", "memtype")
        mem_w = by_labels(want, "namedprocess_namegroup_memory_bytes", "groupname", "memtype")
        self.assertEqual(set(mem_g), set(mem_w))
        for k, v in mem_w.items():
            self.assertAlmostEqual(mem_g[k], v, delta=max(v * 0.05, 64 << 10), msg=str(k))
        for fam in ("namedprocess_namegroup_thread_cpu_seconds_total",
                    "namedprocess_namegroup_thread_io_bytes_total",
                    "namedprocess_namegroup_thread_major_page_faults_total",
                    "namedprocess_namegroup_thread_minor_page_faults_total",
                    "namedprocess_namegroup_thread_context_switches_total"):
            self.assertEqual(got[fam].help, want[fam].help, fam)
            self.assertEqual(set(got[fam].samples), set(want[fam].samples), fam)
        # Counters: 0.3 s more CPU in the python main thread adds the same to both exporters'
        # group and thread counters, within what reads of /proc around the scrapes bracket.
        # (Deltas, since where each starts counting a new process can differ: process-exporter
        # sometimes counts a process started just after its previous scan from 0.)
        self.py.stdin.write(b"burn\n")
        self.py.stdin.flush()
        self.assertEqual(self.py.stdout.readline().strip(), b"done")
        c2 = sum(cpu_seconds(p) for p in members)
        got2 = parse_exposition(self.agent.scrape())
        want2 = parse_exposition(http_request(self.pe_port, "/metrics").text)
        c3 = sum(cpu_seconds(p) for p in members)
        self.assertGreaterEqual(c2 - c1, 0.29)
        g, key = ("vtpy:python3:worker",), ("vtpy:python3:worker", "python3")
        for before, after in ((got, got2), (want, want2)):
            d = (by_labels(after, "namedprocess_namegroup_cpu_seconds_total", "groupname")[g] -
                 by_labels(before, "namedprocess_namegroup_cpu_seconds_total", "groupname")[g])
            self.assertGreaterEqual(d, c2 - c1 - 0.011, before is got)
            self.assertLessEqual(d, c3 - c0 + 0.011, before is got)
            t = (by_labels(after, "namedprocess_namegroup_thread_cpu_seconds_total", *TG)[key] -
                 by_labels(before, "namedprocess_namegroup_thread_cpu_seconds_total", *TG)[key])
            self.assertGreaterEqual(t, 0.29 - 0.011, before is got)
            self.assertLessEqual(t, c3 - c0 + 0.011, before is got)

    def test_bad_config_fails_start_with_file_and_line(self):
        bad = os.path.join(self.tmp.name, "bad.yml")
        with open(bad, "w") as f:
            f.write("process_names:\n  - comm: [a]\n    name: '{{.Cwd}}'\n")
        p = subprocess.run([VITALS_BIN, "--collector.disable-defaults",
                            "--collector.process_groups",
                            f"--collector.process_groups.config-file={bad}",
                            f"--web.listen-address=127.0.0.1:{free_port()}"],
                           capture_output=True, text=True, timeout=20)
        # Exit status 2, as for every option a collector refuses (test_lifecycle), one line.
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertIn(f"{bad}:3: bad name template", p.stderr)

    def test_sighup_keeps_old_config_when_bad(self):
        cfg = os.path.join(self.tmp.name, "reload.yml")
        with open(cfg, "w") as f:
            f.write(PE_CONFIG)
        with Agent("--collector.disable-defaults", "--collector.process_groups",
                   f"--collector.process_groups.config-file={cfg}") as agent:
            self.assertIn('groupname="vtsleep-100"', agent.scrape())
            with open(cfg, "w") as f:
                f.write("process_names:\n  - name: x\n")
            agent.signal(signal.SIGHUP)
            wait_until(lambda: f"{cfg}:2: no matchers provided" in agent.output(),
                       what="reload refused")
            self.assertIn('groupname="vtsleep-100"', agent.scrape())
            with open(cfg, "w") as f:
                f.write(PE_CONFIG.replace("vtsleep-", "vtrenamed-"))
            agent.signal(signal.SIGHUP)
            wait_until(lambda: 'groupname="vtrenamed-100"' in agent.scrape(), what="reloaded")


if __name__ == "__main__":
    from vitals_testlib import main
    main()
