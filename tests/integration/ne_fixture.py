"""node_exporter 1.5.0's own end-to-end fixture (../shared/fixtures/node_exporter-1.5.0): the
flags it was run with and which families each collector makes, for parity tests."""

import os
import re
import shutil
import stat
import tempfile

from vitals_testlib import NE_FIXTURES, parse_exposition

# Per-collector option flags from the fixture README (paths relative to the fixture tree).
COLLECTOR_FLAGS = {
    "textfile": ["--collector.textfile.directory={root}/textfile/two_metric_files/"],
    "netdev": ["--collector.netdev.device-include=lo"],
    "arp": ["--collector.arp.device-exclude=nope"],
    "netclass": ["--collector.netclass.ignored-devices=(dmz|int)",
                 "--collector.netclass.ignore-invalid-speed"],
    "bcache": ["--collector.bcache.priorityStats"],
    "cpu": ["--collector.cpu.info",
            "--collector.cpu.info.bugs-include=^(cpu_meltdown|spectre_.*|mds)$",
            "--collector.cpu.info.flags-include=^(aes|avx.?|constant_tsc)$"],
    "stat": ["--collector.stat.softirq"],
    "qdisc": ["--collector.qdisc.fixtures={root}/qdisc/",
              "--collector.qdisk.device-include=(wlan0|eth0)"],
    "wifi": ["--collector.wifi.fixtures={root}/wifi"],
    "sysctl": ["--collector.sysctl.include=kernel.threads-max",
               "--collector.sysctl.include=fs.file-nr",
               "--collector.sysctl.include=fs.file-nr:total,current,max",
               "--collector.sysctl.include-info=kernel.seccomp.actions_avail"],
}

# Which families each implemented collector makes (regex on the family name).
# netdev is left out: node_exporter 1.5.0 read it through netlink from the build machine, not
# from the tree (which has no proc/net/dev); tests/integration/test_live_collectors.py checks it.
# timex and uname are disabled in the README's run; they are checked live there too.
COLLECTOR_FAMILIES = {
    "arp": r"node_arp_entries",
    "bcache": r"node_bcache_.*",
    "buddyinfo": r"node_buddyinfo_blocks",
    "cgroups": r"node_cgroups_.*",
    "conntrack": r"node_nf_conntrack_.*",
    "cpu": r"node_cpu_(?!scaling_).*",
    "entropy": r"node_entropy_.*",
    "fibrechannel": r"node_fibrechannel_.*",
    "filefd": r"node_filefd_.*",
    "infiniband": r"node_infiniband_.*",
    "interrupts": r"node_interrupts_total",
    "ipvs": r"node_ipvs_.*",
    "ksmd": r"node_ksmd_.*",
    "netstat": r"node_netstat_.*",
    "pressure": r"node_pressure_.*",
    "processes": r"node_processes_.*",
    "schedstat": r"node_schedstat_.*",
    "selinux": r"node_selinux_.*",
    "sockstat": r"node_sockstat_.*",
    "softnet": r"node_softnet_.*",
    "time": r"node_time_.*",
    "udp_queues": r"node_udp_queues",
    "vmstat": r"node_vmstat_.*",
    "loadavg": r"node_load(1|5|15)",
    "lnstat": r"node_lnstat_.*",
    "meminfo": r"node_memory_(?!numa_).*",
    "meminfo_numa": r"node_memory_numa_.*",
    "bonding": r"node_bonding_(active|slaves)",
    "btrfs": r"node_btrfs_.*",
    "cpufreq": r"node_cpu_(scaling_)?frequency_(min_|max_)?hertz",
    "diskstats": r"node_disk_.*",
    "dmi": r"node_dmi_info",
    "drbd": r"node_drbd_.*",
    "edac": r"node_edac_.*",
    "hwmon": r"node_hwmon_.*",
    "mdadm": r"node_md_.*",
    "netclass": r"node_network_(?!(receive|transmit)_.*_total$).*",
    "nvme": r"node_nvme_.*",
    "os": r"node_os_.*",
    "powersupplyclass": r"node_power_supply_.*",
    "rapl": r"node_rapl_.*",
    "textfile": r"node_textfile_.*|testmetric.*",
    "thermal_zone": r"node_(thermal_zone_temp|cooling_device_.*)",
    "stat": r"node_(boot_time_seconds|context_switches_total|forks_total|intr_total|"
            r"procs_blocked|procs_running|softirqs_total)",
    "zoneinfo": r"node_zoneinfo_.*",
    "slabinfo": r"node_slabinfo_.*",
    "sysctl": r"node_sysctl_.*",
    "xfs": r"node_xfs_.*",
    "nfs": r"node_nfs_.*",
    "nfsd": r"node_nfsd_.*",
    "mountstats": r"node_mountstats_.*",
    "tapestats": r"node_tape_.*",
    "zfs": r"node_zfs_.*",
    "qdisc": r"node_qdisc_.*",
    "wifi": r"node_wifi_.*",
}

# Families that are no collector's: the exporter's own (scrape outcome, HTTP handler, process).
EXPORTER_FAMILIES = (r"node_scrape_collector_(success|duration_seconds)|promhttp_metric_handler_.*|"
                     r"process_.*")

# Families of the e2e output left out of the whole-file comparison, each with the README's reason.
# Nothing else is left out: every other family of e2e-output.txt is compared.
LIVE_ONLY = {
    r"node_network_(receive|transmit)_.*_total":
        "README: node_exporter 1.5.0 reads netdev through netlink from the build machine, not "
        "from the tree (the lo samples are the build machine's)",
    r"go_.*|node_exporter_build_info":
        "README: sample lines removed; node_exporter's own Go runtime and build, which a C++ "
        "agent does not have (vitals_build_info instead)",
}

# Single series left out of the comparison of their family, with the README's reason.
LIVE_ONLY_SERIES = {
    ("node_scrape_collector_success", frozenset({("collector", "netdev")})):
        "README: netdev is read through netlink from the build machine (the tree has no "
        "proc/net/dev)",
}

# Sample lines the fixture README says were removed (or come from the live host).
REMOVED = re.compile(r"^(go_|node_exporter_build_info|node_scrape_collector_duration_seconds|process_|"
                     r"node_textfile_mtime_seconds|node_time_(zone|seconds)|"
                     r"node_network_(receive|transmit)_(bytes|packets)_total)")


# The collectors node_exporter 1.5.0 (upstream, as the fixture README ran it) enables by default:
# Debian's `prometheus-node-exporter --help` says the same except for systemd, which Debian's
# package turns on (e2e-output.txt has no node_systemd_* family).
NE_DEFAULT_ENABLED = (
    "arp bcache bonding btrfs conntrack cpu cpufreq diskstats dmi edac entropy fibrechannel filefd "
    "filesystem hwmon infiniband ipvs loadavg mdadm meminfo netclass netdev netstat nfs nfsd nvme "
    "os powersupplyclass pressure rapl schedstat selinux sockstat softnet stat tapestats textfile "
    "thermal_zone time timex udp_queues uname vmstat xfs zfs").split()


def readme_run():
    """(collectors, flags) with which the README says node_exporter produced e2e-output.txt:
    node_exporter's default collectors plus the `--collector.<c> for c in:` list, less the
    `--no-collector.<c>` ones; and the option flags, `collector/fixtures` written as {root}."""
    with open(os.path.join(NE_FIXTURES, "README.md")) as f:
        text = f.read()
    m = re.search(r"--collector\.<c> for c in:(.*?)--no-collector", text, re.S)
    disabled = set(re.findall(r"--no-collector\.([a-z_0-9]+)", text))
    collectors = sorted((set(m.group(1).split()) | set(NE_DEFAULT_ENABLED)) - disabled)
    flags = []
    for line in text[m.end():].splitlines():
        line = line.strip()
        if not line.startswith("--collector."):
            if flags:
                break
            continue
        flags.append(line.split()[0].replace("collector/fixtures", "{root}"))
    return collectors, flags


def fixture_args(collectors, root=NE_FIXTURES):
    args = [f"--path.rootfs={root}", f"--path.procfs={root}/proc", f"--path.sysfs={root}/sys",
            f"--path.udev.data={root}/udev/data", "--collector.disable-defaults"]
    for c in collectors:
        args.append(f"--collector.{c}")
        args += [f.format(root=root) for f in COLLECTOR_FLAGS.get(c, [])]
    return args


def expected_families():
    with open(os.path.join(NE_FIXTURES, "e2e-output.txt")) as f:
        return parse_exposition(f.read())


def families_of(collector, names):
    pat = re.compile("^(?:" + COLLECTOR_FAMILIES[collector] + ")$")
    return sorted(n for n in names if pat.match(n))


def _link_target(path, directory):
    """The target when `path` is one of the fixture's flattened symlinks, else None.

    The shared tree was unpacked without symlinks: each link (sys/class/net/eth0,
    sys/class/hwmon/hwmon0, .../device, proc/self, ...) is a small regular file that holds the
    link's target. Such a file has no newline or space, and its text names an existing entry
    relative to its directory (or starts with ../)."""
    if os.path.getsize(path) > 400:
        return None
    with open(path, "rb") as f:
        b = f.read()
    if not b or b"\n" in b or b" " in b:
        return None
    try:
        t = b.decode()
    except UnicodeDecodeError:
        return None
    if t.startswith("../") or os.path.lexists(os.path.normpath(os.path.join(directory, t))):
        return t
    return None


class FixtureTree:
    """A temporary directory in which the fixture tree sits at collector/fixtures, as when
    node_exporter produced e2e-output.txt (its textfile HELP strings and rapl path labels hold
    that relative path), with the flattened symlinks made real again. Run the agent with
    cwd=tree.cwd and fixture_args(..., root=tree.root)."""

    root = "collector/fixtures"

    def __enter__(self):
        self.cwd = tempfile.mkdtemp(prefix="vitals-ne-fixture-")
        dst = os.path.join(self.cwd, self.root)
        shutil.copytree(NE_FIXTURES, dst, symlinks=True)
        for d, dirs, files in os.walk(dst):
            os.chmod(d, 0o755)
            for f in files:
                p = os.path.join(d, f)
                t = _link_target(p, d)
                if t is not None:
                    os.chmod(p, 0o644)
                    os.remove(p)
                    os.symlink(t, p)
        return self

    def __exit__(self, *exc):
        for d, dirs, files in os.walk(self.cwd):
            os.chmod(d, 0o755)
        shutil.rmtree(self.cwd)
