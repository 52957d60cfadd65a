"""The Debian package (packaging/package.cmake, `scripts/dev package`): built with cpack from the
build under test, inspected (dpkg-deb -I / -c), checked by lintian (no errors), then installed,
upgraded, removed and purged in a clean Debian 12 root (debian_root.py), where the installed
binary, run as the package's system user, answers /metrics.

The upgrade installs a second package of a higher version, made from the first with dpkg-deb
(-R, then -b): a new Version and a changed default vitals.conf, as a release that adds an
option would ship. The administrator's edit of vitals.conf must survive it."""

import os
import re
import subprocess
import tempfile
import unittest
import urllib.request

from debian_root import Root
from vitals_testlib import main, VITALS_BIN, free_port, parse_exposition, require_tool, wait_until

BUILD = os.path.dirname(os.path.abspath(VITALS_BIN))
NAME = "vitals"


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def control(deb):
    fields = {}
    key = None
    for line in sh("dpkg-deb", "-f", deb).splitlines():
        if line.startswith(" ") and key:
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def depends_names(depends):
    """Package names of a Depends field (the first of each alternative)."""
    return [d.split("|")[0].split("(")[0].strip() for d in depends.split(",")]


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (chroot, mount)")
        for tool, pkg in (("cpack", "cmake"), ("dpkg-shlibdeps", "dpkg-dev"),
                          ("lintian", "lintian"), ("debootstrap", "debootstrap")):
            require_tool(tool, pkg)
        cls.tmp = tempfile.TemporaryDirectory(prefix="vitals-package.")
        out = cls.tmp.name
        sh("cpack", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out)
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        cls.deb = os.path.join(out, debs[0])
        cls.fields = control(cls.deb)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_1_inspect(self):
        f = self.fields
        arch = sh("dpkg", "--print-architecture").strip()
        self.assertEqual(f["Package"], NAME)
        self.assertRegex(f["Version"], r"^\d+\.\d+\.\d+-\d+$")
        self.assertEqual(f["Architecture"], arch)
        self.assertEqual(os.path.basename(self.deb), f"vitals_{f['Version']}_{arch}.deb")
        deps = depends_names(f["Depends"])
        # Computed from the binary by dpkg-shlibdeps, plus adduser for the postinst.
        for d in ("adduser", "libc6", "libstdc++6", "libre2-9", "libboost-program-options1.74.0"):
            self.assertIn(d, deps)
        info = sh("dpkg-deb", "-I", self.deb)
        for script in ("postinst", "prerm", "postrm", "conffiles"):
            self.assertRegex(info, rf"\n\s+\d+ bytes,\s+\d+ lines\s+\*?\s+{script}\b")
        ctrl = os.path.join(self.tmp.name, "ctrl")
        sh("dpkg-deb", "-e", self.deb, ctrl)
        with open(os.path.join(ctrl, "conffiles")) as fh:
            self.assertEqual(fh.read().split(), ["/etc/vitals/vitals.conf", "/etc/default/vitals"])
        listing = {}
        for line in sh("dpkg-deb", "-c", self.deb).splitlines():
            parts = line.split()
            listing[parts[5].lstrip(".")] = (parts[0], parts[1])
        want = {
            "/usr/bin/vitals": "-rwxr-xr-x",
            "/etc/vitals/vitals.conf": "-rw-r--r--",
            "/etc/default/vitals": "-rw-r--r--",
            "/lib/systemd/system/vitals.service": "-rw-r--r--",
            "/usr/share/doc/vitals/copyright": "-rw-r--r--",
            "/usr/share/doc/vitals/changelog.Debian.gz": "-rw-r--r--",
            "/usr/share/doc/vitals/README.md": "-rw-r--r--",
        }
        self.assertNotIn("/var/lib/vitals/", listing)  # made by postinst, kept on remove
        for path, mode in want.items():
            self.assertIn(path, listing)
            self.assertEqual(listing[path], (mode, "root/root"), path)
        # The config lists exactly what this binary's --print-config prints.
        data = os.path.join(self.tmp.name, "data")
        sh("dpkg-deb", "-x", self.deb, data)
        with open(os.path.join(data, "etc/vitals/vitals.conf")) as fh:
            self.assertEqual(fh.read(), sh(VITALS_BIN, "--print-config"))
        with open(os.path.join(data, "etc/default/vitals")) as fh:
            self.assertIn('\nVITALS_ARGS=""\n', fh.read())
        # The hardened unit (packaging/systemd/vitals.service) runs as the package's user and
        # reads the package's two files.
        with open(os.path.join(data, "lib/systemd/system/vitals.service")) as fh:
            unit = fh.read()
        self.assertIn("\nWantedBy=multi-user.target\n", unit)
        if os.path.exists(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))), "packaging", "systemd", "vitals.service")):
            for line in ("User=vitals", "Group=vitals", "EnvironmentFile=-/etc/default/vitals",
                         "ExecStart=/usr/bin/vitals --config.file=/etc/vitals/vitals.conf $VITALS_ARGS"):
                self.assertIn(f"\n{line}\n", unit)
        # Stripped: no .debug_info section, and the file says so.
        self.assertNotIn(".debug_info", sh("readelf", "-S", os.path.join(data, "usr/bin/vitals")))
        with open(os.path.join(data, "usr/share/doc/vitals/copyright")) as fh:
            copyright = fh.read()
        self.assertTrue(copyright.startswith(
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"))
        self.assertIn("License: Expat", copyright)  # civetweb, linked into the binary

    def test_2_lintian(self):
        r = subprocess.run(["lintian", "--no-tag-display-limit", self.deb], capture_output=True,
                           text=True)
        errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
        print(r.stdout, end="")
        self.assertEqual(errors, [])
        # The warnings packaging/README.md lists are the only ones.
        warnings = sorted({line.split()[2] for line in r.stdout.splitlines() if line.startswith("W:")})
        self.assertEqual(warnings, ["initial-upload-closes-no-bugs", "no-manual-page"])

    def test_3_install_upgrade_remove_purge(self):
        with Root(depends_names(self.fields["Depends"])) as root:
            self.install_upgrade_remove_purge(root)

    def upgraded_deb(self):
        """The same package with the next Debian revision and one more line in vitals.conf."""
        tree = os.path.join(self.tmp.name, "v2")
        sh("dpkg-deb", "-R", self.deb, tree)
        version = self.fields["Version"]
        upstream, rev = version.rsplit("-", 1)
        new = f"{upstream}-{int(rev) + 1}"
        ctl = os.path.join(tree, "DEBIAN/control")
        with open(ctl) as fh:
            text = fh.read().replace(f"Version: {version}\n", f"Version: {new}\n")
        with open(ctl, "w") as fh:
            fh.write(text)
        with open(os.path.join(tree, "etc/vitals/vitals.conf"), "a") as fh:
            fh.write("\n# An option of the next release.\n#next.option = 1\n")
        # md5sums must match the changed file (dpkg --verify reads them).
        sums = sh("sh", "-c", f"cd {tree} && find etc usr lib var -type f ! -path 'DEBIAN/*' "
                  "-print0 | sort -z | xargs -0 md5sum")
        with open(os.path.join(tree, "DEBIAN/md5sums"), "w") as fh:
            fh.write(sums)
        out = os.path.join(self.tmp.name, f"vitals_{new}.deb")
        sh("dpkg-deb", "--root-owner-group", "-b", tree, out)
        return out, new

    def scrape_installed(self, root):
        """Runs the installed binary in the root as the vitals user with the installed config
        and /etc/default/vitals' flags, and returns its /metrics."""
        port = free_port()
        args = ["/usr/bin/vitals", "--config.file=/etc/vitals/vitals.conf",
                f"--web.listen-address=127.0.0.1:{port}", "--apm.otlp.listen-address=",
                "--apm.zipkin.listen-address="]
        proc = subprocess.Popen(["chroot", "--userspec=vitals:vitals", root.path] + args,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            def get():
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                    return r.read().decode()
            text = wait_until(get, timeout=30, what="the installed vitals to answer /metrics")
        finally:
            proc.terminate()
            out = proc.communicate(timeout=30)[0]
        self.assertEqual(proc.returncode, 0, out)
        return parse_exposition(text), out

    def install_upgrade_remove_purge(self, root):
        deb = os.path.basename(self.deb)
        sh("cp", self.deb, root.file("/tmp/" + deb))
        # systemd does not run in the root: postinst enables the unit and starts nothing.
        r = root.run("dpkg", "-i", "/tmp/" + deb)
        self.assertNotIn("warning", r.stderr.lower())
        self.assertEqual(root.run("dpkg-query", "-W", "-f=${Status} ${Version}", NAME).stdout,
                         f"install ok installed {self.fields['Version']}")
        passwd = root.run("getent", "passwd", "vitals").stdout.strip().split(":")
        self.assertEqual(passwd[5:], ["/var/lib/vitals", "/usr/sbin/nologin"])
        self.assertLess(int(passwd[2]), 1000)  # a system user
        self.assertEqual(root.run("id", "-gn", "vitals").stdout.strip(), "vitals")
        self.assertEqual(root.run("stat", "-c", "%U:%G %a", "/var/lib/vitals").stdout.strip(),
                         "vitals:vitals 750")
        self.assertEqual(os.readlink(root.file(
            "/etc/systemd/system/multi-user.target.wants/vitals.service")),
            "/lib/systemd/system/vitals.service")

        metrics, _ = self.scrape_installed(root)
        (_, info), = metrics["vitals_build_info"].samples
        self.assertEqual(dict(info)["version"], self.fields["Version"].rsplit("-", 1)[0])
        self.assertGreater(len(metrics["node_cpu_seconds_total"].samples), 0)
        failed = sorted(dict(lb)["collector"] for (_, lb), v
                        in metrics["node_scrape_collector_success"].samples.items() if v == 0)
        print("collectors failing in the root:", failed)

        # The administrator's edit, then an upgrade that also changes the default file.
        conf = root.file("/etc/vitals/vitals.conf")
        with open(conf) as fh:
            original = fh.read()
        edited = original.replace("#log.level = info\n", "log.level = debug\n")
        self.assertNotEqual(edited, original)
        with open(conf, "w") as fh:
            fh.write(edited)
        deb2, v2 = self.upgraded_deb()
        sh("cp", deb2, root.file("/tmp/v2.deb"))
        root.run("dpkg", "--force-confold", "-i", "/tmp/v2.deb")
        self.assertEqual(root.run("dpkg-query", "-W", "-f=${Version}", NAME).stdout, v2)
        with open(conf) as fh:
            self.assertEqual(fh.read(), edited)
        with open(conf + ".dpkg-dist") as fh:
            self.assertIn("#next.option = 1", fh.read())
        os.unlink(conf + ".dpkg-dist")
        metrics, out = self.scrape_installed(root)
        self.assertIn("level=debug", out)  # the kept edit is in force

        # Remove: the program and unit go; configuration, user and state stay.
        root.run("dpkg", "-r", NAME)
        self.assertFalse(os.path.exists(root.file("/usr/bin/vitals")))
        self.assertFalse(os.path.exists(root.file("/lib/systemd/system/vitals.service")))
        self.assertTrue(os.path.exists(conf))
        self.assertTrue(os.path.isdir(root.file("/var/lib/vitals")))
        self.assertEqual(root.run("getent", "passwd", "vitals").returncode, 0)
        self.assertEqual(root.run("dpkg-query", "-W", "-f=${Status}", NAME).stdout,
                         "deinstall ok config-files")

        # Purge: nothing of vitals is left.
        root.run("dpkg", "-P", NAME)
        for p in ("/etc/vitals", "/etc/default/vitals", "/var/lib/vitals",
                  "/etc/systemd/system/multi-user.target.wants/vitals.service"):
            self.assertFalse(os.path.lexists(root.file(p)), p)
        self.assertEqual(root.run("getent", "passwd", "vitals", check=False).returncode, 2)
        self.assertEqual(root.run("getent", "group", "vitals", check=False).returncode, 2)
        self.assertNotEqual(root.run("dpkg-query", "-W", NAME, check=False).returncode, 0)


if __name__ == "__main__":
    main()
