#include "exporter/text_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model/gather.h"
#include "model/metric.h"

namespace vitals {
namespace {

std::string fmt(double v) {
  std::string s;
  append_float(s, v);
  return s;
}

TEST(Float, MatchesGoShortestFormat) {
  struct Case {
    double v;
    const char* want;
  } cases[] = {
      {0, "0"},
      {1, "1"},
      {-3, "-3"},
      {0.21, "0.21"},
      {123456, "123456"},
      {999999, "999999"},
      {1e6, "1e+06"},
      {1025983, "1.025983e+06"},
      {1418183276, "1.418183276e+09"},
      {123456.5, "123456.5"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1.5e-7, "1.5e-07"},
      {2.1995e-05, "2.1995e-05"},
      {1.8446744073709552e19, "1.8446744073709552e+19"},
      {1e100, "1e+100"},
      {-0.5, "-0.5"},
  };
  for (const auto& c : cases) EXPECT_EQ(fmt(c.v), c.want) << c.v;
  EXPECT_EQ(fmt(std::nan("")), "NaN");
  EXPECT_EQ(fmt(INFINITY), "+Inf");
  EXPECT_EQ(fmt(-INFINITY), "-Inf");
}

TEST(TextFormat, EscapesHelpAndLabelValues) {
  Family f("test_metric", "Help with \\ backslash\nand newline \"quoted\"", MetricType::kGauge);
  f.add({{"path", "C:\\dir\n\"x\""}}, 1);
  const Family* fp = &f;
  std::string out;
  write_text({&fp, 1}, out);
  EXPECT_EQ(out,
            "# HELP test_metric Help with \\\\ backslash\\nand newline \"quoted\"\n"
            "# TYPE test_metric gauge\n"
            "test_metric{path=\"C:\\\\dir\\n\\\"x\\\"\"} 1\n");
}

TEST(TextFormat, SpecialValuesAndTimestamps) {
  Family f("v", "h", MetricType::kUntyped);
  f.add({{"k", "nan"}}, std::nan(""));
  f.add({{"k", "pinf"}}, INFINITY);
  f.add({{"k", "ninf"}}, -INFINITY).timestamp_ms = 1700000000123;
  f.sort_samples();
  const Family* fp = &f;
  std::string out;
  write_text({&fp, 1}, out);
  EXPECT_EQ(out,
            "# HELP v h\n# TYPE v untyped\n"
            "v{k=\"nan\"} NaN\n"
            "v{k=\"ninf\"} -Inf 1700000000123\n"
            "v{k=\"pinf\"} +Inf\n");
}

TEST(TextFormat, HistogramAndSummary) {
  Family h("lat_seconds", "Latency.", MetricType::kHistogram);
  Bucket b[] = {{0.1, 2}, {1, 5}};
  Label l[] = {{"op", "get"}};
  h.add_histogram(l, b, 3.5, 7);
  Family s("q", "Quantiles.", MetricType::kSummary);
  Bucket q[] = {{0.5, 0.25}, {0.99, 1.5}};
  s.add_summary({}, q, 10, 4);
  const Family* fams[] = {&h, &s};
  std::string out;
  write_text(fams, out);
  EXPECT_EQ(out,
            "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{op=\"get\",le=\"1\"} 5\n"
            "lat_seconds_bucket{op=\"get\",le=\"+Inf\"} 7\n"
            "lat_seconds_sum{op=\"get\"} 3.5\n"
            "lat_seconds_count{op=\"get\"} 7\n"
            "# HELP q Quantiles.\n# TYPE q summary\n"
            "q{quantile=\"0.5\"} 0.25\n"
            "q{quantile=\"0.99\"} 1.5\n"
            "q_sum 10\n"
            "q_count 4\n");
}

// Bucket bounds are formatted once and kept while the next series has the same: series and
// families whose bounds differ (textfile histograms may) must still get their own.
TEST(TextFormat, HistogramsWithDifferentBoundsAndLabels) {
  Family a("a", "", MetricType::kHistogram);
  Bucket ab1[] = {{0.005, 1}, {0.25, 2}, {INFINITY, 3}};
  Label l1[] = {{"op", "q\"x\\y\nz"}};
  a.add_histogram(l1, ab1, 0.5, 3).timestamp_ms = 1700000000123;
  Bucket ab2[] = {{0.005, 0}, {1e-7, 1}};
  Label l2[] = {{"op", "r"}};
  a.add_histogram(l2, ab2, 1, 2);
  Family b("b", "", MetricType::kHistogram);
  Bucket bb[] = {{0.005, 4}, {0.5, 5}, {-0.0, 6}};
  b.add_histogram({}, bb, 2, 6);
  Family q("q", "", MetricType::kSummary);
  Bucket qq[] = {{0.25, 1.5}};
  Label l3[] = {{"k", "v"}};
  q.add_summary(l3, qq, 3, 2);
  const Family* fams[] = {&a, &b, &q};
  std::string out;
  write_text(fams, out);
  EXPECT_EQ(out,
            "# HELP a \n# TYPE a histogram\n"
            "a_bucket{op=\"q\\\"x\\\\y\\nz\",le=\"0.005\"} 1 1700000000123\n"
            "a_bucket{op=\"q\\\"x\\\\y\\nz\",le=\"0.25\"} 2 1700000000123\n"
            "a_bucket{op=\"q\\\"x\\\\y\\nz\",le=\"+Inf\"} 3 1700000000123\n"
            "a_sum{op=\"q\\\"x\\\\y\\nz\"} 0.5 1700000000123\n"
            "a_count{op=\"q\\\"x\\\\y\\nz\"} 3 1700000000123\n"
            "a_bucket{op=\"r\",le=\"0.005\"} 0\n"
            "a_bucket{op=\"r\",le=\"1e-07\"} 1\n"
            "a_bucket{op=\"r\",le=\"+Inf\"} 2\n"
            "a_sum{op=\"r\"} 1\n"
            "a_count{op=\"r\"} 2\n"
            "# HELP b \n# TYPE b histogram\n"
            "b_bucket{le=\"0.005\"} 4\n"
            "b_bucket{le=\"0.5\"} 5\n"
            "b_bucket{le=\"-0\"} 6\n"
            "b_bucket{le=\"+Inf\"} 6\n"
            "b_sum 2\n"
            "b_count 6\n"
            "# HELP q \n# TYPE q summary\n"
            "q{k=\"v\",quantile=\"0.25\"} 1.5\n"
            "q_sum{k=\"v\"} 3\n"
            "q_count{k=\"v\"} 2\n");
}

TEST(TextFormat, EmptyFamiliesAreLeftOut) {
  Family e("empty", "nothing", MetricType::kCounter);
  const Family* fp = &e;
  std::string out;
  write_text({&fp, 1}, out);
  EXPECT_EQ(out, "");
}

TEST(Model, LabelsSortedByNameAndSamplesByLabels) {
  Family f("m", "h", MetricType::kGauge);
  f.add({{"mode", "user"}, {"cpu", "1"}}, 1);
  f.add({{"mode", "idle"}, {"cpu", "0"}}, 2);
  f.add({{"cpu", "0"}, {"mode", "user"}}, 3);
  f.sort_samples();
  std::vector<std::string> got;
  for (const auto& s : f.samples()) {
    std::string row;
    for (uint32_t i = 0; i < s.label_count; ++i) {
      auto l = f.label(s, i);
      row += std::string(l.name) + "=" + std::string(l.value) + ";";
    }
    got.push_back(row);
  }
  EXPECT_EQ(got,
            (std::vector<std::string>{"cpu=0;mode=idle;", "cpu=0;mode=user;", "cpu=1;mode=user;"}));
}

TEST(Gather, SortsByNameAndMergesSameNameFamilies) {
  MetricSet a, b;
  a.add("zeta", "z", MetricType::kGauge).add(1);
  a.add("alpha", "a", MetricType::kCounter).add({{"x", "2"}}, 2);
  b.add("alpha", "a", MetricType::kCounter).add({{"x", "1"}}, 1);
  b.add("zeta", "z", MetricType::kCounter).add(5);  // type clash
  const MetricSet* sets[] = {&a, &b};
  Gathered g = gather(sets);
  ASSERT_EQ(g.families.size(), 2u);
  EXPECT_EQ(g.families[0]->name(), "alpha");
  EXPECT_EQ(g.families[0]->size(), 2u);
  std::string_view v;
  ASSERT_TRUE(g.families[0]->find_label(g.families[0]->samples()[0], "x", &v));
  EXPECT_EQ(v, "1");
  EXPECT_EQ(g.families[1]->name(), "zeta");
  EXPECT_EQ(g.families[1]->size(), 1u);
  ASSERT_EQ(g.errors.size(), 1u);
  EXPECT_NE(g.errors[0].find("zeta"), std::string::npos);
}

}  // namespace
}  // namespace vitals
