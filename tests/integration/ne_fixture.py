"""node_exporter 1.5.0's own end-to-end fixture (../shared/fixtures/node_exporter-1.5.0): the
flags it was run with and which families each collector makes, for parity tests."""

import os
import re

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
    "cgroups": r"node_cgroups_.*",
    "conntrack": r"node_nf_conntrack_.*",
    "cpu": r"node_cpu_(?!scaling_).*",
    "entropy": r"node_entropy_.*",
    "filefd": r"node_filefd_.*",
    "interrupts": r"node_interrupts_total",
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
    "meminfo": r"node_memory_(?!numa_).*",
    "stat": r"node_(boot_time_seconds|context_switches_total|forks_total|intr_total|"
            r"procs_blocked|procs_running|softirqs_total)",
}

# Sample lines the fixture README says were removed (or come from the live host).
REMOVED = re.compile(r"^(go_|node_exporter_build_info|node_scrape_collector_duration_seconds|process_|"
                     r"node_textfile_mtime_seconds|node_time_(zone|seconds)|"
                     r"node_network_(receive|transmit)_(bytes|packets)_total)")


def fixture_args(collectors):
    root = NE_FIXTURES
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
