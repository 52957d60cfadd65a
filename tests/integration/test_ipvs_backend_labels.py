"""ipvs's backend-labels option on node_exporter's fixture tree: real servers with the same
chosen label values are summed (as node_exporter does), and an unknown label stops vitals at
start with exit code 2 and a message naming it."""

import subprocess
import unittest

from vitals_testlib import NE_FIXTURES, VITALS_BIN, Agent, free_port, main, parse_exposition


def args(labels):
    return [f"--path.procfs={NE_FIXTURES}/proc", "--collector.disable-defaults",
            "--collector.ipvs", f"--collector.ipvs.backend-labels={labels}"]


class IpvsBackendLabels(unittest.TestCase):
    def test_sums_over_chosen_labels(self):
        with Agent(*args("proto,local_mark")) as agent:
            got = parse_exposition(agent.scrape())
        tcp = frozenset({("proto", "TCP"), ("local_mark", "")})
        fwm = frozenset({("proto", "FWM"), ("local_mark", "10001000")})
        want = {"node_ipvs_backend_connections_active": {tcp: 3 * 248 + 1498 + 1499, fwm: 385},
                "node_ipvs_backend_connections_inactive": {tcp: 5, fwm: 6},
                "node_ipvs_backend_weight": {tcp: 600, fwm: 120}}
        for name, series in want.items():
            samples = {labels: v for (n, labels), v in got[name].samples.items()}
            self.assertEqual(samples, series, name)
        self.assertEqual(got["node_ipvs_connections_total"].samples[
            ("node_ipvs_connections_total", frozenset())], 23765872)

    def test_no_labels_sums_everything(self):
        with Agent(*args("")) as agent:
            got = parse_exposition(agent.scrape())
        self.assertEqual(list(got["node_ipvs_backend_connections_active"].samples.values()),
                         [3 * 248 + 1498 + 1499 + 385])

    def test_unknown_label_stops_vitals(self):
        p = subprocess.run([VITALS_BIN, f"--web.listen-address=127.0.0.1:{free_port()}",
                            "--apm.otlp.listen-address=", "--apm.zipkin.listen-address=", "--apm.otlp.grpc-listen-address="]
                           + args("proto,bogus"), capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn('unknown IPVS backend labels: "bogus"', p.stderr)


if __name__ == "__main__":
    main()
