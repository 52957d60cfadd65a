"""How collector failures are reported: node_scrape_collector_success as node_exporter sets it,
vitals_collector_failures_total counting every failed run, and a log that says each thing once.

A facility the host lacks (here: a procfs tree without schedstat) is node_exporter's "no data":
success 0, one info line, then nothing at info or above. An error that repeats unchanged scrape
after scrape is logged once at error; a change of error is logged again; recovery is one line.
"""

import os
import shutil
import tempfile
import unittest

from vitals_testlib import Agent, parse_exposition

LOADAVG = "0.25 0.50 0.75 1/234 5678\n"


def value(fams, name, **labels):
    return fams[name].samples.get((name, frozenset(labels.items())))


def lines(agent, needle):
    return [l for l in agent.output().splitlines() if needle in l]


class CollectorErrors(unittest.TestCase):
    def setUp(self):
        self.proc = tempfile.mkdtemp(prefix="vitals-errors-")
        self.write(LOADAVG)

    def tearDown(self):
        shutil.rmtree(self.proc, ignore_errors=True)

    def write(self, text):
        path = os.path.join(self.proc, "loadavg")
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)

    def scrape(self, agent):
        return parse_exposition(agent.scrape())

    def test_missing_facility_and_repeated_errors(self):
        with Agent("--collector.disable-defaults", "--collector.schedstat", "--collector.loadavg",
                   f"--path.procfs={self.proc}", "--log.level=info") as a:
            for _ in range(3):
                f = self.scrape(a)
            self.assertEqual(value(f, "node_scrape_collector_success", collector="schedstat"), 0)
            self.assertEqual(value(f, "node_scrape_collector_success", collector="loadavg"), 1)
            self.assertEqual(value(f, "node_load1"), 0.25)
            self.assertEqual(value(f, "vitals_collector_failures_total", collector="schedstat",
                                   kind="no_data"), 3)
            self.assertEqual(value(f, "vitals_collector_failures_total", collector="schedstat",
                                   kind="error"), 0)
            no_data = lines(a, "name=schedstat")
            self.assertEqual(len(no_data), 1, a.output())
            self.assertIn("level=info", no_data[0])
            self.assertIn("schedstat not found", no_data[0])
            self.assertEqual(lines(a, "level=error"), [])

            # A malformed file: one error line however often it repeats, counted every time.
            self.write("garbage\n")
            for _ in range(3):
                f = self.scrape(a)
            self.assertEqual(value(f, "node_scrape_collector_success", collector="loadavg"), 0)
            self.assertEqual(value(f, "vitals_collector_failures_total", collector="loadavg",
                                   kind="error"), 3)
            errors = lines(a, "level=error")
            self.assertEqual(len(errors), 1, a.output())
            self.assertIn("name=loadavg", errors[0])
            self.assertIn("loadavg", errors[0].split("err=", 1)[1])

            # Recovery: one line; the same error coming back is news again.
            self.write(LOADAVG)
            f = self.scrape(a)
            self.assertEqual(value(f, "node_scrape_collector_success", collector="loadavg"), 1)
            self.assertEqual(len(lines(a, "collector succeeds again")), 1)
            self.write("garbage\n")
            self.scrape(a)
            self.scrape(a)
            self.assertEqual(len(lines(a, "level=error")), 2, a.output())
            # schedstat stayed absent all along: still the one info line.
            self.assertEqual(len(lines(a, "name=schedstat")), 1, a.output())

    def test_debug_level_shows_the_repeats(self):
        with Agent("--collector.disable-defaults", "--collector.schedstat",
                   f"--path.procfs={self.proc}", "--log.level=debug") as a:
            for _ in range(3):
                self.scrape(a)
            got = lines(a, "name=schedstat")
            self.assertEqual(len(got), 3, a.output())
            self.assertEqual(sum("level=debug" in l for l in got), 2)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
