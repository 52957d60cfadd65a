"""Live or fixture source by what --path.procfs / --path.sysfs ARE, not how they are spelled:
/proc bind-mounted elsewhere (a host's /proc at /host/proc in a container) is as live as /proc,
so netdev and udp_queues take netlink and netclass its netlink source, with the same output as
a run on /proc and /sys; node_exporter's fixture tree and a procfs of a pid namespace vitals is
not in are read as files. Each collector says which source it took in a debug log line, and
netdev's netlink path also shows in the metrics (node_network_receive_nohandler_total, which
<procfs>/net/dev does not have)."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from ne_fixture import FixtureTree, fixture_args
from vitals_testlib import main, Agent, parse_exposition

NET = ["--collector.disable-defaults", "--log.level=debug", "--collector.netdev",
       "--collector.udp_queues", "--collector.netclass"]


def source(log, collector):
    """The source a collector logged at start ("netlink" or "file")."""
    m = re.findall(rf'msg="?{collector} source"? source=(\w+)', log)
    assert len(m) == 1, f"one '{collector} source' line wanted in:\n{log}"
    return m[0]


def series(fams, prefix):
    return {(name, key) for fam in fams.values() if fam.name.startswith(prefix)
            for (name, key) in fam.samples}


def value(fams, name, key):
    return fams[name].samples[(name, key)]


class BindMount:
    def __init__(self, src):
        self.src = src

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="vitals-live-")
        subprocess.run(["mount", "--bind", self.src, self.dir], check=True)
        return self.dir

    def __exit__(self, *exc):
        subprocess.run(["umount", self.dir], check=True)
        os.rmdir(self.dir)


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("mount"), "needs root to bind-mount")
class LiveSource(unittest.TestCase):
    def test_bind_mounted_proc_and_sys_are_live(self):
        with BindMount("/proc") as proc, BindMount("/sys") as sys, \
                Agent(*NET) as plain, \
                Agent(*NET, f"--path.procfs={proc}", f"--path.sysfs={sys}") as bound:
            before = parse_exposition(plain.scrape())
            got = parse_exposition(bound.scrape())
            after = parse_exposition(plain.scrape())
            log = bound.output()
        self.assertEqual(source(log, "netdev"), "netlink")
        self.assertEqual(source(log, "udp_queues"), "netlink")
        self.assertEqual(source(log, "netclass"), "netlink")
        self.assertIn("node_network_receive_nohandler_total", got)
        for collector in ("netdev", "udp_queues", "netclass"):
            key = ("node_scrape_collector_success", frozenset({("collector", collector)}))
            self.assertEqual(got["node_scrape_collector_success"].samples[key], 1.0, collector)
        # Same series as the run on /proc and /sys, counters between its two scrapes.
        self.assertEqual(series(got, "node_network_"), series(before, "node_network_"))
        self.assertEqual(series(got, "node_udp_queues"), series(before, "node_udp_queues"))
        for name, key in series(got, "node_network_"):
            if not name.endswith("_bytes_total") and not name.endswith("_packets_total"):
                continue
            v = value(got, name, key)
            self.assertGreaterEqual(v, value(before, name, key), (name, key))
            self.assertLessEqual(v, value(after, name, key), (name, key))
        for name, key in series(got, "node_network_mtu_bytes"):
            self.assertEqual(value(got, name, key), value(before, name, key), key)

    def test_fixture_tree_is_read_as_files(self):
        # The tree with its symlinks made real: it has a proc/self, but is no procfs.
        with FixtureTree() as tree, \
                Agent(*fixture_args(["netdev", "udp_queues", "netclass"], root=tree.root),
                      "--log.level=debug", cwd=tree.cwd) as agent:
            self.assertTrue(os.path.islink(os.path.join(tree.cwd, tree.root, "proc", "self")))
            fams = parse_exposition(agent.scrape())
            log = agent.output()
        self.assertEqual(source(log, "netdev"), "file")
        self.assertEqual(source(log, "udp_queues"), "file")
        self.assertEqual(source(log, "netclass"), "file")
        self.assertNotIn("node_network_receive_nohandler_total", fams)
        # netclass from the fixture's sys/class/net: its interfaces, not this machine's.
        devices = {dict(k[1])["device"] for k in fams["node_network_mtu_bytes"].samples}
        self.assertEqual(devices, {"bond0", "eth0"})

    def test_procfs_of_another_pid_namespace_is_read_as_files(self):
        # A procfs mounted by a process in a new pid namespace (which then exits) does not show
        # vitals: <dir>/self, and so <dir>/net/dev (a link through self), do not resolve there.
        with tempfile.TemporaryDirectory(prefix="vitals-pidns-") as d:
            p = subprocess.run(["unshare", "--pid", "--fork", "mount", "-t", "proc", "proc", d],
                               capture_output=True, text=True)
            if p.returncode != 0:
                self.skipTest(f"cannot mount a procfs of a new pid namespace: {p.stderr.strip()}")
            try:
                self.assertFalse(os.path.exists(os.path.join(d, "self")))
                with Agent(*NET, f"--path.procfs={d}") as agent:
                    fams = parse_exposition(agent.scrape())
                    log = agent.output()
            finally:
                subprocess.run(["umount", d], check=True)
        self.assertEqual(source(log, "netdev"), "file")
        self.assertEqual(source(log, "udp_queues"), "file")
        key = ("node_scrape_collector_success", frozenset({("collector", "netdev")}))
        self.assertEqual(fams["node_scrape_collector_success"].samples[key], 0.0)
        self.assertIn(f"{d}/net/dev", log)


if __name__ == "__main__":
    main()
