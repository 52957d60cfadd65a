"""APM bounds over HTTP: past --apm.max-series new label sets count into the overflow series,
and label sets unseen for --apm.series-expiry disappear from the scrape."""

import unittest

from apm_lib import Span, otlp_proto, post, series, span_labels
from vitals_testlib import Agent, free_port, parse_exposition, wait_until


class ApmLimits(unittest.TestCase):
    def test_overflow_and_expiry(self):
        port = free_port()
        with Agent(f"--apm.otlp.listen-address=127.0.0.1:{port}", "--apm.max-series=3",
                   "--apm.series-expiry=2s") as agent:
            spans = [Span(f"op{i}", 1000, span=i + 1) for i in range(5)] + [Span("op0", 1000, span=9)]
            self.assertEqual(post(port, "/v1/traces", otlp_proto([("svc", spans)])).status, 200)
            f = parse_exposition(agent.scrape())
            kept = [series(f, "traces_span_metrics_calls_total", **span_labels("svc", f"op{i}"))
                    for i in range(5)]
            self.assertEqual(kept, [2, 1, 1, None, None])
            self.assertEqual(series(f, "traces_span_metrics_calls_total", otel_metric_overflow="true"), 2)
            self.assertEqual(series(f, "vitals_apm_overflow_spans_total"), 2)
            self.assertEqual(series(f, "vitals_apm_series"), 3)
            self.assertEqual(series(f, "vitals_apm_max_series"), 3)

            def expired():
                g = parse_exposition(agent.scrape())
                return g if series(g, "vitals_apm_series_expired_total") == 3 else None

            g = wait_until(expired, timeout=60, what="the three series to expire")
            self.assertEqual(series(g, "vitals_apm_series"), 0)
            self.assertIsNone(series(g, "traces_span_metrics_calls_total", **span_labels("svc", "op0")))
            # With room again, a new label set gets its own series.
            self.assertEqual(post(port, "/v1/traces", otlp_proto([("svc", [Span("op3", 1000)])])).status, 200)
            h = parse_exposition(agent.scrape())
            self.assertEqual(series(h, "traces_span_metrics_calls_total", **span_labels("svc", "op3")), 1)


if __name__ == "__main__":
    from vitals_testlib import main
    main()
