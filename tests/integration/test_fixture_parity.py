"""Fixture parity: on node_exporter 1.5.0's own test tree, every family made by vitals'
implemented collectors has the same TYPE, HELP and series (labels and values) as node_exporter's
e2e-output.txt."""

import unittest

from ne_fixture import (COLLECTOR_FAMILIES, REMOVED, FixtureTree, expected_families, families_of,
                        fixture_args)
from vitals_testlib import Agent, family_diff, parse_exposition


class FixtureParity(unittest.TestCase):
    def test_families_identical(self):
        collectors = sorted(COLLECTOR_FAMILIES)
        want = expected_families()
        # Relative paths from a directory holding the tree at collector/fixtures, as the README
        # says node_exporter was run (textfile HELP strings and rapl labels contain the path).
        with FixtureTree() as tree, Agent(*fixture_args(collectors, root=tree.root),
                                          cwd=tree.cwd) as agent:
            got = parse_exposition(agent.scrape())
        total = identical = 0
        problems = []
        for c in collectors:
            names = families_of(c, want)
            self.assertTrue(names, f"no expected families for collector {c}")
            for name in names:
                if REMOVED.match(name) or not want[name].samples:
                    continue
                total += 1
                if name not in got:
                    problems.append(f"{c}: {name}: missing")
                    continue
                d = family_diff(got[name], want[name])
                if d:
                    problems.append(f"{c}: {name}: " + "; ".join(d))
                else:
                    identical += 1
            # No families beyond node_exporter's for this collector.
            for name in families_of(c, got):
                if name not in want:
                    problems.append(f"{c}: {name}: not made by node_exporter")
            key = ("node_scrape_collector_success", frozenset({("collector", c)}))
            self.assertEqual(got["node_scrape_collector_success"].samples.get(key), 1.0,
                             f"collector {c} failed on the fixture")
        print(f"{identical} of {total} families identical")
        self.assertEqual(problems, [], "\n".join(problems))
        self.assertEqual(identical, total)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
