"""The collectors that ask a local service: supervisord (XML-RPC), runit (service directories),
ntp (an NTP server) and perf (perf_event_open). Each runs against the real Debian service,
started by the test on free ports / temporary directories (service_fixtures.py), side by side
with node_exporter 1.5.0 (Debian's prometheus-node-exporter) given the same flags: the families
must be identical (values within the tolerance of two reads a moment apart where they move)."""

import os
import subprocess
import unittest

from service_fixtures import Chronyd, RunitDir, Supervisord
from vitals_testlib import Agent, free_port, http_request, parse_exposition, require_tool
from vitals_testlib import wait_until

NE = "prometheus-node-exporter"


class NodeExporter:
    def __init__(self, *flags):
        ne = require_tool(NE, "prometheus-node-exporter")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [ne, f"--web.listen-address=127.0.0.1:{self.port}", "--collector.disable-defaults",
             *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: http_request(self.port, "/metrics", timeout=5).status == 200,
                       timeout=30, what="node_exporter up")
        except AssertionError:
            self.stop()
            raise

    def scrape(self):
        return parse_exposition(http_request(self.port, "/metrics").text)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def families(fams, prefix):
    return {n: f for n, f in fams.items() if n.startswith(prefix)}


def success(fams, collector):
    return fams["node_scrape_collector_success"].samples[
        ("node_scrape_collector_success", frozenset({("collector", collector)}))]


def both(flags, prefix, collector):
    """Scrapes vitals and node_exporter run with `flags`: (vitals, node_exporter) families that
    start with `prefix`, after checking both collectors succeeded."""
    with Agent("--collector.disable-defaults", *flags) as agent, NodeExporter(*flags) as ne:
        v = parse_exposition(agent.scrape())
        n = ne.scrape()
        out = agent.output()
    assert success(n, collector) == 1, f"node_exporter's {collector} failed"
    assert success(v, collector) == 1, f"vitals' {collector} failed:\n{out}"
    return families(v, prefix), families(n, prefix)


def same_meta(test, v, n):
    test.assertEqual(sorted(v), sorted(n))
    for name in n:
        test.assertEqual((v[name].type, v[name].help), (n[name].type, n[name].help), name)
        test.assertEqual(set(v[name].samples), set(n[name].samples), name)


class Supervisord_(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sv = Supervisord().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.sv.__exit__()

    def check(self, url):
        v, n = both(["--collector.supervisord", f"--collector.supervisord.url={url}"],
                    "node_supervisord_", "supervisord")
        self.assertEqual(sorted(v), ["node_supervisord_exit_status",
                                     "node_supervisord_start_time_seconds",
                                     "node_supervisord_state", "node_supervisord_up"])
        same_meta(self, v, n)
        for name in n:
            self.assertEqual(v[name].samples, n[name].samples, name)
        up = v["node_supervisord_up"].samples
        self.assertEqual(up[("node_supervisord_up",
                             frozenset({("name", "web"), ("group", "grp")}))], 1)
        self.assertEqual(up[("node_supervisord_up",
                             frozenset({("name", "quitter"), ("group", "quitter")}))], 0)
        self.assertEqual(v["node_supervisord_exit_status"].samples[(
            "node_supervisord_exit_status",
            frozenset({("name", "quitter"), ("group", "quitter")}))], 3)

    def test_http(self):
        self.check(self.sv.url)

    def test_unix_socket(self):
        self.check(f"unix://{self.sv.sock}")

    def test_unreachable_fails_the_collector(self):
        with Agent("--collector.disable-defaults", "--collector.supervisord",
                   f"--collector.supervisord.url=http://127.0.0.1:{free_port()}/RPC2") as agent:
            v = parse_exposition(agent.scrape())
            self.assertEqual(success(v, "supervisord"), 0)
            self.assertNotIn("node_supervisord_up", v)
            self.assertIn("unable to call supervisord", agent.output())


class Runit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rd = RunitDir().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.rd.__exit__()

    def test_same_as_node_exporter(self):
        d = self.rd.dir
        v, n = both(["--collector.runit", f"--collector.runit.servicedir={d}"],
                    "node_service_", "runit")
        self.assertEqual(len(v), 4)
        same_meta(self, v, n)
        for name in n:
            self.assertEqual(v[name].samples, n[name].samples, name)

        def val(name, svc):
            return v[name].samples[(name, frozenset({("service", svc), ("supervisor", "runit")}))]
        self.assertEqual(val("node_service_state", "up1"), 1)
        self.assertEqual(val("node_service_desired_state", "up1"), 1)
        self.assertEqual(val("node_service_state", "down1"), 0)
        self.assertEqual(val("node_service_desired_state", "down1"), 0)
        self.assertEqual(val("node_service_state", "norun"), 0)
        services = {dict(k[1])["service"] for k in v["node_service_state"].samples}
        self.assertEqual(services, {"up1", "down1", "norun"})
        changed = val("node_service_state_last_change_timestamp_seconds", "up1")
        mtime = os.stat(os.path.join(d, "up1", "supervise", "status")).st_mtime
        self.assertLess(abs(changed - mtime), 2)

    def test_missing_dir_fails_the_collector(self):
        with Agent("--collector.disable-defaults", "--collector.runit",
                   f"--collector.runit.servicedir={self.rd.tmp}/nope") as agent:
            self.assertEqual(success(parse_exposition(agent.scrape()), "runit"), 0)


class Ntp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chrony = Chronyd().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.chrony.__exit__()

    def test_same_as_node_exporter(self):
        flags = ["--collector.ntp", f"--collector.ntp.server-port={self.chrony.port}"]
        v, n = both(flags, "node_ntp_", "ntp")
        self.assertEqual(len(v), 8)
        same_meta(self, v, n)

        def val(f, name):
            return f[name].samples[(name, frozenset())]
        for name in ("node_ntp_stratum", "node_ntp_leap", "node_ntp_sanity",
                     "node_ntp_root_delay_seconds"):
            self.assertEqual(val(v, name), val(n, name), name)
        self.assertEqual(val(v, "node_ntp_stratum"), 10)
        self.assertEqual(val(v, "node_ntp_sanity"), 1)
        # Same clock on both ends: offsets and round trips of a loopback exchange are well
        # under 50 ms even on a loaded machine; the reference time and root dispersion move
        # only with chronyd's local reference updates.
        for name in ("node_ntp_offset_seconds", "node_ntp_rtt_seconds"):
            self.assertLess(abs(val(v, name)), 0.05, name)
            self.assertLess(abs(val(n, name)), 0.05, name)
        self.assertGreater(val(v, "node_ntp_rtt_seconds"), 0)
        self.assertAlmostEqual(val(v, "node_ntp_reference_timestamp_seconds"),
                               val(n, "node_ntp_reference_timestamp_seconds"), delta=120)
        self.assertAlmostEqual(val(v, "node_ntp_root_dispersion_seconds"),
                               val(n, "node_ntp_root_dispersion_seconds"), delta=0.01)

    def test_version_3_and_no_server(self):
        with Agent("--collector.disable-defaults", "--collector.ntp",
                   f"--collector.ntp.server-port={self.chrony.port}",
                   "--collector.ntp.protocol-version=3") as agent:
            self.assertEqual(success(parse_exposition(agent.scrape()), "ntp"), 1)
        # Nobody on the port: ICMP port unreachable ends the query at once.
        with Agent("--collector.disable-defaults", "--collector.ntp",
                   f"--collector.ntp.server-port={free_port()}") as agent:
            v = parse_exposition(agent.scrape())
            self.assertEqual(success(v, "ntp"), 0)
            self.assertNotIn("node_ntp_stratum", v)
            self.assertIn("couldn't get SNTP reply", agent.output())

    def test_node_exporters_option_checks(self):
        for flag, message in (("--collector.ntp.server=192.0.2.1", "only IP address of local"),
                              ("--collector.ntp.protocol-version=5", "invalid NTP protocol"),
                              ("--collector.ntp.server-port=0", "invalid NTP port")):
            from vitals_testlib import VITALS_BIN
            p = subprocess.run([VITALS_BIN, f"--web.listen-address=127.0.0.1:{free_port()}",
                                "--collector.disable-defaults", "--collector.ntp", flag],
                               capture_output=True, text=True, timeout=30)
            self.assertNotEqual(p.returncode, 0, flag)
            self.assertIn(message, p.stdout + p.stderr, flag)


class Perf(unittest.TestCase):
    def perf_allowed(self):
        import ctypes
        # The same software counter vitals opens (PERF_COUNT_SW_CONTEXT_SWITCHES on CPU 0).
        attr = bytearray(128)
        attr[0:4] = (1).to_bytes(4, "little")      # PERF_TYPE_SOFTWARE
        attr[4:8] = (128).to_bytes(4, "little")    # size
        attr[8:16] = (3).to_bytes(8, "little")     # config
        libc = ctypes.CDLL(None, use_errno=True)
        buf = ctypes.create_string_buffer(bytes(attr), 128)
        fd = libc.syscall(298, buf, -1, 0, -1, 8)  # perf_event_open, PERF_FLAG_FD_CLOEXEC
        if fd < 0:
            return False
        os.close(fd)
        return True

    def test_software_counters_as_node_exporter(self):
        if os.uname().machine != "x86_64":
            self.skipTest("the syscall number above is x86_64's")
        if not self.perf_allowed():
            self.skipTest("the kernel refuses perf_event_open for system-wide counters here")
        v, n = both(["--collector.perf"], "node_perf_", "perf")
        # The kernel decides which events open (here maybe no hardware counters): both
        # exporters must make the same families with the same CPUs.
        same_meta(self, v, n)
        for name in ("node_perf_context_switches_total", "node_perf_page_faults_total",
                     "node_perf_cpu_migrations_total", "node_perf_minor_faults_total",
                     "node_perf_major_faults_total"):
            self.assertIn(name, v)
        cpus = {dict(k[1])["cpu"] for k in v["node_perf_context_switches_total"].samples}
        self.assertEqual(cpus, {str(i) for i in range(len(os.sched_getaffinity(0)))})
        # Counting since the agent started: it has switched context itself.
        self.assertGreater(sum(v["node_perf_context_switches_total"].samples.values()), 0)

    def test_cpus_option(self):
        if os.uname().machine != "x86_64" or not self.perf_allowed():
            self.skipTest("perf_event_open refused")
        v, n = both(["--collector.perf", "--collector.perf.cpus=0"], "node_perf_", "perf")
        same_meta(self, v, n)
        self.assertEqual({dict(k[1])["cpu"] for k in v["node_perf_page_faults_total"].samples},
                         {"0"})


if __name__ == "__main__":
    from vitals_testlib import main
    main()
