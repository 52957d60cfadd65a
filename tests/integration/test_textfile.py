"""textfile collector against node_exporter 1.5.0's own textfile test cases: for each case
directory under the fixture's textfile/ and its expected output <case>.out (node_exporter's
output with --collector.textfile.directory=fixtures/textfile/<case> and every file's mtime set
to 1), vitals must produce the same families, HELP, TYPE and series. Also: a bad file next to a
good one raises node_textfile_scrape_error without losing the good file."""

import os
import shutil
import tempfile
import unittest

from ne_fixture import FixtureTree
from vitals_testlib import Agent, family_diff, parse_exposition

# Case -> the directory flag node_exporter's test used (relative to the tree's parent).
CASES = {
    "client_side_timestamp": "fixtures/textfile/client_side_timestamp",
    "different_metric_types": "fixtures/textfile/different_metric_types",
    "glob_extra_dimension": "fixtures/textfile/*_extra_dimension",
    "histogram": "fixtures/textfile/histogram",
    "histogram_extra_dimension": "fixtures/textfile/histogram_extra_dimension",
    "inconsistent_metrics": "fixtures/textfile/inconsistent_metrics",
    "metrics_merge_different_help": "fixtures/textfile/metrics_merge_different_help",
    "metrics_merge_empty_help": "fixtures/textfile/metrics_merge_empty_help",
    "metrics_merge_no_help": "fixtures/textfile/metrics_merge_no_help",
    "metrics_merge_same_help": "fixtures/textfile/metrics_merge_same_help",
    "no_metric_files": "fixtures/textfile/no_metric_files",
    "nonexistent_path": "fixtures/textfile/does_not_exist",
    "summary": "fixtures/textfile/summary",
    "summary_extra_dimension": "fixtures/textfile/summary_extra_dimension",
    "two_metric_files": "fixtures/textfile/two_metric_files",
}

AGENT_FAMILIES = ("node_scrape_", "process_", "promhttp_", "go_", "vitals_", "node_exporter_")


def compare(test, got_text, want_text, case):
    got, want = parse_exposition(got_text), parse_exposition(want_text)
    problems = []
    for name, fam in want.items():
        if name not in got:
            problems.append(f"{name}: missing")
            continue
        d = family_diff(got[name], fam)
        if d:
            problems.append(f"{name}: " + "; ".join(d))
    for name, fam in got.items():
        if name not in want and fam.samples and not name.startswith(AGENT_FAMILIES):
            problems.append(f"{name}: not in {case}.out")
    test.assertEqual(problems, [], f"case {case}:\n" + "\n".join(problems))


class TextfileCases(unittest.TestCase):
    def test_node_exporter_cases(self):
        with FixtureTree() as tree:
            cwd = os.path.join(tree.cwd, "collector")
            textdir = os.path.join(cwd, "fixtures", "textfile")
            for d, _, files in os.walk(textdir):
                for f in files:
                    os.utime(os.path.join(d, f), (1, 1))
            for case, directory in sorted(CASES.items()):
                with self.subTest(case=case):
                    with open(os.path.join(textdir, case + ".out")) as f:
                        want = f.read()
                    with Agent("--collector.disable-defaults", "--collector.textfile",
                               f"--collector.textfile.directory={directory}", cwd=cwd) as agent:
                        compare(self, agent.scrape(), want, case)

    def test_bad_file_keeps_good_files(self):
        tmp = tempfile.mkdtemp(prefix="vitals-textfile-")
        try:
            with open(os.path.join(tmp, "good.prom"), "w") as f:
                f.write('# HELP good_total A good one.\n# TYPE good_total counter\n'
                        'good_total{a="x\\"y\\\\z\\n"} 7\n')
            with open(os.path.join(tmp, "bad.prom"), "w") as f:
                f.write("bad_metric{oops} 1\n")
            with open(os.path.join(tmp, "ignored.txt"), "w") as f:
                f.write("not_read 1\n")
            with Agent("--collector.disable-defaults", "--collector.textfile",
                       f"--collector.textfile.directory={tmp}") as agent:
                fams = parse_exposition(agent.scrape())
                out = agent.output()
            self.assertEqual(fams["node_textfile_scrape_error"].samples,
                             {("node_textfile_scrape_error", frozenset()): 1.0})
            self.assertEqual(fams["good_total"].type, "counter")
            self.assertEqual(fams["good_total"].help, "A good one.")
            self.assertEqual(fams["good_total"].samples,
                             {("good_total", frozenset({("a", 'x"y\\z\n')})): 7.0})
            self.assertNotIn("bad_metric", fams)
            self.assertNotIn("not_read", fams)
            mtimes = {dict(k[1])["file"] for k in fams["node_textfile_mtime_seconds"].samples}
            self.assertEqual(mtimes, {os.path.join(tmp, "good.prom")})
            self.assertIn("bad.prom", out)
            self.assertIn("line 1", out)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
