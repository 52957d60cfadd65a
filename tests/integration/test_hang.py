"""A collector that blocks (a FIFO where /proc/loadavg should be, as a stuck mount would) does
not hold up the scrape past the deadline, the other collectors still answer, and hung work does
not pile up threads or descriptors over repeated scrapes. Also: the request limit, and SIGTERM
while a scrape is in flight."""

import errno
import os
import re
import shutil
import signal
import tempfile
import threading
import unittest

from vitals_testlib import (COLLECTOR_THREADS, NE_FIXTURES, Agent, parse_exposition, proc_threads,
                            settled_fds, wait_until)


def success(fams, collector):
    return fams["node_scrape_collector_success"].samples[
        ("node_scrape_collector_success", frozenset({("collector", collector)}))]


class HangTree:
    """A procfs tree whose loadavg is a FIFO nobody writes to."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="vitals-hang-")
        for f in ("meminfo", "stat"):
            shutil.copy(os.path.join(NE_FIXTURES, "proc", f), self.dir)
        self.fifo = os.path.join(self.dir, "loadavg")
        os.mkfifo(self.fifo)
        return self

    def release(self, text="1.5 2.5 3.5 1/1 1\n"):
        """Puts a regular file in the FIFO's place, then unblocks the stuck reader."""
        tmp = os.path.join(self.dir, "loadavg.new")
        with open(tmp, "w") as f:
            f.write(text)
        # Wait for the reader: a scrape counted "in flight" may not have reached open() yet
        # (ENXIO until it has).
        def open_writer():
            try:
                return os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as e:
                if e.errno != errno.ENXIO:
                    raise
                return None

        fd = wait_until(open_writer, timeout=30, what="the collector to open the FIFO")
        os.rename(tmp, self.fifo)
        os.write(fd, text.encode())
        os.close(fd)

    def __exit__(self, *exc):
        # Unblock anything still waiting so no thread is left behind.
        try:
            fd = os.open(os.path.join(self.dir, "loadavg"), os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def in_flight(agent):
    m = re.search(r"Scrapes in flight: (\d+)", agent.get("/").text)
    return int(m.group(1))


class Hang(unittest.TestCase):
    def test_hung_collector(self):
        with HangTree() as tree, Agent(f"--path.procfs={tree.dir}", "--collector.timeout=1s") as a:
            fams = parse_exposition(a.scrape(timeout=30))
            self.assertEqual(success(fams, "loadavg"), 0)
            self.assertEqual(success(fams, "meminfo"), 1)
            self.assertEqual(success(fams, "stat"), 1)
            self.assertNotIn("node_load1", fams)
            self.assertIn("node_memory_MemTotal_bytes", fams)
            self.assertIn("node_intr_total", fams)
            dur = fams["node_scrape_collector_duration_seconds"].samples[
                ("node_scrape_collector_duration_seconds", frozenset({("collector", "loadavg")}))]
            self.assertGreaterEqual(dur, 1.0)
            self.assertIn("deadline exceeded", a.output())

            # Counted with the scrape's connection closed (the server may close its socket just
            # after the response); collector threads only (a pool worker added for a scrape may
            # still be retiring, so the count is polled; the server's threads, started on demand
            # per concurrent connection, are not counted).
            threads, fds = proc_threads(a.pid, COLLECTOR_THREADS), settled_fds(a.pid)
            for _ in range(10):
                fams = parse_exposition(a.scrape(timeout=30))
                self.assertEqual(success(fams, "loadavg"), 0)
                self.assertEqual(success(fams, "meminfo"), 1)
            wait_until(lambda: proc_threads(a.pid, COLLECTOR_THREADS) <= threads, timeout=20,
                       what=f"threads <= {threads}")
            self.assertEqual(settled_fds(a.pid), fds)
            self.assertIn("still running from an earlier scrape", a.output())
            self.assertEqual(fams["vitals_collector_threads_stuck"].samples[
                ("vitals_collector_threads_stuck", frozenset())], 1)

            # Unblocked, the collector recovers.
            tree.release()

            def recovered():
                f = parse_exposition(a.scrape(timeout=30))
                return success(f, "loadavg") == 1 and f

            fams = wait_until(recovered, timeout=30, what="loadavg to recover")
            self.assertEqual(fams["node_load1"].samples[("node_load1", frozenset())], 1.5)
            self.assertEqual(fams["vitals_collector_threads_stuck"].samples[
                ("vitals_collector_threads_stuck", frozenset())], 0)

    def test_request_limit(self):
        # The two scrapes stay in flight until the test releases the FIFO (not until a
        # deadline a busy machine could reach before the third request is sent).
        with HangTree() as tree, Agent(f"--path.procfs={tree.dir}", "--collector.timeout=60s",
                                       "--web.max-requests=2") as a:
            results = []
            ts = [threading.Thread(target=lambda: results.append(a.get("/metrics", timeout=90).status))
                  for _ in range(2)]
            for t in ts:
                t.start()
            wait_until(lambda: in_flight(a) == 2, timeout=20, what="two scrapes in flight")
            r = a.get("/metrics")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.headers["retry-after"], "1")
            tree.release()
            for t in ts:
                t.join()
            self.assertEqual(results, [200, 200])
            fams = parse_exposition(a.scrape(timeout=30))
            self.assertEqual(fams["promhttp_metric_handler_requests_total"].samples[
                ("promhttp_metric_handler_requests_total", frozenset({("code", "503")}))], 1)

    def test_sigterm_during_scrape(self):
        with HangTree() as tree:
            a = Agent(f"--path.procfs={tree.dir}", "--collector.timeout=500ms")
            try:
                result = {}

                def scrape():
                    result["r"] = a.get("/metrics", timeout=30)

                t = threading.Thread(target=scrape)
                t.start()
                wait_until(lambda: in_flight(a) == 1, timeout=20, what="a scrape in flight")
                a.signal(signal.SIGTERM)
                rc = a.proc.wait(timeout=2)  # the bound: exit within 2 s
                t.join()
                self.assertEqual(rc, 0, a.output())
                self.assertEqual(result["r"].status, 200)
                fams = parse_exposition(result["r"].text)
                self.assertEqual(success(fams, "loadavg"), 0)
                self.assertIn("node_memory_MemTotal_bytes", fams)
                self.assertIn("shutting down", a.output())
            finally:
                a.stop()


if __name__ == "__main__":
    from vitals_testlib import main
    main()
