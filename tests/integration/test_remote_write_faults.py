"""Remote write against bad receivers and a bad queue directory (issue 14, "Bad receivers",
"Disk full", "read-only dir").

One agent writes to five endpoints at once, each a stand-in receiver on loopback written here:
one answers 500 to its first requests and then 204 (the failed batches are retried and
delivered), one answers 429 with `Retry-After: 1` (the next attempt comes no sooner than the
receiver asked), one answers 400 (each batch is dropped once, counted as http_4xx, never
retried), one accepts and never answers (the request times out after --remote-write.timeout and
is retried), and one healthy receiver that decodes every request (snappy block format +
protobuf WriteRequest, read here with a small varint reader) and must get every collection the
agent made while the others misbehave. Then the queue directory: a 64 KiB tmpfs while the
receiver is down (queue_writable 0, disk errors counted, /metrics still served, recovery once the
receiver is back) and a read-only tmpfs (the same, recovering when it is remounted read-write).

The real receivers (Prometheus 2.42, VictoriaMetrics) are in test_remote_write.py; here the
receivers have to misbehave on purpose, which the real ones do not do on demand."""

import http.server
import os
import socketserver
import struct
import subprocess
import tempfile
import threading
import time
import unittest

from vitals_testlib import Agent, free_port, parse_exposition, require, wait_until

try:
    import snappy
except ImportError:  # a pyenv/venv interpreter that does not see Debian's python3-snappy
    import sys
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import snappy
    except ImportError:
        snappy = None

INTERVAL = "200ms"
# Small collections (two cheap collectors plus the self metrics) keep each request small.
COLLECTORS = ["--collector.disable-defaults", "--collector.loadavg", "--collector.time"]
QUICK = [f"--remote-write.interval={INTERVAL}", "--remote-write.batch-deadline=100ms",
         "--remote-write.min-backoff=20ms", "--remote-write.max-backoff=200ms",
         "--remote-write.shards=1"]
RW = "vitals_remote_write_"


# ---- the payload: snappy block + protobuf WriteRequest ------------------------------------------

def _varint(b, i):
    shift = result = 0
    while True:
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        if c < 0x80:
            return result, i
        shift += 7


def _fields(b):
    """(field number, wire type, value) of each field of a protobuf message."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(b, i)
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire} at byte {i}")
        yield field, wire, v


def decode_write_request(body):
    """The samples of a snappy-compressed WriteRequest: [(labels tuple, timestamp ms, value)].
    Checks what Prometheus checks: labels sorted and unique, __name__ present."""
    raw = snappy.uncompress(body)
    out = []
    for f, _, ts in _fields(raw):
        if f != 1:  # 3: metadata
            continue
        labels, samples = [], []
        for g, _, v in _fields(ts):
            if g == 1:
                lab = {h: x.decode() for h, _, x in _fields(v)}
                labels.append((lab.get(1, ""), lab.get(2, "")))
            elif g == 2:
                value, stamp = 0.0, 0
                for h, _, x in _fields(v):
                    if h == 1:
                        value = struct.unpack("<d", x)[0]
                    elif h == 2:
                        stamp = x - (1 << 64) if x >= 1 << 63 else x
                samples.append((stamp, value))
        names = [n for n, _ in labels]
        if names != sorted(set(names)) or "__name__" not in names:
            raise ValueError(f"labels not sorted/unique or no __name__: {labels}")
        out.extend((tuple(labels), t, v) for t, v in samples)
    return out


# ---- stand-in receivers ------------------------------------------------------------------------

class Receiver:
    """A remote-write receiver on 127.0.0.1. `answer(n)` gives (status, headers) for the n-th
    request (0-based); None means never answer (hold the connection until the receiver stops).
    Every request is recorded: arrival time, status, when the answer was written, its samples."""

    def __init__(self, answer, port=None):
        self.answer = answer
        self.lock = threading.Lock()
        self.requests = []  # dicts: arrived, status, answered, samples, headers
        self.errors = []
        self.stopping = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the agent's client reuses connections

            def log_message(self, *a):
                pass

            def do_POST(self):
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                rec = {"arrived": arrived, "status": None, "answered": None, "samples": [],
                       "headers": {k.lower(): v for k, v in self.headers.items()}}
                try:
                    rec["samples"] = decode_write_request(body)
                except Exception as e:  # noqa: BLE001 - reported by the test
                    receiver.errors.append(f"undecodable request: {e!r}")
                with receiver.lock:
                    n = len(receiver.requests)
                    receiver.requests.append(rec)
                reply = receiver.answer(n)
                if reply is None:
                    receiver.stopping.wait()
                    self.close_connection = True
                    return
                status, headers = reply
                with receiver.lock:
                    rec["status"] = status  # taken (or refused) before the agent hears it
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.wfile.flush()
                with receiver.lock:
                    rec["answered"] = time.monotonic()

        socketserver.TCPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/api/v1/write"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self):
        with self.lock:
            return [dict(r) for r in self.requests]

    def delivered(self):
        """(labels, timestamp) of every sample in a request answered 2xx."""
        return {(lab, t) for r in self.snapshot() if r["status"] and 200 <= r["status"] < 300
                for lab, t, _ in r["samples"]}

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def always(status, headers=None):
    return lambda n: (status, headers or {})


def first(k, status, headers=None, then=204):
    return lambda n: (status, headers or {}) if n < k else (then, {})


# ---- the agent's self metrics ------------------------------------------------------------------

def rw_metrics(agent):
    """{(sample name, frozenset(labels))): value} of the vitals_remote_write_* series."""
    out = {}
    for fam in parse_exposition(agent.scrape()).values():
        for (name, labels), v in fam.samples.items():
            if name.startswith(RW):
                out[(name, labels)] = v
    return out


def metric(m, name, **labels):
    """Sum of the series `vitals_remote_write_<name>` whose labels include `labels`; None when
    there is none."""
    want = set(labels.items())
    vals = [v for (n, lab), v in m.items() if n == RW + name and want <= set(lab)]
    return sum(vals) if vals else None


def timestamps(samples):
    return {t for _, t in samples}


class Mount:
    """A tmpfs of `size` on a fresh directory (root only); unmounted on exit."""

    def __init__(self, size, ro=False):
        self.dir = tempfile.mkdtemp(prefix="vitals-rwq-")
        opts = f"size={size}" + (",ro" if ro else "")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", self.dir],
                           capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(self.dir)
            raise unittest.SkipTest(f"cannot mount a tmpfs here: {r.stderr.strip()}")

    def remount(self, opts):
        subprocess.run(["mount", "-o", f"remount,{opts}", self.dir], check=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.run(["umount", "-l", self.dir], check=False)
        os.rmdir(self.dir)


def setUpModule():
    require(snappy is not None, "python3 snappy module not found (Debian package python3-snappy; "
            "`scripts/dev test` installs it)")


class BadReceivers(unittest.TestCase):
    """One agent, five endpoints: 500-then-204, 429 with Retry-After, 400, a hang, and a healthy
    one. Each endpoint has its own queue, so each misbehaving receiver only holds up its own."""

    def test_bad_receivers_beside_a_healthy_one(self):
        retry_after = 1.0
        with Receiver(always(204)) as healthy, \
                Receiver(first(3, 500)) as flaky, \
                Receiver(first(2, 429, {"Retry-After": "1"})) as throttled, \
                Receiver(always(400)) as rejecting, \
                Receiver(lambda n: None) as hanging, \
                tempfile.TemporaryDirectory(prefix="vitals-rwq-") as qdir:
            eps = [healthy, flaky, throttled, rejecting, hanging]
            with Agent(*COLLECTORS, *QUICK, f"--remote-write.queue-dir={qdir}",
                       "--remote-write.timeout=500ms",
                       *[f"--remote-write.url={r.url}" for r in eps]) as agent:
                self._check(agent, healthy, flaky, throttled, rejecting, hanging, retry_after)
            for r in eps:
                self.assertEqual(r.errors, [], r.url)

    def _check(self, agent, healthy, flaky, throttled, rejecting, hanging, retry_after):
        # 500 three times, then 204: every sample of the failed requests arrives in a later
        # successful one (retried, not dropped).
        def flaky_delivered():
            reqs = flaky.snapshot()
            failed = {(lab, t) for r in reqs if r["status"] == 500 for lab, t, _ in r["samples"]}
            return len(failed) and failed <= flaky.delivered()
        wait_until(flaky_delivered, timeout=15,
                   what="the samples answered 500 to arrive in a later request")
        m = rw_metrics(agent)
        self.assertEqual(metric(m, "requests_total", url=flaky.url, code="500"), 3)
        # Retried: each failed attempt's samples, once per attempt.
        self.assertEqual(metric(m, "samples_retried_total", url=flaky.url),
                         sum(len(r["samples"]) for r in flaky.snapshot() if r["status"] == 500))
        self.assertEqual(metric(m, "samples_dropped_total", url=flaky.url) or 0, 0)

        # 429 with Retry-After: 1 twice, then 204: no attempt sooner than asked after either.
        wait_until(lambda: any(r["status"] == 204 for r in throttled.snapshot()), timeout=15,
                   what="the throttled endpoint to take a request after its two 429s")
        reqs = throttled.snapshot()
        for i, r in enumerate(reqs[:2]):
            self.assertEqual(r["status"], 429)
            gap = reqs[i + 1]["arrived"] - r["answered"]
            # The next request cannot arrive before the agent read the answer and waited the
            # stated second; 10 ms for the two clocks' readings. Without Retry-After it would
            # come within --remote-write.max-backoff (200ms).
            self.assertGreaterEqual(gap, retry_after - 0.01,
                                    f"request {i + 1} came {gap:.3f}s after a 429 that asked "
                                    f"for {retry_after}s")
        throttled_first = {(lab, t) for lab, t, _ in reqs[0]["samples"]}
        wait_until(lambda: throttled_first <= throttled.delivered(), timeout=15,
                   what="the samples answered 429 to arrive after the wait")
        m = rw_metrics(agent)
        self.assertEqual(metric(m, "requests_total", url=throttled.url, code="429"), 2)
        self.assertEqual(metric(m, "samples_retried_total", url=throttled.url),
                         sum(len(r["samples"]) for r in reqs[:2]))
        self.assertEqual(metric(m, "samples_dropped_total", url=throttled.url) or 0, 0)

        # 400: each batch dropped once and counted as http_4xx; no sample is ever sent twice.
        wait_until(lambda: len(rejecting.snapshot()) >= 3, timeout=15,
                   what="three requests at the rejecting endpoint")

        def dropped_matches():
            before = sum(len(r["samples"]) for r in rejecting.snapshot() if r["status"])
            m = rw_metrics(agent)
            after = sum(len(r["samples"]) for r in rejecting.snapshot() if r["status"])
            got = metric(m, "samples_dropped_total", url=rejecting.url, reason="http_4xx")
            # "failed" counts the same samples as dropped{reason="http_4xx"}.
            failed = metric(m, "samples_failed_total", url=rejecting.url)
            return before == after and got == before and failed == got and m
        m = wait_until(dropped_matches, timeout=15,
                       what="samples_dropped_total{reason=http_4xx} = samples_failed_total = "
                       "samples answered 400")
        self.assertEqual(metric(m, "samples_retried_total", url=rejecting.url) or 0, 0)
        seen = {}
        for n, r in enumerate(rejecting.snapshot()):
            for lab, t, _ in r["samples"]:
                self.assertNotIn((lab, t), seen, f"sample {lab}@{t} sent again in request {n} "
                                 f"after a 400 to request {seen.get((lab, t))}")
                seen[(lab, t)] = n

        # Never answered: the request times out (--remote-write.timeout=500ms) and is retried.
        wait_until(lambda: len(hanging.snapshot()) >= 2, timeout=15,
                   what="a second attempt at the hanging endpoint")
        wait_until(lambda: (metric(rw_metrics(agent), "requests_total", url=hanging.url,
                                   code="error") or 0) >= 1, timeout=15,
                   what='requests_total{code="error"} at the hanging endpoint')
        m = rw_metrics(agent)
        self.assertGreater(metric(m, "samples_retried_total", url=hanging.url), 0)
        second_try = hanging.snapshot()[1]["arrived"]

        # The healthy endpoint got every collection the agent made meanwhile: each timestamp
        # the rejecting endpoint saw (each collection, exactly once), including ones after the
        # hanging endpoint's second attempt, and the same samples.
        rejected = {(lab, t) for r in rejecting.snapshot() for lab, t, _ in r["samples"]}
        wait_until(lambda: rejected <= healthy.delivered(), timeout=15,
                   what="every sample sent to the other endpoints to reach the healthy one")
        wait_until(lambda: [r for r in healthy.snapshot()
                            if r["arrived"] > second_try and r["status"] == 204],
                   timeout=15, what="healthy requests while the hanging one is stuck")
        m = rw_metrics(agent)
        for name in ("samples_retried_total", "samples_failed_total", "samples_dropped_total"):
            self.assertEqual(metric(m, name, url=healthy.url) or 0, 0, name)
        self.assertEqual(metric(m, "requests_total", url=healthy.url),
                         metric(m, "requests_total", url=healthy.url, code="204"))
        sent = metric(m, "samples_sent_total", url=healthy.url)
        self.assertGreater(sent, 0)
        self.assertLessEqual(sent, sum(len(r["samples"]) for r in healthy.snapshot()))
        for r in healthy.snapshot():
            h = r["headers"]
            self.assertEqual(h.get("content-encoding"), "snappy")
            self.assertEqual(h.get("content-type"), "application/x-protobuf")
            self.assertEqual(h.get("x-prometheus-remote-write-version"), "0.1.0")
        # Self metrics carry the endpoint without userinfo, one series set per endpoint.
        urls = {dict(lab).get("url") for (n, lab) in m if n == RW + "samples_queued_total"}
        self.assertEqual(urls, {r.url for r in (healthy, flaky, throttled, rejecting, hanging)})


@unittest.skipUnless(os.geteuid() == 0, "mounting a tmpfs needs root")
class BadQueueDir(unittest.TestCase):

    def assert_serves_metrics(self, agent):
        fams = parse_exposition(agent.scrape())
        self.assertIn("vitals_build_info", fams)

    def test_disk_full(self):
        """A 64 KiB tmpfs as the queue dir and the receiver down: the queue grows, interval by
        interval, until the disk is full; queue_writable 0, write errors counted, /metrics
        served. Receiver back: what waited is sent, the queue's space is freed and the queue
        takes writes again (durable again), without a restart."""
        port = free_port()
        url = f"http://127.0.0.1:{port}/api/v1/write"
        with Mount("64k") as mnt, \
                Agent(*COLLECTORS, "--remote-write.url=" + url,
                      f"--remote-write.queue-dir={mnt.dir}", *QUICK) as agent:
            wait_until(lambda: metric(rw_metrics(agent), "queue_writable", url=url) == 0,
                       timeout=15, what="queue_writable 0 on a full disk")
            m = rw_metrics(agent)
            self.assertGreater(metric(m, "disk_errors_total", url=url, op="write"), 0)
            self.assertGreater(metric(m, "queue_disk_bytes", url=url), 32 << 10)
            self.assert_serves_metrics(agent)
            self.assertIsNone(agent.proc.poll())
            full_at = time.time()
            with Receiver(always(204), port=port) as receiver:
                # Collections after the disk filled (held in memory) are delivered.
                wait_until(lambda: any(t / 1000 > full_at for t in
                                       timestamps(receiver.delivered())),
                           timeout=15, what="samples collected after the disk filled to arrive")
                # Everything sent: the queue's disk space is given back and writes succeed.
                wait_until(lambda: metric(rw_metrics(agent), "queue_writable", url=url) == 1,
                           timeout=15, what="queue_writable back to 1 once the receiver took "
                           "the queue (its segment still fills the disk?)")
                self.assertEqual(receiver.errors, [])
            m = rw_metrics(agent)
            self.assertGreater(metric(m, "samples_sent_total", url=url), 0)
            self.assertEqual(metric(m, "samples_dropped_total", url=url), 0)
            self.assert_serves_metrics(agent)

    def test_read_only_dir(self):
        """A read-only queue dir: the agent starts, says so (queue_writable 0, disk errors),
        serves /metrics; remounted read-write, it queues and sends again."""
        with Receiver(always(204)) as receiver, Mount("1m", ro=True) as mnt:
            with Agent(*COLLECTORS, "--remote-write.url=" + receiver.url,
                       f"--remote-write.queue-dir={mnt.dir}", *QUICK) as agent:
                url = receiver.url
                wait_until(lambda: metric(rw_metrics(agent), "queue_writable", url=url) == 0,
                           timeout=15, what="queue_writable 0 on a read-only dir")
                wait_until(lambda: (metric(rw_metrics(agent), "disk_errors_total", url=url)
                                    or 0) > 0, timeout=15, what="disk errors counted")
                self.assert_serves_metrics(agent)
                mnt.remount("rw")
                rw_at = time.time()
                wait_until(lambda: metric(rw_metrics(agent), "queue_writable", url=url) == 1,
                           timeout=15, what="queue_writable 1 once the dir is writable")
                wait_until(lambda: any(t / 1000 > rw_at for t in
                                       timestamps(receiver.delivered())),
                           timeout=15, what="samples collected after the remount to arrive")
                self.assertEqual(receiver.errors, [])
                self.assertIsNone(agent.proc.poll())


if __name__ == "__main__":
    from vitals_testlib import main
    main()
