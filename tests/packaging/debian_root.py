"""A clean Debian 12 root for the package tests, from a cache.

debootstrap (as /work/shared/tools/fresh-machine.sh uses it) takes minutes: retrieving the
packages ~4 min and installing them ~3 min on the project's busy 2-core machine. So the
installed root (minbase plus the packages asked for: the .deb's Depends) is made once and kept
as a tarball in the cache directory ($VITALS_TEST_CACHE, default /var/cache/vitals-tests),
named by the package list, with a list of what it holds beside it (any tarball that holds the
packages asked for is used); each test unpacks a copy (~5 s) and mounts /proc, /sys and /dev
into it. Needs root and network access to the Debian mirror only when the tarball is missing.

    python3 tests/packaging/debian_root.py PACKAGE...   # make the tarball (prints its path)
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

CACHE = os.environ.get("VITALS_TEST_CACHE", "/var/cache/vitals-tests")
SUITE = "bookworm"


def mirror():
    try:
        with open("/etc/apt/sources.list.d/debian.sources", encoding="utf-8") as f:
            for line in f:
                if line.startswith("URIs:"):
                    return line.split()[1]
    except OSError:
        pass
    return "http://deb.debian.org/debian"


def tarball(packages):
    """The path of the cached root with `packages` installed, made when missing."""
    packages = sorted(set(packages))
    key = hashlib.sha256(" ".join([SUITE] + packages).encode()).hexdigest()[:16]
    path = os.path.join(CACHE, f"debian-{SUITE}-minbase-{key}.tar.gz")
    if os.path.exists(path):
        return path
    # Any cached root that has every package asked for will do (a .packages file lists what
    # is installed in the tarball of the same name).
    if os.path.isdir(CACHE):
        for name in sorted(os.listdir(CACHE)):
            if name.startswith(f"debian-{SUITE}-minbase-") and name.endswith(".packages"):
                with open(os.path.join(CACHE, name)) as f:
                    have = set(f.read().split())
                tar = os.path.join(CACHE, name[:-len(".packages")] + ".tar.gz")
                if set(packages) <= have and os.path.exists(tar):
                    return tar
    os.makedirs(CACHE, exist_ok=True)
    work = tempfile.mkdtemp(prefix="debian-root.", dir=CACHE)
    try:
        root = os.path.join(work, "root")
        log = os.path.join(work, "debootstrap.log")
        with open(log, "w") as out:
            rc = subprocess.call(["debootstrap", "--variant=minbase", "--include=" + ",".join(packages),
                                  SUITE, root, mirror()], stdout=out, stderr=subprocess.STDOUT)
        if rc != 0:
            with open(log, encoding="utf-8", errors="replace") as f:
                tail = f.read()[-2000:]
            raise RuntimeError(f"debootstrap failed ({rc}):\n{tail}")
        for d in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for name in os.listdir(os.path.join(root, d)):
                p = os.path.join(root, d, name)
                if os.path.isfile(p):
                    os.unlink(p)
        installed = subprocess.run(["chroot", root, "dpkg-query", "-W", "-f=${Package}\\n"],
                                   check=True, capture_output=True, text=True).stdout
        with open(os.path.join(CACHE, f"debian-{SUITE}-minbase-{key}.packages"), "w") as f:
            f.write(installed)
        subprocess.check_call(["tar", "-C", root, "-czf", path + ".part", "."])
        os.rename(path + ".part", path)
        return path
    finally:
        shutil.rmtree(work, ignore_errors=True)


class Root:
    """An unpacked copy of the cached root with /proc, /sys, /dev and /dev/pts bind-mounted;
    `run` runs a command in it (chroot). Unmounted and removed on exit."""

    def __init__(self, packages):
        self.tar = tarball(packages)
        self.path = None
        self.mounts = []

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="vitals-debroot.")
        try:
            subprocess.check_call(["tar", "-C", self.path, "-xzf", self.tar])
            for m in ("proc", "sys", "dev", "dev/pts"):
                target = os.path.join(self.path, m)
                subprocess.check_call(["mount", "--bind", "/" + m, target])
                self.mounts.append(target)
            # No service starts inside the root (what a chroot or an image build does too).
            with open(os.path.join(self.path, "usr/sbin/policy-rc.d"), "w") as f:
                f.write("#!/bin/sh\nexit 101\n")
            os.chmod(os.path.join(self.path, "usr/sbin/policy-rc.d"), 0o755)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for m in reversed(self.mounts):
            subprocess.call(["umount", "-l", m])
        self.mounts = []
        if self.path:
            # Never follow a mount that is still there into the host's /proc or /dev.
            with open("/proc/mounts") as f:
                mounted = any(line.split()[1].startswith(self.path) for line in f)
            if not mounted:
                shutil.rmtree(self.path, ignore_errors=True)

    def file(self, p):
        return os.path.join(self.path, p.lstrip("/"))

    def run(self, *cmd, check=True, user=None, **kw):
        args = ["chroot"] + ([f"--userspec={user}"] if user else []) + [self.path]
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "HOME": "/root", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}
        r = subprocess.run(args + list(cmd), capture_output=True, text=True, env=env, **kw)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
        return r


if __name__ == "__main__":
    print(tarball(sys.argv[1:]))
