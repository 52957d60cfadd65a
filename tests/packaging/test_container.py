"""The container image (packaging/container): built without a daemon by build-image.sh
(buildah, from the binary under test, as the Containerfile's last stage is), its OCI config
checked, its filesystem unpacked from the layers and run the way a container engine would run
it with the documented mounts: the image's root read-only, the host's /proc, /sys and / mounted
read-only under /host, as the image's user (65534) with the image's entrypoint and command.
The binary in it answers /metrics with the host's data, and the same collectors fail as when the
binary runs on the host directly as that user (only ones the kernel lacks, if any)."""

import gzip
import io
import json
import os
import subprocess
import tarfile
import tempfile
import unittest
import urllib.request

from vitals_testlib import main, VITALS_BIN, free_port, parse_exposition, require_tool, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_IMAGE = os.path.join(ROOT, "packaging", "container", "build-image.sh")


def blob(layout, digest):
    with open(os.path.join(layout, "blobs", *digest.split(":")), "rb") as f:
        return f.read()


def failed_collectors(text):
    fams = parse_exposition(text)
    return sorted(dict(lb)["collector"] for (_, lb), v
                  in fams["node_scrape_collector_success"].samples.items() if v == 0)


def run_and_scrape(cmd, port):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def get():
            if proc.poll() is not None:
                raise AssertionError(f"exited {proc.returncode}")  # output: below
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                return r.read().decode()
        return wait_until(get, timeout=30, what=f"{cmd[0]} to answer /metrics")
    finally:
        if proc.poll() is None:
            proc.terminate()
        out = proc.communicate(timeout=30)[0]
        assert proc.returncode == 0, out


class ContainerImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (buildah's storage, chroot, mount)")
        require_tool("buildah", "buildah")
        cls.tmp = tempfile.TemporaryDirectory(prefix="vitals-image.")
        cls.archive = os.path.join(cls.tmp.name, "vitals.oci.tar")
        subprocess.run([BUILD_IMAGE, VITALS_BIN, cls.archive], check=True)
        cls.layout = os.path.join(cls.tmp.name, "layout")
        os.mkdir(cls.layout)
        with tarfile.open(cls.archive) as t:
            t.extractall(cls.layout)
        with open(os.path.join(cls.layout, "index.json")) as f:
            index = json.load(f)
        (entry,) = index["manifests"]
        cls.manifest = json.loads(blob(cls.layout, entry["digest"]))
        cls.config = json.loads(blob(cls.layout, cls.manifest["config"]["digest"]))
        # The root filesystem, layer by layer (one here), as an engine unpacks it.
        cls.rootfs = os.path.join(cls.tmp.name, "rootfs")
        os.mkdir(cls.rootfs)
        cls.layer_bytes = 0
        cls.unpacked_bytes = 0
        for layer in cls.manifest["layers"]:
            data = blob(cls.layout, layer["digest"])
            cls.layer_bytes += len(data)
            if layer["mediaType"].endswith("+gzip"):
                data = gzip.decompress(data)
            with tarfile.open(fileobj=io.BytesIO(data)) as t:
                cls.unpacked_bytes += sum(m.size for m in t.getmembers() if m.isfile())
                t.extractall(cls.rootfs, numeric_owner=True)
        print(f"image: {cls.layer_bytes / 1e6:.2f} MB compressed, "
              f"{cls.unpacked_bytes / 1e6:.2f} MB unpacked", flush=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_config(self):
        c = self.config["config"]
        self.assertEqual(c["User"], "65534:65534")
        self.assertEqual(c["Entrypoint"], ["/usr/bin/vitals"])
        self.assertEqual(c["Cmd"], ["--path.procfs=/host/proc", "--path.sysfs=/host/sys",
                                    "--path.rootfs=/host/root"])
        self.assertEqual(sorted(c["ExposedPorts"]), ["4318/tcp", "9100/tcp", "9411/tcp"])
        self.assertEqual(self.config["os"], "linux")

    def test_containerfile_matches(self):
        """The Containerfile's last stage declares what build-image.sh builds (the Containerfile
        itself is not built here: its first stage pulls debian:12 from a registry)."""
        with open(os.path.join(ROOT, "packaging", "container", "Containerfile")) as f:
            lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        last = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM "))]
        self.assertEqual(last, "FROM scratch")
        final = lines[lines.index(last) + 1:]
        directives = {}
        for line in final:
            word, _, rest = line.partition(" ")
            directives.setdefault(word, []).append(rest)
        c = self.config["config"]
        self.assertEqual(directives["COPY"], ["--from=build /rootfs/ /"])
        self.assertEqual(directives["USER"], [c["User"]])
        self.assertEqual(sorted(p for e in directives["EXPOSE"] for p in e.split()),
                         sorted(p.split("/")[0] for p in c["ExposedPorts"]))
        self.assertEqual(json.loads(directives["ENTRYPOINT"][0]), c["Entrypoint"])
        self.assertEqual(json.loads(directives["CMD"][0]), c["Cmd"])
        self.assertIn("packaging/container/rootfs.sh build-release/vitals /rootfs",
                      " ".join(lines))

    def test_contents(self):
        """Only the binary, the libraries it loads, the loader, passwd/group, the licences."""
        files = []
        for d, _, names in os.walk(self.rootfs):
            files += [os.path.relpath(os.path.join(d, n), self.rootfs) for n in names]
        libs = sorted(f for f in files if ".so" in os.path.basename(f))
        others = sorted(set(files) - set(libs))
        self.assertEqual(others, ["etc/group", "etc/passwd", "usr/bin/vitals",
                                  "usr/share/doc/vitals/copyright"])
        ldd = subprocess.run(["ldd", VITALS_BIN], capture_output=True, text=True, check=True).stdout
        self.assertEqual(len(libs), sum(1 for line in ldd.splitlines() if "/" in line))
        for d in ("host/proc", "host/sys", "host/root"):
            self.assertTrue(os.path.isdir(os.path.join(self.rootfs, d)), d)
        self.assertFalse(os.path.exists(os.path.join(self.rootfs, "bin/sh")))

    def test_runs_read_only_with_host_mounts(self):
        # In a mount namespace of its own (the mounts go with it): the image's root read-only,
        # the host's /proc, /sys and / recursively bound under /host, read-only, as
        # `-v /proc:/host/proc:ro` and the DaemonSet's hostPath volumes do.
        c = self.config["config"]
        port = free_port()
        listen = [f"--web.listen-address=127.0.0.1:{port}", "--apm.otlp.listen-address=",
                  "--apm.zipkin.listen-address="]
        script = """set -e
r=$1; shift
mount --bind "$r" "$r"; mount -o remount,bind,ro "$r"
for m in proc:/proc sys:/sys root:/; do
  mount --rbind "${m#*:}" "$r/host/${m%%:*}"; mount -o remount,bind,ro "$r/host/${m%%:*}"
done
if (: >"$r/written") 2>/dev/null; then echo "the image's root is writable" >&2; exit 3; fi
exec chroot "$@"
"""
        text = run_and_scrape(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                               script, "sh", self.rootfs, f"--userspec={c['User']}",
                               self.rootfs] + c["Entrypoint"] + c["Cmd"] + listen, port)
        fams = parse_exposition(text)
        self.assertGreater(len(fams["node_cpu_seconds_total"].samples), 0)
        self.assertGreater(len(fams["node_network_receive_bytes_total"].samples), 0)
        mountpoints = {dict(lb)["mountpoint"] for (_, lb) in fams["node_filesystem_size_bytes"].samples}
        self.assertIn("/", mountpoints)  # the host's root, seen through /host/root
        # The host directly, as the same user: the same collectors fail (or none).
        port = free_port()
        host = run_and_scrape(["chroot", f"--userspec={c['User']}", "/", VITALS_BIN,
                               f"--web.listen-address=127.0.0.1:{port}",
                               "--apm.otlp.listen-address=", "--apm.zipkin.listen-address="],
                              port)
        print("collectors failing in the image:", failed_collectors(text))
        self.assertEqual(failed_collectors(text), failed_collectors(host))


if __name__ == "__main__":
    main()
