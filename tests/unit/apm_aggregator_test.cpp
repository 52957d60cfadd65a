#include "apm/aggregator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/prometheus_cpp.h"

namespace vitals::apm {
namespace {

constexpr int64_t kSec = 1'000'000'000;

SpanRecord span(std::string_view svc, std::string_view name, uint64_t dur_ns,
                uint8_t kind = kKindServer, uint8_t status = kStatusUnset, uint8_t id = 1) {
  SpanRecord r;
  r.service = svc;
  r.name = name;
  r.kind = kind;
  r.status = status;
  r.start_ns = 1'700'000'000 * uint64_t{1'000'000'000};
  r.end_ns = r.start_ns + dur_ns;
  r.trace_id_len = 16;
  r.span_id_len = 8;
  r.trace_id.fill(0xab);
  r.span_id.fill(id);
  return r;
}

using Labels = std::map<std::string, std::string>;

// What a scrape serves of the aggregator: its span metrics and its own vitals_apm_* metrics.
void produce(SpanAggregator& agg, MetricSet& out, int64_t now_ns) {
  agg.produce_at(out, now_ns);
  append_prometheus_cpp(agg.metrics()->Collect(), out);
}

// Scrape-like view of the produced families: name -> labels -> value (buckets cumulative).
struct Scrape {
  std::map<std::string, std::map<Labels, double>> values;
  explicit Scrape(const MetricSet& set) {
    for (const Family& f : set.families()) {
      for (const Sample& s : f.samples()) {
        Labels l;
        for (uint32_t i = 0; i < s.label_count; ++i) {
          Label lb = f.label(s, i);
          l[std::string(lb.name)] = std::string(lb.value);
        }
        if (f.type() == MetricType::kHistogram) {
          for (const Bucket& b : f.buckets(s)) {
            Labels bl = l;
            char buf[32];
            std::snprintf(buf, sizeof buf, "%g", b.upper_bound);
            bl["le"] = buf;
            values[f.name() + "_bucket"][bl] = b.count;
          }
          values[f.name() + "_count"][l] = s.count;
          values[f.name() + "_sum"][l] = s.value;
        } else {
          values[f.name()][l] = s.value;
        }
      }
    }
  }
  double get(const std::string& name, const Labels& l) const {
    auto it = values.find(name);
    if (it == values.end()) return -1;
    auto jt = it->second.find(l);
    return jt == it->second.end() ? -1 : jt->second;
  }
};

Labels series(std::string svc, std::string name, std::string kind = "SPAN_KIND_SERVER",
              std::string status = "STATUS_CODE_UNSET") {
  return {{"service_name", svc}, {"span_name", name}, {"span_kind", kind}, {"status_code", status}};
}

TEST(ApmAggregator, CallsAndBucketsWithInclusiveUpperBounds) {
  SpanAggregator agg(AggregatorOptions{});
  // Exactly on 2 ms, 4 ms and 15 s: le is inclusive. Just above 2 ms goes to 4 ms; above 15 s to
  // +Inf.
  std::vector<SpanRecord> spans = {span("a", "op", 2'000'000),     span("a", "op", 2'000'001),
                                   span("a", "op", 4'000'000),     span("a", "op", 15 * kSec),
                                   span("a", "op", 15 * kSec + 1), span("a", "op", 0)};
  agg.consume_at(spans, 100);
  MetricSet out;
  produce(agg, out, 100);
  Scrape s(out);
  Labels l = series("a", "op");
  EXPECT_EQ(s.get("traces_span_metrics_calls_total", l), 6);
  auto le = [&](const char* b) {
    Labels bl = l;
    bl["le"] = b;
    return s.get("traces_span_metrics_duration_seconds_bucket", bl);
  };
  EXPECT_EQ(le("0.002"), 2);  // 0 and exactly 2 ms
  EXPECT_EQ(le("0.004"), 4);  // + 2 ms + 1 ns, exactly 4 ms
  EXPECT_EQ(le("10"), 4);
  EXPECT_EQ(le("15"), 5);
  EXPECT_EQ(s.get("traces_span_metrics_duration_seconds_count", l), 6);
  EXPECT_NEAR(s.get("traces_span_metrics_duration_seconds_sum", l), 30.008000002, 1e-9);
}

TEST(ApmAggregator, StatusKindAndDimensionsSplitSeries) {
  AggregatorOptions o;
  o.dimensions = {"http.route"};
  SpanAggregator agg(o);
  std::vector<SpanRecord> spans = {span("a", "op", 1000), span("a", "op", 1000, kKindClient),
                                   span("a", "op", 1000, kKindServer, kStatusError),
                                   span("a", "op", 1000)};
  spans[3].dims[0] = "/users/{id}";
  agg.consume_at(spans, 1);
  MetricSet out;
  produce(agg, out, 1);
  Scrape s(out);
  EXPECT_EQ(s.get("traces_span_metrics_calls_total", series("a", "op")), 1);
  EXPECT_EQ(s.get("traces_span_metrics_calls_total", series("a", "op", "SPAN_KIND_CLIENT")), 1);
  EXPECT_EQ(s.get("traces_span_metrics_calls_total",
                  series("a", "op", "SPAN_KIND_SERVER", "STATUS_CODE_ERROR")),
            1);
  Labels with_route = series("a", "op");
  with_route["http_route"] = "/users/{id}";
  EXPECT_EQ(s.get("traces_span_metrics_calls_total", with_route), 1);
  EXPECT_EQ(agg.series_count(), 4u);
}

TEST(ApmAggregator, ExemplarIsTheLatestSpanPerBucket) {
  SpanAggregator agg(AggregatorOptions{});
  std::vector<SpanRecord> spans = {span("a", "op", 1'000'000, kKindServer, 0, 1),
                                   span("a", "op", 1'500'000, kKindServer, 0, 2),
                                   span("a", "op", 20 * kSec, kKindServer, 0, 3)};
  agg.consume_at(spans, 1);
  int seen = 0;
  agg.visit([&](const SeriesView& v) {
    ++seen;
    ASSERT_EQ(v.exemplars.size(), kDefaultBuckets.size() + 1);
    EXPECT_TRUE(v.exemplars[0].set);
    EXPECT_EQ(v.exemplars[0].span_id[0], 2);  // the later of the two in the first bucket
    EXPECT_DOUBLE_EQ(v.exemplars[0].value, 0.0015);
    EXPECT_EQ(v.exemplars[0].trace_id[15], 0xab);
    EXPECT_FALSE(v.exemplars[1].set);
    EXPECT_TRUE(v.exemplars.back().set);  // +Inf
    EXPECT_EQ(v.exemplars.back().span_id[0], 3);
    EXPECT_EQ(v.bucket_counts[0], 2u);
    EXPECT_EQ(v.bucket_counts.back(), 1u);
  });
  EXPECT_EQ(seen, 1);
}

TEST(ApmAggregator, MaxSeriesOverflowsIntoOneSeries) {
  AggregatorOptions o;
  o.max_series = 3;
  SpanAggregator agg(o);
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back("op" + std::to_string(i));
  std::vector<SpanRecord> spans;
  for (const auto& n : names) spans.push_back(span("a", n, 1000));
  agg.consume_at(spans, 1);
  agg.consume_at(spans, 2);  // the first three keep counting, the rest overflow again
  MetricSet out;
  produce(agg, out, 2);
  Scrape s(out);
  EXPECT_EQ(agg.series_count(), 3u);
  EXPECT_EQ(s.get("traces_span_metrics_calls_total", series("a", "op0")), 2);
  EXPECT_EQ(s.get("traces_span_metrics_calls_total", series("a", "op3")), -1);
  EXPECT_EQ(s.get("traces_span_metrics_calls_total", {{"otel_metric_overflow", "true"}}), 14);
  EXPECT_EQ(s.get("vitals_apm_overflow_spans_total", {}), 14);
  EXPECT_EQ(s.get("vitals_apm_max_series", {}), 3);
  EXPECT_EQ(s.get("vitals_apm_series", {}), 3);
}

TEST(ApmAggregator, SeriesExpireAndFreeTheirSlot) {
  AggregatorOptions o;
  o.max_series = 2;
  o.series_expiry = std::chrono::seconds(60);
  SpanAggregator agg(o);
  std::vector<SpanRecord> a = {span("a", "old", 1000)};
  std::vector<SpanRecord> b = {span("a", "fresh", 1000)};
  agg.consume_at(a, 0);
  agg.consume_at(b, 50 * kSec);
  {
    MetricSet out;
    produce(agg, out, 60 * kSec);  // "old" is exactly 60 s old: kept
    EXPECT_EQ(Scrape(out).get("traces_span_metrics_calls_total", series("a", "old")), 1);
  }
  MetricSet out;
  produce(agg, out, 60 * kSec + 1);
  Scrape s(out);
  EXPECT_EQ(s.get("traces_span_metrics_calls_total", series("a", "old")), -1);
  EXPECT_EQ(s.get("traces_span_metrics_calls_total", series("a", "fresh")), 1);
  EXPECT_EQ(s.get("vitals_apm_series_expired_total", {}), 1);
  // The freed slot takes a new label set instead of overflowing.
  std::vector<SpanRecord> c = {span("a", "new", 1000)};
  agg.consume_at(c, 61 * kSec);
  EXPECT_EQ(agg.series_count(), 2u);
  MetricSet out2;
  produce(agg, out2, 61 * kSec);
  EXPECT_EQ(Scrape(out2).get("vitals_apm_overflow_spans_total", {}), 0);
}

TEST(ApmAggregator, ServiceGraphPairsClientAndServer) {
  SpanAggregator agg(AggregatorOptions{});
  SpanRecord client = span("frontend", "GET /api", 300'000'000, kKindClient, kStatusUnset, 7);
  SpanRecord server = span("backend", "GET /api", 150'000'000, kKindServer, kStatusError, 8);
  server.has_parent = true;
  server.parent_span_id.fill(7);
  SpanRecord lone = span("frontend", "GET /other", 1000, kKindClient, kStatusUnset, 9);
  std::vector<SpanRecord> first = {server, lone};
  agg.consume_at(first, 0);
  EXPECT_EQ(agg.pending_edges(), 2u);
  std::vector<SpanRecord> second = {client};
  agg.consume_at(second, 1);
  EXPECT_EQ(agg.pending_edges(), 1u);
  MetricSet out;
  produce(agg, out, 11 * kSec);  // past the 10 s wait: the lone client span expires
  Scrape s(out);
  Labels edge = {{"client", "frontend"}, {"server", "backend"}};
  EXPECT_EQ(s.get("traces_service_graph_request_total", edge), 1);
  EXPECT_EQ(s.get("traces_service_graph_request_failed_total", edge), 1);
  Labels le = edge;
  le["le"] = "0.2";
  EXPECT_EQ(s.get("traces_service_graph_request_server_seconds_bucket", le), 1);
  EXPECT_EQ(s.get("traces_service_graph_request_client_seconds_bucket", le), 0);
  le["le"] = "0.4";
  EXPECT_EQ(s.get("traces_service_graph_request_client_seconds_bucket", le), 1);
  EXPECT_EQ(s.get("vitals_apm_service_graph_expired_edges_total", {}), 1);
  EXPECT_EQ(agg.pending_edges(), 0u);
}

TEST(ApmAggregator, ServiceGraphIsBounded) {
  AggregatorOptions o;
  o.graph_max_items = 5;
  SpanAggregator agg(o);
  std::vector<SpanRecord> spans;
  for (int i = 0; i < 20; ++i)
    spans.push_back(span("c", "x", 1000, kKindClient, 0, static_cast<uint8_t>(i)));
  agg.consume_at(spans, 0);
  EXPECT_EQ(agg.pending_edges(), 5u);
  MetricSet out;
  produce(agg, out, 0);
  EXPECT_EQ(Scrape(out).get("vitals_apm_service_graph_dropped_spans_total", {}), 15);
}

TEST(ApmAggregator, CustomBuckets) {
  AggregatorOptions o;
  o.buckets = {0.5, 1};
  SpanAggregator agg(o);
  std::vector<SpanRecord> spans = {span("a", "op", 500'000'000), span("a", "op", 700'000'000),
                                   span("a", "op", 3 * kSec)};
  agg.consume_at(spans, 0);
  MetricSet out;
  produce(agg, out, 0);
  Scrape s(out);
  Labels l = series("a", "op");
  l["le"] = "0.5";
  EXPECT_EQ(s.get("traces_span_metrics_duration_seconds_bucket", l), 1);
  l["le"] = "1";
  EXPECT_EQ(s.get("traces_span_metrics_duration_seconds_bucket", l), 2);
  l["le"] = "0.002";
  EXPECT_EQ(s.get("traces_span_metrics_duration_seconds_bucket", l), -1);
}

TEST(ApmAggregator, LabelNamesAreSanitized) {
  EXPECT_EQ(sanitize_label_name("http.route"), "http_route");
  EXPECT_EQ(sanitize_label_name("http.response.status_code"), "http_response_status_code");
  EXPECT_EQ(sanitize_label_name("1x"), "key_1x");
}

// The le bounds and cumulative counts of the one histogram series of a family, +Inf last.
std::vector<std::pair<double, double>> histogram_of(const MetricSet& set, std::string_view name) {
  std::vector<std::pair<double, double>> out;
  for (const Family& f : set.families()) {
    if (f.name() != name) continue;
    EXPECT_EQ(f.samples().size(), 1u) << name;
    const Sample& s = f.samples()[0];
    for (const Bucket& b : f.buckets(s)) out.emplace_back(b.upper_bound, b.count);
    out.emplace_back(INFINITY, s.count);
  }
  return out;
}

const Family* family(const MetricSet& set, std::string_view name) {
  for (const Family& f : set.families()) {
    if (f.name() == name) return &f;
  }
  return nullptr;
}

// Spans on and just past bounds, in each naming and unit: the same counts under the names and
// bounds each expects.
std::vector<SpanRecord> bound_spans() {
  return {span("a", "op", 2'000'000, kKindServer, kStatusUnset, 1),
          span("a", "op", 2'000'001, kKindServer, kStatusUnset, 2),
          span("a", "op", 1'400'000'000, kKindServer, kStatusUnset, 3),
          span("a", "op", 16'384'000'000, kKindServer, kStatusUnset, 4),
          span("a", "op", 20 * kSec, kKindServer, kStatusUnset, 5)};
}

TEST(ApmNames, OtelMillisecondsHasTheConnectorsNamesAndMsBuckets) {
  AggregatorOptions o;
  o.names = find_name_table(MetricNaming::kOtel, HistogramUnit::kMilliseconds);
  ASSERT_NE(o.names, nullptr);
  o.native_histograms = true;
  SpanAggregator agg(o);
  agg.consume_at(bound_spans(), 1);
  MetricSet out;
  produce(agg, out, 1);
  EXPECT_EQ(family(out, "traces_span_metrics_duration_seconds"), nullptr);
  const Family* dur = family(out, "traces_span_metrics_duration_milliseconds");
  ASSERT_NE(dur, nullptr);
  EXPECT_EQ(dur->unit(), "milliseconds");
  std::vector<std::pair<double, double>> want = {
      {2, 1},    {4, 2},    {6, 2},     {8, 2},     {10, 2},      {50, 2},
      {100, 2},  {200, 2},  {400, 2},   {800, 2},   {1000, 2},    {1400, 3},
      {2000, 3}, {5000, 3}, {10000, 3}, {15000, 3}, {INFINITY, 5}};
  EXPECT_EQ(histogram_of(out, "traces_span_metrics_duration_milliseconds"), want);
  Scrape s(out);
  Labels l = series("a", "op");
  EXPECT_EQ(s.get("traces_span_metrics_calls_total", l), 5);
  EXPECT_NEAR(s.get("traces_span_metrics_duration_milliseconds_sum", l),
              2 + 2.000001 + 1400 + 16384 + 20000, 1e-6);
  // Exemplars and the native histogram are in milliseconds too.
  const Sample& h = dur->samples()[0];
  auto ex = dur->exemplars(h);
  ASSERT_EQ(ex.size(), 4u);  // buckets 2, 4, 1400 and +Inf
  EXPECT_DOUBLE_EQ(ex[0].value, 2);
  EXPECT_EQ(ex[0].bucket, 0u);
  EXPECT_DOUBLE_EQ(ex[3].value, 20000);
  EXPECT_EQ(ex[3].bucket, 16u);
  const NativeHistogram* nh = dur->native(h);
  ASSERT_NE(nh, nullptr);
  agg.visit([&](const SeriesView& v) {
    ASSERT_EQ(v.native.size(), 5u);
    EXPECT_EQ(v.native.front().index, native_bucket_index(2.0, v.native_schema));
    EXPECT_EQ(v.native.back().index, native_bucket_index(20000.0, v.native_schema));
  });
}

TEST(ApmNames, TempoHasTheMetricsGeneratorsNamesLabelsAndBuckets) {
  AggregatorOptions o;
  o.names = find_name_table(MetricNaming::kTempo, HistogramUnit::kSeconds);
  ASSERT_NE(o.names, nullptr);
  o.native_histograms = true;
  SpanAggregator agg(o);
  std::vector<SpanRecord> spans = bound_spans();
  SpanRecord client = span("frontend", "GET /api", 300'000'000, kKindClient, kStatusUnset, 7);
  SpanRecord server = span("backend", "GET /api", 150'000'000, kKindServer, kStatusError, 8);
  server.has_parent = true;
  server.parent_span_id.fill(7);
  spans.push_back(client);
  spans.push_back(server);
  agg.consume_at(spans, 1);
  MetricSet out;
  produce(agg, out, 1);
  EXPECT_EQ(family(out, "traces_span_metrics_calls_total"), nullptr);
  EXPECT_EQ(family(out, "traces_span_metrics_duration_seconds"), nullptr);
  const Family* dur = family(out, "traces_spanmetrics_latency");
  ASSERT_NE(dur, nullptr);
  EXPECT_EQ(dur->unit(), "");  // no unit suffix in the name, so no # UNIT
  Scrape s(out);
  Labels l = {{"service", "a"},
              {"span_name", "op"},
              {"span_kind", "SPAN_KIND_SERVER"},
              {"status_code", "STATUS_CODE_UNSET"}};
  EXPECT_EQ(s.get("traces_spanmetrics_calls_total", l), 5);
  EXPECT_EQ(s.get("traces_spanmetrics_calls_total", {{"service", "backend"},
                                                     {"span_name", "GET /api"},
                                                     {"span_kind", "SPAN_KIND_SERVER"},
                                                     {"status_code", "STATUS_CODE_ERROR"}}),
            1);
  EXPECT_EQ(s.get("traces_spanmetrics_latency_count", l), 5);
  EXPECT_NEAR(s.get("traces_spanmetrics_latency_sum", l), 0.002 + 0.002000001 + 1.4 + 16.384 + 20,
              1e-9);
  Labels bl = l;
  std::vector<std::pair<std::string, double>> want = {
      {"0.002", 1}, {"0.004", 2}, {"0.008", 2}, {"0.016", 2}, {"0.032", 2},
      {"0.064", 2}, {"0.128", 2}, {"0.256", 2}, {"0.512", 2}, {"1.024", 2},
      {"2.048", 3}, {"4.096", 3}, {"8.192", 3}, {"16.384", 4}};
  for (const auto& [le, n] : want) {
    bl["le"] = le;
    EXPECT_EQ(s.get("traces_spanmetrics_latency_bucket", bl), n) << le;
  }
  size_t finite = 0;
  for (const auto& [labels, v] : s.values.at("traces_spanmetrics_latency_bucket")) {
    finite += labels.at("service") == "a";
  }
  EXPECT_EQ(finite, 14u);
  // Tempo's service graph: the same names as before, client and server labels.
  Labels edge = {{"client", "frontend"}, {"server", "backend"}};
  EXPECT_EQ(s.get("traces_service_graph_request_total", edge), 1);
  EXPECT_EQ(s.get("traces_service_graph_request_failed_total", edge), 1);
  edge["le"] = "0.2";
  EXPECT_EQ(s.get("traces_service_graph_request_server_seconds_bucket", edge), 1);
  // Exemplars and native histograms in seconds.
  for (const Sample& h : dur->samples()) {
    EXPECT_FALSE(dur->exemplars(h).empty());
    EXPECT_NE(dur->native(h), nullptr);
  }
}

TEST(ApmNames, TablesAreCompleteAndTempoIsSecondsOnly) {
  EXPECT_EQ(find_name_table(MetricNaming::kTempo, HistogramUnit::kMilliseconds), nullptr);
  EXPECT_EQ(&default_name_table(), find_name_table(MetricNaming::kOtel, HistogramUnit::kSeconds));
  EXPECT_EQ(default_name_table().duration.name, "traces_span_metrics_duration_seconds");
  EXPECT_EQ(parse_metric_naming("tempo"), MetricNaming::kTempo);
  EXPECT_EQ(parse_metric_naming("Tempo"), std::nullopt);
  EXPECT_EQ(parse_histogram_unit("ms"), HistogramUnit::kMilliseconds);
  EXPECT_EQ(parse_histogram_unit("sec"), std::nullopt);
}

}  // namespace
}  // namespace vitals::apm
