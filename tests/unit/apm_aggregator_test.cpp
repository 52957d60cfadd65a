#include "apm/aggregator.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace vitals::apm
