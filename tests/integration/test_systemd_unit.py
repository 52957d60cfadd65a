"""The hardened systemd unit (packaging/systemd/vitals.service), checked offline:

- `systemd-analyze security --offline=yes` rates its exposure at most 2.5 (printed);
- the names the Debian package agrees on: user and group vitals, /etc/default/vitals with
  $VITALS_ARGS, /etc/vitals/vitals.conf, StateDirectory=vitals, reload by SIGHUP;
- TasksMax and LimitNOFILE cover the agent's own bounds at its defaults (read from `vitals
  --help`), so the limits never cut a thread or descriptor the agent's flags allow;
- every system call the agent makes (traced with strace while it serves scrapes, spans and a
  reload) is allowed by the unit's SystemCallFilter= (resolved by `systemd-analyze
  syscall-filter`)."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.request

from vitals_testlib import (VITALS_BIN, free_port, main, require_tool, wait_until, http_request)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, "packaging", "systemd", "vitals.service")
MAX_EXPOSURE = 2.5


def unit_settings():
    """{key: [values in order]} of the [Service] section."""
    out, section = {}, None
    for line in open(UNIT, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            k, _, v = line.partition("=")
            out.setdefault(k, []).append(v)
    return out


def help_defaults():
    """{flag: default} of the integer flags in `vitals --help`."""
    text = subprocess.run([VITALS_BIN, "--help"], capture_output=True, text=True,
                          timeout=20).stdout
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"--([\w.\-]+) arg \(=(\d+)\)", text)}


class Unit(unittest.TestCase):
    def test_exposure_score(self):
        tool = require_tool("systemd-analyze", "systemd")
        p = subprocess.run([tool, "security", "--offline=yes", "--no-pager", UNIT],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for vitals\.service: (\d+(?:\.\d+)?)",
                      p.stdout + p.stderr)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        score = float(m.group(1))
        print(f"systemd-analyze security --offline=yes: exposure {score} "
              f"(at most {MAX_EXPOSURE})", file=sys.stderr)
        self.assertLessEqual(score, MAX_EXPOSURE, p.stdout)

    def test_names_agreed_with_the_package(self):
        s = unit_settings()
        self.assertEqual(s["User"], ["vitals"])
        self.assertEqual(s["Group"], ["vitals"])
        self.assertEqual(s["EnvironmentFile"], ["-/etc/default/vitals"])
        self.assertEqual(s["ExecStart"],
                         ["/usr/bin/vitals --config.file=/etc/vitals/vitals.conf $VITALS_ARGS"])
        self.assertEqual(s["ExecReload"], ["/bin/kill -HUP $MAINPID"])
        self.assertEqual(s["StateDirectory"], ["vitals"])
        self.assertEqual(s["NoNewPrivileges"], ["yes"])
        # The agent must see every process: no hidepid.
        self.assertEqual(s["ProtectProc"], ["default"])

    def test_limits_cover_the_agents_bounds(self):
        d = help_defaults()
        s = unit_settings()
        # main + civetweb master and workers for the metrics and the two span listeners +
        # collector workers (at most collector.max-threads) + 4 statfs helpers + a few spare +
        # the OTLP/gRPC listener's ResourceQuota (max-concurrent-requests + 2) and gRPC core's
        # own threads (7 idle: executor, timers, resolver, event engine; 16 allowed).
        threads = (1 + (d["web.max-connections"] + 1) + 2 * (d["apm.max-connections"] + 1)
                   + d["collector.max-threads"] + 4 + 8
                   + d["apm.max-concurrent-requests"] + 2 + 16)
        tasks_max = int(s["TasksMax"][0])
        print(f"threads at the defaults at most {threads}; TasksMax={tasks_max}", file=sys.stderr)
        self.assertGreaterEqual(tasks_max, threads)
        # Descriptors: files kept open + a connection per server thread + sockets and scratch.
        fds = (d["collector.keep-open-files"] + d["web.max-connections"]
               + 2 * d["apm.max-connections"] + d["web.max-requests"] + 64)
        nofile = int(s["LimitNOFILE"][0])
        print(f"descriptors at the defaults at most ~{fds}; LimitNOFILE={nofile}",
              file=sys.stderr)
        self.assertGreaterEqual(nofile, fds)

    def test_every_system_call_the_agent_makes_is_allowed(self):
        strace = require_tool("strace", "strace")
        tool = require_tool("systemd-analyze", "systemd")
        groups = {}

        def expand(item):
            """The system calls of a name or a @group, nested groups resolved."""
            if not item.startswith("@"):
                return {item}
            if item not in groups:
                out = subprocess.run([tool, "syscall-filter", "--no-pager", item],
                                     capture_output=True, text=True, check=True).stdout
                names = set()
                for line in out.splitlines()[1:]:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        names |= expand(line)
                groups[item] = names
            return groups[item]

        # As systemd reads them: the first line makes an allow list (or, with "~", a deny
        # list), and each later line adds to it or takes from it, in order.
        lines = unit_settings()["SystemCallFilter"]
        allow_list = not lines[0].startswith("~")
        listed = set()
        for value in lines:
            names = set()
            for item in value.lstrip("~").split():
                names |= expand(item)
            if value.startswith("~") != (not allow_list):
                listed -= names
            else:
                listed |= names

        def allowed(call):
            return (call in listed) == allow_list

        port, otlp = free_port(), free_port()
        with tempfile.TemporaryDirectory() as tmp:
            trace = os.path.join(tmp, "trace")
            p = subprocess.Popen([strace, "-f", "-qq", "-o", trace, VITALS_BIN,
                                  f"--web.listen-address=127.0.0.1:{port}",
                                  f"--apm.otlp.listen-address=127.0.0.1:{otlp}",
                                  "--apm.zipkin.listen-address=",
                                  "--collector.sockets.processes"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_until(lambda: http_request(port, "/-/ready", timeout=2).status == 200,
                           timeout=60, what="vitals ready under strace")
                for _ in range(2):
                    self.assertEqual(http_request(port, "/metrics").status, 200)
                self.assertEqual(http_request(port, "/metrics", headers={
                    "Accept-Encoding": "gzip",
                    "Accept": "application/openmetrics-text; version=1.0.0"}).status, 200)
                req = urllib.request.Request(
                    f"http://127.0.0.1:{otlp}/v1/traces", data=b'{"resourceSpans":[]}',
                    headers={"Content-Type": "application/json"})
                urllib.request.urlopen(req, timeout=10).read()
                p.send_signal(signal.SIGHUP)
                self.assertEqual(http_request(port, "/metrics").status, 200)
            finally:
                # SIGTERM to the agent (strace's child), not to strace, which would detach.
                with open(f"/proc/{p.pid}/task/{p.pid}/children", encoding="utf-8") as f:
                    children = [int(c) for c in f.read().split()]
                for c in children:
                    os.kill(c, signal.SIGTERM)
                p.wait(timeout=30)
            calls = set()
            for line in open(trace, encoding="utf-8", errors="replace"):
                m = re.match(r"^\d+\s+(?:<\.\.\. )?([a-z_0-9]+)[( ]", line)
                if m and not line.split(None, 1)[1].startswith(("+++", "---")):
                    calls.add(m.group(1))
        # execve is the loader's, before the filter applies (systemd allows it to start the
        # service); exit and rt_sigreturn are in @default.
        calls.discard("execve")
        self.assertTrue(calls, "strace recorded nothing")
        missing = sorted(c for c in calls if not allowed(c))
        print(f"{len(calls)} distinct system calls traced, all allowed: {not missing}",
              file=sys.stderr)
        self.assertEqual(missing, [], "system calls the unit's SystemCallFilter= refuses")


if __name__ == "__main__":
    main()
