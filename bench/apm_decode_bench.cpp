// Decode plus aggregate on one core, beside libprotobuf parsing the same payload.
//   build/bench/apm_decode_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>

#include <random>

#include "apm/aggregator.h"
#include "apm/decode.h"
#include "apm/receiver.h"
#include "bench/otlp_gen.h"
#include "exporter/gzip.h"

namespace {

using namespace vitals;

constexpr int kSpansPerRequest = 100;

struct Payloads {
  std::vector<std::string> raw;
  std::vector<std::string> gz;
  explicit Payloads(int n) {
    std::mt19937_64 rng(42);
    for (int s = 0; s < n; ++s) {
      raw.push_back(bench::make_request(s % bench::kServices, kSpansPerRequest, rng));
      std::string z;
      gzip_compress(raw.back(), 6, z);
      gz.push_back(z);
    }
  }
};

const Payloads& payloads() {
  static Payloads p(bench::kServices);
  return p;
}

// 1000 requests: about 10,000 live series (20 services x 50 operations x 10 status codes).
const Payloads& payloads_10k() {
  static Payloads p(1000);
  return p;
}

void report(benchmark::State& state, const std::vector<std::string>& bodies) {
  state.SetItemsProcessed(state.iterations() * kSpansPerRequest);
  state.counters["bytes_per_request"] = static_cast<double>(bodies[0].size());
}

void BM_LibprotobufParseFresh(benchmark::State& state) {
  const auto& p = payloads().raw;
  size_t i = 0;
  for (auto _ : state) {
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
    bool ok = req.ParseFromString(p[i++ % p.size()]);
    benchmark::DoNotOptimize(ok);
  }
  report(state, p);
}
BENCHMARK(BM_LibprotobufParseFresh);

void BM_LibprotobufParseReused(benchmark::State& state) {
  const auto& p = payloads().raw;
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
  size_t i = 0;
  for (auto _ : state) {
    bool ok = req.ParseFromString(p[i++ % p.size()]);
    benchmark::DoNotOptimize(ok);
  }
  report(state, p);
}
BENCHMARK(BM_LibprotobufParseReused);

void BM_LibprotobufParseArena(benchmark::State& state) {
  const auto& p = payloads().raw;
  size_t i = 0;
  google::protobuf::ArenaOptions ao;
  ao.start_block_size = 256 << 10;
  google::protobuf::Arena arena(ao);
  for (auto _ : state) {
    auto* req = google::protobuf::Arena::CreateMessage<
        opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest>(&arena);
    bool ok = req->ParseFromString(p[i++ % p.size()]);
    benchmark::DoNotOptimize(ok);
    arena.Reset();
  }
  report(state, p);
}
BENCHMARK(BM_LibprotobufParseArena);

class NullSink : public apm::SpanSink {
 public:
  void consume(std::span<const apm::SpanRecord> s) override {
    n += s.size();
    benchmark::DoNotOptimize(s.data());
  }
  size_t n = 0;
};

void BM_HandDecodeOnly(benchmark::State& state) {
  const auto& p = state.range(0) ? payloads_10k().raw : payloads().raw;
  auto dims = bench::bench_dimensions();
  NullSink sink;
  apm::SpanBatch batch;
  size_t i = 0;
  std::string err;
  for (auto _ : state) {
    apm::DecodeStats st;
    batch.begin(&sink, &st);
    bool ok = apm::decode_otlp_proto(p[i++ % p.size()], dims, batch, &err);
    benchmark::DoNotOptimize(ok);
  }
  report(state, p);
}
BENCHMARK(BM_HandDecodeOnly)->Arg(0)->Arg(1);

void BM_HandDecodeAggregate(benchmark::State& state) {
  const auto& p = payloads().raw;
  apm::AggregatorOptions o;
  o.dimensions = bench::bench_dimensions();
  apm::SpanAggregator agg(o);
  apm::SpanBatch batch;
  size_t i = 0;
  std::string err;
  for (auto _ : state) {
    apm::DecodeStats st;
    batch.begin(&agg, &st);
    bool ok = apm::decode_otlp_proto(p[i++ % p.size()], o.dimensions, batch, &err);
    benchmark::DoNotOptimize(ok);
  }
  report(state, p);
  state.counters["series"] = static_cast<double>(agg.series_count());
}
BENCHMARK(BM_HandDecodeAggregate);

void BM_HandDecodeAggregate10kSeries(benchmark::State& state) {
  const auto& p = payloads_10k().raw;
  apm::AggregatorOptions o;
  o.dimensions = bench::bench_dimensions();
  apm::SpanAggregator agg(o);
  apm::SpanBatch batch;
  size_t i = 0;
  std::string err;
  for (auto _ : state) {
    apm::DecodeStats st;
    batch.begin(&agg, &st);
    bool ok = apm::decode_otlp_proto(p[i++ % p.size()], o.dimensions, batch, &err);
    benchmark::DoNotOptimize(ok);
  }
  report(state, p);
  state.counters["series"] = static_cast<double>(agg.series_count());
}
BENCHMARK(BM_HandDecodeAggregate10kSeries);

void BM_GunzipHandDecodeAggregate(benchmark::State& state) {
  const auto& p = payloads().gz;
  apm::AggregatorOptions o;
  o.dimensions = bench::bench_dimensions();
  apm::SpanAggregator agg(o);
  apm::SpanBatch batch;
  std::string body, err;
  size_t i = 0;
  for (auto _ : state) {
    apm::gunzip(p[i++ % p.size()], 4 << 20, body, &err);
    apm::DecodeStats st;
    batch.begin(&agg, &st);
    bool ok = apm::decode_otlp_proto(body, o.dimensions, batch, &err);
    benchmark::DoNotOptimize(ok);
  }
  report(state, p);
}
BENCHMARK(BM_GunzipHandDecodeAggregate);

void BM_GunzipOnly(benchmark::State& state) {
  const auto& p = payloads().gz;
  std::string body, err;
  size_t i = 0;
  for (auto _ : state) {
    int rc = apm::gunzip(p[i++ % p.size()], 4 << 20, body, &err);
    benchmark::DoNotOptimize(rc);
  }
  report(state, p);
}
BENCHMARK(BM_GunzipOnly);

}  // namespace

BENCHMARK_MAIN();
