"""Remote write across an outage (CTest label "live": it runs for about half a minute). Both
receivers (Prometheus 2.42 and VictoriaMetrics 1.79) are stopped for 20 s; during the outage the
agent is killed with SIGKILL and started again on the same queue dir. Afterwards each receiver
has node_time_seconds every interval from start to end, except for the time the agent was dead
plus at most the fsync window (one interval: the queue is fsynced after each interval's append)."""

import os
import re
import shutil
import signal
import sys
import tempfile
import time
import unittest
import uuid

from remote_write_lib import PrometheusReceiver, VictoriaMetricsReceiver
from vitals_testlib import Agent, main, parse_exposition, wait_until

INTERVAL = 1.0
OUTAGE = 20.0


def series(fams, name):
    """[(labels dict, value)] of one family."""
    return [(dict(labels), v) for (_, labels), v in fams[name].series().items()]


def collections(agent):
    fams = parse_exposition(agent.scrape())
    return int(series(fams, "vitals_remote_write_collections_total")[0][1])


class RemoteWriteOutage(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vitals-rw-outage-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_outage_and_sigkill_lose_only_the_dead_time(self):
        run = uuid.uuid4().hex[:12]
        os.mkdir(os.path.join(self.tmp, "prom"))
        os.mkdir(os.path.join(self.tmp, "vm"))
        prom = PrometheusReceiver(tmp=os.path.join(self.tmp, "prom"))
        vm = VictoriaMetricsReceiver(tmp=os.path.join(self.tmp, "vm"))
        receivers = (prom, vm)
        args = ["--collector.disable-defaults", "--collector.time",
                f"--remote-write.url={prom.write_url}", f"--remote-write.url={vm.write_url}",
                "--remote-write.interval=1s", "--remote-write.batch-deadline=0s",
                "--remote-write.max-backoff=1s",
                f"--remote-write.queue-dir={self.tmp}/queue",
                f"--remote-write.external-label=rwrun={run}"]
        agent = Agent(*args)
        port = agent.port
        try:
            wait_until(lambda: collections(agent) >= 3, timeout=20, what="3 collections")
            start = time.time() - 3 * INTERVAL
            for r in receivers:
                r.stop()
            down_at = time.monotonic()
            # Half the outage with the agent queueing, then SIGKILL, a few seconds dead, and
            # the same queue dir again.
            wait_until(lambda: time.monotonic() - down_at >= OUTAGE / 2, timeout=OUTAGE,
                       what="half the outage", interval=0.1)
            fams = parse_exposition(agent.scrape())
            retried = sum(v for _, v in series(fams, "vitals_remote_write_samples_retried_total"))
            self.assertGreater(retried, 0)
            agent.proc.send_signal(signal.SIGKILL)
            agent.proc.wait()
            killed_at = time.time()
            wait_until(lambda: time.monotonic() - down_at >= OUTAGE / 2 + 3, timeout=OUTAGE,
                       what="3 s dead", interval=0.1)
            agent = Agent(*args, port=port)
            restarted_at = time.time()
            wait_until(lambda: "queue read back from disk" in agent.output(), timeout=10,
                       what="the queue read back")
            wait_until(lambda: time.monotonic() - down_at >= OUTAGE, timeout=OUTAGE,
                       what="the rest of the outage", interval=0.1)
            for r in receivers:
                r.start()
            # Caught up: everything queued is sent (the lag is one interval at most).
            wait_until(lambda: all(v <= INTERVAL for _, v in series(
                parse_exposition(agent.scrape()), "vitals_remote_write_lag_seconds")), timeout=60,
                what="the queue sent (lag at most one interval)")
            wait_until(lambda: collections(agent) >= 3, timeout=20, what="more collections")
        finally:
            rc = agent.stop()
        self.assertEqual(rc, 0, agent.output())
        end = time.time()
        vm.flush()
        try:
            for r in receivers:
                with self.subTest(receiver=r.kind):
                    # 3 s ahead: VictoriaMetrics moves a query time within 1 s of its clock
                    # back to now - 1 s (see test_remote_write).
                    res = wait_until(lambda: r.query(f'node_time_seconds{{rwrun="{run}"}}[5m]',
                                                     at=time.time() + 3),
                                     timeout=20, what=f"samples in {r.kind}")
                    ts = sorted(float(t) for t, _ in res[0]["values"])
                    self.assertLessEqual(ts[0], start + 2 * INTERVAL)
                    self.assertGreaterEqual(ts[-1], end - 3 * INTERVAL)
                    gaps = [(a, b) for a, b in zip(ts, ts[1:]) if b - a > 1.5 * INTERVAL]
                    print(f"{r.kind}: {len(ts)} samples over {ts[-1] - ts[0]:.1f} s, gaps "
                          f"{[round(b - a, 2) for a, b in gaps]} s, agent dead "
                          f"{restarted_at - killed_at:.1f} s", file=sys.stderr)
                    # One gap: around the kill, no longer than the dead time plus one fsync
                    # window (and scheduling slack of one interval).
                    self.assertLessEqual(len(gaps), 1, gaps)
                    for a, b in gaps:
                        self.assertLessEqual(b - a, (restarted_at - killed_at) + 3 * INTERVAL, gaps)
                        self.assertLessEqual(a, killed_at + INTERVAL)
                        self.assertGreaterEqual(b, killed_at)
                    # Samples taken during the outage, before the kill, arrived.
                    during = [t for t in ts if killed_at - OUTAGE / 2 + 1 <= t <= killed_at - 1]
                    self.assertGreaterEqual(len(during), OUTAGE / 2 - 3)
        finally:
            for r in receivers:
                r.close()


if __name__ == "__main__":
    main()
