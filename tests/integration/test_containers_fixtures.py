"""containers collector on hand-written cgroup v2, v1 and hybrid trees (tests/fixtures/containers):
every container_* series equals the expected output next to the tree; a malformed file fails the
collector with its path and line while everything else is kept; caps, depth and filters bound the
series. Run with VITALS_UPDATE_EXPECTED=1 to rewrite the expected files (then review the diff)."""

import os
import shutil
import tempfile
import time
import unittest

from vitals_testlib import Agent, family_diff, parse_exposition

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "containers")
CREATED = 1700000000  # mtime given to every cgroup's creation-time file
EARLIER = 1600000000  # ... except one hierarchy's copy, to check the minimum is taken
DOCKER = "3f2a" + "0" * 56 + "c0de"


def labels(cid, name, pod_uid="", **extra):
    """A container series' labels: cAdvisor's (container, image, namespace and pod wait for the
    container runtime and are empty) plus pod_uid from the cgroup path."""
    return frozenset({"container": "", "id": cid, "image": "", "name": name, "namespace": "",
                      "pod": "", "pod_uid": pod_uid, **extra}.items())


def prepare(mode):
    """Copies a fixture tree (git does not keep mtimes) and sets the creation-time files'."""
    tmp = tempfile.mkdtemp(prefix=f"vitals-containers-{mode}-")
    dst = os.path.join(tmp, mode)
    shutil.copytree(os.path.join(FIXTURES, mode), dst, symlinks=True)
    for dirpath, _, files in os.walk(os.path.join(dst, "sys", "fs", "cgroup")):
        for f in files:
            if f in ("cgroup.controllers", "cgroup.clone_children"):
                os.utime(os.path.join(dirpath, f), (CREATED, CREATED))
    if mode != "v2":
        os.utime(os.path.join(dst, "sys/fs/cgroup/memory/docker", DOCKER, "cgroup.clone_children"),
                 (EARLIER, EARLIER))
    return tmp, dst


def scrape(root, *flags):
    with Agent("--collector.disable-defaults", "--collector.containers", f"--path.sysfs={root}/sys",
               f"--path.procfs={root}/proc", *flags) as agent:
        return agent.scrape()


def container_families(text):
    fams = parse_exposition(text)
    return {n: f for n, f in fams.items() if n.startswith("container_")}, fams


def success(fams):
    return fams["node_scrape_collector_success"].samples[
        ("node_scrape_collector_success", frozenset({("collector", "containers")}))]


def ids(fam):
    return sorted({dict(k[1])["id"] for k in fam.samples})


class ContainersFixtures(unittest.TestCase):
    def setUp(self):
        self.tmps = []

    def tearDown(self):
        for t in self.tmps:
            shutil.rmtree(t, ignore_errors=True)

    def tree(self, mode):
        tmp, root = prepare(mode)
        self.tmps.append(tmp)
        return root

    def check_expected(self, mode):
        text = scrape(self.tree(mode))
        got, fams = container_families(text)
        self.assertEqual(success(fams), 1.0)
        # container_last_seen is the scrape time: check it, then leave it out of the comparison.
        seen = got.pop("container_last_seen")
        for v in seen.samples.values():
            self.assertLess(abs(v - time.time()), 600)
        self.assertEqual(ids(seen), ids(got["container_start_time_seconds"]))
        path = os.path.join(FIXTURES, f"{mode}.expected")
        if os.environ.get("VITALS_UPDATE_EXPECTED"):
            lines = [l for l in text.splitlines()
                     if l.startswith(("container_", "# HELP container_", "# TYPE container_"))
                     and "container_last_seen" not in l]
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
        with open(path) as f:
            want = parse_exposition(f.read())
        problems = []
        for name in sorted(set(want) | set(got)):
            if name not in got:
                problems.append(f"{name}: missing")
            elif name not in want:
                problems.append(f"{name}: unexpected")
            else:
                problems += [f"{name}: {d}" for d in family_diff(got[name], want[name])]
        self.assertEqual(problems, [], "\n".join(problems))
        return got

    def test_v2(self):
        got = self.check_expected("v2")
        d = f"/system.slice/docker-{DOCKER}.scope"
        key = lambda name, **extra: (name, labels(d, DOCKER, **extra))
        # The values the issue names, spelled out (the expected file holds all of them).
        self.assertEqual(got["container_oom_events_total"].samples[key("container_oom_events_total")], 3)
        self.assertEqual(got["container_spec_cpu_quota"].samples[key("container_spec_cpu_quota")], 50000)
        self.assertEqual(got["container_cpu_cfs_throttled_seconds_total"].samples[
            key("container_cpu_cfs_throttled_seconds_total")], 3.6)
        # usage 268000000 - inactive_file 300000000 clamps at 0
        self.assertEqual(got["container_memory_working_set_bytes"].samples[
            key("container_memory_working_set_bytes")], 0)
        # memory.max "max" -> 0, as cAdvisor reports no limit
        self.assertEqual(got["container_spec_memory_limit_bytes"].samples[(
            "container_spec_memory_limit_bytes",
            labels("/system.slice/ssh.service", "ssh.service"))], 0)
        # a service in the host's network namespace has no network series of its own
        self.assertNotIn("/system.slice/ssh.service", ids(got["container_network_receive_bytes_total"]))
        self.assertEqual(got["container_start_time_seconds"].samples[key("container_start_time_seconds")],
                         CREATED)

    def test_v1(self):
        got = self.check_expected("v1")
        d = f"/docker/{DOCKER}"
        k = ("container_start_time_seconds", labels(d, DOCKER))
        self.assertEqual(got["container_start_time_seconds"].samples[k], EARLIER)
        self.assertNotIn("container_pressure_cpu_waiting_seconds_total", got)  # no v2 in pure v1

    def test_hybrid(self):
        got = self.check_expected("hybrid")
        # pressure comes from the unified hierarchy, the rest from the v1 controllers
        self.assertEqual(ids(got["container_pressure_io_waiting_seconds_total"]),
                         ["/", f"/docker/{DOCKER}", "/init.scope", "/system.slice/cron.service"])
        # a cgroup only in the unified tree still gets its v2 cpu.stat
        self.assertIn("/init.scope", ids(got["container_cpu_usage_seconds_total"]))

    def test_malformed_file_fails_collector_keeps_rest(self):
        root = self.tree("v2")
        path = os.path.join(root, f"sys/fs/cgroup/system.slice/docker-{DOCKER}.scope/memory.stat")
        with open(path) as f:
            lines = f.read().splitlines()
        lines[2] = "kernel lots"
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        agent = Agent("--collector.disable-defaults", "--collector.containers",
                      f"--path.sysfs={root}/sys", f"--path.procfs={root}/proc")
        try:
            got, fams = container_families(agent.scrape())
            log = agent.output()
        finally:
            agent.stop()
            log = agent.output()
        self.assertEqual(success(fams), 0.0)
        self.assertIn(f"docker-{DOCKER}.scope/memory.stat:3: invalid value for kernel", log)
        d = f"/system.slice/docker-{DOCKER}.scope"
        # the good lines of the bad file and every other file are still there
        self.assertIn(d, ids(got["container_memory_rss"]))
        self.assertIn(d, ids(got["container_oom_events_total"]))
        self.assertEqual(len(ids(got["container_cpu_usage_seconds_total"])), 8)

    def test_vanished_cpu_stat_keeps_nothing_of_the_previous_cgroup(self):
        # ssh.service follows the throttled docker scope in path order. With a quota of its own
        # and its cpu.stat gone (removed mid-walk), it must have no throttling series at all,
        # not the docker scope's 45 periods / 3.6 s.
        root = self.tree("v2")
        ssh = os.path.join(root, "sys/fs/cgroup/system.slice/ssh.service")
        with open(os.path.join(ssh, "cgroup.controllers"), "w") as f:
            f.write("cpu memory pids\n")
        with open(os.path.join(ssh, "cpu.max"), "w") as f:
            f.write("20000 100000\n")
        os.remove(os.path.join(ssh, "cpu.stat"))
        got, fams = container_families(scrape(root))
        self.assertEqual(success(fams), 1.0)  # a vanished file is not an error
        docker = f"/system.slice/docker-{DOCKER}.scope"
        quota = got["container_spec_cpu_quota"]
        self.assertEqual(quota.samples[("container_spec_cpu_quota",
                                        labels("/system.slice/ssh.service", "ssh.service"))], 20000)
        for name in ("container_cpu_cfs_periods_total", "container_cpu_cfs_throttled_periods_total",
                     "container_cpu_cfs_throttled_seconds_total"):
            self.assertIn(docker, ids(got[name]), name)
            self.assertNotIn("/system.slice/ssh.service", ids(got[name]), name)
        self.assertNotIn("/system.slice/ssh.service", ids(got["container_cpu_usage_seconds_total"]))

    def test_cap_keeps_shallowest(self):
        text = scrape(self.tree("v2"), "--collector.containers.max-cgroups=3")
        got, fams = container_families(text)
        self.assertEqual(ids(got["container_cpu_usage_seconds_total"]),
                         ["/", "/kubepods.slice", "/system.slice"])
        self.assertEqual(ids(got["container_last_seen"]), ["/", "/kubepods.slice", "/system.slice"])
        self.assertEqual(fams["vitals_containers_cgroups"].samples[("vitals_containers_cgroups", frozenset())], 3)
        self.assertEqual(fams["vitals_containers_cgroups_skipped"].samples[
            ("vitals_containers_cgroups_skipped", frozenset())], 5)

    def test_depth_and_filters(self):
        root = self.tree("v2")
        got, fams = container_families(scrape(root, "--collector.containers.max-depth=1"))
        self.assertEqual(ids(got["container_last_seen"]), ["/", "/kubepods.slice", "/system.slice"])
        # children of the depth-1 cgroups are counted, not walked
        self.assertEqual(fams["vitals_containers_cgroups_skipped"].samples[
            ("vitals_containers_cgroups_skipped", frozenset())], 3)
        got, _ = container_families(scrape(root, r"--collector.containers.include=^/system\.slice/"))
        self.assertEqual(ids(got["container_last_seen"]),
                         [f"/system.slice/docker-{DOCKER}.scope", "/system.slice/ssh.service"])
        got, _ = container_families(scrape(root, "--collector.containers.exclude=kubepods"))
        self.assertEqual(len(ids(got["container_last_seen"])), 4)


UID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
STATIC = "3c1f5b0e7d9a2c4e6f8a0b1c2d3e4f50"  # a static pod's UID (a hash, no dashes)
CTR = "c0" * 32
PAUSE = "9a" * 32


class KubeLayouts(unittest.TestCase):
    """Small cgroup trees with the kubelet's layouts (systemd driver on v2 with containerd, CRI-O
    and Docker; cgroupfs driver on v1), built here: pod_uid and name come from the path;
    container, pod, namespace and image are there, empty, for the container runtime to fill."""

    def build(self, version, paths):
        tmp = tempfile.mkdtemp(prefix=f"vitals-kube-{version}-")
        self.addCleanup(shutil.rmtree, tmp, True)
        base = os.path.join(tmp, "sys/fs/cgroup")
        if version == "v1":
            base = os.path.join(base, "cpu,cpuacct")
        os.makedirs(os.path.join(tmp, "proc"))
        dirs = {""}
        for p in paths:
            parts = p.strip("/").split("/")
            dirs |= {"/".join(parts[:i + 1]) for i in range(len(parts))}
        for p in sorted(dirs):
            d = os.path.join(base, p)
            os.makedirs(d, exist_ok=True)
            files = ({"cgroup.controllers": "cpu memory pids", "cpu.stat": "usage_usec 2000000"}
                     if version == "v2" else {"cgroup.clone_children": "0", "cpuacct.usage": "2000000000"})
            for name, text in files.items():
                with open(os.path.join(d, name), "w") as f:
                    f.write(text + "\n")
        got, fams = container_families(scrape(tmp))
        self.assertEqual(success(fams), 1.0)
        return {dict(k[1])["id"]: dict(k[1]) for k in got["container_cpu_usage_seconds_total"].samples}

    def check(self, series, path, pod_uid, name):
        want = dict(labels(path, name, pod_uid), cpu="total")
        self.assertEqual(series.get(path), want, path)

    def test_systemd_driver_v2(self):
        uid_ = UID.replace("-", "_")
        burstable = f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{uid_}.slice"
        besteffort = f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{STATIC}.slice"
        guaranteed = f"/kubepods.slice/kubepods-pod{uid_}.slice"
        kind = ("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/"
                f"kubelet-kubepods-burstable-pod{uid_}.slice")
        paths = [burstable + f"/cri-containerd-{CTR}.scope", burstable + f"/cri-containerd-{PAUSE}.scope",
                 besteffort + f"/crio-{CTR}.scope", besteffort + f"/crio-conmon-{CTR}.scope",
                 guaranteed + f"/docker-{CTR}.scope", kind + f"/cri-containerd-{CTR}.scope",
                 "/system.slice/ssh.service"]
        s = self.build("v2", paths)
        self.check(s, burstable + f"/cri-containerd-{CTR}.scope", UID, CTR)
        self.check(s, burstable + f"/cri-containerd-{PAUSE}.scope", UID, PAUSE)  # the sandbox
        self.check(s, burstable, UID, f"kubepods-burstable-pod{uid_}.slice")
        self.check(s, besteffort + f"/crio-{CTR}.scope", STATIC, CTR)
        self.check(s, besteffort + f"/crio-conmon-{CTR}.scope", "", f"crio-conmon-{CTR}.scope")
        self.check(s, guaranteed + f"/docker-{CTR}.scope", UID, CTR)
        self.check(s, guaranteed, UID, f"kubepods-pod{uid_}.slice")
        self.check(s, kind + f"/cri-containerd-{CTR}.scope", UID, CTR)
        self.check(s, "/kubepods.slice/kubepods-burstable.slice", "", "kubepods-burstable.slice")
        self.check(s, "/system.slice/ssh.service", "", "ssh.service")
        self.check(s, "/", "", "")

    def test_cgroupfs_driver_v1(self):
        paths = [f"/kubepods/burstable/pod{UID}/{CTR}", f"/kubepods/burstable/pod{UID}/{PAUSE}",
                 f"/kubepods/besteffort/pod{STATIC}/crio-{CTR}", f"/kubepods/pod{UID}/{CTR}"]
        s = self.build("v1", paths)
        self.check(s, f"/kubepods/burstable/pod{UID}/{CTR}", UID, CTR)
        self.check(s, f"/kubepods/burstable/pod{UID}/{PAUSE}", UID, PAUSE)
        self.check(s, f"/kubepods/burstable/pod{UID}", UID, "")
        self.check(s, f"/kubepods/besteffort/pod{STATIC}/crio-{CTR}", STATIC, CTR)
        self.check(s, f"/kubepods/pod{UID}/{CTR}", UID, CTR)
        self.check(s, "/kubepods/burstable", "", "")


if __name__ == "__main__":
    from vitals_testlib import main
    main()
