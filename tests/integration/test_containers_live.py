"""containers on this machine's real cgroups (root only): a process under a CPU quota and a memory
limit shows its usage, limits and throttling as the kernel's files say; an OOM kill in a small
limit raises container_oom_events_total; a cgroup in the v2 (unified) tree, where mounted, shows
its cpu.stat. Every cgroup made here is removed afterwards, also on failure."""

import os
import subprocess
import sys
import unittest

from vitals_testlib import Agent, parse_exposition, wait_until

ROOT = "/sys/fs/cgroup"
TAG = f"vitals-test-{os.getpid()}"
BURN = ("import sys\nblock = bytearray(int(sys.argv[2]) << 20)\n"
        "for i in range(0, len(block), 4096): block[i] = 1\nprint('ready', flush=True)\nwhile True: pass\n")


def v1_dir(ctrl, name):
    return os.path.join(ROOT, ctrl, name)


def write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def read_int(path):
    with open(path) as f:
        return int(f.read().split()[0])


def flat(path, key):
    with open(path) as f:
        for line in f:
            k, v = line.split()
            if k == key:
                return int(v)
    return None


def series(text, name, cgroup):
    fams = parse_exposition(text)
    if name not in fams:
        return None
    for (_, labels), v in fams[name].samples.items():
        if dict(labels).get("id") == cgroup:
            return v
    return None


@unittest.skipUnless(os.geteuid() == 0 and os.path.isdir(os.path.join(ROOT, "memory")),
                     "needs root and the cgroup v1 memory controller")
class ContainersLive(unittest.TestCase):
    def setUp(self):
        self.dirs, self.procs = [], []

    def tearDown(self):
        for p in self.procs:
            p.kill()
            p.wait()
        for d in reversed(self.dirs):
            try:
                os.rmdir(d)
            except OSError as e:
                print(f"could not remove {d}: {e}", file=sys.stderr)

    def make(self, path):
        os.mkdir(path)
        self.dirs.append(path)
        return path

    def spawn_in(self, mib, dirs):
        # Started stopped-at-stdin-less: moved into the cgroups before it allocates.
        p = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline(); exec(sys.argv[1])",
                              BURN, str(mib)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.procs.append(p)
        for d in dirs:
            write(os.path.join(d, "cgroup.procs"), p.pid)
        p.stdin.write(b"go\n")
        p.stdin.flush()
        return p

    def agent(self):
        return Agent("--collector.disable-defaults", "--collector.containers",
                     f"--collector.containers.include={TAG}")

    def test_quota_limit_and_throttling(self):
        cg = f"/{TAG}-quota"
        dirs = [self.make(v1_dir(c, cg[1:])) for c in ("cpu", "cpuacct", "memory", "pids")]
        write(os.path.join(dirs[0], "cpu.cfs_period_us"), 100000)
        write(os.path.join(dirs[0], "cpu.cfs_quota_us"), 20000)        # 0.2 CPU
        write(os.path.join(dirs[2], "memory.limit_in_bytes"), 256 << 20)
        p = self.spawn_in(64, dirs)
        self.assertEqual(p.stdout.readline().strip(), b"ready")
        with self.agent() as agent:
            def throttled():
                t = agent.scrape()
                v = series(t, "container_cpu_cfs_throttled_periods_total", cg)
                return t if v and v >= 3 else None
            text = wait_until(throttled, timeout=30, what="throttling to show")
            mem_dir = dirs[2]
            usage = series(text, "container_memory_usage_bytes", cg)
            kernel_usage = read_int(os.path.join(mem_dir, "memory.usage_in_bytes"))
            self.assertGreater(usage, 64 << 20)
            self.assertLess(usage, 256 << 20)
            self.assertAlmostEqual(usage, kernel_usage, delta=kernel_usage * 0.05)
            self.assertGreater(series(text, "container_memory_rss", cg), 60 << 20)
            self.assertEqual(series(text, "container_spec_memory_limit_bytes", cg), 256 << 20)
            self.assertEqual(series(text, "container_spec_cpu_quota", cg), 20000)
            self.assertEqual(series(text, "container_spec_cpu_period", cg), 100000)
            self.assertEqual(series(text, "container_processes", cg), 1)
            self.assertEqual(series(text, "container_threads", cg), 1)
            stat = os.path.join(dirs[0], "cpu.stat")
            periods = series(text, "container_cpu_cfs_periods_total", cg)
            self.assertLessEqual(periods, flat(stat, "nr_periods"))
            self.assertGreater(series(text, "container_cpu_cfs_throttled_seconds_total", cg), 0)
            # under a 0.2 CPU quota the usage grows at most 0.2 s per second of wall time
            usage_s = series(text, "container_cpu_usage_seconds_total", cg)
            self.assertGreater(usage_s, 0)
            self.assertLessEqual(usage_s, read_int(os.path.join(dirs[1], "cpuacct.usage")) / 1e9 + 0.05)

    def test_oom_kill_counted(self):
        cg = f"/{TAG}-oom"
        mem = self.make(v1_dir("memory", cg[1:]))
        write(os.path.join(mem, "memory.limit_in_bytes"), 32 << 20)
        if os.path.exists(os.path.join(mem, "memory.memsw.limit_in_bytes")):
            write(os.path.join(mem, "memory.memsw.limit_in_bytes"), 32 << 20)
        with self.agent() as agent:
            before = series(agent.scrape(), "container_oom_events_total", cg)
            self.assertEqual(before, 0)
            p = self.spawn_in(128, [mem])
            p.wait(30)
            self.assertEqual(p.returncode, -9)  # SIGKILL from the OOM killer
            want = flat(os.path.join(mem, "memory.oom_control"), "oom_kill")
            self.assertGreaterEqual(want, 1)
            got = wait_until(lambda: series(agent.scrape(), "container_oom_events_total", cg),
                             what="oom count")
            self.assertEqual(got, want)

    @unittest.skipUnless(os.path.exists(os.path.join(ROOT, "unified", "cgroup.controllers")),
                         "no cgroup v2 at /sys/fs/cgroup/unified")
    def test_unified_cpu_stat(self):
        cg = f"/{TAG}-v2"
        d = self.make(os.path.join(ROOT, "unified", cg[1:]))
        p = self.spawn_in(1, [d])
        self.assertEqual(p.stdout.readline().strip(), b"ready")
        with self.agent() as agent:
            def busy():
                v = series(agent.scrape(), "container_cpu_usage_seconds_total", cg)
                return v if v and v > 0.2 else None
            wait_until(busy, timeout=30, what="v2 cpu usage")
            text = agent.scrape()
            self.assertEqual(series(text, "container_processes", cg), 1)
            usage = series(text, "container_cpu_usage_seconds_total", cg)
            self.assertLessEqual(usage, flat(os.path.join(d, "cpu.stat"), "usage_usec") / 1e6)
            self.assertIsNotNone(series(text, "container_pressure_cpu_waiting_seconds_total", cg))


if __name__ == "__main__":
    from vitals_testlib import main
    main()
