"""The btrfs collector on live btrfs filesystems, side by side with node_exporter 1.5.0 (Debian's
prometheus-node-exporter): two loop-device filesystems made by the test, a 2-device raid1 one
(mounted twice: one read per device) and one whose first device was replaced (devid 1 gone, so
the BTRFS_IOC_DEV_INFO walk meets a gap). Every node_btrfs_* family must be identical: names,
HELP, TYPE, label sets and values (sysfs sizes and the ioctls' per-device sizes and error
counters). A third filesystem is mounted only through bind mounts of a subdirectory and a file
(no subvolume root: sysfs sizes, no error). Run as nobody, neither may open the mount points
(the test's directory is 0700, and both open with O_NOATIME, which needs the owner): both fall
back to the sysfs device sizes, again identical. A mount point whose open blocks (a FUSE mount
that never answers, listed as btrfs in a --path.procfs mount table) does not hold the scrape,
and the filesystems behind it are read once it is gone. Needs root, btrfs in the kernel and loop
devices (else skipped, with the reason)."""

import os
import shutil
import subprocess
import tempfile
import unittest

from test_filesystem import FuseHang, can_mount_fuse
from vitals_testlib import VITALS_BIN, Agent, family_diff, free_port, http_request
from vitals_testlib import (COLLECTOR_THREADS, parse_exposition, proc_threads, require_tool,
                            wait_until)

NE = "prometheus-node-exporter"
FLAGS = ["--collector.disable-defaults", "--collector.btrfs"]


def kernel_has_btrfs():
    with open("/proc/filesystems") as f:
        if any(line.split()[-1] == "btrfs" for line in f if line.strip()):
            return True
    if shutil.which("modprobe"):
        subprocess.run(["modprobe", "btrfs"], capture_output=True)
    with open("/proc/filesystems") as f:
        return any(line.split()[-1] == "btrfs" for line in f if line.strip())


def run(*cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p.stdout


class BtrfsLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (mkfs, losetup, mount)")
        cls.ne_bin = require_tool(NE, "prometheus-node-exporter")
        cls.mkfs = require_tool("mkfs.btrfs", "btrfs-progs")
        cls.btrfs = require_tool("btrfs", "btrfs-progs")
        cls.losetup = require_tool("losetup", "util-linux")
        if not kernel_has_btrfs():
            raise unittest.SkipTest("the kernel has no btrfs (not in /proc/filesystems)")
        cls.tmp = tempfile.mkdtemp(prefix="vitals-btrfs-")
        cls.loops, cls.mounts = [], []
        try:
            cls._make_filesystems()
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def _loop(cls, name):
        img = os.path.join(cls.tmp, name)
        with open(img, "wb") as f:
            f.truncate(256 << 20)  # sparse
        p = subprocess.run([cls.losetup, "--find", "--show", img], capture_output=True, text=True)
        if p.returncode != 0:
            raise unittest.SkipTest(f"no loop device: {p.stderr.strip()}")
        dev = p.stdout.strip()
        cls.loops.append(dev)
        return dev

    @classmethod
    def _mount(cls, dev, name):
        mp = os.path.join(cls.tmp, name)
        os.mkdir(mp)
        run("mount", "-t", "btrfs", "-o", "nodiscard", dev, mp)
        cls.mounts.append(mp)
        return mp

    @classmethod
    def _uuid(cls, mp):
        return run(cls.btrfs, "filesystem", "show", mp).split("uuid:")[1].split()[0]

    @classmethod
    def _make_filesystems(cls):
        a, b, c, d, e = (cls._loop(n) for n in ("a.img", "b.img", "c.img", "d.img", "e.img"))
        # -K, nodiscard: no TRIM of the loop files (slow on a busy machine, and not needed).
        # Two devices, raid1; mounted twice (node_exporter reads a device once).
        run(cls.mkfs, "-q", "-f", "-K", "-L", "vitals-two", "-d", "raid1", "-m", "raid1", b, c)
        run(cls.btrfs, "device", "scan", b, c)
        two = cls._mount(b, "two")
        cls.two_dev, cls.two_mp = b, two
        cls._mount(b, "two-again")
        # One device, then a second added and the first removed: devid 2 only.
        run(cls.mkfs, "-q", "-f", "-K", "-L", "vitals-gap", a)
        gap = cls._mount(a, "gap")
        run(cls.btrfs, "device", "add", "-K", "-f", d, gap)
        run(cls.btrfs, "device", "remove", a, gap)
        # Mounted only through bind mounts of a subdirectory and of a file: no subvolume root to
        # open, so neither exporter reads its ioctls (and a file is no error).
        run(cls.mkfs, "-q", "-f", "-K", "-L", "vitals-bind", e)
        src = cls._mount(e, "bind-src")
        os.mkdir(os.path.join(src, "sub"))
        open(os.path.join(src, "file"), "w").close()
        os.mkdir(os.path.join(cls.tmp, "bind-dir"))
        run("mount", "--bind", os.path.join(src, "sub"), os.path.join(cls.tmp, "bind-dir"))
        cls.mounts.append(os.path.join(cls.tmp, "bind-dir"))
        open(os.path.join(cls.tmp, "bind-file"), "w").close()
        run("mount", "--bind", os.path.join(src, "file"), os.path.join(cls.tmp, "bind-file"))
        cls.mounts.append(os.path.join(cls.tmp, "bind-file"))
        cls.uuids = {"vitals-bind": cls._uuid(src)}
        run("umount", src)
        cls.mounts.remove(src)
        for mp, size in ((two, 3 << 20), (gap, 1 << 20)):
            with open(os.path.join(mp, "file"), "wb") as f:
                f.write(os.urandom(size))
            run(cls.btrfs, "filesystem", "sync", mp)  # this filesystem only, not the machine's
        for label, mp in (("vitals-two", two), ("vitals-gap", gap)):
            cls.uuids[label] = cls._uuid(mp)
        cls.devs = {"two": {os.path.basename(b), os.path.basename(c)},
                    "gap": {os.path.basename(d)}, "bind": {os.path.basename(e)}}

    @classmethod
    def _cleanup(cls):
        for mp in reversed(cls.mounts):
            if subprocess.run(["umount", mp], capture_output=True).returncode != 0:
                subprocess.run(["umount", "--lazy", mp], capture_output=True)
        for dev in cls.loops:
            subprocess.run([cls.losetup, "-d", dev], capture_output=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls._cleanup()

    def scrape_as_nobody(self):
        """Both exporters run as nobody (setpriv): (vitals families, node_exporter families)."""
        setpriv = require_tool("setpriv", "util-linux")
        user = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        procs = []
        try:
            ports = []
            for cmd in ([self.ne_bin] + FLAGS,
                        [VITALS_BIN] + FLAGS + ["--apm.otlp.listen-address=",
                                                "--apm.zipkin.listen-address=",
                                                "--apm.otlp.grpc-listen-address="]):
                port = free_port()
                cmd = user + cmd + [f"--web.listen-address=127.0.0.1:{port}"]
                procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
                ports.append(port)
            for port in ports:
                wait_until(lambda: http_request(port, "/metrics", timeout=5).status == 200,
                           timeout=30, what=f"exporter up on {port}")
            n, v = (parse_exposition(http_request(port, "/metrics").text) for port in ports)
        finally:
            for p in procs:
                p.terminate()
                p.wait(10)
        return v, n

    def compare(self, v, n, out=""):
        """Asserts both collectors succeeded and every node_btrfs_* family is identical; returns
        vitals' node_btrfs_* families."""
        ok = ("node_scrape_collector_success", frozenset({("collector", "btrfs")}))
        self.assertEqual(n["node_scrape_collector_success"].samples[ok], 1)
        self.assertEqual(v["node_scrape_collector_success"].samples[ok], 1, out)
        vb = {k: f for k, f in v.items() if k.startswith("node_btrfs_")}
        nb = {k: f for k, f in n.items() if k.startswith("node_btrfs_")}
        self.assertEqual(sorted(vb), sorted(nb))
        for name in sorted(nb):
            diff = family_diff(vb[name], nb[name])
            self.assertEqual(diff, [], f"{name}:\n" + "\n".join(diff))
        print(f"btrfs: {len(nb)} of {len(nb)} families identical with node_exporter")
        return vb

    def test_unprivileged_falls_back_to_sysfs(self):
        v, n = self.scrape_as_nobody()
        vb = self.compare(v, n)
        self.assertNotIn("node_btrfs_device_errors_total", vb)
        sizes = {dict(l)["device"] for (_, l) in vb["node_btrfs_device_size_bytes"].samples
                 if dict(l)["uuid"] == self.uuids["vitals-two"]}
        self.assertEqual(sizes, self.devs["two"])
        denied = ("vitals_collector_permission_denied", frozenset({("collector", "btrfs")}))
        self.assertGreaterEqual(v["vitals_collector_permission_denied"].samples[denied], 2)

    def scrape_both(self):
        port = free_port()
        ne = subprocess.Popen([self.ne_bin, f"--web.listen-address=127.0.0.1:{port}"] + FLAGS,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with Agent(*FLAGS) as agent:
                wait_until(lambda: http_request(port, "/metrics", timeout=5).status == 200,
                           timeout=30, what="node_exporter up")
                v = parse_exposition(agent.scrape())
                n = parse_exposition(http_request(port, "/metrics").text)
                out = agent.output()
                # The mount points are closed after each walk (node_exporter 1.5.0 leaves its
                # descriptors to Go's garbage collector: until it runs, umount says "busy").
                held = [os.readlink(f"/proc/{agent.pid}/fd/{fd}")
                        for fd in os.listdir(f"/proc/{agent.pid}/fd")]
                self.assertEqual([h for h in held if h.startswith(self.tmp)], [])
        finally:
            ne.terminate()
            ne.wait(10)
        return v, n, out

    def test_unmounted_filesystem_files_are_closed(self):
        """A filesystem unmounted for good: the agent's kept sysfs files of it are closed by
        the next collection (found in the one-hour soak: 12 descriptors stayed open)."""
        dev = self._loop("gone.img")
        run(self.mkfs, "-q", "-f", "-K", "-L", "vitals-gone", dev)
        mp = self._mount(dev, "gone")
        uuid = self._uuid(mp)
        sysdir = f"/sys/fs/btrfs/{uuid}/"

        def held(pid):
            out = []
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
                except FileNotFoundError:
                    pass
            return [h for h in out if h.startswith(sysdir)]

        with Agent(*FLAGS) as agent:
            v = parse_exposition(agent.scrape())
            labels = {dict(l).get("label") for (_, l) in v["node_btrfs_info"].samples}
            self.assertIn("vitals-gone", labels)
            self.assertGreater(len(held(agent.pid)), 0, "expected kept sysfs files of the fs")
            run("umount", mp)
            self.mounts.remove(mp)
            v = parse_exposition(agent.scrape())
            labels = {dict(l).get("label") for (_, l) in v["node_btrfs_info"].samples}
            self.assertNotIn("vitals-gone", labels)
            self.assertEqual(held(agent.pid), [])

    def test_same_as_node_exporter(self):
        v, n, out = self.scrape_both()
        vb = self.compare(v, n, out)
        self.assertIn("node_btrfs_device_errors_total", vb)
        self.assertIn("node_btrfs_device_unused_bytes", vb)

        # What the ioctls gave for the test's filesystems, checked on their own.
        errors = vb["node_btrfs_device_errors_total"].samples
        for key, devs in (("vitals-two", self.devs["two"]), ("vitals-gap", self.devs["gap"])):
            uuid = self.uuids[key]
            mine = [dict(lbls) for (_, lbls) in errors if dict(lbls)["uuid"] == uuid]
            self.assertEqual({m["device"] for m in mine}, devs, key)
            self.assertEqual(len(mine), 5 * len(devs), key)
            sizes = {dict(l)["device"]: val
                     for (_, l), val in vb["node_btrfs_device_size_bytes"].samples.items()
                     if dict(l)["uuid"] == uuid}
            self.assertEqual(sizes, {d: 256 << 20 for d in devs}, key)
        # The filesystem mounted only by bind mounts: sysfs sizes, {device, uuid}.
        bind = [dict(l) for (_, l) in vb["node_btrfs_device_size_bytes"].samples
                if dict(l)["uuid"] == self.uuids["vitals-bind"]]
        self.assertEqual(bind, [{"device": d, "uuid": self.uuids["vitals-bind"]}
                                for d in self.devs["bind"]])


    @unittest.skipUnless(can_mount_fuse(), "needs /dev/fuse and mount(8)")
    def test_blocked_mount_point_does_not_hold_the_scrape(self):
        proc = os.path.join(self.tmp, "proc")
        os.makedirs(os.path.join(proc, "1"), exist_ok=True)
        hung = os.path.join(self.tmp, "hung")
        os.makedirs(hung, exist_ok=True)
        with open(os.path.join(proc, "1", "mounts"), "w") as f:
            f.write(f"vitals-hang {hung} btrfs rw 0 0\n")  # first: the walk blocks there
            f.write(f"{self.two_dev} {self.two_mp} btrfs rw 0 0\n")
        uuid = self.uuids["vitals-two"]
        hang = FuseHang(hung)
        try:
            with Agent(f"--path.procfs={proc}", *FLAGS, "--collector.timeout=1s") as agent:
                def size_labels():
                    fams = parse_exposition(agent.scrape())
                    ok = ("node_scrape_collector_success", frozenset({("collector", "btrfs")}))
                    self.assertEqual(fams["node_scrape_collector_success"].samples[ok], 1)
                    return {frozenset(dict(l)) for (_, l) in
                            fams["node_btrfs_device_size_bytes"].samples if dict(l)["uuid"] == uuid}
                # Blocked in open(2): the scrape answers with the sysfs sizes, and later scrapes
                # start no second walk (no thread more).
                self.assertEqual(size_labels(), {frozenset({"device", "uuid"})})
                threads = proc_threads(agent.pid, COLLECTOR_THREADS)
                for _ in range(5):
                    self.assertEqual(size_labels(), {frozenset({"device", "uuid"})})
                self.assertLessEqual(proc_threads(agent.pid, COLLECTOR_THREADS), threads)
                self.assertIn("btrfs mount point did not answer in time", agent.output())
                # The connection aborted and the FUSE mount gone, the blocked open returns; the
                # next walk skips the plain directory left there and reads the filesystem.
                hang.close()
                wait_until(lambda: size_labels() == {frozenset({"btrfs_dev_uuid", "device",
                                                                "uuid"})},
                           timeout=30, what="ioctl device sizes after the mount answers")
        finally:
            hang.close()


if __name__ == "__main__":
    from vitals_testlib import main
    main()
