"""Least privilege, tested: build/vitals run as an unprivileged user (nobody), as the hardened
systemd unit runs it (packaging/systemd/vitals.service), with processes of other users present.

- No capabilities at all: no crash, every scrape answers, every collector that succeeds as root
  succeeds, and the collectors that cannot see everything say so in
  vitals_collector_permission_denied{collector} with one log line each (not one per scrape).
- Exactly the unit's capabilities (AmbientCapabilities= of the unit file) and no_new_privs: every
  default collector that succeeds as root succeeds, and none is denied anything.
- The unit's capabilities plus CAP_SYS_PTRACE (the drop-in docs/privileges.md gives for
  --collector.sockets.processes): sockets names the processes of another user and of root that
  hold listening sockets; with the unit's capabilities alone it cannot, and says so.
- No capabilities: containers still finds the network counters of another user's process in a
  network namespace of its own.

Run as root (it switches users with setpriv from util-linux)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from vitals_testlib import (VITALS_BIN, Agent, main, parse_exposition, require_tool,
                            wait_until)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, "packaging", "systemd", "vitals.service")
PYTHON = "/usr/bin/python3"  # Debian's, executable by any user (a pyenv shim may not be)

# A process holding a listening socket, named by its comm: prints its port, then waits for stdin
# to close.
LISTENER = r"""
import socket, sys
with open("/proc/self/comm", "w") as f:
    f.write(sys.argv[1])
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
sys.stdin.read()
"""


def unit_capabilities():
    """The capabilities the unit grants, lower case without CAP_ (setpriv's spelling); the
    ambient set and the bounding set must be the same list."""
    with open(UNIT, encoding="utf-8") as f:
        text = f.read()

    def caps(key):
        m = re.search(rf"^{key}=(.*)$", text, re.M)
        assert m, f"{UNIT}: no {key}="
        return sorted(c.lower().removeprefix("cap_") for c in m.group(1).split())

    ambient, bounding = caps("AmbientCapabilities"), caps("CapabilityBoundingSet")
    assert ambient == bounding, f"ambient {ambient} != bounding {bounding}"
    return ambient


def setpriv_args(setpriv, caps):
    """setpriv options for user nobody with exactly `caps` and no_new_privs."""
    if caps:
        keep = "-all," + ",".join("+" + c for c in caps)
        cap_args = [f"--inh-caps={keep}", f"--ambient-caps={keep}", f"--bounding-set={keep}"]
    else:
        cap_args = ["--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"]
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--no-new-privs",
            *cap_args]


def metric(fams, name):
    """{frozenset(labels): value} of one family."""
    f = fams.get(name)
    return {labels: v for (_, labels), v in f.samples.items()} if f else {}


def by_collector(fams, name):
    return {dict(k)["collector"]: v for k, v in metric(fams, name).items()}


class Privileges(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: runs the agent as other users")
        cls.setpriv = require_tool("setpriv", "util-linux")
        require_tool(PYTHON, "python3")
        cls.caps = unit_capabilities()
        cls.tmp = tempfile.mkdtemp(prefix="vitals-priv-")
        os.chmod(cls.tmp, 0o755)
        cls.procs = []
        cls.mount = None
        cls.mount_visible = True
        try:
            cls._set_up()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _set_up(cls):
        # The agent's binary must be reachable by nobody (every directory above it searchable).
        p = subprocess.run(setpriv_args(cls.setpriv, []) + [VITALS_BIN, "--version"],
                           capture_output=True, text=True, timeout=20)
        assert p.returncode == 0, (f"user nobody cannot run {VITALS_BIN} (make the build "
                                   f"directory and its parents world-readable): {p.stderr}")
        # Other users' processes with listening sockets: one of user daemon, one of root.
        cls.user_port = cls._listener(["setpriv", "--reuid=daemon", "--regid=daemon",
                                       "--clear-groups"], "vt-user-lsn")
        cls.root_port = cls._listener([], "vt-root-lsn")
        # A mount point below a directory only root may search (as kubelet's pod volumes are).
        locked = os.path.join(cls.tmp, "locked")
        os.makedirs(os.path.join(locked, "mnt"))
        os.chmod(locked, 0o700)
        mnt = os.path.join(locked, "mnt")
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "vitals-privtest", mnt],
                          capture_output=True).returncode == 0:
            cls.mount = mnt
            # The filesystem collector reads /proc/1/mounts: in a chroot (a fresh-machine root)
            # pid 1's view names the mount by its path outside the chroot, so the agent cannot
            # find it under this path, and this part of the test says so instead.
            with open("/proc/1/mounts") as f:
                if not any(line.split()[1] == mnt for line in f if len(line.split()) > 1):
                    print(f"{mnt} is not in /proc/1/mounts under that path (a chroot?): the "
                          "locked-mount checks are left out", file=sys.stderr)
                    cls.mount_visible = False
        # What root sees: the collectors that succeed here (schedstat fails on a kernel without
        # /proc/schedstat whoever runs it).
        with Agent() as a:
            a.scrape()
            fams = parse_exposition(a.scrape())
        cls.root_success = by_collector(fams, "node_scrape_collector_success")
        print("as root, collectors failing:",
              sorted(c for c, v in cls.root_success.items() if v != 1), file=sys.stderr)

    @classmethod
    def _listener(cls, prefix, comm):
        p = subprocess.Popen(prefix + [PYTHON, "-c", LISTENER, comm], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        cls.procs.append(p)
        return int(p.stdout.readline())

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            p.kill()
            p.wait()
            p.stdin.close()
            p.stdout.close()
        if cls.mount:
            subprocess.run(["umount", cls.mount], check=False)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def agent(self, caps, *args):
        """build/vitals as nobody with exactly `caps`, through a wrapper that Agent starts."""
        wrapper = os.path.join(self.tmp, "as-nobody-" + "-".join(caps or ["none"]))
        with open(wrapper, "w", encoding="utf-8") as f:
            cmd = " ".join(f"'{a}'" for a in setpriv_args(self.setpriv, caps) + [VITALS_BIN])
            f.write(f'#!/bin/sh\nexec {cmd} "$@"\n')
        os.chmod(wrapper, 0o700)
        return Agent(*args, binary=wrapper)

    def scrapes(self, agent, n=3):
        """n scrapes (all must answer), the last one parsed."""
        for _ in range(n - 1):
            agent.scrape()
        return parse_exposition(agent.scrape())

    def check_identity(self, agent, caps):
        with open(f"/proc/{agent.pid}/status", encoding="utf-8") as f:
            status = f.read()
        field = lambda k: re.search(rf"^{k}:\s*(.*)$", status, re.M).group(1)  # noqa: E731
        self.assertEqual(field("Uid").split()[0], "65534")
        self.assertEqual(field("NoNewPrivs"), "1")
        want = 0
        for c in caps:
            want |= 1 << {"dac_read_search": 2, "sys_ptrace": 19, "dac_override": 1}[c]
        self.assertEqual(int(field("CapEff"), 16), want, f"CapEff {field('CapEff')}")
        self.assertEqual(int(field("CapBnd"), 16), want, f"CapBnd {field('CapBnd')}")

    def listener_process(self, fams, port):
        for labels in metric(fams, "node_tcp_listen_queue_length"):
            d = dict(labels)
            if d["port"] == str(port) and d["address"] == "127.0.0.1":
                return d.get("process")
        self.fail(f"no listener on 127.0.0.1:{port}")

    def denied_log_lines(self, agent):
        return [l for l in agent.output().splitlines() if "permission denied" in l]

    def test_no_capabilities_no_crash_and_a_clear_signal(self):
        with self.agent([], "--collector.sockets.processes", "--collector.process_groups") as a:
            self.check_identity(a, [])
            fams = self.scrapes(a)
            self.assertIsNone(a.proc.poll(), "vitals exited")
            success = by_collector(fams, "node_scrape_collector_success")
            for c, ok in self.root_success.items():
                self.assertEqual(success.get(c), ok, f"collector {c}: {a.output()[-2000:]}")
            denied = by_collector(fams, "vitals_collector_permission_denied")
            print("no capabilities, permission denied:",
                  {c: v for c, v in denied.items() if v}, file=sys.stderr)
            self.assertEqual(set(denied), set(success), "one series per enabled collector")
            # Another user's and root's listeners cannot be named, and that is said.
            self.assertEqual(self.listener_process(fams, self.user_port), "")
            self.assertEqual(self.listener_process(fams, self.root_port), "")
            self.assertGreaterEqual(denied["sockets"], 2)
            self.assertGreater(denied["process_groups"], 0)
            if self.mount and self.mount_visible:
                self.assertGreaterEqual(denied["filesystem"], 1)
                errs = metric(fams, "node_filesystem_device_error")
                self.assertIn(1.0, [v for k, v in errs.items()
                                    if dict(k)["mountpoint"] == self.mount])
            # One log line per denied collector, not one per scrape.
            lines = self.denied_log_lines(a)
            for c, v in denied.items():
                mine = [l for l in lines if f"collector={c} " in l]
                self.assertEqual(len(mine), 1 if v else 0, f"{c}: {lines}")

    def test_unit_capabilities_every_default_collector_sees_everything(self):
        with self.agent(self.caps) as a:
            self.check_identity(a, self.caps)
            fams = self.scrapes(a)
            success = by_collector(fams, "node_scrape_collector_success")
            self.assertEqual(success, self.root_success, a.output()[-2000:])
            denied = by_collector(fams, "vitals_collector_permission_denied")
            self.assertEqual(set(denied), set(success))
            self.assertEqual({c: v for c, v in denied.items() if v}, {}, a.output()[-2000:])
            self.assertEqual(self.denied_log_lines(a), [])
            if self.mount and self.mount_visible:
                errs = metric(fams, "node_filesystem_device_error")
                self.assertIn(0.0, [v for k, v in errs.items()
                                    if dict(k)["mountpoint"] == self.mount])
            print(f"unit capabilities {self.caps}: {len(success)} collectors, "
                  f"{sum(1 for v in success.values() if v == 1)} succeed, none denied",
                  file=sys.stderr)

    def test_socket_attribution_needs_ptrace_too(self):
        # The unit's capabilities list /proc/<pid>/fd but may not read its links.
        with self.agent(self.caps, "--collector.sockets.processes") as a:
            fams = self.scrapes(a, 2)
            self.assertEqual(self.listener_process(fams, self.user_port), "")
            self.assertGreaterEqual(
                by_collector(fams, "vitals_collector_permission_denied")["sockets"], 2)
        # With CAP_SYS_PTRACE added (docs/privileges.md's drop-in) other users' and root's
        # listeners are named.
        caps = sorted(set(self.caps) | {"sys_ptrace"})
        with self.agent(caps, "--collector.sockets.processes") as a:
            self.check_identity(a, caps)
            fams = wait_until(
                lambda: (lambda f: f if self.listener_process(f, self.user_port) else None)(
                    parse_exposition(a.scrape())),
                what="the listener of user daemon named")
            self.assertEqual(self.listener_process(fams, self.user_port), "vt-user-lsn")
            self.assertEqual(self.listener_process(fams, self.root_port), "vt-root-lsn")
            self.assertEqual(by_collector(fams, "node_scrape_collector_success")["sockets"], 1)

    def test_containers_network_namespace_without_capabilities(self):
        # A process of user daemon in a cgroup of its own and a network namespace of its own
        # with a veth pair (a kernel may lack the dummy driver): its counters are found with no
        # capability (the namespace is told by the inode of /proc/<pid>/net/dev, not by the
        # ns/net link, which is a ptrace check).
        ip = require_tool("ip", "iproute2")
        unshare = require_tool("unshare", "util-linux")
        tag = f"vitals-privtest-{os.getpid()}"
        for root in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
            if os.path.exists(os.path.join(root, "cgroup.procs")):
                break
        else:
            self.skipTest("no cgroup tree to make a cgroup in")
        cg = os.path.join(root, tag)
        os.mkdir(cg)
        p = subprocess.Popen(
            [unshare, "-n", "sh", "-c",
             f"{ip} link add vt0 type veth peer name vt1 && {ip} link set vt0 up && echo ready && "
             f"exec {self.setpriv} --reuid=daemon --regid=daemon --clear-groups sleep 1000"],
            stdout=subprocess.PIPE, text=True)
        try:
            if p.stdout.readline().strip() != "ready":
                self.skipTest("cannot make a network namespace with a veth pair here")
            with open(os.path.join(cg, "cgroup.procs"), "w", encoding="utf-8") as f:
                f.write(str(p.pid))
            with self.agent([], "--collector.disable-defaults", "--collector.containers",
                            f"--collector.containers.include={tag}") as a:
                fams = wait_until(
                    lambda: (lambda f: f if metric(f, "container_network_receive_bytes_total")
                             else None)(parse_exposition(a.scrape())),
                    what="container network series")
                rx = {dict(k)["interface"]: v
                      for k, v in metric(fams, "container_network_receive_bytes_total").items()
                      if dict(k)["id"] == "/" + tag}
                self.assertEqual(sorted(rx), ["vt0", "vt1"])
                self.assertEqual(by_collector(fams, "vitals_collector_permission_denied"),
                                 {"containers": 0})
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
            wait_until(lambda: os.rmdir(cg) is None, what=f"rmdir {cg}")


if __name__ == "__main__":
    main()
