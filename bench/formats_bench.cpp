// Serialization cost per series of the three exposition formats (with and without gzip at the
// agent's default level 1), and the APM duration histogram's memory per series, classic and
// native. Prints one line per measurement; docs/formats.md quotes them. For the protobuf
// format it also runs the same writer over protozero::pbf_writer (bench/protobuf_protozero.h),
// checks the bytes are identical and times the two alternately (min and median of 41 runs each).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "apm/aggregator.h"
#include "bench/protobuf_protozero.h"
#include "exporter/gzip.h"
#include "exporter/openmetrics_format.h"
#include "exporter/protobuf_format.h"
#include "exporter/text_format.h"
#include "model/gather.h"

using namespace vitals;

namespace {

apm::SpanRecord make_span(std::string_view svc, std::string_view name, uint64_t dur_ns,
                          uint64_t id) {
  apm::SpanRecord r;
  r.service = svc;
  r.name = name;
  r.kind = apm::kKindServer;
  r.end_ns = 1'700'000'000'000'000'000ull + id * 1000;
  r.start_ns = r.end_ns - dur_ns;
  r.trace_id_len = 16;
  r.span_id_len = 8;
  for (int i = 0; i < 16; ++i) r.trace_id[i] = static_cast<uint8_t>(id >> (i % 8));
  for (int i = 0; i < 8; ++i) r.span_id[i] = static_cast<uint8_t>(id >> i);
  return r;
}

// Durations log-uniform over 1 ms .. 2 s, as a mix of fast and slow endpoints gives.
std::vector<uint64_t> durations(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(std::log(1e6), std::log(2e9));
  std::vector<uint64_t> d(n);
  for (auto& x : d) x = static_cast<uint64_t>(std::exp(u(rng)));
  return d;
}

double best_ns(const std::function<void()>& fn, int reps) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  return best;
}

// The agent's hand-written vs a protozero protobuf writer: identical bytes, then alternating timed
// runs.
void compare_protobuf(const char* what, const Gathered& g, size_t series) {
  std::string a, b;
  a.reserve(8 << 20);
  b.reserve(8 << 20);
  write_protobuf(g.families, a);
  bench::pz::write_protobuf_protozero(g.families, b);
  if (a != b) {
    std::fprintf(stderr, "%s: protozero output differs from the hand-written writer's\n", what);
    std::exit(1);
  }
  constexpr int kRuns = 41;
  std::vector<double> hand, pz;
  for (int r = 0; r < kRuns; ++r) {
    for (int which = 0; which < 2; ++which) {
      std::string& out = which ? b : a;
      out.clear();
      auto t0 = std::chrono::steady_clock::now();
      if (which) {
        bench::pz::write_protobuf_protozero(g.families, out);
      } else {
        write_protobuf(g.families, out);
      }
      auto t1 = std::chrono::steady_clock::now();
      (which ? pz : hand)
          .push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() /
                     static_cast<double>(series));
    }
  }
  auto stats = [](std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    return std::pair{v.front(), v[v.size() / 2]};
  };
  auto [hmin, hmed] = stats(hand);
  auto [pmin, pmed] = stats(pz);
  std::printf(
      "%-22s protobuf hand-written min %6.1f median %6.1f ns/series; protozero min %6.1f "
      "median %6.1f ns/series (%zu identical bytes)\n",
      what, hmin, hmed, pmin, pmed, a.size());
}

void run(const char* what, const MetricSet& set, size_t series) {
  std::vector<const MetricSet*> sets = {&set};
  Gathered g = gather(sets);
  std::string out, gz;
  out.reserve(8 << 20);
  struct W {
    const char* name;
    void (*fn)(std::span<const Family* const>, std::string&);
  } writers[] = {{"text-0.0.4", write_text},
                 {"openmetrics-1.0.0", write_openmetrics},
                 {"protobuf-delimited", write_protobuf}};
  for (const W& w : writers) {
    double plain = best_ns(
        [&] {
          out.clear();
          w.fn(g.families, out);
        },
        15);
    size_t bytes = out.size();
    double zipped = best_ns(
        [&] {
          out.clear();
          w.fn(g.families, out);
          gzip_compress(out, 1, gz);
        },
        7);
    std::printf("%-22s %-19s %8.1f ns/series  %8.1f ns/series gzip  %9zu bytes  %8zu gz\n", what,
                w.name, plain / static_cast<double>(series), zipped / static_cast<double>(series),
                bytes, gz.size());
  }
  compare_protobuf(what, g, series);
}

}  // namespace

int main() {
  // 10,000 node-like counter series: 100 families x 100 label sets of 3 labels.
  MetricSet node;
  for (int f = 0; f < 100; ++f) {
    std::string name = "node_bench_family_" + std::to_string(f) + "_total";
    Family& fam = node.add(name, "A benchmark counter family.", MetricType::kCounter);
    for (int s = 0; s < 100; ++s) {
      std::string dev = "dev" + std::to_string(s);
      fam.add({{"device", dev}, {"mode", "user"}, {"cpu", std::to_string(s % 8)}},
              1234567.25 + s * 17.5);
    }
  }
  run("10k counter series", node, 10000);

  // 10,000 APM duration histograms (with exemplars; native on): 16 buckets each.
  for (bool native : {false, true}) {
    apm::AggregatorOptions o;
    o.native_histograms = native;
    apm::SpanAggregator agg(o);
    std::vector<std::string> names;
    for (int i = 0; i < 10000; ++i) names.push_back("GET /api/v1/item/" + std::to_string(i));
    auto d = durations(200000, 1);
    std::vector<apm::SpanRecord> batch;
    for (size_t i = 0; i < d.size(); ++i) {
      batch.push_back(make_span("shop", names[i % names.size()], d[i], i + 1));
      if (batch.size() == 1000) {
        agg.consume_at(batch, 1);
        batch.clear();
      }
    }
    MetricSet set;
    agg.produce_at(set, 2);
    // Keep the duration histograms only.
    MetricSet hist;
    for (const Family& f : set.families()) {
      if (f.name() == "traces_span_metrics_duration_seconds") {
        Family& h = hist.add(f.name(), f.help(), f.type());
        h.append(f);
      }
    }
    run(native ? "10k APM hist+native" : "10k APM histograms", hist, 10000);
    size_t classic = 0, nat = 0;
    agg.histogram_bytes(&classic, &nat);
    std::printf(
        "APM memory, 10k series x 20 spans (log-uniform 1ms..2s), native %s: classic "
        "%.0f B/series, native %.0f B/series\n",
        native ? "on" : "off", classic / 1e4, nat / 1e4);
  }
  // Native memory at a steady state with many spans per series: 100 series x 10,000 spans.
  {
    apm::AggregatorOptions o;
    o.native_histograms = true;
    apm::SpanAggregator agg(o);
    auto d = durations(1000000, 2);
    std::vector<std::string> names;
    for (int i = 0; i < 100; ++i) names.push_back("op" + std::to_string(i));
    std::vector<apm::SpanRecord> batch;
    for (size_t i = 0; i < d.size(); ++i) {
      batch.push_back(make_span("shop", names[i % names.size()], d[i], i + 1));
      if (batch.size() == 1000) {
        agg.consume_at(batch, 1);
        batch.clear();
      }
    }
    size_t classic = 0, nat = 0;
    agg.histogram_bytes(&classic, &nat);
    std::printf(
        "APM memory, 100 series x 10000 spans (log-uniform 1ms..2s, schema 3): classic "
        "%.0f B/series, native %.0f B/series\n",
        classic / 100.0, nat / 100.0);
  }
  return 0;
}
