// Writers of the three exposition formats, Accept negotiation, native histogram placement.
#include <google/protobuf/io/coded_stream.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "apm/aggregator.h"
#include "apm/options.h"
#include "core/config.h"
#include "exporter/negotiate.h"
#include "exporter/openmetrics_format.h"
#include "exporter/protobuf_format.h"
#include "exporter/text_format.h"
#include "model/native_histogram.h"
#include "proto/metrics.pb.h"
#include "tests/unit/parse_args.h"

namespace vitals {
namespace {

namespace pb = io::prometheus::client;

std::string om(const MetricSet& set) {
  std::vector<const Family*> fams;
  for (const Family& f : set.families()) fams.push_back(&f);
  std::string out;
  write_openmetrics(fams, out);
  return out;
}

// ---- model ----

TEST(ModelNative, SpansAndDeltasFromAbsoluteCounts) {
  Family f("h", "", MetricType::kHistogram);
  Sample& s = f.add_histogram({}, {}, 10, 9);
  std::vector<NativeBucket> pos = {{-2, 1}, {-1, 3}, {2, 5}};
  f.set_native(s, 3, 1e-9, 0, pos, {});
  const NativeHistogram* h = f.native(f.samples()[0]);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->schema, 3);
  auto sp = f.positive_spans(*h);
  ASSERT_EQ(sp.size(), 2u);
  EXPECT_EQ(sp[0].offset, -2);
  EXPECT_EQ(sp[0].length, 2u);
  EXPECT_EQ(sp[1].offset, 2);  // indices 0 and 1 skipped
  EXPECT_EQ(sp[1].length, 1u);
  auto d = f.positive_deltas(*h);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0], 1);
  EXPECT_EQ(d[1], 2);
  EXPECT_EQ(d[2], 2);
  EXPECT_TRUE(f.negative_spans(*h).empty());
}

TEST(ModelNative, SamplesWithoutExtrasUseNoSideArrays) {
  Family f("g", "", MetricType::kGauge);
  const Sample& s = f.add({{"a", "1"}}, 2);
  EXPECT_EQ(f.native(s), nullptr);
  EXPECT_TRUE(f.exemplars(s).empty());
  EXPECT_EQ(s.created_ms, kNoTimestamp);
}

TEST(ModelNative, AppendKeepsExemplarsCreatedNativeAndUnit) {
  Family a("h_seconds", "", MetricType::kHistogram);
  a.set_unit("seconds");
  std::vector<Bucket> b = {{1, 2}};
  Sample& s = a.add_histogram(std::vector<Label>{{"x", "1"}}, b, 3, 4);
  s.created_ms = 1234;
  a.add_exemplar(s, 1, std::vector<Label>{{"trace_id", "ab"}}, 7.5, 99);
  std::vector<NativeBucket> pos = {{0, 2}, {5, 2}};
  a.set_native(s, 0, 0.5, 1, pos, {});
  Family m("h_seconds", "", MetricType::kHistogram);
  m.append(a);
  ASSERT_EQ(m.size(), 1u);
  const Sample& n = m.samples()[0];
  EXPECT_EQ(n.created_ms, 1234);
  EXPECT_EQ(m.unit(), "seconds");
  ASSERT_EQ(m.exemplars(n).size(), 1u);
  EXPECT_EQ(m.exemplars(n)[0].bucket, 1u);
  EXPECT_EQ(m.exemplar_label(m.exemplars(n)[0], 0).value, "ab");
  const NativeHistogram* h = m.native(n);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->zero_count, 1u);
  ASSERT_EQ(m.positive_deltas(*h).size(), 2u);
  EXPECT_EQ(m.positive_deltas(*h)[1], 0);
  EXPECT_EQ(m.positive_spans(*h)[1].offset, 4);
}

// ---- OpenMetrics ----

TEST(OpenMetrics, EmptyExpositionIsJustEof) {
  MetricSet set;
  set.add("empty_total", "nothing", MetricType::kCounter);
  set.add("empty_gauge", "nothing", MetricType::kGauge);
  EXPECT_EQ(om(set), "# EOF\n");
}

TEST(OpenMetrics, CounterFamilyDropsTotalAndWritesCreated) {
  MetricSet set;
  Family& c =
      set.add("node_cpu_seconds_total", "Seconds \"the\" CPUs\\spent\nhere.", MetricType::kCounter);
  Sample& s = c.add({{"cpu", "0"}, {"mode", "a\"b\\c\nd"}}, 12.5);
  s.created_ms = 1700000000123;
  // A counter without _total keeps its series name (as type unknown).
  Family& plain = set.add("requests", "Requests.", MetricType::kCounter);
  plain.add(3).created_ms = 5;
  EXPECT_EQ(om(set),
            "# HELP node_cpu_seconds Seconds \\\"the\\\" CPUs\\\\spent\\nhere.\n"
            "# TYPE node_cpu_seconds counter\n"
            "node_cpu_seconds_total{cpu=\"0\",mode=\"a\\\"b\\\\c\\nd\"} 12.5\n"
            "node_cpu_seconds_created{cpu=\"0\",mode=\"a\\\"b\\\\c\\nd\"} 1700000000.123\n"
            "# HELP requests Requests.\n"
            "# TYPE requests unknown\n"
            "requests 3\n"
            "# EOF\n");
}

TEST(OpenMetrics, SpecialFloatsTimestampsUnknownAndUnit) {
  MetricSet set;
  Family& g = set.add("temp_celsius", "T.", MetricType::kGauge);
  g.set_unit("celsius");
  g.add({{"s", "a"}}, INFINITY).timestamp_ms = 1500;
  g.add({{"s", "b"}}, -INFINITY).timestamp_ms = -1500;
  g.add({{"s", "c"}}, NAN);
  Family& u = set.add("odd", "", MetricType::kUntyped);
  u.set_unit("seconds");  // not a suffix of the name: no # UNIT
  u.add(1e-7);
  EXPECT_EQ(om(set),
            "# HELP temp_celsius T.\n"
            "# TYPE temp_celsius gauge\n"
            "# UNIT temp_celsius celsius\n"
            "temp_celsius{s=\"a\"} +Inf 1.5\n"
            "temp_celsius{s=\"b\"} -Inf -1.5\n"
            "temp_celsius{s=\"c\"} NaN\n"
            "# HELP odd \n"
            "# TYPE odd unknown\n"
            "odd 1e-07\n"
            "# EOF\n");
}

TEST(OpenMetrics, HistogramExemplarsAndLimit) {
  MetricSet set;
  Family& h = set.add("lat_seconds", "Latency.", MetricType::kHistogram);
  h.set_unit("seconds");
  std::vector<Bucket> b = {{0.1, 1}, {1, 3}};
  Sample& s = h.add_histogram(std::vector<Label>{{"svc", "x"}}, b, 2.5, 4);
  s.created_ms = 1000;
  h.add_exemplar(s, 0, std::vector<Label>{{"trace_id", "abc"}, {"span_id", "def"}}, 0.05,
                 1700000000001);
  std::string long_value(121, 'x');  // 8 + 121 characters: over 128, left out
  h.add_exemplar(s, 1, std::vector<Label>{{"trace_id", long_value}}, 0.5, kNoTimestamp);
  h.add_exemplar(s, 2, std::vector<Label>{{"trace_id", "inf"}}, 9, kNoTimestamp);
  EXPECT_EQ(om(set),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "# UNIT lat_seconds seconds\n"
            "lat_seconds_bucket{svc=\"x\",le=\"0.1\"} 1 # {trace_id=\"abc\",span_id=\"def\"} "
            "0.05 1700000000.001\n"
            "lat_seconds_bucket{svc=\"x\",le=\"1\"} 3\n"
            "lat_seconds_bucket{svc=\"x\",le=\"+Inf\"} 4 # {trace_id=\"inf\"} 9\n"
            "lat_seconds_sum{svc=\"x\"} 2.5\n"
            "lat_seconds_count{svc=\"x\"} 4\n"
            "lat_seconds_created{svc=\"x\"} 1\n"
            "# EOF\n");
  // Exactly 128 characters fit.
  MetricSet set2;
  Family& c = set2.add("c_total", "", MetricType::kCounter);
  Sample& cs = c.add(1);
  c.add_exemplar(cs, 0, std::vector<Label>{{"trace_id", std::string(120, 'y')}}, 1, 2000);
  EXPECT_NE(om(set2).find("c_total 1 # {trace_id=\"" + std::string(120, 'y') + "\"} 1 2\n"),
            std::string::npos);
}

// Labels formatted once per sample and bounds once per family: a second series with other
// bounds, a summary and a counter with a created time still get their own.
TEST(OpenMetrics, SeriesWithDifferentBoundsSummaryAndCreated) {
  MetricSet set;
  Family& h = set.add("h", "", MetricType::kHistogram);
  std::vector<Bucket> b1 = {{0.1, 1}, {2.5, 2}};
  Sample& s1 = h.add_histogram(std::vector<Label>{{"a", "x\"y"}}, b1, 1, 2);
  s1.timestamp_ms = 1500;
  std::vector<Bucket> b2 = {{0.1, 0}, {3, 1}};
  h.add_histogram(std::vector<Label>{{"a", "z"}}, b2, 2, 1);
  Family& q = set.add("q", "", MetricType::kSummary);
  std::vector<Bucket> qs = {{0.5, 7}};
  q.add_summary({}, qs, 8, 9).created_ms = 2000;
  Family& c = set.add("c_total", "", MetricType::kCounter);
  c.add({{"k", "v"}}, 3).created_ms = 4500;
  c.add({{"k", "w"}}, 4);
  EXPECT_EQ(om(set),
            "# HELP h \n# TYPE h histogram\n"
            "h_bucket{a=\"x\\\"y\",le=\"0.1\"} 1 1.5\n"
            "h_bucket{a=\"x\\\"y\",le=\"2.5\"} 2 1.5\n"
            "h_bucket{a=\"x\\\"y\",le=\"+Inf\"} 2 1.5\n"
            "h_sum{a=\"x\\\"y\"} 1 1.5\n"
            "h_count{a=\"x\\\"y\"} 2 1.5\n"
            "h_bucket{a=\"z\",le=\"0.1\"} 0\n"
            "h_bucket{a=\"z\",le=\"3\"} 1\n"
            "h_bucket{a=\"z\",le=\"+Inf\"} 1\n"
            "h_sum{a=\"z\"} 2\n"
            "h_count{a=\"z\"} 1\n"
            "# HELP q \n# TYPE q summary\n"
            "q{quantile=\"0.5\"} 7\n"
            "q_sum 8\n"
            "q_count 9\n"
            "q_created 2\n"
            "# HELP c \n# TYPE c counter\n"
            "c_total{k=\"v\"} 3\n"
            "c_created{k=\"v\"} 4.5\n"
            "c_total{k=\"w\"} 4\n"
            "# EOF\n");
}

TEST(OpenMetrics, MsAsSeconds) {
  for (auto [ms, want] : std::vector<std::pair<int64_t, std::string>>{
           {0, "0"}, {1, "0.001"}, {10, "0.01"}, {1500, "1.5"}, {-1, "-0.001"}, {-2000, "-2"}}) {
    std::string out;
    append_ms_as_seconds(out, ms);
    EXPECT_EQ(out, want) << ms;
  }
}

// ---- negotiation ----

TEST(Negotiate, PrometheusHeaders) {
  // Prometheus 2.42's scrape Accept header, default and with native histograms.
  EXPECT_EQ(negotiate_format("application/openmetrics-text;version=1.0.0,application/"
                             "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
                             "*/*;q=0.1"),
            ExpositionFormat::kOpenMetrics100);
  EXPECT_EQ(negotiate_format("application/vnd.google.protobuf;proto=io.prometheus.client."
                             "MetricFamily;encoding=delimited,application/openmetrics-text;"
                             "version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0."
                             "75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            ExpositionFormat::kProtobufDelimited);
}

TEST(Negotiate, QValuesAndVersions) {
  EXPECT_EQ(negotiate_format(""), ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("*/*"), ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("text/html"), ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("application/openmetrics-text; version=0.0.1"),
            ExpositionFormat::kOpenMetrics001);
  EXPECT_EQ(negotiate_format("application/openmetrics-text"), ExpositionFormat::kOpenMetrics100);
  // Unknown version: skipped.
  EXPECT_EQ(negotiate_format("application/openmetrics-text; version=2.0.0"),
            ExpositionFormat::kText004);
  // Higher q wins whatever the order.
  EXPECT_EQ(negotiate_format("application/openmetrics-text; version=1.0.0; q=0.3, "
                             "text/plain; version=0.0.4; q=0.9"),
            ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("text/plain;q=0.2, application/vnd.google.protobuf; "
                             "proto=io.prometheus.client.MetricFamily; encoding=delimited; q=0.7"),
            ExpositionFormat::kProtobufDelimited);
  // q=0 means not acceptable.
  EXPECT_EQ(negotiate_format("application/openmetrics-text;version=1.0.0;q=0"),
            ExpositionFormat::kText004);
  // Protobuf needs the proto and the delimited encoding.
  EXPECT_EQ(negotiate_format("application/vnd.google.protobuf; "
                             "proto=io.prometheus.client.MetricFamily; encoding=text"),
            ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("application/vnd.google.protobuf;encoding=delimited, "
                             "application/openmetrics-text;q=0.5"),
            ExpositionFormat::kOpenMetrics100);
  // Among equal q-values the order of the header decides.
  EXPECT_EQ(negotiate_format("text/plain, application/openmetrics-text"),
            ExpositionFormat::kText004);
  EXPECT_EQ(content_type(ExpositionFormat::kOpenMetrics100),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_EQ(content_type(ExpositionFormat::kProtobufDelimited),
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
            "encoding=delimited");
  EXPECT_EQ(content_type(ExpositionFormat::kText004), "text/plain; version=0.0.4; charset=utf-8");
}

// ---- protobuf ----

std::vector<pb::MetricFamily> decode(const std::string& data) {
  std::vector<pb::MetricFamily> out;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(data.data()),
                                            static_cast<int>(data.size()));
  while (!in.ExpectAtEnd()) {
    uint32_t len = 0;
    EXPECT_TRUE(in.ReadVarint32(&len));
    auto limit = in.PushLimit(static_cast<int>(len));
    pb::MetricFamily mf;
    EXPECT_TRUE(mf.ParseFromCodedStream(&in));
    EXPECT_TRUE(in.ConsumedEntireMessage());
    in.PopLimit(limit);
    out.push_back(std::move(mf));
  }
  return out;
}

TEST(Protobuf, DecodesBackToTheModel) {
  MetricSet set;
  Family& c = set.add("calls_total", "Calls \"x\".", MetricType::kCounter);
  Sample& cs = c.add({{"svc", "a\nb"}}, 42);
  cs.created_ms = 1700000000123;
  c.add_exemplar(cs, 0, std::vector<Label>{{"trace_id", "t1"}}, 1, 1700000000500);
  set.add("g", "", MetricType::kGauge).add(-INFINITY);
  set.add("u", "U.", MetricType::kUntyped).add(NAN).timestamp_ms = 77;
  Family& sm = set.add("s", "", MetricType::kSummary);
  std::vector<Bucket> q = {{0.5, 1.5}, {0.99, 3}};
  sm.add_summary({}, q, 10, 5);
  set.add("empty", "", MetricType::kGauge);
  Family& h = set.add("d_seconds", "D.", MetricType::kHistogram);
  h.set_unit("seconds");
  std::vector<Bucket> b = {{0.1, 1}, {1, 3}};
  Sample& hs = h.add_histogram(std::vector<Label>{{"k", "v"}}, b, 2.5, 5);
  hs.created_ms = 1000;
  h.add_exemplar(hs, 1, std::vector<Label>{{"trace_id", "t2"}, {"span_id", "s2"}}, 0.7, 2500);
  h.add_exemplar(hs, 2, std::vector<Label>{{"trace_id", "t3"}}, 4, 3000);
  std::vector<NativeBucket> pos = {{-3, 1}, {-2, 1}, {4, 2}};
  h.set_native(hs, 3, kNativeDefaultZeroThreshold, 1, pos, {});

  std::vector<const Family*> fams;
  for (const Family& f : set.families()) fams.push_back(&f);
  std::string data;
  write_protobuf(fams, data);
  auto mfs = decode(data);
  ASSERT_EQ(mfs.size(), 5u);  // the empty family is left out

  EXPECT_EQ(mfs[0].name(), "calls_total");
  EXPECT_EQ(mfs[0].help(), "Calls \"x\".");
  EXPECT_EQ(mfs[0].type(), pb::COUNTER);
  ASSERT_EQ(mfs[0].metric_size(), 1);
  const pb::Metric& m0 = mfs[0].metric(0);
  EXPECT_EQ(m0.label(0).name(), "svc");
  EXPECT_EQ(m0.label(0).value(), "a\nb");
  EXPECT_EQ(m0.counter().value(), 42);
  EXPECT_EQ(m0.counter().created_timestamp().seconds(), 1700000000);
  EXPECT_EQ(m0.counter().created_timestamp().nanos(), 123000000);
  EXPECT_EQ(m0.counter().exemplar().label(0).value(), "t1");
  EXPECT_EQ(m0.counter().exemplar().timestamp().nanos(), 500000000);
  EXPECT_FALSE(m0.has_timestamp_ms());

  EXPECT_EQ(mfs[1].type(), pb::GAUGE);
  EXPECT_EQ(mfs[1].metric(0).gauge().value(), -INFINITY);
  EXPECT_EQ(mfs[2].type(), pb::UNTYPED);
  EXPECT_TRUE(std::isnan(mfs[2].metric(0).untyped().value()));
  EXPECT_EQ(mfs[2].metric(0).timestamp_ms(), 77);
  EXPECT_EQ(mfs[3].type(), pb::SUMMARY);
  EXPECT_EQ(mfs[3].metric(0).summary().sample_count(), 5u);
  EXPECT_EQ(mfs[3].metric(0).summary().quantile(1).quantile(), 0.99);
  EXPECT_EQ(mfs[3].metric(0).summary().quantile(1).value(), 3);

  const pb::MetricFamily& hf = mfs[4];
  EXPECT_EQ(hf.type(), pb::HISTOGRAM);
  EXPECT_EQ(hf.unit(), "seconds");
  const pb::Histogram& ph = hf.metric(0).histogram();
  EXPECT_EQ(ph.sample_count(), 5u);
  EXPECT_EQ(ph.sample_sum(), 2.5);
  // Classic buckets, then +Inf only because it carries an exemplar.
  ASSERT_EQ(ph.bucket_size(), 3);
  EXPECT_EQ(ph.bucket(0).upper_bound(), 0.1);
  EXPECT_EQ(ph.bucket(0).cumulative_count(), 1u);
  EXPECT_FALSE(ph.bucket(0).has_exemplar());
  EXPECT_EQ(ph.bucket(1).exemplar().label(1).value(), "s2");
  EXPECT_EQ(ph.bucket(1).exemplar().value(), 0.7);
  EXPECT_EQ(ph.bucket(1).exemplar().timestamp().seconds(), 2);
  EXPECT_TRUE(std::isinf(ph.bucket(2).upper_bound()));
  EXPECT_EQ(ph.bucket(2).cumulative_count(), 5u);
  EXPECT_EQ(ph.created_timestamp().seconds(), 1);
  EXPECT_EQ(ph.schema(), 3);
  EXPECT_EQ(ph.zero_threshold(), kNativeDefaultZeroThreshold);
  EXPECT_EQ(ph.zero_count(), 1u);
  ASSERT_EQ(ph.positive_span_size(), 2);
  EXPECT_EQ(ph.positive_span(0).offset(), -3);
  EXPECT_EQ(ph.positive_span(0).length(), 2u);
  EXPECT_EQ(ph.positive_span(1).offset(), 5);
  EXPECT_EQ(ph.positive_span(1).length(), 1u);
  ASSERT_EQ(ph.positive_delta_size(), 3);
  EXPECT_EQ(ph.positive_delta(0), 1);
  EXPECT_EQ(ph.positive_delta(1), 0);
  EXPECT_EQ(ph.positive_delta(2), 1);
  EXPECT_EQ(ph.negative_span_size(), 0);
}

TEST(Protobuf, EmptyHistogramStillNative) {
  // A native histogram without observations: zero threshold > 0 makes Prometheus see it as one.
  MetricSet set;
  Family& h = set.add("d", "", MetricType::kHistogram);
  Sample& s = h.add_histogram({}, {}, 0, 0);
  h.set_native(s, 3, kNativeDefaultZeroThreshold, 0, {}, {});
  std::vector<const Family*> fams = {&h};
  std::string data;
  write_protobuf(fams, data);
  auto mfs = decode(data);
  ASSERT_EQ(mfs.size(), 1u);
  EXPECT_GT(mfs[0].metric(0).histogram().zero_threshold(), 0);
  EXPECT_TRUE(mfs[0].metric(0).histogram().has_schema());
}

// ---- native histogram placement ----

int32_t by_formula(double v, int schema) {
  return static_cast<int32_t>(
      std::ceil(std::log2(static_cast<long double>(v)) * std::ldexp(1.0L, schema)));
}

TEST(NativeBuckets, GoClientBoundsForSchema3) {
  // The Go client's table for schema 3 (mantissas of the boundaries). Ours holds the correctly
  // rounded values; three of Go's are one ulp below them.
  const double go[] = {0.5,
                       0.5452538663326288,
                       0.5946035575013605,
                       0.6484197773255048,
                       0.7071067811865475,
                       0.7711054127039704,
                       0.8408964152537144,
                       0.9170040432046711};
  for (int i = 0; i < 8; ++i) {
    double ours = native_bucket_upper_bound(i, 3);
    EXPECT_TRUE(ours == 2 * go[i] || std::nextafter(ours, 0.0) == 2 * go[i]) << i;
    // Between the two candidates nothing changes bucket except the boundary value itself.
    EXPECT_EQ(native_bucket_index(ours, 3), i);
    EXPECT_EQ(native_bucket_index(std::nextafter(ours, 2.0), 3), i + 1);
  }
}

TEST(NativeBuckets, BoundariesBelongToTheLowerBucket) {
  for (int schema : {-4, -2, -1, 0, 1, 2, 3, 5, 8}) {
    for (int32_t k = -40; k <= 40; ++k) {
      double ub = native_bucket_upper_bound(k, schema);
      ASSERT_EQ(native_bucket_index(ub, schema), k) << "schema " << schema << " ub " << ub;
      EXPECT_EQ(native_bucket_index(std::nextafter(ub, INFINITY), schema), k + 1)
          << "schema " << schema << " k " << k;
      EXPECT_EQ(native_bucket_index(std::nextafter(ub, 0.0), schema), k)
          << "schema " << schema << " k " << k;
      if (schema <= 0) {  // boundaries are powers of two: the formula is exact there
        EXPECT_EQ(by_formula(ub, schema), k);
      }
    }
  }
}

TEST(NativeBuckets, MatchesTheFormulaAwayFromBoundaries) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exp(-30, 30);
  for (int schema : {-4, -1, 0, 1, 3, 8}) {
    for (int i = 0; i < 20000; ++i) {
      double v = std::exp2(exp(rng));
      EXPECT_EQ(native_bucket_index(v, schema), by_formula(v, schema)) << v << " " << schema;
      EXPECT_EQ(native_bucket_index(-v, schema), native_bucket_index(v, schema));
    }
  }
}

TEST(NativeBuckets, CoarserIndex) {
  // Bucket k at schema s lies inside bucket ceil(k/2) at schema s-1.
  for (int32_t k = -9; k <= 9; ++k) {
    EXPECT_EQ(native_coarser_index(k), static_cast<int32_t>(std::ceil(k / 2.0))) << k;
  }
}

// ---- the APM aggregator feeds the model ----

apm::SpanRecord apm_span(uint64_t dur_ns, uint8_t id) {
  apm::SpanRecord r;
  r.service = "svc";
  r.name = "op";
  r.kind = apm::kKindServer;
  r.start_ns = 1'700'000'000 * uint64_t{1'000'000'000};
  r.end_ns = r.start_ns + dur_ns;
  r.trace_id_len = 16;
  r.span_id_len = 8;
  r.trace_id.fill(0xab);
  r.span_id.fill(id);
  return r;
}

TEST(ApmFormats, ExemplarsCreatedAndNative) {
  apm::AggregatorOptions o;
  o.buckets = {0.1, 1};
  o.native_histograms = true;
  o.native_schema = 2;
  apm::SpanAggregator agg(o);
  std::vector<apm::SpanRecord> spans = {apm_span(50'000'000, 1), apm_span(500'000'000, 2),
                                        apm_span(500'000'000, 3), apm_span(0, 4)};
  agg.consume_at(spans, 1);
  MetricSet set;
  agg.produce_at(set, 2);
  const Family* dur = nullptr;
  const Family* calls = nullptr;
  for (const Family& f : set.families()) {
    if (f.name() == "traces_span_metrics_duration_seconds") dur = &f;
    if (f.name() == "traces_span_metrics_calls_total") calls = &f;
  }
  ASSERT_TRUE(dur && calls);
  EXPECT_EQ(dur->unit(), "seconds");
  const Sample& s = dur->samples()[0];
  EXPECT_GT(s.created_ms, 1'600'000'000'000);
  auto ex = dur->exemplars(s);
  ASSERT_EQ(ex.size(), 2u);  // buckets 0.1 and 1; +Inf has none
  EXPECT_EQ(ex[0].bucket, 0u);
  EXPECT_EQ(dur->exemplar_label(ex[0], 0).name, "trace_id");
  std::string trace;
  for (int i = 0; i < 16; ++i) trace += "ab";
  EXPECT_EQ(dur->exemplar_label(ex[0], 0).value, trace);
  EXPECT_EQ(dur->exemplar_label(ex[0], 1).value, "0404040404040404");  // the 0 s span, last
  EXPECT_EQ(ex[1].bucket, 1u);
  EXPECT_EQ(dur->exemplar_label(ex[1], 1).value, "0303030303030303");
  EXPECT_DOUBLE_EQ(ex[1].value, 0.5);
  EXPECT_EQ(ex[1].timestamp_ms, 1'700'000'000'500);
  const Sample& c = calls->samples()[0];
  EXPECT_EQ(c.created_ms, s.created_ms);
  ASSERT_EQ(calls->exemplars(c).size(), 1u);
  EXPECT_EQ(calls->exemplar_label(calls->exemplars(c)[0], 1).value, "0303030303030303");

  const NativeHistogram* h = dur->native(s);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->schema, 2);
  EXPECT_EQ(h->zero_count, 1u);  // the 0 s span
  // 0.05 s and 0.5 s (twice) at schema 2.
  auto sp = dur->positive_spans(*h);
  auto d = dur->positive_deltas(*h);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(sp[0].offset, native_bucket_index(0.05, 2));
  EXPECT_EQ(sp[1].offset, native_bucket_index(0.5, 2) - native_bucket_index(0.05, 2) - 1);
  EXPECT_EQ(d[0], 1);
  EXPECT_EQ(d[1], 1);
}

TEST(ApmFormats, SchemaIsLoweredPastMaxBuckets) {
  apm::AggregatorOptions o;
  o.native_histograms = true;
  o.native_schema = 3;
  o.native_max_buckets = 4;
  apm::SpanAggregator agg(o);
  std::vector<apm::SpanRecord> spans;
  uint64_t total = 0;
  for (int i = 0; i < 20; ++i) {
    uint64_t ns = 1'000'000ull << (i % 10);  // 1 ms .. 512 ms: 10 octaves
    spans.push_back(apm_span(ns, static_cast<uint8_t>(i)));
    total++;
  }
  agg.consume_at(spans, 1);
  size_t n = 0;
  agg.visit([&](const apm::SeriesView& v) {
    ++n;
    EXPECT_LE(v.native.size(), 4u);
    EXPECT_LT(v.native_schema, 0);
    uint64_t sum = 0;
    for (const NativeBucket& b : v.native) sum += b.count;
    EXPECT_EQ(sum, total);
    // Every span's duration lies in its bucket at the final schema.
    for (int i = 0; i < 10; ++i) {
      double secs = static_cast<double>(1'000'000ull << i) * 1e-9;
      int32_t idx = native_bucket_index(secs, v.native_schema);
      bool found = false;
      for (const NativeBucket& b : v.native) found |= b.index == idx;
      EXPECT_TRUE(found) << secs;
    }
  });
  EXPECT_EQ(n, 1u);
}

}  // namespace
}  // namespace vitals

namespace vitals {
namespace {

TEST(NativeHistogramFlags, DefaultsAndValues) {
  auto r = parse_args({});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  EXPECT_FALSE(apm::apm_config(r.config).native_histograms);
  EXPECT_EQ(apm::apm_config(r.config).native_histogram_schema, 3);
  EXPECT_EQ(apm::apm_config(r.config).native_histogram_max_buckets, 160);
  r = parse_args({"--apm.native-histograms", "--apm.native-histograms.schema=-2",
                  "--apm.native-histograms.max-buckets=20"});
  ASSERT_EQ(r.action, ConfigResult::kRun) << r.text;
  EXPECT_TRUE(apm::apm_config(r.config).native_histograms);
  EXPECT_EQ(apm::apm_config(r.config).native_histogram_schema, -2);
  EXPECT_EQ(apm::apm_config(r.config).native_histogram_max_buckets, 20);
  r = parse_args({"--apm.native-histograms.schema=9"});
  EXPECT_EQ(r.action, ConfigResult::kError);
  EXPECT_NE(r.text.find("--apm.native-histograms.schema"), std::string::npos) << r.text;
  r = parse_args({"--apm.native-histograms.max-buckets=0"});
  EXPECT_EQ(r.action, ConfigResult::kError);
  EXPECT_NE(r.text.find("--apm.native-histograms.max-buckets"), std::string::npos) << r.text;
}

}  // namespace
}  // namespace vitals
