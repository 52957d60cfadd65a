"""The agent's network face: IPv6 and dual stack (':PORT' answers on 127.0.0.1 and [::1], a real
Prometheus 2.42 scrapes [::1]), the IPv4 fallback when the kernel has IPv6 off (a network
namespace with disable_ipv6), the span listeners' defaults (loopback; a taken default port turns
the receiver off, a given one fails), and slow or hostile clients: with 512 connections that
send half a request or nothing, from 4 addresses (per-source limits) or from 512 distinct
addresses (the header gate parks them without a server thread), a scrape (ours and a real
Prometheus') and a span POST still answer, the parked and refused self metrics count them, and
the agent's descriptors go back down. Times are printed, not asserted (bench/ is for speed)."""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

from apm_lib import Span, otlp_json, post
from vitals_testlib import (VITALS_BIN, free_port, http_request, parse_exposition, require_tool,
                            settled_fds, wait_until)

HOSTILE = 512
# One loopback address per hostile connection: 127.0.1.2 ... 127.0.3.13 (Linux answers the whole
# 127/8 on lo), so per-source limits cannot help.
DISTINCT = tuple(f"127.0.{1 + i // 250}.{2 + i % 250}" for i in range(HOSTILE))


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Vitals:
    """build/vitals with exactly the given flags (no default listen or APM addresses)."""

    def __init__(self, *args, ready_host="127.0.0.1", ready_port=None):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([VITALS_BIN, *args], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.host, self.port = ready_host, ready_port
        if ready_port:
            try:
                wait_until(self._ready, timeout=20, what=f"vitals ready on {ready_port}")
            except AssertionError:
                self.stop()
                raise AssertionError("vitals did not become ready:\n" + self.output())

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"vitals exited with {self.proc.returncode}:\n{self.output()}")
        return http_request(self.port, "/-/ready", timeout=2, host=self.host).status == 200

    def scrape(self, host="127.0.0.1", timeout=30):
        r = http_request(self.port, "/metrics", timeout=timeout, host=host)
        assert r.status == 200, r.status
        return parse_exposition(r.text)

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self):
        if self.log.closed:
            return self.proc.returncode
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def value(fams, name, **labels):
    for (_, lset), v in fams[name].samples.items():
        if all(dict(lset).get(k) == want for k, want in labels.items()):
            return v
    raise AssertionError(f"no {name}{labels}")


def hostile(port, dest="127.0.0.1", sources=("127.0.0.2",)):
    """HOSTILE connections to dest:port, spread over `sources`: half send half a request
    header and wait, half send nothing. Returns the sockets (keep them open)."""
    socks = []
    for i in range(HOSTILE):
        s = socket.socket()
        s.bind((sources[i % len(sources)], 0))
        s.settimeout(10)
        s.connect((dest, port))
        if i % 2 == 0:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: slow")
        socks.append(s)
    return socks


def close_all(socks):
    for s in socks:
        s.close()


def timed(fn):
    t = time.monotonic()
    r = fn()
    return r, time.monotonic() - t


class Prometheus:
    def __init__(self, targets, interval="1s"):
        self.bin = require_tool("prometheus", "prometheus")
        self.tmp = tempfile.mkdtemp(prefix="vitals-prom-")
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: {interval}
  scrape_timeout: 1s
scrape_configs:
  - job_name: vitals
    static_configs:
      - targets: {json.dumps(targets)}
""")
        self.port = free_port()
        self.logf = open(os.path.join(self.tmp, "prometheus.log"), "w")
        self.proc = subprocess.Popen([self.bin, f"--config.file={cfg}",
                                      f"--storage.tsdb.path={self.tmp}/data",
                                      f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=self.logf, stderr=subprocess.STDOUT)

    def query(self, q):
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)["data"]["result"]

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.logf.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class DualStack(unittest.TestCase):
    def setUp(self):
        if not ipv6_loopback():
            self.skipTest("this kernel has no IPv6 loopback")

    def test_port_only_answers_on_both_families(self):
        port = free_port()
        with Vitals(f"--web.listen-address=:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", ready_port=port) as v:
            for host in ("127.0.0.1", "::1"):
                fams = v.scrape(host=host)
                self.assertIn("node_load1", fams, host)

    def test_bracketed_ipv6_address(self):
        port = free_port()
        with Vitals(f"--web.listen-address=[::1]:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", ready_host="::1", ready_port=port) as v:
            self.assertIn("node_load1", v.scrape(host="::1"))
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()

    def test_wildcard_ipv6_is_dual_stack(self):
        port = free_port()
        with Vitals(f"--web.listen-address=[::]:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", ready_port=port) as v:
            self.assertIn("node_load1", v.scrape(host="::1"))

    def test_span_listener_localhost_is_both_loopbacks(self):
        port, otlp = free_port(), free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}",
                    f"--apm.otlp.listen-address=localhost:{otlp}", "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=",
                    ready_port=port):
            body = otlp_json([("svc", [Span("GET /", 1_000_000)])])
            for host in ("127.0.0.1", "::1"):
                conn = http.client.HTTPConnection(host, otlp, timeout=10)
                conn.request("POST", "/v1/traces", body=body,
                             headers={"Content-Type": "application/json"})
                self.assertEqual(conn.getresponse().status, 200, host)
                conn.close()

    def test_prometheus_scrapes_ipv6_loopback(self):
        port = free_port()
        with Vitals(f"--web.listen-address=:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", ready_port=port):
            prom = Prometheus([f"[::1]:{port}"])
            try:
                up = wait_until(lambda: [r for r in prom.query('up{job="vitals"}')
                                         if r["value"][1] == "1"], timeout=60, what="up == 1")
                self.assertEqual(up[0]["metric"]["instance"], f"[::1]:{port}")
            finally:
                prom.close()


class IPv6Off(unittest.TestCase):
    """In a network namespace whose kernel IPv6 is off (disable_ipv6=1), ':PORT' and localhost
    fall back to IPv4 with a warning; an explicit IPv6 address fails."""

    SCRIPT = r"""
import json, subprocess, sys, time, urllib.request
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
for k in ("all", "default", "lo"):
    with open(f"/proc/sys/net/ipv6/conf/{k}/disable_ipv6", "w") as f:
        f.write("1")
out = {}
p = subprocess.Popen([sys.argv[1], "--web.listen-address=:19100",
                      "--apm.otlp.listen-address=localhost:14318",
                      "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address="], stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, text=True)
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen("http://127.0.0.1:19100/metrics", timeout=5) as r:
            out["metrics"] = r.status
        with urllib.request.urlopen(urllib.request.Request(
                "http://127.0.0.1:14318/v1/traces", data=b"{}",
                headers={"Content-Type": "application/json"}), timeout=5) as r:
            out["otlp"] = r.status
        break
    except Exception as e:
        out["err"] = str(e)
        time.sleep(0.05)
p.terminate()
out["log"] = p.communicate(timeout=10)[0]
q = subprocess.run([sys.argv[1], "--web.listen-address=[::1]:19101",
                    "--apm.otlp.listen-address=", "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address="],
                   capture_output=True, text=True, timeout=30)
out["explicit_rc"], out["explicit_err"] = q.returncode, q.stdout + q.stderr
print(json.dumps(out))
"""

    def test_fallback_to_ipv4(self):
        unshare = shutil.which("unshare")
        if os.geteuid() != 0 or not unshare or not os.path.exists("/proc/sys/net/ipv6"):
            self.skipTest("needs root, unshare and an IPv6-capable kernel to turn IPv6 off")
        probe = subprocess.run([unshare, "-n", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest("cannot make a network namespace: " + probe.stderr.decode())
        p = subprocess.run([unshare, "-n", sys.executable, "-c", self.SCRIPT, VITALS_BIN],
                           capture_output=True, text=True, timeout=90)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out.get("metrics"), 200, out)
        self.assertEqual(out.get("otlp"), 200, out)
        self.assertEqual(out["log"].count("IPv6 is off in this kernel: listening on IPv4 only"), 2,
                         out["log"])
        self.assertEqual(out["explicit_rc"], 1, out)
        self.assertIn("cannot listen on [::1]:19101", out["explicit_err"])


class SpanListenerDefaults(unittest.TestCase):
    def test_taken_default_port_turns_the_receiver_off(self):
        # Hold 127.0.0.1:4318 (or find it held by someone else: taken either way).
        holder = socket.socket()
        try:
            holder.bind(("127.0.0.1", 4318))
            holder.listen(1)
        except OSError:
            holder.close()
            holder = None
        try:
            port = free_port()
            with Vitals(f"--web.listen-address=127.0.0.1:{port}", "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=",
                        ready_port=port) as v:
                fams = v.scrape()
                self.assertEqual(value(fams, "vitals_apm_receiver_up", receiver="otlp"), 0)
                self.assertEqual(len(fams["vitals_apm_receiver_up"].samples), 1)  # zipkin off
                self.assertIn("APM receiver off: its default port is taken", v.output())
                self.assertIn("address already in use", v.output())
        finally:
            if holder:
                holder.close()

    def test_given_address_taken_fails(self):
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen(1)
            taken = holder.getsockname()[1]
            port = free_port()
            p = subprocess.run([VITALS_BIN, f"--web.listen-address=127.0.0.1:{port}",
                                f"--apm.otlp.listen-address=127.0.0.1:{taken}",
                                "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address="],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(f"flag --apm.otlp.listen-address: cannot listen on 127.0.0.1:{taken}: "
                      "address already in use", p.stderr)

    def test_receiver_up_when_listening(self):
        port, otlp, zipkin = free_port(), free_port(), free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}",
                    f"--apm.otlp.listen-address=127.0.0.1:{otlp}",
                    f"--apm.zipkin.listen-address=127.0.0.1:{zipkin}", ready_port=port) as v:
            fams = v.scrape()
            self.assertEqual(value(fams, "vitals_apm_receiver_up", receiver="otlp"), 1)
            self.assertEqual(value(fams, "vitals_apm_receiver_up", receiver="zipkin"), 1)


class SlowClients(unittest.TestCase):
    SOURCES = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")

    def test_scrape_answers_with_512_hostile_connections(self):
        port = free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", ready_port=port) as v:
            socks = hostile(port, sources=self.SOURCES)
            try:
                # Every hostile connection reached the agent: held or refused at accept.
                def settled():
                    f = v.scrape()
                    held = value(f, "vitals_web_connections", listener="metrics")
                    refused = value(f, "vitals_web_connections_refused_total",
                                    listener="metrics", reason="per_source_limit")
                    return f if held - 1 + refused >= HOSTILE else None
                wait_until(settled, timeout=30, what="hostile connections accepted")
                fams, secs = timed(lambda: v.scrape(timeout=10))
                print(f"scrape with {HOSTILE} hostile connections: {secs:.3f} s", file=sys.stderr)
                self.assertIn("node_load1", fams)
                self.assertEqual(value(fams, "vitals_web_connections_refused_total",
                                       listener="metrics", reason="per_source_limit"),
                                 HOSTILE - 8 * len(self.SOURCES))
                self.assertEqual(value(fams, "vitals_web_connections_max", listener="metrics"),
                                 64)
            finally:
                for s in socks:
                    s.close()
            # Their connections are released when they close.
            wait_until(lambda: value(v.scrape(), "vitals_web_connections", listener="metrics")
                       == 1, timeout=30, what="hostile connections released")

    def test_prometheus_scrapes_through_hostile_connections(self):
        port = free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", ready_port=port):
            prom = Prometheus([f"127.0.0.1:{port}"])
            socks = []
            try:
                wait_until(lambda: [r for r in prom.query('up{job="vitals"}')
                                    if r["value"][1] == "1"], timeout=60, what="up == 1")
                socks = hostile(port, sources=self.SOURCES)
                start = time.time()

                def later_scrapes():
                    r = prom.query('scrape_duration_seconds{job="vitals"}[10s]')
                    vals = [(float(t), float(x)) for t, x in r[0]["values"]] if r else []
                    after = [x for t, x in vals if t > start]
                    return after if len(after) >= 3 else None
                durations = wait_until(later_scrapes, timeout=60, what="3 scrapes after the attack")
                up = prom.query('up{job="vitals"}[10s]')[0]["values"]
                ups = [x for t, x in up if float(t) > start]
                print(f"Prometheus scrape_duration_seconds with {HOSTILE} hostile connections: "
                      + ", ".join(f"{d:.3f}" for d in durations), file=sys.stderr)
                self.assertTrue(ups and all(x == "1" for x in ups), up)
            finally:
                for s in socks:
                    s.close()
                prom.close()

    def test_span_post_answers_with_512_hostile_connections(self):
        port, otlp = free_port(), free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}",
                    f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=",
                    ready_port=port) as v:
            socks = hostile(otlp, sources=("127.0.0.2",))
            try:
                wait_until(lambda: value(v.scrape(), "vitals_web_connections_refused_total",
                                         listener="otlp", reason="per_source_limit")
                           == HOSTILE - 16, timeout=30, what="hostile connections refused")
                body = otlp_json([("svc", [Span("GET /", 1_000_000)])])
                r, secs = timed(lambda: post(otlp, "/v1/traces", body,
                                             content_type="application/json", timeout=10))
                print(f"span POST with {HOSTILE} hostile connections: {secs:.3f} s",
                      file=sys.stderr)
                self.assertEqual(r.status, 200)
            finally:
                for s in socks:
                    s.close()



def civetweb_workers(pid):
    """Threads of the process named civetweb-worker (civetweb names them when they start)."""
    n = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                n += f.read().strip() == "civetweb-worker"
        except OSError:
            pass  # the thread ended
    return n


class OnDemandWorkers(unittest.TestCase):
    """civetweb's server threads start when connections need them (lazy-workers.patch): one at
    start, never more than --web.max-connections, and every connection still served."""

    def test_one_at_start_never_past_the_limit(self):
        port = free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=",
                    "--web.max-connections=4") as v:
            # No connection yet: the one worker started with the server.
            wait_until(lambda: civetweb_workers(v.proc.pid) == 1, timeout=20,
                       what="one civetweb worker before any connection")
            wait_until(lambda: http_request(port, "/-/ready", timeout=2).status == 200,
                       timeout=20, what="vitals ready")
            kept = []
            try:
                # Two kept-alive connections (the keep-alive rule keeps the first two of 4
                # threads' connections open), each holding a worker while it is open.
                for _ in range(2):
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    c.request("GET", "/-/ready")
                    r = c.getresponse()
                    r.read()
                    self.assertEqual(r.status, 200)
                    self.assertIsNone(r.getheader("Connection"))
                    kept.append(c)
                # 6 requests at once on top (8 per source at most): all answered, by at most 4
                # threads.
                results = []

                def one():
                    results.append(http_request(port, "/metrics", timeout=60).status)
                ts = [threading.Thread(target=one) for _ in range(6)]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
                self.assertEqual(results, [200] * 6)
                self.assertLessEqual(civetweb_workers(v.proc.pid), 4)
            finally:
                for c in kept:
                    c.close()
            self.assertLessEqual(civetweb_workers(v.proc.pid), 4)


class ManySources(unittest.TestCase):
    """512 hostile connections from 512 addresses: parked by the header gate until their header
    is complete, closed at the header timeout, never holding a server thread."""

    def parked(self, fams, listener):
        return value(fams, "vitals_web_connections_parked", listener=listener)

    def timed_out(self, fams, listener):
        return value(fams, "vitals_web_connections_refused_total", listener=listener,
                     reason="header_timeout")

    def test_scrape_answers_and_descriptors_come_back(self):
        port = free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", ready_port=port) as v:
            v.scrape()  # collectors keep some files open from their first scrape on
            fds = settled_fds(v.proc.pid)
            socks = hostile(port, sources=DISTINCT)
            try:
                wait_until(lambda: self.parked(v.scrape(), "metrics") == HOSTILE, timeout=30,
                           what=f"{HOSTILE} parked connections")
                fams, secs = timed(lambda: v.scrape(timeout=10))
                print(f"scrape with {HOSTILE} hostile connections from {HOSTILE} addresses: "
                      f"{secs:.3f} s", file=sys.stderr)
                self.assertIn("node_load1", fams)
                self.assertEqual(self.parked(fams, "metrics"), HOSTILE)
                self.assertEqual(value(fams, "vitals_web_connections_parked_max",
                                       listener="metrics"), 4096)
                self.assertEqual(value(fams, "vitals_web_connections_refused_total",
                                       listener="metrics", reason="per_source_limit"), 0)
                # After --web.read-header-timeout (5 s) the gate closes every one of them.
                fams = wait_until(lambda: (lambda f: f if self.timed_out(f, "metrics") == HOSTILE
                                           else None)(v.scrape()), timeout=30,
                                  what="hostile connections closed at the header timeout")
                self.assertEqual(self.parked(fams, "metrics"), 0)
            finally:
                close_all(socks)
            # Back to the count before (polled: a socket civetweb is closing can linger a moment).
            wait_until(lambda: settled_fds(v.proc.pid) == fds, timeout=30,
                       what=f"the agent's descriptors back to {fds}")
            self.assertEqual(value(v.scrape(), "vitals_web_connections", listener="metrics"), 1)

    def test_full_gate_closes_the_oldest_and_closed_clients_leave(self):
        port = free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", "--web.max-parked-connections=100",
                    ready_port=port) as v:
            v.scrape()  # collectors keep some files open from their first scrape on
            fds = settled_fds(v.proc.pid)
            socks = hostile(port, sources=DISTINCT)
            try:
                # The gate holds 100: each newcomer past that (the hostile ones, then every
                # scrape) closes the oldest parked one, so scrapes still get through.
                def evicted(f):
                    return value(f, "vitals_web_connections_refused_total", listener="metrics",
                                 reason="parked_limit")
                fams = wait_until(lambda: (lambda f: f if evicted(f) >= HOSTILE - 100 else None)(
                    v.scrape()), timeout=30, what="the oldest parked connections closed")
                fams, secs = timed(lambda: v.scrape(timeout=10))
                print(f"scrape with the gate full ({HOSTILE} connections, 100 parked): "
                      f"{secs:.3f} s", file=sys.stderr)
                # Every hostile connection is parked or was closed to make room.
                self.assertEqual(self.parked(fams, "metrics") + evicted(fams), HOSTILE)
                self.assertLessEqual(self.parked(fams, "metrics"), 100)
                self.assertEqual(value(fams, "vitals_web_connections_parked_max",
                                       listener="metrics"), 100)
            finally:
                close_all(socks)
            # Closed by their clients before the header timeout: gone from the gate, not counted
            # as timed out.
            fams = wait_until(lambda: (lambda f: f if self.parked(f, "metrics") == 0 else None)(
                v.scrape()), timeout=30, what="closed connections to leave the gate")
            self.assertEqual(self.timed_out(fams, "metrics"), 0)
            # Back to the count before (polled: a socket civetweb is closing can linger a moment).
            wait_until(lambda: settled_fds(v.proc.pid) == fds, timeout=30,
                       what=f"the agent's descriptors back to {fds}")

    def test_header_larger_than_the_limit_gets_431(self):
        port = free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", "--web.max-header-bytes=2048",
                    ready_port=port) as v:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 4096)
                head = s.recv(4096)
            self.assertTrue(head.startswith(b"HTTP/1.1 431 "), head)
            self.assertEqual(value(v.scrape(), "vitals_web_connections_refused_total",
                                   listener="metrics", reason="header_too_large"), 1)
            # A header just under the limit is served.
            r = http_request(port, "/metrics", timeout=10, headers={"X-Pad": "a" * 1500})
            self.assertEqual(r.status, 200)

    def test_keep_alive_only_while_most_threads_are_free(self):
        port = free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", "--web.max-connections=4",
                    ready_port=port) as v:
            wait_until(lambda: value(v.scrape(), "vitals_web_connections", listener="metrics")
                       == 1, timeout=30, what="earlier connections closed")
            kept = []
            try:
                # Each kept-alive connection holds one of the 4 threads: the first two responses
                # keep the connection, once more than half are taken responses close it.
                for want in (None, None, "close", "close"):
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    c.request("GET", "/-/ready")
                    r = c.getresponse()
                    r.read()
                    self.assertEqual(r.getheader("Connection"), want)
                    kept.append(c)
            finally:
                for c in kept:
                    c.close()

    def test_prometheus_scrapes_through_many_sources(self):
        port = free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}", "--apm.otlp.listen-address=",
                    "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=", ready_port=port) as v:
            prom = Prometheus([f"127.0.0.1:{port}"])
            socks = []
            try:
                wait_until(lambda: [r for r in prom.query('up{job="vitals"}')
                                    if r["value"][1] == "1"], timeout=60, what="up == 1")
                socks = hostile(port, sources=DISTINCT)
                start = time.time()

                def later_scrapes():
                    r = prom.query('scrape_duration_seconds{job="vitals"}[10s]')
                    vals = [(float(t), float(x)) for t, x in r[0]["values"]] if r else []
                    after = [x for t, x in vals if t > start]
                    return after if len(after) >= 3 else None
                durations = wait_until(later_scrapes, timeout=60, what="3 scrapes after the attack")
                up = prom.query('up{job="vitals"}[10s]')[0]["values"]
                ups = [x for t, x in up if float(t) > start]
                print(f"Prometheus scrape_duration_seconds with {HOSTILE} hostile connections "
                      f"from {HOSTILE} addresses: " + ", ".join(f"{d:.3f}" for d in durations),
                      file=sys.stderr)
                self.assertTrue(ups and all(x == "1" for x in ups), up)
                self.assertGreater(self.parked(v.scrape(), "metrics")
                                   + self.timed_out(v.scrape(), "metrics"), 0)
            finally:
                close_all(socks)
                prom.close()

    def test_span_post_answers_with_many_sources(self):
        port, otlp = free_port(), free_port()
        with Vitals(f"--web.listen-address=127.0.0.1:{port}",
                    f"--apm.otlp.listen-address=127.0.0.1:{otlp}", "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address=",
                    ready_port=port) as v:
            socks = hostile(otlp, sources=DISTINCT)
            try:
                wait_until(lambda: self.parked(v.scrape(), "otlp") == HOSTILE, timeout=30,
                           what=f"{HOSTILE} parked connections on the OTLP listener")
                body = otlp_json([("svc", [Span("GET /", 1_000_000)])])
                r, secs = timed(lambda: post(otlp, "/v1/traces", body,
                                             content_type="application/json", timeout=10))
                print(f"span POST with {HOSTILE} hostile connections from {HOSTILE} addresses: "
                      f"{secs:.3f} s", file=sys.stderr)
                self.assertEqual(r.status, 200)
                fams, secs = timed(lambda: v.scrape(timeout=10))
                print(f"scrape meanwhile: {secs:.3f} s", file=sys.stderr)
                self.assertEqual(self.parked(fams, "otlp"), HOSTILE)
                self.assertEqual(self.parked(fams, "metrics"), 0)
            finally:
                close_all(socks)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
