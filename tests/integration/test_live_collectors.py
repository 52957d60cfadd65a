"""The host collectors on this machine (the fixture run disables uname and timex, takes time's
clock values and netdev's counters from the build host): values checked against what Python
reads from the same kernel interfaces around the scrape; and a bad line in a /proc file marks
only its collector failed while the good values stay."""

import os
import tempfile
import time
import unittest

from ne_fixture import expected_families
from vitals_testlib import Agent, parse_exposition


def proc_net_dev():
    out = {}
    with open("/proc/net/dev") as f:
        for line in f.readlines()[2:]:
            name, _, rest = line.partition(":")
            out[name.strip()] = [int(x) for x in rest.split()]
    return out


def value(fams, name, **labels):
    return fams[name].samples[(name, frozenset(labels.items()))]


def success(fams, collector):
    return value(fams, "node_scrape_collector_success", collector=collector)


class LiveCollectors(unittest.TestCase):
    def scrape(self, *args):
        with Agent("--collector.disable-defaults", *args) as agent:
            before_dev, before = proc_net_dev(), time.time()
            text = agent.scrape()
            after, after_dev = time.time(), proc_net_dev()
        return parse_exposition(text), before, after, before_dev, after_dev

    def test_uname_time_timex(self):
        fams, before, after, _, _ = self.scrape("--collector.uname", "--collector.time",
                                                "--collector.timex")
        for c in ("uname", "time", "timex"):
            self.assertEqual(success(fams, c), 1.0, c)
        u = os.uname()
        (key, v), = fams["node_uname_info"].samples.items()
        labels = dict(key[1])
        self.assertEqual(v, 1.0)
        self.assertEqual(labels["release"], u.release)
        self.assertEqual(labels["sysname"], u.sysname)
        self.assertEqual(labels["machine"], u.machine)
        self.assertEqual(labels["nodename"], u.nodename)
        self.assertEqual(labels["version"], u.version)
        t = value(fams, "node_time_seconds")
        self.assertGreaterEqual(t, before)
        self.assertLessEqual(t, after)
        lt = time.localtime(t)
        self.assertEqual(value(fams, "node_time_zone_offset_seconds", time_zone=lt.tm_zone),
                         lt.tm_gmtoff)
        cs = "/sys/devices/system/clocksource/clocksource0/current_clocksource"
        with open(cs) as f:
            current = f.read().strip()
        self.assertEqual(value(fams, "node_time_clocksource_current_info", device="0",
                               clocksource=current), 1.0)
        # timex: all 17 families; the tick is the kernel's (USER_HZ ticks of 1e6/HZ us).
        timex = [n for n in fams if n.startswith("node_timex_")]
        self.assertEqual(len(timex), 17, timex)
        self.assertAlmostEqual(value(fams, "node_timex_tick_seconds"),
                               1.0 / os.sysconf("SC_CLK_TCK"), delta=1e-4)
        self.assertIn(value(fams, "node_timex_sync_status"), (0.0, 1.0))
        self.assertAlmostEqual(value(fams, "node_timex_frequency_adjustment_ratio"), 1.0,
                               delta=0.001)

    def test_netdev_against_proc_net_dev(self):
        fams, _, _, before, after = self.scrape("--collector.netdev")
        self.assertEqual(success(fams, "netdev"), 1.0)
        fields = ["receive_bytes", "receive_packets", "receive_errs", "receive_drop",
                  "receive_fifo", "receive_frame", "receive_compressed", "receive_multicast",
                  "transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop",
                  "transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed"]
        want = expected_families()  # node_exporter 1.5.0's HELP and TYPE for these families
        devices = sorted(d for d in after if d in before and d != "lo")
        self.assertTrue(devices, "no network devices besides lo")
        for i, field in enumerate(fields):
            name = f"node_network_{field}_total"
            self.assertEqual(fams[name].help, want[name].help)
            self.assertEqual(fams[name].type, want[name].type)
            got_devices = sorted(dict(k[1])["device"] for k in fams[name].samples)
            self.assertEqual(got_devices, devices, name)  # lo excluded by default
            for d in devices:
                v = value(fams, name, device=d)
                self.assertGreaterEqual(v, before[d][i], f"{name}{{device={d}}}")
                self.assertLessEqual(v, after[d][i], f"{name}{{device={d}}}")

    def test_netdev_netlink_and_procfs_names(self):
        # Netlink (the default) adds receive_nohandler, as node_exporter 1.5.0's does;
        # --no-collector.netdev.netlink reads /proc/net/dev, which has no such counter.
        fams, _, _, _, _ = self.scrape("--collector.netdev")
        self.assertIn("node_network_receive_nohandler_total", fams)
        fams, _, _, _, _ = self.scrape("--collector.netdev", "--no-collector.netdev.netlink")
        self.assertNotIn("node_network_receive_nohandler_total", fams)
        self.assertIn("node_network_receive_bytes_total", fams)

    def test_netdev_include_and_address_info(self):
        fams, _, _, _, _ = self.scrape("--collector.netdev", "--collector.netdev.device-include=^lo$",
                                       "--collector.netdev.address-info")
        got = {dict(k[1])["device"] for k in fams["node_network_receive_bytes_total"].samples}
        self.assertEqual(got, {"lo"})
        self.assertEqual(value(fams, "node_network_address_info", device="lo",
                               address="127.0.0.1", netmask="8", scope="link-local"), 1.0)

    def test_netdev_regex_flags_take_go_syntax(self):
        # node_exporter's regex flags are Go regexps (RE2): (?i), \pL, named groups.
        fams, _, _, before, after = self.scrape("--collector.netdev",
                                                "--collector.netdev.device-exclude=(?i)^LO$")
        got = {dict(k[1])["device"] for k in fams["node_network_receive_bytes_total"].samples}
        self.assertNotIn("lo", got)
        self.assertGreaterEqual(got, (set(before) & set(after)) - {"lo"})
        fams, _, _, _, _ = self.scrape("--collector.netdev",
                                       "--collector.netdev.device-include=(?i)^(?P<loop>LO)$")
        got = {dict(k[1])["device"] for k in fams["node_network_receive_bytes_total"].samples}
        self.assertEqual(got, {"lo"})
        fams, _, _, before, after = self.scrape("--collector.netdev",
                                                "--collector.netdev.device-include=^\\pL+$")
        got = {dict(k[1])["device"] for k in fams["node_network_receive_bytes_total"].samples}
        self.assertEqual(got, {d for d in set(before) & set(after) if d.isalpha()})

    def test_cpu_and_processes(self):
        fams, _, _, _, _ = self.scrape("--collector.cpu", "--collector.processes",
                                       "--collector.filefd", "--collector.entropy")
        for c in ("cpu", "processes", "filefd", "entropy"):
            self.assertEqual(success(fams, c), 1.0, c)
        cpus = {dict(k[1])["cpu"] for k in fams["node_cpu_seconds_total"].samples}
        self.assertEqual(len(cpus), os.cpu_count())
        modes = {dict(k[1])["mode"] for k in fams["node_cpu_seconds_total"].samples}
        self.assertEqual(modes, {"user", "nice", "system", "idle", "iowait", "irq", "softirq",
                                 "steal"})
        with open("/proc/sys/kernel/pid_max") as f:
            self.assertEqual(value(fams, "node_processes_max_processes"), int(f.read()))
        with open("/proc/sys/kernel/threads-max") as f:
            self.assertEqual(value(fams, "node_processes_max_threads"), int(f.read()))
        with open("/proc/sys/fs/file-nr") as f:
            self.assertEqual(value(fams, "node_filefd_maximum"), int(f.read().split()[2]))
        with open("/proc/sys/kernel/random/poolsize") as f:
            self.assertEqual(value(fams, "node_entropy_pool_size_bits"), int(f.read()))
        # The scrape's own threads are among those counted.
        self.assertGreaterEqual(value(fams, "node_processes_threads"), 2)
        self.assertEqual(sum(fams["node_processes_state"].samples.values()),
                         value(fams, "node_processes_pids"))

    def test_bad_line_fails_only_its_collector(self):
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "net"))
            with open(os.path.join(root, "net", "arp"), "w") as f:
                f.write("IP address HW type Flags HW address Mask Device\n"
                        "10.0.0.1 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n"
                        "10.0.0.2 0x1 broken\n"
                        "10.0.0.3 0x1 0x2 aa:bb:cc:dd:ee:00 * eth0\n")
            with open(os.path.join(root, "vmstat"), "w") as f:
                f.write("pgfault 10\noom_kill\npswpin 3\n")
            with open(os.path.join(root, "net", "dev"), "w") as f:
                f.write("Inter-|   Receive |  Transmit\n"
                        " face |bytes packets errs drop fifo frame compressed multicast|bytes\n"
                        "  eth9: 100 2 0 0 0 0 0 0 300 4 0 0 0 0 0 0\n"
                        "  bad0: 1 2 3\n")
            with open(os.path.join(root, "loadavg"), "w") as f:
                f.write("0.5 0.25 0.125 1/100 42\n")
            with open(os.path.join(root, "meminfo"), "w") as f:
                f.write("MemTotal: 1000 kB\nMemFree: lots kB\nCached: 20 kB\n")
            with open(os.path.join(root, "stat"), "w") as f:
                f.write("cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nctxt many\n"
                        "btime 1700000000\nprocesses 42\nprocs_running 2\nprocs_blocked 0\n")
            with open(os.path.join(root, "diskstats"), "w") as f:
                f.write("   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
                        "   8       x sdb 1 2 3 4 5 6 7 8 9 10 11\n"
                        "   8      16 sdc 5 2 3 4 5 6 7 8 9 10 11\n")
            with Agent("--collector.disable-defaults", f"--path.procfs={root}",
                       "--collector.arp", "--collector.vmstat", "--collector.loadavg",
                       "--collector.netdev", "--collector.meminfo", "--collector.stat",
                       "--collector.diskstats") as agent:
                fams = parse_exposition(agent.scrape())
                log = agent.output()
        self.assertEqual(success(fams, "arp"), 0.0)
        self.assertEqual(success(fams, "vmstat"), 0.0)
        self.assertEqual(success(fams, "loadavg"), 1.0)
        self.assertEqual(value(fams, "node_arp_entries", device="eth0"), 2.0)
        self.assertEqual(value(fams, "node_vmstat_pgfault"), 10.0)
        self.assertEqual(value(fams, "node_vmstat_pswpin"), 3.0)
        self.assertNotIn("node_vmstat_oom_kill", fams)
        self.assertEqual(value(fams, "node_load1"), 0.5)
        # With --path.procfs elsewhere netdev reads <procfs>/net/dev, not netlink.
        self.assertEqual(success(fams, "netdev"), 0.0)
        self.assertEqual(value(fams, "node_network_receive_bytes_total", device="eth9"), 100.0)
        self.assertEqual(value(fams, "node_network_transmit_packets_total", device="eth9"), 4.0)
        self.assertNotIn("node_network_receive_nohandler_total", fams)
        # One bad line each: the collector fails, its good values stay, the log names file:line.
        for c in ("meminfo", "stat", "diskstats"):
            self.assertEqual(success(fams, c), 0.0, c)
        self.assertEqual(value(fams, "node_memory_MemTotal_bytes"), 1000 * 1024)
        self.assertEqual(value(fams, "node_memory_Cached_bytes"), 20 * 1024)
        self.assertNotIn("node_memory_MemFree_bytes", fams)
        self.assertEqual(value(fams, "node_boot_time_seconds"), 1700000000)
        self.assertEqual(value(fams, "node_forks_total"), 42)
        self.assertNotIn("node_context_switches_total", fams)
        self.assertEqual(value(fams, "node_disk_reads_completed_total", device="sda"), 1)
        self.assertEqual(value(fams, "node_disk_reads_completed_total", device="sdc"), 5)
        self.assertEqual(len(fams["node_disk_reads_completed_total"].samples), 2)
        self.assertIn("net/arp:3: expected 6 fields", log)
        self.assertIn("vmstat:2: expected", log)
        self.assertIn("net/dev:4: expected a device name and 16 counters", log)
        self.assertIn("meminfo:2: invalid value", log)
        self.assertIn("/stat:3: invalid value in", log)
        self.assertIn("diskstats:2: invalid device number", log)

    def test_malformed_pid_stat_same_in_processes_and_process_groups(self):
        # processes and process_groups treat a malformed /proc/<pid>/stat alike: an item error
        # naming the file and line (the collector fails), the other processes still counted.
        good = "{pid} (worker) S 1 1 1 0 -1 0 5 0 2 0 100 50 0 0 20 0 {threads} 0 500 1000 10\n"
        with tempfile.TemporaryDirectory() as root:
            for pid, text in (("1", good.format(pid=1, threads=1)),
                              ("7", good.format(pid=7, threads=3)),
                              ("9", "9 (broken) S 1 1\n")):
                os.makedirs(os.path.join(root, pid))
                with open(os.path.join(root, pid, "stat"), "w") as f:
                    f.write(text)
            os.makedirs(os.path.join(root, "sys", "kernel"))
            with open(os.path.join(root, "sys", "kernel", "threads-max"), "w") as f:
                f.write("1000\n")
            with open(os.path.join(root, "sys", "kernel", "pid_max"), "w") as f:
                f.write("4096\n")
            with open(os.path.join(root, "stat"), "w") as f:
                f.write("btime 1700000000\n")
            with Agent("--collector.disable-defaults", f"--path.procfs={root}",
                       "--collector.processes", "--collector.process_groups") as agent:
                fams = parse_exposition(agent.scrape())
                log = agent.output()
        self.assertEqual(success(fams, "processes"), 0.0)
        self.assertEqual(success(fams, "process_groups"), 0.0)
        self.assertEqual(value(fams, "node_processes_pids"), 2)
        self.assertEqual(value(fams, "node_processes_threads"), 4)
        self.assertEqual(value(fams, "node_processes_max_processes"), 4096)
        self.assertEqual(value(fams, "namedprocess_namegroup_num_procs", groupname="worker"), 2)
        self.assertNotIn("broken", str(fams["namedprocess_namegroup_num_procs"].samples))
        self.assertEqual(log.count("/9/stat:1: expected at least 24 fields"), 2, log)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
