// Table-driven tests of the Prometheus text format parser used by the textfile collector.
#include <gtest/gtest.h>

#include <cmath>

#include "collectors/textfile/text_parser.h"

namespace vitals::textfile {
namespace {

const TextFamily* find(const TextParse& p, std::string_view name) {
  for (const auto& f : p.families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(TextParser, HelpTypeCommentsAndEscapes) {
  auto p = parse_text_format(
      "# a plain comment\n"
      "#\n"
      "# HELP http_total Requests \\\\ with a\\nnewline and \"quotes\".\n"
      "# TYPE http_total counter\n"
      "http_total{code=\"200\",path=\"/a\\\"b\\\\c\\nd\"} 35\n"
      "http_total{ code = \"500\" , } 1e3\n"
      "\n"
      "  up 1\n"
      "temp{sensor=\"x\"} -Inf\n"
      "nan_metric NaN\n");
  ASSERT_EQ(p.error, "");
  const auto* h = find(p, "http_total");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, MetricType::kCounter);
  EXPECT_EQ(*h->help, "Requests \\ with a\nnewline and \"quotes\".");
  ASSERT_EQ(h->metrics.size(), 2u);
  EXPECT_EQ(h->metrics[0].labels[1].second, "/a\"b\\c\nd");
  EXPECT_EQ(h->metrics[1].labels[0], (std::pair<std::string, std::string>{"code", "500"}));
  EXPECT_EQ(h->metrics[1].value, 1000);
  const auto* up = find(p, "up");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->type, MetricType::kUntyped);
  EXPECT_FALSE(up->help);
  EXPECT_TRUE(std::isinf(find(p, "temp")->metrics[0].value));
  EXPECT_TRUE(std::isnan(find(p, "nan_metric")->metrics[0].value));
}

TEST(TextParser, TimestampsAreParsedSoTheCollectorCanRejectThem) {
  auto p = parse_text_format("metric_with_custom_timestamp 1 1441205977284\nnormal_metric 2\n");
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(find(p, "metric_with_custom_timestamp")->metrics[0].timestamp_ms, 1441205977284);
  EXPECT_FALSE(find(p, "normal_metric")->metrics[0].timestamp_ms);
}

TEST(TextParser, SummaryAndHistogramAreGroupedByLabels) {
  auto p = parse_text_format(
      "# TYPE rpc summary\n"
      "rpc{t=\"a\",quantile=\"0.5\"} 1\n"
      "rpc{t=\"a\",quantile=\"0.9\"} 2\n"
      "rpc_sum{t=\"a\"} 10\n"
      "rpc_count{t=\"a\"} 4\n"
      "rpc{t=\"b\",quantile=\"0.5\"} 3\n"
      "# TYPE lat histogram\n"
      "lat_bucket{le=\"+Inf\"} 5\n"
      "lat_bucket{le=\"0.1\"} 2\n"
      "lat_sum 1.5\n"
      "lat_count 5\n");
  ASSERT_EQ(p.error, "");
  const auto* s = find(p, "rpc");
  ASSERT_EQ(s->metrics.size(), 2u);
  EXPECT_EQ(s->metrics[0].buckets.size(), 2u);
  EXPECT_EQ(s->metrics[0].sum, 10);
  EXPECT_EQ(s->metrics[0].count, 4);
  EXPECT_EQ(s->metrics[1].count, 0);  // sum and count default to 0, as in the Go parser
  const auto* h = find(p, "lat");
  ASSERT_EQ(h->metrics.size(), 1u);
  ASSERT_EQ(h->metrics[0].buckets.size(), 2u);
  EXPECT_EQ(h->metrics[0].buckets[0].upper_bound, 0.1);  // sorted by upper bound
  EXPECT_TRUE(std::isinf(h->metrics[0].buckets[1].upper_bound));
  EXPECT_EQ(h->metrics[0].count, 5);
  EXPECT_EQ(find(p, "lat_sum"), nullptr);
}

// Found by the textfile fuzz target (docs/fuzzing.md): a summary's _sum line with a quantile
// label (or a histogram's _sum/_count with le) kept it as a label, making a second series that
// the writer printed with a second quantile/le label. Go's parser drops both labels from every
// sample of the family and requires them to be numbers.
TEST(TextParser, QuantileAndLeAreNeverLabelsOfTheirFamily) {
  auto p = parse_text_format(
      "# TYPE rpc summary\n"
      "rpc{t=\"a\",quantile=\"0.5\"} 1\n"
      "rpc_sum{t=\"a\",quantile=\"0.5\"} 10\n"
      "rpc_count{quantile=\"0.9\",t=\"a\"} 4\n"
      "# TYPE lat histogram\n"
      "lat_bucket{le=\"+Inf\"} 5\n"
      "lat_sum{le=\"1\"} 1.5\n"
      "lat_count{le=\"+Inf\"} 5\n");
  ASSERT_EQ(p.error, "");
  const auto* s = find(p, "rpc");
  ASSERT_EQ(s->metrics.size(), 1u);
  EXPECT_EQ(s->metrics[0].labels.size(), 1u);
  EXPECT_EQ(s->metrics[0].sum, 10);
  EXPECT_EQ(s->metrics[0].count, 4);
  const auto* h = find(p, "lat");
  ASSERT_EQ(h->metrics.size(), 1u);
  EXPECT_TRUE(h->metrics[0].labels.empty());
  EXPECT_EQ(h->metrics[0].sum, 1.5);
  EXPECT_EQ(parse_text_format("# TYPE rpc summary\nrpc_sum{quantile=\"x\"} 1\n").error,
            "line 2: invalid quantile \"x\"");
}

TEST(TextParser, DuplicateSeriesAreKeptForTheCollectorToDrop) {
  // The parser, like Go's, does not dedupe; the collector drops the later series and reports.
  auto p = parse_text_format("x{a=\"1\"} 1\nother 2\nx{a=\"1\"} 3\n");
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(find(p, "x")->metrics.size(), 2u);
}

TEST(TextParser, MalformedInputNamesTheLine) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"ok 1\nbad_metric{oops} 1\n", "line 2: expected '=' after label name oops"},
      {"x 1\ny\n", "line 2: missing value"},
      {"x abc\n", "line 1: invalid value \"abc\""},
      {"x 1 2 3\n", "line 1: unexpected text after the timestamp"},
      {"x 1 1.5\n", "line 1: invalid timestamp \"1.5\""},
      {"x{a=\"1} 1\n", "line 1: unterminated label value"},
      {"x{a=\"\\t\"} 1\n", "line 1: invalid escape sequence '\\t'"},
      {"x{a=\"1\" b=\"2\"} 1\n", "line 1: expected ',' or '}' after label value"},
      {"x{a=\"1\",a=\"2\"} 1\n", "line 1: duplicate label name \"a\""},
      {"# TYPE x gauge\n# TYPE x counter\n", "line 2: second TYPE line for metric name \"x\""},
      {"# HELP x a\n# HELP x b\n", "line 2: second HELP line for metric name \"x\""},
      {"x 1\n# TYPE x gauge\n", "line 2: TYPE line for metric name \"x\" after its samples"},
      {"# TYPE x foo\n", "line 1: unknown metric type \"foo\""},
      {"# TYPE s summary\ns{a=\"1\"} 1\n", "line 2: summary sample without quantile"},
      {"# TYPE s summary\ns{quantile=\"x\"} 1\n", "line 2: invalid quantile \"x\""},
      {"# TYPE h histogram\nh 1\n", "line 2: histogram sample without _bucket/_sum/_count"},
      {"9x 1\n", "line 1: invalid metric name"},
      {"# HELP 9x a\n", "line 1: invalid metric name in comment"},
  };
  for (const auto& c : cases) {
    auto p = parse_text_format(c.text);
    EXPECT_EQ(p.error, c.error) << c.text;
  }
}

}  // namespace
}  // namespace vitals::textfile
