"""filesystem collector, live: its families for / equal os.statvfs('/'), and a mount whose
statfs(2) really blocks (a FUSE mount whose daemon never answers, made with /dev/fuse and
mount(8), no FUSE library) only marks that mount's node_filesystem_device_error 1: the scrape
answers, the other mounts are there, and threads and fds stay flat over repeated scrapes."""

import os
import shutil
import subprocess
import tempfile
import unittest

from vitals_testlib import (COLLECTOR_THREADS, Agent, parse_exposition, proc_fds, proc_threads,
                            wait_until)
from vitals_testlib import settled_fds


def root_mount():
    """(device, fstype, options) of / from /proc/1/mounts (the last entry wins, as the
    kernel's mount stacking does)."""
    found = None
    with open("/proc/1/mounts") as f:
        for line in f:
            dev, mp, fstype, opts = line.split()[:4]
            if mp == "/":
                found = (dev, fstype, opts)
    return found


def sample(fams, name, **labels):
    fam = fams.get(name)
    if fam is None:
        return None
    return fam.samples.get((name, frozenset(labels.items())))


class FuseHang:
    """A FUSE mount at `path` whose daemon (this process, holding /dev/fuse) never answers:
    every statfs of it blocks until close() aborts the connection."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open("/dev/fuse", os.O_RDWR)
        # -i: the kernel mount alone; with fuse3 installed, mount(8) would run mount.fuse,
        # which takes the source "vitals-hang" for a program to start.
        r = subprocess.run(["mount", "-i", "-t", "fuse", "-o",
                            f"fd={self.fd},rootmode=40000,user_id=0,group_id=0",
                            "vitals-hang", path], pass_fds=[self.fd], capture_output=True,
                           text=True)
        if r.returncode != 0:
            os.close(self.fd)
            raise OSError(f"mount fuse: {r.stderr.strip()}")
        self.mounted = True

    def abort(self):
        if self.fd is not None:
            os.close(self.fd)  # pending and later requests fail with ENOTCONN
            self.fd = None

    def close(self):
        self.abort()
        if self.mounted:
            subprocess.run(["umount", "-l", self.path], capture_output=True)
            self.mounted = False


def can_mount_fuse():
    return os.geteuid() == 0 and os.path.exists("/dev/fuse") and shutil.which("mount")


class FilesystemLive(unittest.TestCase):
    def test_root_matches_statvfs(self):
        dev, fstype, opts = root_mount()
        labels = {"device": dev, "fstype": fstype, "mountpoint": "/"}
        with Agent("--collector.disable-defaults", "--collector.filesystem",
                   "--collector.filesystem.fs-types-exclude=^$") as agent:
            def matches():
                st = os.statvfs("/")
                fams = parse_exposition(agent.scrape())
                after = os.statvfs("/")
                if st != after:
                    return False  # / changed during the scrape; try again
                want = {
                    "node_filesystem_size_bytes": st.f_blocks * st.f_bsize,
                    "node_filesystem_free_bytes": st.f_bfree * st.f_bsize,
                    "node_filesystem_avail_bytes": st.f_bavail * st.f_bsize,
                    "node_filesystem_files": st.f_files,
                    "node_filesystem_files_free": st.f_ffree,
                    "node_filesystem_readonly": 1 if "ro" in opts.split(",") else 0,
                    "node_filesystem_device_error": 0,
                }
                got = {n: sample(fams, n, **labels) for n in want}
                self.last = (got, want)
                return got == want
            wait_until(matches, timeout=30, what="node_filesystem_* for / equal to statvfs('/')")
            got, want = self.last
            self.assertGreater(got["node_filesystem_size_bytes"], 0)

    def test_excludes_by_default(self):
        with Agent("--collector.disable-defaults", "--collector.filesystem") as agent:
            fams = parse_exposition(agent.scrape())
        mps = {dict(k[1])["mountpoint"] for k in fams["node_filesystem_device_error"].samples}
        self.assertIn("/", mps)
        for mp in mps:
            self.assertFalse(mp.startswith(("/proc", "/sys", "/dev")), mp)

    @unittest.skipUnless(can_mount_fuse(), "needs root, /dev/fuse and mount(8)")
    def test_stuck_mount_marks_only_that_mount(self):
        tmp = tempfile.mkdtemp(prefix="vitals-fs-")
        hang_mp = os.path.join(tmp, "hung")
        os.mkdir(hang_mp)
        proc = os.path.join(tmp, "proc")
        os.makedirs(os.path.join(proc, "1"))
        dev, fstype, opts = root_mount()
        with open(os.path.join(proc, "1", "mounts"), "w") as f:
            f.write(f"{dev} / {fstype} {opts} 0 0\n")
            f.write(f"vitals-hang {hang_mp} fuse rw 0 0\n")
        hang = None
        try:
            hang = FuseHang(hang_mp)
            hung = {"device": "vitals-hang", "fstype": "fuse", "mountpoint": hang_mp}
            root = {"device": dev, "fstype": fstype, "mountpoint": "/"}
            with Agent(f"--path.procfs={proc}", "--collector.disable-defaults",
                       "--collector.filesystem", "--collector.filesystem.mount-timeout=300ms",
                       "--collector.timeout=3s") as agent:
                def check():
                    fams = parse_exposition(agent.scrape())
                    self.assertEqual(sample(fams, "node_scrape_collector_success",
                                            collector="filesystem"), 1)
                    self.assertEqual(sample(fams, "node_filesystem_device_error", **hung), 1)
                    self.assertIsNone(sample(fams, "node_filesystem_size_bytes", **hung))
                    self.assertEqual(sample(fams, "node_filesystem_device_error", **root), 0)
                    self.assertEqual(sample(fams, "node_filesystem_size_bytes", **root),
                                     os.statvfs("/").f_blocks * os.statvfs("/").f_bsize)
                check()
                check()
                threads, fds = proc_threads(agent.pid, COLLECTOR_THREADS), settled_fds(agent.pid)
                for _ in range(20):
                    check()
                # The stuck mount holds one helper thread; later scrapes add no collector thread
                # and no fd (the agent's own pools may shrink, never grow; the server's threads,
                # started on demand per concurrent connection, are not counted). The server may close the last
                # scrape's socket just after the response, so poll for the count to settle.
                wait_until(lambda: proc_threads(agent.pid, COLLECTOR_THREADS) <= threads and
                           proc_fds(agent.pid) <= fds, timeout=10,
                           what=f"threads <= {threads} and fds <= {fds}")

                # Once the stuck call returns (the connection is aborted, statfs fails with
                # ENOTCONN) and the mount is gone, the mount point is statfs'ed again.
                hang.close()
                plain = {"device": "vitals-hang", "fstype": "fuse", "mountpoint": hang_mp}

                def recovered():
                    fams = parse_exposition(agent.scrape())
                    return sample(fams, "node_filesystem_device_error", **plain) == 0
                wait_until(recovered, timeout=30, what="device_error 0 after the mount is gone")
                fams = parse_exposition(agent.scrape())
                self.assertEqual(sample(fams, "node_filesystem_size_bytes", **plain),
                                 os.statvfs(hang_mp).f_blocks * os.statvfs(hang_mp).f_bsize)
                wait_until(lambda: proc_threads(agent.pid, COLLECTOR_THREADS) <= threads,
                           timeout=10,
                           what=f"threads <= {threads}")
        finally:
            if hang:
                hang.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
