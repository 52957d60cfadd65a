"""The systemd and logind collectors against a private dbus-daemon that serves a stand-in
org.freedesktop.systemd1 and org.freedesktop.login1 (tests/standin/dbus_standin.cpp), side by
side with Debian's node_exporter 1.5.0 on the same bus: identical node_systemd_* and
node_logind_* families. Also the unit filters, and a bus that accepts connections but never
answers (the collector fails alone, the scrape answers)."""

import os
import select
import shutil
import socket
import subprocess
import tempfile
import unittest

from vitals_testlib import (VITALS_BIN, Agent, family_diff, free_port, http_request,
                            parse_exposition, require_tool, wait_until)

NE = "prometheus-node-exporter"
STANDIN = os.environ.get("VITALS_DBUS_STANDIN",
                         os.path.join(os.path.dirname(VITALS_BIN), "tests", "dbus_standin"))

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path={dir}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

# Units of every kind the collector reads, with a property missing here and there (systemd
# versions lack some), a unit that is not loaded, one the default exclude drops and one the
# test's exclude drops; a failed unit, an odd ActiveState; escaped names.
DESCRIPTION = r"""
version 252.22-1~deb12u1
system-state degraded
unit ssh.service loaded active Type=notify NRestarts=2 TasksCurrent=1 TasksMax=4915 ActiveEnterTimestamp=1700000000123456
unit cron.service loaded active Type=simple NRestarts=0 TasksCurrent=18446744073709551615 TasksMax=18446744073709551615 ActiveEnterTimestamp=1700000001000000
unit broken.service loaded failed Type=oneshot NRestarts=7 TasksCurrent=0 TasksMax=100
unit notype.service loaded inactive
unit reloading.service loaded reloading Type=forking NRestarts=1 ActiveEnterTimestamp=1700000002000000
unit skipped.service loaded active Type=simple NRestarts=3
unit ghost.service not-found inactive
unit dbus.socket loaded active NAccepted=12 NConnections=3 NRefused=1 ActiveEnterTimestamp=1700000003000000
unit old.socket loaded active NAccepted=5 NConnections=1
unit half.socket loaded active NAccepted=9
unit apt-daily.timer loaded active LastTriggerUSec=1700000100500000 ActiveEnterTimestamp=1700000004000000
unit never.timer loaded inactive LastTriggerUSec=0
unit multi-user.target loaded active
unit dev-sda1.device loaded active
unit home.mount loaded active Type=ext4
unit user\x2d1000.slice loaded active
unit systemd-fsck@dev-disk-by\x2duuid-1.service loaded active Type=oneshot NRestarts=0
seat seat0
session 1 seat0 false x11 user
session 2 - true tty user
session 3 - true tty user
session 4 seat0 false weird-type greeter
session c5 - false unspecified background
"""

FLAGS = ["--collector.disable-defaults", "--collector.systemd", "--collector.logind",
         "--collector.systemd.enable-task-metrics", "--collector.systemd.enable-restarts-metrics",
         "--collector.systemd.enable-start-time-metrics",
         r"--collector.systemd.unit-exclude=.+\.(automount|device|scope|slice|target)|skipped\..*"]

FAMILIES = ("node_systemd_", "node_logind_")


def start_bus(tmp):
    conf = os.path.join(tmp, "bus.conf")
    with open(conf, "w") as f:
        f.write(BUS_CONFIG.format(dir=tmp))
    daemon = subprocess.Popen(["dbus-daemon", f"--config-file={conf}", "--nofork",
                               "--print-address"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    address = read_line(daemon, "dbus-daemon address")
    return daemon, address


def read_line(proc, what, timeout=20):
    r, _, _ = select.select([proc.stdout], [], [], timeout)
    if not r:
        raise AssertionError(f"no {what} within {timeout}s")
    line = proc.stdout.readline().strip()
    if not line:
        raise AssertionError(f"{what}: process exited ({proc.poll()})")
    return line


def ours(fams):
    return {n: f for n, f in fams.items() if n.startswith(FAMILIES) and f.samples}


class SystemdDbus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_tool("dbus-daemon", "dbus")
        cls.ne_bin = require_tool(NE, "prometheus-node-exporter")
        if not os.access(STANDIN, os.X_OK):
            raise AssertionError(f"{STANDIN} not built (target dbus_standin)")
        cls.tmp = tempfile.mkdtemp(prefix="vitals-dbus-")
        cls.procs = []
        cls.daemon, cls.address = start_bus(cls.tmp)
        cls.procs.append(cls.daemon)
        desc = os.path.join(cls.tmp, "units.txt")
        with open(desc, "w") as f:
            f.write(DESCRIPTION)
        cls.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=cls.address)
        cls.standin = subprocess.Popen([STANDIN, desc], stdout=subprocess.PIPE, text=True,
                                       env=cls.env)
        cls.procs.append(cls.standin)
        assert read_line(cls.standin, "stand-in ready") == "ready"

    @classmethod
    def tearDownClass(cls):
        for p in reversed(cls.procs):
            p.terminate()
            p.wait(10)
            p.stdout.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def node_exporter(self, flags):
        port = free_port()
        ne = subprocess.Popen([self.ne_bin, f"--web.listen-address=127.0.0.1:{port}"] + flags,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        try:
            wait_until(lambda: http_request(port, "/metrics", timeout=5).status == 200,
                       timeout=30, what="node_exporter up")
            return parse_exposition(http_request(port, "/metrics").text)
        finally:
            ne.terminate()
            ne.wait(10)

    def vitals(self, flags, env=None):
        with Agent(*flags, env=env or self.env) as a:
            return parse_exposition(a.scrape()), a

    def test_same_as_node_exporter(self):
        got, _ = self.vitals(FLAGS)
        want = self.node_exporter(FLAGS)
        for c in ("systemd", "logind"):
            key = ("node_scrape_collector_success", frozenset({("collector", c)}))
            self.assertEqual(want["node_scrape_collector_success"].samples[key], 1, c)
            self.assertEqual(got["node_scrape_collector_success"].samples[key], 1, c)
        g, w = ours(got), ours(want)
        self.assertEqual(sorted(g), sorted(w))
        problems = [f"{n}: {d}" for n in sorted(w) for d in family_diff(g[n], w[n])]
        self.assertEqual(problems, [], "\n".join(problems))
        print(f"{len(w)} of {len(w)} node_systemd_*/node_logind_* families identical:",
              " ".join(sorted(w)))
        # Real values, not only equal ones.
        v = lambda n, **l: g[n].samples[(n, frozenset(l.items()))]
        self.assertEqual(v("node_systemd_unit_state", name="ssh.service", state="active",
                           type="notify"), 1)
        self.assertEqual(v("node_systemd_unit_state", name="notype.service", state="inactive",
                           type=""), 1)
        self.assertEqual(v("node_systemd_units", state="reloading"), 1)
        self.assertEqual(v("node_systemd_units", state="active"), 12)
        self.assertEqual(v("node_systemd_service_restart_total", name="broken.service"), 7)
        self.assertEqual(v("node_systemd_unit_start_time_seconds", name="ssh.service"),
                         1700000000.123456)
        self.assertEqual(v("node_systemd_socket_accepted_connections_total", name="half.socket"),
                         9)
        self.assertEqual(v("node_systemd_timer_last_trigger_seconds", name="apt-daily.timer"),
                         1700000100.5)
        self.assertEqual(v("node_systemd_version", version="252.22-1~deb12u1"), 252.22)
        self.assertEqual(v("node_systemd_system_running"), 0)
        self.assertEqual(v("node_logind_sessions", seat="", remote="true", type="tty",
                           **{"class": "user"}), 2)
        self.assertEqual(v("node_logind_sessions", seat="seat0", remote="false", type="other",
                           **{"class": "greeter"}), 1)
        names = {dict(k[1])["name"] for k in g["node_systemd_unit_state"].samples}
        self.assertIn("home.mount", names)  # this test's exclude keeps mounts
        for dropped in ("skipped.service", "ghost.service", "multi-user.target",
                        "dev-sda1.device", "user\\x2d1000.slice"):
            self.assertNotIn(dropped, names)
        self.assertNotIn("cron.service",
                         {dict(k[1])["name"] for k in g["node_systemd_unit_tasks_max"].samples})

    def test_bus_without_systemd(self):
        """A bus where neither name is owned: both collectors fail, with what node_exporter
        shows in that case (node_systemd_version{version=""} 0, sent before ListUnits failed)."""
        tmp = tempfile.mkdtemp(prefix="vitals-dbus-empty-", dir=self.tmp)
        daemon, address = start_bus(tmp)
        try:
            env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)
            flags = ["--collector.disable-defaults", "--collector.systemd", "--collector.logind"]
            saved, self.env = self.env, env
            try:
                got, agent = self.vitals(flags)
                want = self.node_exporter(flags)
            finally:
                self.env = saved
        finally:
            daemon.terminate()
            daemon.wait(10)
            daemon.stdout.close()
        for c in ("systemd", "logind"):
            key = ("node_scrape_collector_success", frozenset({("collector", c)}))
            self.assertEqual(want["node_scrape_collector_success"].samples[key], 0, c)
            self.assertEqual(got["node_scrape_collector_success"].samples[key], 0, c)
        g, w = ours(got), ours(want)
        self.assertEqual(sorted(g), sorted(w))
        problems = [f"{n}: {d}" for n in sorted(w) for d in family_diff(g[n], w[n])]
        self.assertEqual(problems, [], "\n".join(problems))
        self.assertIn("org.freedesktop.DBus.Error.ServiceUnknown", agent.output())

    def test_bus_restart(self):
        """The collector keeps its connection between scrapes; when the bus goes away the
        scrape fails, and once a bus is back at the address the next scrape connects anew."""
        tmp = tempfile.mkdtemp(prefix="vitals-dbus-restart-", dir=self.tmp)
        desc = os.path.join(tmp, "units.txt")
        with open(desc, "w") as f:
            f.write("version 252\nunit a.service loaded active Type=simple\n")

        def bus_with_standin():
            daemon, address = start_bus(tmp)
            standin = subprocess.Popen([STANDIN, desc], stdout=subprocess.PIPE, text=True,
                                       env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address))
            assert read_line(standin, "stand-in ready") == "ready"
            # As the system bus's address, without the daemon's guid (a new daemon has another)
            return address.split(",guid=")[0], [standin, daemon]

        def stop(procs):
            for p in procs:
                p.terminate()
                p.wait(10)
                p.stdout.close()

        address, procs = bus_with_standin()
        key = ("node_scrape_collector_success", frozenset({("collector", "systemd")}))
        try:
            with Agent("--collector.disable-defaults", "--collector.systemd",
                       env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)) as a:
                def success():
                    return parse_exposition(a.scrape())["node_scrape_collector_success"].samples[key]
                self.assertEqual(success(), 1)
                stop(procs)
                procs = []
                self.assertEqual(success(), 0)
                again, procs = bus_with_standin()
                self.assertEqual(again, address)
                self.assertEqual(success(), 1)
        finally:
            stop(procs)

    def test_include_filter(self):
        got, _ = self.vitals(["--collector.disable-defaults", "--collector.systemd",
                              "--collector.systemd.unit-include=(ssh|dbus)\\..*"])
        names = {dict(k[1])["name"] for k in got["node_systemd_unit_state"].samples}
        self.assertEqual(names, {"ssh.service", "dbus.socket"})
        # The summary counts every unit, filtered or not.
        self.assertEqual(sum(got["node_systemd_units"].samples.values()), 17)
        self.assertNotIn("node_systemd_unit_start_time_seconds", ours(got))

    def test_bus_that_never_answers(self):
        path = os.path.join(self.tmp, "silent")
        silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        silent.bind(path)
        silent.listen(16)
        try:
            env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={path}")
            with Agent("--collector.disable-defaults", "--collector.systemd",
                       "--collector.logind", "--collector.loadavg", "--collector.timeout=1s",
                       env=env) as a:
                got = parse_exposition(a.scrape())
                # The collector gives up by itself (a little before the scrape's deadline, so
                # its own message is the one logged), and is free again for the next scrape.
                wait_until(lambda: "no reply before the deadline" in a.output(), timeout=10,
                           what="the timeout logged")
                again = parse_exposition(a.scrape())
                log = a.output()
        finally:
            silent.close()
        ok = got["node_scrape_collector_success"].samples
        for c, want in (("systemd", 0), ("logind", 0), ("loadavg", 1)):
            self.assertEqual(ok[("node_scrape_collector_success", frozenset({("collector", c)}))],
                             want, c)
        self.assertIn("node_load1", got)
        self.assertIn(f"over D-Bus at unix:path={path}", log)
        self.assertNotIn("still running from an earlier scrape", log)
        self.assertEqual(again["node_scrape_collector_success"].samples[
            ("node_scrape_collector_success", frozenset({("collector", "loadavg")}))], 1)

    def test_no_bus(self):
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={self.tmp}/absent")
        with Agent("--collector.disable-defaults", "--collector.systemd", "--collector.loadavg",
                   env=env) as a:
            got = parse_exposition(a.scrape())
            wait_until(lambda: "couldn't connect to D-Bus" in a.output(), timeout=10,
                       what="the connect error logged")
        ok = got["node_scrape_collector_success"].samples
        self.assertEqual(ok[("node_scrape_collector_success",
                             frozenset({("collector", "systemd")}))], 0)
        self.assertIn("node_load1", got)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
