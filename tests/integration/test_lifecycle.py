"""Process lifecycle: config errors exit 2 with one line, a taken address exits 1, SIGHUP
reloads the config file (a bad one is logged and the old one stays), SIGTERM exits 0."""

import os
import signal
import socket
import subprocess
import tempfile
import unittest

from vitals_testlib import NE_FIXTURES, VITALS_BIN, Agent, free_port, parse_exposition, wait_until


def run(*args):
    p = subprocess.run([VITALS_BIN, *args], capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


class CommandLine(unittest.TestCase):
    def test_errors_exit_2_with_one_line_naming_the_flag(self):
        cases = [
            (["--no.such.flag"], "--no.such.flag"),
            (["--collector.nosuch"], 'unknown collector "nosuch"'),
            (["--web.max-requests=many"], "web.max-requests"),
            (["--collector.timeout=forever"], "--collector.timeout"),
            (["--log.format=xml"], "--log.format"),
            (["--web.listen-address=9100"], "--web.listen-address"),
        ]
        for args, want in cases:
            rc, out, err = run(*args)
            self.assertEqual(rc, 2, (args, err))
            lines = err.strip().splitlines()
            self.assertEqual(len(lines), 1, (args, err))
            self.assertIn(want, lines[0])

    def test_help_and_version(self):
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        for flag in ("--web.listen-address", "--web.telemetry-path", "--path.procfs",
                     "--path.sysfs", "--path.rootfs", "--path.udev.data",
                     "--collector.disable-defaults", "--collector.loadavg",
                     "--no-collector.loadavg", "--collector.stat.softirq", "--log.level",
                     "--log.format", "--config.file", "--collector.timeout"):
            self.assertIn(flag, out)
        rc, out, _ = run("--version")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^vitals version \S+ \(revision \S+, compiler .+\)\n$")

    def test_address_in_use_exits_1(self):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            rc, _, err = run(f"--web.listen-address=127.0.0.1:{port}")
        self.assertEqual(rc, 1, err)
        self.assertIn(f"127.0.0.1:{port}", err)
        self.assertIn("address already in use", err)

    def test_json_logs(self):
        with Agent("--log.format=json") as a:
            a.scrape()
        first = a.output().splitlines()[0]
        self.assertTrue(first.startswith('{"ts":"'), first)
        self.assertIn('"msg":"vitals started"', first)


class Reload(unittest.TestCase):
    def test_sighup_reload_and_bad_config(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("# empty: defaults\n")
            path = f.name
        try:
            with Agent(f"--path.procfs={NE_FIXTURES}/proc", f"--config.file={path}") as a:
                self.assertIn("node_load1", parse_exposition(a.scrape()))

                with open(path, "w") as f:
                    f.write("[collector]\nloadavg = false\n[collector.stat]\nsoftirq = true\n")
                a.signal(signal.SIGHUP)
                fams = wait_until(lambda: (lambda f: "node_load1" not in f and f)(
                    parse_exposition(a.scrape())), what="loadavg disabled by reload")
                self.assertIn("node_softirqs_total", fams)

                with open(path, "w") as f:
                    f.write("[collector]\nloadavg = true\nno.such.key = 1\n")
                a.signal(signal.SIGHUP)
                wait_until(lambda: "reload failed" in a.output(), what="reload failure logged")
                self.assertIn("no.such.key", a.output())
                fams = parse_exposition(a.scrape())
                self.assertNotIn("node_load1", fams)  # the old config stays in force
                self.assertIn("node_softirqs_total", fams)
                self.assertIsNone(a.proc.poll())

                with open(path, "w") as f:
                    f.write("[collector]\nloadavg = true\n")
                a.signal(signal.SIGHUP)
                fams = wait_until(lambda: (lambda f: "node_load1" in f and f)(
                    parse_exposition(a.scrape())), what="loadavg back after reload")
                self.assertNotIn("node_softirqs_total", fams)
                self.assertEqual(a.stop(), 0)
        finally:
            os.unlink(path)

    def test_sigint_exits_0(self):
        a = Agent()
        a.signal(signal.SIGINT)
        self.assertEqual(a.proc.wait(timeout=5), 0)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
