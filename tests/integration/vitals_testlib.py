"""Helpers for the integration tests: start build/vitals on a free loopback port, scrape it,
parse the exposition format, poll with deadlines (never sleep-and-hope)."""

import gzip
import http.client
import math
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

VITALS_BIN = os.environ.get("VITALS_BIN", os.path.join(os.getcwd(), "build", "vitals"))
SHARED = os.environ.get("VITALS_SHARED", os.path.join(os.getcwd(), "..", "shared"))
NE_FIXTURES = os.path.join(SHARED, "fixtures", "node_exporter-1.5.0")

# ---- skipping, visibly -----------------------------------------------------------------------
# A test file run by CTest exits with SKIP_EXIT when none of its tests failed and at least one
# was skipped: tests/CMakeLists.txt sets SKIP_RETURN_CODE to it, so CTest lists the file as
# "Not Run (Skipped)" instead of passed. Skips for want of root, a kernel feature or another
# CPU stay skips everywhere; a missing tool that the README's test command installs
# (require_tool) is a skip on a developer's machine and a failure in CI (CI=true).
SKIP_EXIT = 77
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")


def require(ok, missing):
    """Skips the calling test (or class, from setUpClass) unless `ok`; in CI it fails instead.
    For what the README's test command installs, not for root or kernel features."""
    if ok:
        return
    if IN_CI:
        raise AssertionError(f"{missing}; CI=true, so a missing test tool fails the test")
    raise unittest.SkipTest(missing)


def require_tool(name, package):
    """The path of the executable `name` (a command on PATH or an absolute path); see require()."""
    path = name if os.path.isabs(name) else shutil.which(name)
    ok = bool(path) and os.access(path, os.X_OK)
    require(ok, f"{name} not found (Debian package {package}; `scripts/dev test` installs it)")
    return path


def main():
    """unittest.main() for CTest: exit 0 when all tests passed, SKIP_EXIT when none failed but
    some were skipped, 1 when any failed."""
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped:
        print(f"{len(result.skipped)} skipped: exit {SKIP_EXIT} (CTest: Skipped)", file=sys.stderr)
        sys.exit(SKIP_EXIT)
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(fn, timeout=20.0, what="condition", interval=0.02):
    """Polls fn() until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - keep polling, report the last error
            last_exc = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last error: {last_exc}")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict, lower-case names
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8")


def http_request(port, path, method="GET", headers=None, timeout=30.0, host="127.0.0.1"):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, body)
    finally:
        conn.close()


class Agent:
    """A running build/vitals process."""

    def __init__(self, *args, port=None, env=None, binary=None, cwd=None):
        self.port = port or free_port()
        args = list(args)
        # The APM receivers default to :4318, :4317 and :9411; tests that do not ask for them keep
        # them off so concurrent tests never collide on those ports.
        for flag in ("--apm.otlp.listen-address", "--apm.zipkin.listen-address",
                     "--apm.otlp.grpc-listen-address"):
            if not any(a == flag or a.startswith(flag + "=") for a in args):
                args.append(flag + "=")
        self.args = [binary or VITALS_BIN, f"--web.listen-address=127.0.0.1:{self.port}"] + args
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     cwd=cwd)
        try:
            wait_until(self._ready, timeout=20, what=f"vitals ready on port {self.port}")
        except AssertionError:
            self.stop()
            raise AssertionError("vitals did not become ready:\n" + self.output())

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("vitals exited with %s:\n%s" % (self.proc.returncode, self.output()))
        return http_request(self.port, "/-/ready", timeout=2).status == 200

    @property
    def pid(self):
        return self.proc.pid

    def get(self, path="/metrics", **kw):
        return http_request(self.port, path, **kw)

    def scrape(self, path="/metrics", **kw):
        r = self.get(path, **kw)
        assert r.status == 200, f"GET {path}: {r.status} {r.body[:300]!r}"
        body = r.body
        if r.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode("utf-8")

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ---- exposition format parsing -------------------------------------------------------------

_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')


def _unescape(s, help_text=False):
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "n":
                out.append("\n")
            elif n == "\\":
                out.append("\\")
            elif n == '"' and not help_text:
                out.append('"')
            else:
                out.append("\\" + n)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_value(s):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    return float(s)


def _split_labels(body):
    labels = {}
    pos = 0
    while pos < len(body):
        m = _LABEL_RE.match(body, pos)
        if not m:
            raise ValueError("bad labels: " + body)
        labels[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
    return labels


class Family:
    def __init__(self, name):
        self.name = name
        self.help = None
        self.type = "untyped"
        self.samples = {}  # (sample_name, frozenset(labels.items())) -> value

    def series(self):
        return self.samples

    def __repr__(self):
        return f"Family({self.name}, {self.type}, {len(self.samples)} samples)"


_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def parse_exposition(text):
    """Parses text format 0.0.4 into {family name: Family}."""
    fams = {}
    current = None
    for line in text.split("\n"):
        if not line.strip():
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, rest = line[2:6], line[7:]
            name, _, val = rest.partition(" ")
            f = fams.setdefault(name, Family(name))
            if kind == "HELP":
                f.help = _unescape(val, help_text=True)
            else:
                f.type = val
            current = f
            continue
        if line.startswith("#"):
            continue
        if "{" in line:
            name, _, rest = line.partition("{")
            # the label block ends at the last '}' before the value
            close = rest.rfind("}")
            labels = _split_labels(rest[:close])
            fields = rest[close + 1:].split()
        else:
            parts = line.split()
            name, fields, labels = parts[0], parts[1:], {}
        value = parse_value(fields[0])
        fam = None
        if current is not None and (name == current.name or (
                current.type in _SUFFIXES and name[len(current.name):] in _SUFFIXES[current.type]
                and name.startswith(current.name))):
            fam = current
        else:
            fam = fams.setdefault(name, Family(name))
        key = (name, frozenset(labels.items()))
        if key in fam.samples:
            raise ValueError(f"duplicate series {name}{labels}")
        fam.samples[key] = value
    return fams


def values_equal(a, b):
    if math.isnan(a) and math.isnan(b):
        return True
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def family_diff(got, want):
    """Returns a list of differences between two Family objects (empty when identical)."""
    diffs = []
    if got.help != want.help:
        diffs.append(f"HELP: got {got.help!r}, want {want.help!r}")
    if got.type != want.type:
        diffs.append(f"TYPE: got {got.type}, want {want.type}")
    gk, wk = set(got.samples), set(want.samples)
    for k in sorted(wk - gk, key=str)[:5]:
        diffs.append(f"missing series {k[0]}{dict(k[1])} = {want.samples[k]}")
    for k in sorted(gk - wk, key=str)[:5]:
        diffs.append(f"unexpected series {k[0]}{dict(k[1])} = {got.samples[k]}")
    for k in sorted(gk & wk, key=str):
        if not values_equal(got.samples[k], want.samples[k]):
            diffs.append(f"value {k[0]}{dict(k[1])}: got {got.samples[k]}, want {want.samples[k]}")
            if len(diffs) > 8:
                break
    return diffs


def proc_threads(pid, names=None):
    """The process's threads; with `names`, only those whose name (comm) is one of them."""
    if names is not None:
        n = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    n += f.read().strip() in names
            except FileNotFoundError:  # the thread ended meanwhile
                pass
        return n
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads line")


# The threads collectors run on: the worker pool's ("collector"; threads a collector starts
# inherit the name) and the filesystem collector's statfs helpers. The server's threads
# (civetweb's workers, started on demand up to --web.max-connections) and gRPC's are left out
# of counts that check a collector does not leak threads.
COLLECTOR_THREADS = ("collector", "statfs-helper")


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def _tcp_connection_inodes(pid):
    """Inodes of the TCP sockets in pid's network namespace that are not listening."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] != "0A":  # TCP_LISTEN
                        inodes.add(fields[9])
        except FileNotFoundError:
            pass
    return inodes


def proc_connections(pid):
    """How many of pid's descriptors are TCP connections (not listeners)."""
    socks = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed while we looked
            continue
        if target.startswith("socket:["):
            socks.add(target[8:-1])
    return len(socks & _tcp_connection_inodes(pid))


def settled_fds(pid, timeout=20.0):
    """pid's descriptor count once the connections it serves have closed. After a response the
    server may still hold the connection's socket for a moment (the client closed first), so a
    plain count right after a scrape can be one high; this polls until no TCP connection is
    open (nothing else connects to a test's agent), then counts."""
    def settled():
        if proc_connections(pid):
            return None
        n = proc_fds(pid)
        return n if not proc_connections(pid) else None
    return wait_until(settled, timeout=timeout, what=f"pid {pid}'s connections to close")
