"""Fixture parity over the whole of node_exporter 1.5.0's e2e-output.txt: vitals is run on
node_exporter's own test tree with every collector and flag the fixture README lists, and every
family of e2e-output.txt (except the LIVE_ONLY ones, each with the README's reason) must have the
same TYPE, HELP and series (labels and values). Families whose sample lines the README removed
are compared by TYPE and HELP. A family of a collector vitals does not implement yet is reported
as missing under its collector without failing; any other difference fails."""

import re
import subprocess
import unittest

from ne_fixture import (COLLECTOR_FAMILIES, COLLECTOR_FLAGS, EXPORTER_FAMILIES, LIVE_ONLY,
                        LIVE_ONLY_SERIES, REMOVED, FixtureTree, expected_families, fixture_args,
                        readme_run)
from vitals_testlib import VITALS_BIN, Agent, family_diff, parse_exposition


def implemented_collectors():
    out = subprocess.run([VITALS_BIN, "--list-collectors"], capture_output=True, text=True,
                         check=True).stdout
    return {p[0] for p in (line.split() for line in out.splitlines())
            if len(p) == 3 and p[2] == "implemented"}


def owner(name):
    """The collector that makes family `name` ("exporter" for the exporter's own), or None."""
    if re.fullmatch(EXPORTER_FAMILIES, name):
        return "exporter"
    owners = [c for c, pat in COLLECTOR_FAMILIES.items() if re.fullmatch(pat, name)]
    assert len(owners) <= 1, f"{name} matches the families of {owners}"
    return owners[0] if owners else None


class FixtureParity(unittest.TestCase):
    def test_flags_are_the_readmes(self):
        """ne_fixture's per-collector flags are exactly the README's option flags."""
        _, flags = readme_run()
        ours = [f for c in COLLECTOR_FLAGS for f in COLLECTOR_FLAGS[c]]
        self.assertEqual(sorted(ours), sorted(flags))

    def test_whole_file(self):
        collectors, _ = readme_run()
        implemented = implemented_collectors() | {"exporter"}
        want = expected_families()
        with FixtureTree() as tree, Agent(*fixture_args(collectors, root=tree.root),
                                          cwd=tree.cwd) as agent:
            got = parse_exposition(agent.scrape())

        for key, reason in LIVE_ONLY_SERIES.items():
            print(f"left out series {key[0]}{dict(key[1])} ({reason})")
            for fams in (got, want):
                if key[0] in fams:
                    fams[key[0]].samples.pop(key, None)
        left_out = {}
        compared = identical = 0
        problems, missing = [], {}
        for name in sorted(want):
            reason = next((r for pat, r in LIVE_ONLY.items() if re.fullmatch(pat, name)), None)
            if reason:
                left_out.setdefault(reason, []).append(name)
                continue
            c = owner(name)
            compared += 1
            if c is None:
                problems.append(f"{name}: no collector in ne_fixture.COLLECTOR_FAMILIES makes it")
                continue
            if name not in got:
                if c in implemented:
                    problems.append(f"{c}: {name}: missing")
                else:
                    missing.setdefault(c, []).append(name)
                continue
            d = family_diff(got[name], want[name])
            if REMOVED.match(name):
                # The README removed the sample lines: compare TYPE and HELP only.
                d = [x for x in d if x.startswith(("HELP", "TYPE"))]
            if d:
                problems.append(f"{c}: {name}: " + "; ".join(d))
            else:
                identical += 1
        # No families beyond node_exporter's for the collectors run.
        for name in sorted(got):
            c = owner(name)
            if c in collectors and name not in want:
                problems.append(f"{c}: {name}: not made by node_exporter")

        for reason, names in left_out.items():
            print(f"left out ({reason}): {len(names)} families")
        for c, names in sorted(missing.items()):
            print(f"missing, collector {c} not implemented: {', '.join(names)}")
        for p in problems:
            print("DIFF", p)
        print(f"{identical} of {compared} families identical "
              f"(e2e-output.txt has {len(want)}; "
              f"{sum(map(len, left_out.values()))} left out as above)")
        self.assertEqual(problems, [], "\n".join(problems))
        # Once every collector of the README's run is implemented, nothing may be missing.
        self.assertEqual(identical + sum(map(len, missing.values())), compared)
        if set(collectors) <= implemented:
            self.assertEqual(identical, compared)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
