"""Docs that cannot drift from the code.

1. Every flag `vitals --help` prints, with its default, is in the README's flag tables, and every
   flag in those tables exists with that default.
2. The README's lists of collectors on and off by default are what `--list-collectors` says.
3. Every metric name the docs (README.md, docs/*.md) mention is exposed by the agent: on
   node_exporter's fixture tree with every collector on, on the cgroup fixture trees, and live
   (sockets, process groups, APM after one span, the agent's self metrics)."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from ne_fixture import FixtureTree, fixture_args
from service_fixtures import Chronyd, RunitDir, Supervisord
from vitals_testlib import main, VITALS_BIN, Agent, free_port, parse_exposition, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, "README.md")
DOCS = [README] + sorted(os.path.join(ROOT, "docs", f) for f in os.listdir(os.path.join(ROOT, "docs"))
                         if f.endswith(".md"))
CONTAINER_FIXTURES = os.path.join(ROOT, "tests", "fixtures", "containers")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---- flags ----------------------------------------------------------------------------------

def balanced(s, start):
    """The text from `start` up to the parenthesis that closes the one before `start`."""
    depth = 1
    for i in range(start, len(s)):
        if s[i] == "(":
            depth += 1
        elif s[i] == ")":
            depth -= 1
            if depth == 0:
                return s[start:i]
    return s[start:]


def help_flags(text):
    """{flag: default or None} from Boost.Program_options' --help text. A default is either
    Boost's "arg (=X)" / "[=arg(=1)] (=0)" or "(default: X)" in the help text (collector
    options, whose defaults vitals validates itself). Boost wraps long words at the column
    limit, so whitespace is dropped from a "(default: ...)" value (no default has any)."""
    flags = {}
    blocks = []
    for line in text.splitlines():
        m = re.match(r"^  (?:-\w \[ )?--([\w.\-]+)", line)
        if m:
            blocks.append([m.group(1), line[m.end():]])
        elif blocks:
            blocks[-1][1] += " " + line.strip()
    for name, rest in blocks:
        rest = rest.lstrip(" ]")
        default = None
        m = re.match(r"(?:\[=arg\(=[^)]*\)\] )?(?:arg )?\(=(\S*)\)", rest)
        if m:
            default = m.group(1)
        else:
            i = rest.find("(default: ")
            if i >= 0:
                default = re.sub(r"\s+", "", balanced(rest, i + len("(default: ")))
        flags[name] = default
    return flags


def normalize(v):
    if v is None:
        return ""
    return {"off": "false", "on": "true", "0": "false", "1": "true"}.get(v, v)


def readme_flag_rows(text):
    """{flag: default} from every table in the README's "Flags" section whose first column
    holds `--flag` cells. A cell may name several flags split by " / " with as many defaults
    in the second column; cells with <...> are patterns, not flags."""
    section = text.split("\n## Flags", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| `--"):
            continue
        cells = [c.strip().replace("\\|", "|")
                 for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        names = re.findall(r"`--([^`]+)`", cells[0])
        if any("<" in n or "*" in n for n in names):
            continue
        defaults = re.findall(r"`([^`]*)`", cells[1]) if len(cells) > 1 else []
        if len(defaults) <= 1:
            defaults = [cells[1].strip("`") if len(cells) > 1 else ""] * len(names)
        if len(defaults) != len(names):
            raise AssertionError(f"README flag row with {len(names)} flags and "
                                 f"{len(defaults)} defaults: {line}")
        for n, d in zip(names, defaults):
            rows[n] = d
    return rows


class Flags(unittest.TestCase):
    maxDiff = None
    @classmethod
    def setUpClass(cls):
        cls.help = subprocess.run([VITALS_BIN, "--help"], capture_output=True, text=True,
                                  check=True).stdout
        cls.flags = help_flags(cls.help)
        cls.readme = read(README)

    def documented_flags(self):
        """Flags the README must list: all but the per-collector enable/disable switches, the
        --no-... negations, and the options of node_exporter collectors that vitals accepts
        but does not implement (they are ignored)."""
        listed = [r.split() for r in subprocess.run(
            [VITALS_BIN, "--list-collectors"], capture_output=True, text=True,
            check=True).stdout.splitlines() if r.strip()]
        names = {r[0] for r in listed}
        unimplemented = {r[0] for r in listed if r[2:] != ["implemented"]}
        out = {}
        for f, d in self.flags.items():
            if f.startswith("no-"):
                continue
            if f.startswith("collector."):
                rest = f[len("collector."):]
                if rest in names or rest.split(".")[0] in unimplemented:
                    continue
            out[f] = d
        return out

    def test_help_parsed(self):
        # The parser above must see the flags it is meant to compare.
        self.assertEqual(self.flags.get("web.telemetry-path"), "/metrics")
        self.assertIn("collector.filesystem.mount-points-exclude", self.flags)
        self.assertGreater(len(self.documented_flags()), 40)

    def test_every_flag_in_readme_with_its_default(self):
        rows = readme_flag_rows(self.readme)
        want = self.documented_flags()
        missing = sorted(f for f in want if f not in rows)
        self.assertEqual(missing, [], "flags in --help but not in the README's flag tables")
        unknown = sorted(f for f in rows if f not in self.flags)
        self.assertEqual(unknown, [], "flags in the README that --help does not know")
        wrong = sorted(f"--{f}: README `{rows[f]}`, --help `{want[f]}`" for f in want
                       if normalize(rows[f]) != normalize(want[f]))
        self.assertEqual(wrong, [], "defaults that differ")

    def test_flag_tables_in_docs(self):
        """Rows of docs/*.md tables that start with one `--flag` name a flag --help knows, and
        their second column, when it is one value, is that flag's default."""
        states = {}
        for r in subprocess.run([VITALS_BIN, "--list-collectors"], capture_output=True,
                                text=True, check=True).stdout.splitlines():
            parts = r.split()
            states[parts[0]] = "true" if parts[1] == "enabled" else "false"
        problems = []
        checked = 0
        for path in DOCS[1:]:
            for line in read(path).splitlines():
                m = re.match(r"^\| `--([\w.\-]+)`(?: \(`([^`]*)`\))? \|([^|]*)\|", line)
                if not m:
                    continue
                flag, default = m.group(1), m.group(2)
                if default is None:
                    cell = m.group(3).strip()
                    if re.fullmatch(r"`[^`]*`|[\w.:/,\-]+|\(none\)|none.*", cell):
                        default = cell.strip("`")
                where = f"{os.path.relpath(path, ROOT)}: --{flag}"
                c = flag[len("collector."):] if flag.startswith("collector.") else None
                if c in states:
                    want = states[c]
                elif flag in self.flags:
                    want = self.flags[flag]
                else:
                    problems.append(f"{where}: no such flag")
                    continue
                if default is None:
                    continue
                checked += 1
                if default.startswith("(none)") or default.startswith("none"):
                    default = ""
                if normalize(default) != normalize(want):
                    problems.append(f"{where}: docs `{default}`, --help `{want}`")
        self.assertEqual(problems, [])
        self.assertGreater(checked, 20, "the docs' flag tables were not found")

    def test_collector_lists(self):
        on, off = set(), set()
        for line in subprocess.run([VITALS_BIN, "--list-collectors"], capture_output=True,
                                   text=True, check=True).stdout.splitlines():
            parts = line.split()  # name enabled|disabled implemented|not-implemented
            if len(parts) != 3 or parts[2] != "implemented":
                continue
            (on if parts[1] == "enabled" else off).add(parts[0])
        section = self.readme.split("\n## Collectors", 1)[1].split("\n## ", 1)[0]
        m = re.search(r"On by default:[^(]*\(([^)]*)\) plus vitals' own ([^.]*)\.", section, re.S)
        self.assertIsNotNone(m, "README's 'On by default: (...) plus vitals' own ...' sentence")
        readme_on = set(re.findall(r"[a-z_]+", m.group(1))) | set(re.findall(r"`([a-z_]+)`",
                                                                              m.group(2)))
        self.assertEqual(sorted(readme_on), sorted(on))
        m = re.search(r"Off by default:([^.]*)\.", section, re.S)
        readme_off = set(re.findall(r"[a-z_]+", m.group(1).replace("as in node_exporter", "")))
        readme_off -= {"and"}
        self.assertEqual(sorted(readme_off), sorted(off))


# ---- metric names ---------------------------------------------------------------------------

PREFIXES = ("node_", "vitals_", "process_", "promhttp_", "container_", "namedprocess_",
            "traces_", "machine_")
# Names the docs mention on purpose although vitals never exposes them, each with the reason.
NOT_EXPOSED = {
    "traces_spanmetrics_duration_seconds": "Tempo 1.x's name, which docs/apm.md says 2.0 renamed",
    "node_ethtool_{received,transmitted}_*_total": "ethtool: a driver with rx_bytes etc. stats",
    "node_network_supported_port_info{device,type}": "ethtool: a NIC reporting link modes",
    "node_network_{supported,advertised}_speed_bytes{device,duplex,mode}":
        "ethtool: a NIC reporting link modes",
    "node_btrfs_device_unused_bytes{btrfs_dev_uuid,device,uuid}":
        "btrfs: a mounted btrfs filesystem (test_btrfs_live compares it with node_exporter)",
    "node_btrfs_device_errors_total{btrfs_dev_uuid,device,type,uuid}":
        "btrfs: a mounted btrfs filesystem (test_btrfs_live compares it with node_exporter)",
}
# Families only a systemd/logind on D-Bus makes (none runs here); test_systemd_dbus checks them
# against node_exporter on a stand-in bus.
ONLY_WITH_DBUS = ("node_systemd_", "node_logind_")


NAME_CHARS = re.compile(r"[a-zA-Z0-9_:*<]")


def expand(tok):
    """A documented name as regexes: `a_{b,c}_d` is a_b_d and a_c_d, `<x>` and `*` are any name
    part, a trailing `{...}` after a name that does not end in `_` holds labels and is
    dropped."""
    i = tok.find("{")
    if i < 0:
        return [re.sub(r"<[^>]*>|\\\*", "[a-zA-Z0-9_:]*", re.escape(tok).replace("\\<", "<")
                       .replace("\\>", ">"))]
    j = tok.find("}", i)
    if j < 0:
        return expand(tok[:i])
    rest = tok[j + 1:]
    if not tok[:i].endswith("_") and (not rest or not NAME_CHARS.match(rest)):
        return expand(tok[:i])
    return [x for alt in tok[i + 1:j].split(",") for x in expand(tok[:i] + alt + rest)]


def documented_metrics():
    """{backticked metric name: files} in the docs, for names with a metric prefix."""
    names = {}
    collectors = set(subprocess.run([VITALS_BIN, "--list-collectors"], capture_output=True,
                                    text=True, check=True).stdout.split())
    for path in DOCS:
        for tok in re.findall(r"`([^`\s]+)`", read(path)):
            if not tok.startswith(PREFIXES) or tok in PREFIXES or tok in collectors:
                continue
            if not re.match(r"^[a-zA-Z0-9_:*<>{},=\"]+$", tok):
                continue
            names.setdefault(tok, set()).add(os.path.relpath(path, ROOT))
    return names


def post_span(port):
    """One OTLP/JSON server span and its client span, so the span metrics and the service graph
    have series."""
    trace = "0af7651916cd43dd8448eb211c80319c"
    def span(sid, parent, kind, service):
        return {"resource": {"attributes": [{"key": "service.name",
                                             "value": {"stringValue": service}}]},
                "scopeSpans": [{"spans": [{
                    "traceId": trace, "spanId": sid, "parentSpanId": parent, "name": "GET /",
                    "kind": kind, "startTimeUnixNano": "1700000000000000000",
                    "endTimeUnixNano": "1700000000050000000", "status": {"code": 2}}]}]}
    body = {"resourceSpans": [span("b7ad6b7169203331", "", 3, "front"),
                              span("00f067aa0ba902b7", "b7ad6b7169203331", 2, "back")]}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200, r.status


def post_garbage(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=b"\xff\xff\xff",
                                 headers={"Content-Type": "application/x-protobuf"},
                                 method="POST")
    try:
        urllib.request.urlopen(req, timeout=10)
    except urllib.error.HTTPError as e:
        assert e.code == 400, e.code
    else:
        raise AssertionError("a garbage OTLP body was accepted")


def exposed_names(text):
    out = set()
    for name, fam in parse_exposition(text).items():
        out.add(name)
        for (sample, _labels) in fam.samples:
            out.add(sample)
    return out


class MetricNames(unittest.TestCase):
    maxDiff = None
    @classmethod
    def setUpClass(cls):
        names = set()
        listed = subprocess.run([VITALS_BIN, "--list-collectors"], capture_output=True,
                                text=True, check=True).stdout.splitlines()
        implemented = [l.split()[0] for l in listed if l.split()[2:] == ["implemented"]]
        # node_exporter's fixture tree, every collector that reads it.
        with FixtureTree() as tree:
            fixture = [c for c in implemented if c not in ("sockets", "containers",
                                                           "process_groups")]
            with Agent(*fixture_args(fixture, root=tree.root), cwd=tree.cwd) as a:
                names |= exposed_names(a.scrape())
        # The cgroup fixture trees (v2 and v1).
        for mode in ("v2", "v1"):
            root = os.path.join(CONTAINER_FIXTURES, mode)
            if os.path.isdir(root):
                # An absent CRI socket, given explicitly: its failure is counted, so the
                # vitals_container_runtime_* self metrics appear.
                with Agent("--collector.disable-defaults", "--collector.containers",
                           f"--path.sysfs={root}/sys", f"--path.procfs={root}/proc",
                           f"--collector.containers.cri-socket={root}/absent.sock") as a:
                    wait_until(lambda: "vitals_container_runtime_up" in a.scrape(), timeout=20,
                               what="container runtime self metrics")
                    names |= exposed_names(a.scrape())
        # Live: the default collectors plus process groups, and APM after one span.
        # Also a second fixture run for the options that rename families.
        with FixtureTree() as tree:
            with Agent(*fixture_args(["rapl"], root=tree.root), "--collector.rapl.enable-zone-label",
                       cwd=tree.cwd) as a:
                names |= exposed_names(a.scrape())
        # A small tree for what neither the fixtures nor this host have: cpuinfo_*_freq files,
        # SELinux and an amdgpu card.
        with tempfile.TemporaryDirectory(prefix="vitals-docs-") as root:
            files = {"sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_cur_freq": "1800000",
                     "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_min_freq": "800000",
                     "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq": "3600000",
                     "sys/fs/selinux/enforce": "1",
                     "etc/selinux/config": "SELINUX=enforcing\nSELINUXTYPE=targeted\n",
                     "sys/class/drm/card0/device/uevent": "DRIVER=amdgpu",
                     "sys/class/drm/card0/device/mem_info_vram_total": "8573157376"}
            for rel, text in files.items():
                os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
                with open(os.path.join(root, rel), "w") as f:
                    f.write(text + "\n")
            with Agent("--collector.disable-defaults", "--collector.cpufreq",
                       "--collector.selinux", "--collector.drm", f"--path.sysfs={root}/sys",
                       f"--path.rootfs={root}", f"--path.procfs={root}/proc") as a:
                names |= exposed_names(a.scrape())
        # Live: the default collectors plus the optional ones, a UDP listener for the sockets
        # collector, and APM after one span and one refused request.
        otlp = free_port()
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        # Remote write on, to a port nobody listens on (its families appear per endpoint).
        rw_dir = tempfile.mkdtemp(prefix="vitals-drift-rw-")
        with udp, Agent("--collector.process_groups", "--collector.processes",
                        "--collector.netdev.address-info",
                        f"--apm.otlp.listen-address=127.0.0.1:{otlp}",
                        f"--apm.otlp.grpc-listen-address=127.0.0.1:{free_port()}",
                        "--apm.service-graph.wait=1s",
                        f"--remote-write.url=http://127.0.0.1:{free_port()}/api/v1/write",
                        f"--remote-write.queue-dir={rw_dir}", "--remote-write.interval=200ms",
                        "--remote-write.batch-deadline=0s") as a:
            post_span(otlp)
            post_garbage(otlp)
            wait_until(lambda: "traces_service_graph_request_total" in a.scrape(), timeout=30,
                       what="service graph series")
            wait_until(lambda: "vitals_remote_write_requests_total{" in a.scrape(), timeout=30,
                       what="a remote write request")
            names |= exposed_names(a.scrape())
        shutil.rmtree(rw_dir, ignore_errors=True)
        # The collectors that ask local services (real supervisord, runsvdir and chronyd) and
        # perf's software counters.
        with Supervisord() as sv, RunitDir() as rd, Chronyd() as ch:
            with Agent("--collector.disable-defaults", "--collector.supervisord",
                       f"--collector.supervisord.url={sv.url}", "--collector.runit",
                       f"--collector.runit.servicedir={rd.dir}", "--collector.ntp",
                       f"--collector.ntp.server-port={ch.port}", "--collector.perf") as a:
                names |= exposed_names(a.scrape())
        # The other span metric namings (docs/apm.md), after one span each.
        for flag in ("--apm.histogram-unit=ms", "--apm.metric-names=tempo"):
            otlp = free_port()
            with Agent(f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.service-graph.wait=1s",
                       "--collector.disable-defaults", flag) as a:
                post_span(otlp)
                wait_until(lambda: "traces_service_graph_request_total" in a.scrape(), timeout=30,
                           what="service graph series")
                names |= exposed_names(a.scrape())
        cls.exposed = names

    def test_documented_metrics_are_exposed(self):
        missing = []
        for tok, files in sorted(documented_metrics().items()):
            if tok in NOT_EXPOSED or tok.startswith(ONLY_WITH_DBUS):
                continue
            pats = [re.compile(p + "$") for p in expand(tok)]
            bad = [p.pattern for p in pats if not any(p.match(n) for n in self.exposed)]
            if bad:
                missing.append(f"{tok} ({', '.join(sorted(files))}): {bad}")
        self.assertEqual(missing, [], "metric names in the docs that the agent does not expose")

    def test_not_exposed_list_is_current(self):
        documented = documented_metrics()
        stale = sorted(n for n in NOT_EXPOSED if n not in documented or n in self.exposed)
        self.assertEqual(stale, [], "NOT_EXPOSED entries no longer needed")


if __name__ == "__main__":
    main()
