"""Every query of every Grafana dashboard in packaging/grafana/dashboards returns data from a
live agent, and every recording rule of packaging/prometheus/rules returns data too.

The test starts vitals with its defaults (plus --collector.process_groups, which the Process
groups dashboard needs, and the APM listeners on free loopback ports), gives it something to
see: a cgroup (cpu, cpuacct, memory and pids; and the unified hierarchy where there is one) with
a CPU quota and a memory limit holding a busy process in its own network namespace that sends
packets on a dummy interface; a TCP listener with connections, some closed into TIME_WAIT; a
UDP socket with unread datagrams; steady spans from real OpenTelemetry JS exporters (three
services calling each other, some failing: tests/clients/traffic.js); one refused span request.
A real Prometheus 2.42 scrapes it every second with the rule files loaded and exemplar storage
on. The test then resolves each dashboard's template variables through Prometheus' label APIs,
substitutes Grafana's built-ins, and runs each panel target (range query, or instant for
instant targets) until all return data or the deadline passes; it prints
`N of M dashboard queries return data` and fails unless N == M. It also checks that the
exemplar-enabled targets return exemplars, that every metric name the dashboards and rules use
exists in Prometheus (names that cannot exist on this machine are listed with the reason), and
that Prometheus evaluates every rule without error. Needs root (cgroups, network namespace)."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import yaml

from vitals_testlib import Agent, free_port, http_request, require, require_tool, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
DASHBOARDS = os.path.join(REPO, "packaging", "grafana", "dashboards")
RULES = [os.path.join(REPO, "packaging", "prometheus", "rules", f)
         for f in ("vitals-recording.yml", "vitals-alerts.yml")]
CLIENTS = os.path.join(REPO, "tests", "clients")
CGROOT = "/sys/fs/cgroup"
TAG = f"vitals-dash-{os.getpid()}"
SCRAPE_S = 1
RATE_INTERVAL = f"{4 * SCRAPE_S}s"  # Grafana's $__rate_interval: at least 4 scrape intervals

BUSY = r"""
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"vt-dash-busy", 0, 0, 0)
sys.stdin.readline()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
block = bytearray(32 << 20)
for i in range(0, len(block), 4096): block[i] = 1
print("ready", flush=True)
n = 0
while True:
    n += 1
    if n % 20000 == 0:
        s.sendto(b"x" * 200, ("10.199.0.3", 9))
"""
# The busy process gets its own network namespace with a veth pair (named eth0/eth1: the
# containers collector leaves out lo and veth*) and sends to an unassigned neighbour, so ARP
# requests go out of eth0 and into eth1 (the containers collector reports network counters of
# cgroups with their own namespace).
NETNS_WRAPPER = ("ip link set lo up && ip link add eth0 type veth peer name eth1 && "
                 "ip link set eth0 up && ip link set eth1 up && "
                 "ip addr add 10.199.0.1/24 dev eth0 && exec \"$0\" -c \"$1\"")


def metric_names(expr):
    """Metric names in a PromQL expression (identifiers followed by { or [ or standing alone,
    minus functions, keywords and label names inside braces)."""
    no_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    no_labels = re.sub(r"\{[^}]*\}", "{}", no_strings)
    no_groupings = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "",
                          no_labels)
    words = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", no_groupings))
    keywords = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
                "group_right", "bool", "offset", "inf", "nan", "Inf", "NaN"}
    # durations (5m) start with a digit; functions and aggregations (followed by "(") are
    # left out by the lookahead
    return {w for w in words if w not in keywords and not w[0].isdigit()}


class Prometheus:
    def __init__(self, prom, tmp, target_port):
        self.port = free_port()
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            yaml.safe_dump({
                "global": {"scrape_interval": f"{SCRAPE_S}s", "scrape_timeout": f"{SCRAPE_S}s",
                           "evaluation_interval": f"{SCRAPE_S}s"},
                "rule_files": RULES,
                "scrape_configs": [{"job_name": "vitals",
                                    "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}]}],
            }, f)
        self.log = open(os.path.join(tmp, "prometheus.log"), "w")
        self.start = time.time()
        self.proc = subprocess.Popen(
            [prom, f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/data",
             f"--web.listen-address=127.0.0.1:{self.port}", "--enable-feature=exemplar-storage"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            body = json.load(e)
        return body

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def grafana_regex_escape(v):
    """Grafana's escaping of one value of a multi-value variable in a Prometheus regex: regex
    metacharacters get a backslash, written as \\\\ inside the PromQL string."""
    return re.sub(r"([\\^$*+?.()|{}\[\]])", r"\\\\\1", v)


def substitute(expr, variables, builtins):
    names = sorted(list(variables) + list(builtins), key=len, reverse=True)
    for name in names:
        value = variables[name] if name in variables else builtins[name]
        expr = expr.replace("${" + name + "}", value).replace("[[" + name + "]]", value)
        expr = re.sub(r"\$" + re.escape(name) + r"(?![A-Za-z0-9_])", lambda m: value, expr)
    return expr


def panel_targets(panels):
    for p in panels:
        for t in p.get("targets", []):
            yield p, t
        yield from panel_targets(p.get("panels", []))


class Workload:
    """The cgroup with the busy process, sockets with connections, a UDP socket with data."""

    def __init__(self):
        self.dirs, self.procs, self.socks = [], [], []
        self.notes = []

    def cgroup(self):
        v1 = os.path.isdir(os.path.join(CGROOT, "memory"))
        unified = os.path.join(CGROOT, "unified") if v1 else CGROOT
        has_unified = os.path.exists(os.path.join(unified, "cgroup.controllers"))
        dirs = []
        if v1:
            self.notes.append("cgroup layout: " + ("hybrid (v1 + unified)" if has_unified else "v1"))
            made = set()
            for c in ("cpu", "cpuacct", "memory", "pids"):
                real = os.path.realpath(os.path.join(CGROOT, c))  # cpu -> cpu,cpuacct
                if not os.path.isdir(real) or real in made:
                    continue
                made.add(real)
                d = os.path.join(real, TAG)
                os.mkdir(d)
                self.dirs.append(d)
                dirs.append(d)
            cpu = os.path.join(CGROOT, "cpu", TAG)
            with open(os.path.join(cpu, "cpu.cfs_period_us"), "w") as f:
                f.write("100000")
            with open(os.path.join(cpu, "cpu.cfs_quota_us"), "w") as f:
                f.write("20000")
            with open(os.path.join(CGROOT, "memory", TAG, "memory.limit_in_bytes"), "w") as f:
                f.write(str(256 << 20))
            if has_unified:
                d = os.path.join(unified, TAG)
                os.mkdir(d)
                self.dirs.append(d)
                dirs.append(d)
        else:
            self.notes.append("cgroup layout: v2")
            with open(os.path.join(CGROOT, "cgroup.subtree_control")) as f:
                enabled = f.read().split()
            d = os.path.join(CGROOT, TAG)
            os.mkdir(d)
            self.dirs.append(d)
            dirs.append(d)
            if "cpu" in enabled:
                with open(os.path.join(d, "cpu.max"), "w") as f:
                    f.write("20000 100000")
            if "memory" in enabled:
                with open(os.path.join(d, "memory.max"), "w") as f:
                    f.write(str(256 << 20))
        ip = require_tool("ip", "iproute2")
        unshare = require_tool("unshare", "util-linux")
        p = subprocess.Popen([unshare, "--net", "sh", "-c", NETNS_WRAPPER.replace("ip ", ip + " "),
                              sys.executable, BUSY],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.procs.append(p)
        # the shell execs python; move it before it allocates or burns CPU
        def python_running():
            with open(f"/proc/{p.pid}/comm") as f:
                comm = f.read().strip()
            return comm.startswith("python") or comm == "vt-dash-busy"
        wait_until(python_running, timeout=20, what="the busy process to start")
        for d in dirs:
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write(str(p.pid))
        p.stdin.write(b"go\n")
        p.stdin.flush()
        assert p.stdout.readline().strip() == b"ready"
        return "/" + TAG

    def sockets(self):
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen(16)
        self.socks.append(lst)
        port = lst.getsockname()[1]
        for i in range(6):
            c = socket.create_connection(("127.0.0.1", port))
            self.socks.append(c)
            if i < 3:
                s, _ = lst.accept()
                self.socks.append(s)
                if i == 0:  # closed by the client first: the client's end sits in TIME_WAIT
                    c.close()
                    s.close()
        # three connections stay in the accept queue
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        self.socks.append(udp)
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(4):
            tx.sendto(b"y" * 300, udp.getsockname())
        tx.close()
        return port

    def close(self):
        for s in self.socks:
            s.close()
        for p in self.procs:
            p.kill()
            p.wait()
            p.stdin.close()
            p.stdout.close()
        for d in reversed(self.dirs):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.1)  # the killed process leaves the cgroup asynchronously
            else:
                print(f"could not remove {d}", file=sys.stderr)


def machine_notes():
    notes = []
    notes.append("PSI: " + (", ".join(sorted(os.listdir("/proc/pressure")))
                            if os.path.isdir("/proc/pressure") else "absent (no /proc/pressure)"))
    disks = []
    with open("/proc/diskstats") as f:
        for line in f:
            name = line.split()[2]
            if not re.match(r"^(ram|loop|fd|zram)", name) and not re.match(r"^(h|s|v|xv)d[a-z]\d+$|^nvme\d+n\d+p\d+$", name):
                disks.append(name)
    notes.append("disks: " + (", ".join(disks) or "none"))
    return notes


def stop_traffic(p, log_path):
    if p is None:
        return
    if p.poll() is not None:  # it ended by itself: say why
        with open(log_path) as f:
            print(f"traffic.js exited with {p.returncode}:\n{f.read()[-3000:]}", file=sys.stderr)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


@unittest.skipUnless(os.geteuid() == 0, "needs root (cgroups, network namespace)")
class DashboardQueries(unittest.TestCase):
    def test_every_query_returns_data(self):
        prom_bin = require_tool("prometheus", "prometheus")
        node = require_tool("node", "nodejs")
        require(os.path.isdir(os.path.join(CLIENTS, "node_modules", "@opentelemetry")),
                "tests/clients/node_modules is missing: run `npm ci` in tests/clients")
        notes = machine_notes()
        tmp = tempfile.mkdtemp(prefix="vitals-dash-")
        work = Workload()
        traffic = prom = None
        traffic_log = os.path.join(tmp, "traffic.log")
        try:
            cgroup = work.cgroup()
            notes += work.notes
            listen_port = work.sockets()
            otlp, zipkin = free_port(), free_port()
            with Agent("--collector.process_groups",
                       f"--apm.otlp.listen-address=127.0.0.1:{otlp}",
                       f"--apm.zipkin.listen-address=127.0.0.1:{zipkin}") as agent:
                with open(traffic_log, "w") as log:
                    traffic = subprocess.Popen(
                        [node, "traffic.js"], cwd=CLIENTS,
                        env=dict(os.environ, OTLP_URL=f"http://127.0.0.1:{otlp}",
                                 ZIPKIN_URL=f"http://127.0.0.1:{zipkin}"),
                        stdout=log, stderr=subprocess.STDOUT)
                # One refused request (wrong content type: 415), so the refusal series exists.
                r = http_request(otlp, "/v1/traces", method="POST",
                                 headers={"Content-Type": "text/plain"})
                self.assertEqual(r.status, 415)
                prom = Prometheus(prom_bin, tmp, agent.port)
                try:
                    self.check(prom, cgroup, listen_port, notes)
                finally:
                    # stopped while the agent still takes its last spans
                    stop_traffic(traffic, traffic_log)
                    traffic = None
        finally:
            stop_traffic(traffic, traffic_log)
            if prom:
                prom.stop()
            work.close()
            shutil.rmtree(tmp, ignore_errors=True)

    def check(self, prom, cgroup, listen_port, notes):
        def query(q):
            body = prom.api("query", query=q)
            return body["data"]["result"] if body["status"] == "success" else []

        wait_until(lambda: query('up{job="vitals"} == 1'), timeout=60, what="Prometheus up == 1")
        # Our workload is visible before the variables are resolved.
        wait_until(lambda: query(f'container_cpu_cfs_periods_total{{id="{cgroup}"}}'), timeout=60,
                   what="the test cgroup in Prometheus")
        wait_until(lambda: query("traces_service_graph_request_total"), timeout=60,
                   what="service graph edges")
        # The workload is what the agent reports: three connections wait in the listener's
        # accept queue, one client end sits in TIME_WAIT, the quota throttles the busy cgroup.
        p = f'port="{listen_port}"'
        wait_until(lambda: query(f"node_tcp_listen_queue_length{{{p}}} == 3"), timeout=30,
                   what="3 connections in the test listener's accept queue")
        wait_until(lambda: query(f'node_tcp_connections{{direction="outbound",{p},state="time_wait"}} >= 1'),
                   timeout=30, what="the TIME_WAIT connection")
        wait_until(lambda: query(f'container_cpu_cfs_throttled_periods_total{{id="{cgroup}"}} > 0'),
                   timeout=30, what="the test cgroup throttled")

        boards = {}
        for name in sorted(os.listdir(DASHBOARDS)):
            if name.endswith(".json"):
                with open(os.path.join(DASHBOARDS, name)) as f:
                    boards[name] = json.load(f)
        self.assertGreaterEqual(len(boards), 6)

        def builtins():
            range_s = max(int(time.time() - prom.start), 10)
            return {"__rate_interval": RATE_INTERVAL, "__interval": f"{SCRAPE_S}s",
                    "__interval_ms": str(SCRAPE_S * 1000), "__range": f"{range_s}s",
                    "__range_s": str(range_s), "__range_ms": str(range_s * 1000)}

        def resolve(board):
            """Template variables -> the strings Grafana would put in a query (All selected)."""
            values = {}
            for v in board["templating"]["list"]:
                if v["type"] == "datasource":
                    continue
                if v["type"] in ("textbox", "constant"):
                    values[v["name"]] = v["query"]
                    continue
                self.assertEqual(v["type"], "query", v["name"])
                definition = substitute(v["definition"], values, builtins())
                m = re.fullmatch(r"label_values\((?:(.*),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\)",
                                 definition.strip())
                self.assertIsNotNone(m, f"{v['name']}: unsupported variable query {definition}")
                selector, label = m.groups()
                if selector:
                    body = prom.api("series", **{"match[]": selector,
                                                 "start": str(prom.start - 60), "end": str(time.time())})
                    self.assertEqual(body["status"], "success", (definition, body))
                    found = sorted({s[label] for s in body["data"] if label in s})
                else:
                    body = prom.api(f"label/{label}/values")
                    found = sorted(body["data"])
                if not found:
                    return None, f"variable {v['name']} ({definition}) has no values"
                if v.get("multi") or v.get("includeAll"):
                    values[v["name"]] = "(" + "|".join(grafana_regex_escape(x) for x in found) + ")"
                else:
                    values[v["name"]] = found[0]
            return values, None

        def run_all():
            results, exemplar_results = [], []
            for name, board in boards.items():
                values, problem = resolve(board)
                for panel, t in panel_targets(board["panels"]):
                    where = f"{name} / {panel['title']} / {t['refId']}"
                    if values is None:
                        results.append((where, t["expr"], False, problem))
                        continue
                    expr = substitute(t["expr"], values, builtins())
                    if "$" in expr:
                        results.append((where, expr, False, "unresolved variable"))
                        continue
                    now = time.time()
                    if t.get("instant"):
                        body = prom.api("query", query=expr, time=str(now))
                    else:
                        body = prom.api("query_range", query=expr, start=str(prom.start),
                                        end=str(now), step=f"{SCRAPE_S}s")
                    if body["status"] != "success":
                        results.append((where, expr, False, f"{body.get('errorType')}: {body.get('error')}"))
                        continue
                    data = body["data"]["result"]
                    if body["data"]["resultType"] == "matrix":
                        samples = [v for s in data for _, v in s["values"]]
                    elif body["data"]["resultType"] == "vector":
                        samples = [s["value"][1] for s in data]
                    else:
                        samples = [data[1]]
                    ok = any(v != "NaN" for v in samples)
                    if ok and panel.get("fieldConfig", {}).get("defaults", {}).get("max") == 1:
                        # a share (0..1): rate extrapolation may overshoot a little, a wrong
                        # division would not stay within this
                        values_ = [float(v) for v in samples if v != "NaN"]
                        if not -0.01 <= min(values_) <= max(values_) <= 1.2:
                            ok = False
                            samples = [f"share out of range: {min(values_)}..{max(values_)}"]
                    results.append((where, expr, ok, "" if ok else
                                    (str(samples[0]) if samples and samples[0] != "NaN" else
                                     "only NaN" if samples else "no data")))
                    if t.get("exemplar"):
                        body = prom.api("query_exemplars", query=expr, start=str(prom.start),
                                        end=str(time.time()))
                        n = sum(len(s["exemplars"]) for s in body.get("data") or [])
                        exemplar_results.append((where, n))
            return results, exemplar_results

        state = {}

        def all_ok():
            results, exemplars = run_all()
            state["results"], state["exemplars"] = results, exemplars
            return all(ok for _, _, ok, _ in results) and all(n > 0 for _, n in exemplars)

        try:
            wait_until(all_ok, timeout=60, what="every dashboard query to return data",
                       interval=1.0)
        except AssertionError:
            pass  # reported below, query by query
        results, exemplars = state["results"], state["exemplars"]
        n_ok = sum(1 for *_, ok, _ in results if ok)
        for note in notes:
            print(f"machine: {note}")
        print(f"{n_ok} of {len(results)} dashboard queries return data")
        print(f"{sum(1 for _, n in exemplars if n)} of {len(exemplars)} exemplar queries return "
              f"exemplars ({sum(n for _, n in exemplars)} exemplars)")
        failed = [f"{where}: {why}\n    {expr}" for where, expr, ok, why in results if not ok]
        self.assertEqual(failed, [], "\n".join(failed))
        self.assertEqual([w for w, n in exemplars if not n], [])

        # Recording rules: each expression returns data (this validates their metric names
        # against the agent), and Prometheus evaluates every rule (recording and alerting)
        # without error.
        recorded = []
        for path in RULES:
            with open(path) as f:
                for g in yaml.safe_load(f)["groups"]:
                    recorded += [r for r in g["rules"] if "record" in r]

        def rules_return_data():
            empty = [r["record"] for r in recorded if not query(r["expr"])]
            state["empty_rules"] = empty
            return not empty
        try:
            wait_until(rules_return_data, timeout=30, what="recording rules to return data",
                       interval=1.0)
        except AssertionError:
            pass
        print(f"{len(recorded) - len(state['empty_rules'])} of {len(recorded)} recording rules "
              f"return data")
        self.assertEqual(state["empty_rules"], [])

        def evaluated():
            groups = prom.api("rules")["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            return rules if rules and all(r.get("health") != "unknown" for r in rules) else None
        rules = wait_until(evaluated, timeout=30, what="every rule evaluated", interval=0.5)
        self.assertEqual([(r["name"], r.get("lastError")) for r in rules
                          if r.get("health") != "ok"], [])

        # Every metric name the dashboards and the rules use exists, also behind "or vector(0)".
        exprs = [t["expr"] for b in boards.values() for _, t in panel_targets(b["panels"])]
        for path in RULES:
            with open(path) as f:
                exprs += [r["expr"] for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
        recorded_names = {r["record"] for r in recorded}
        used = set()
        for e in exprs:
            used |= metric_names(re.sub(r"\$\{?\w+\}?", "", e))
        used -= recorded_names
        present = set(prom.api("label/__name__/values")["data"])
        missing = sorted(used - present)
        # Not every kernel accounts block I/O per cgroup (cgroup v1 blkio on a virtio disk
        # without blk-throttle statistics shows only "Total 0"): the containers collector then
        # has no container_fs_* series. The names must still be ones the collector exports.
        with open(os.path.join(REPO, "collectors", "containers.cpp")) as f:
            collector_src = f.read()
        machine_absent = [m for m in missing if m.startswith("container_fs_")
                          and f'"{m}"' in collector_src]
        for m in machine_absent:
            print(f"machine: {m} absent here (no per-cgroup block I/O accounting); the panel "
                  f"shows 0")
        self.assertEqual(sorted(set(missing) - set(machine_absent)), [],
                         "metric names used by dashboards or rules that Prometheus does not have")


if __name__ == "__main__":
    from vitals_testlib import main
    main()
