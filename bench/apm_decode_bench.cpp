// Decode plus aggregate on one core, beside libprotobuf parsing the same payload, and the
// hand-written decoder beside the same decoder over protozero::pbf_reader (bench/otlp_protozero.h).
//   build/bench/apm_decode_bench --benchmark_counters_tabular=true
// Hand-written vs protozero, alternating, with repetitions (docs/apm.md):
//   build/bench/apm_decode_bench --benchmark_filter='DecodeOnly' --benchmark_repetitions=10
//     --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
//   (one command line)
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "apm/aggregator.h"
#include "apm/decode.h"
#include "apm/receiver.h"
#include "bench/otlp_gen.h"
#include "bench/otlp_protozero.h"
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

void BM_ProtozeroDecodeOnly(benchmark::State& state) {
  const auto& p = state.range(0) ? payloads_10k().raw : payloads().raw;
  auto dims = bench::bench_dimensions();
  NullSink sink;
  apm::SpanBatch batch;
  size_t i = 0;
  std::string err;
  for (auto _ : state) {
    apm::DecodeStats st;
    batch.begin(&sink, &st);
    bool ok = bench::pz::decode_otlp_protozero(p[i++ % p.size()], dims, batch, &err);
    benchmark::DoNotOptimize(ok);
  }
  report(state, p);
}
BENCHMARK(BM_ProtozeroDecodeOnly)->Arg(0)->Arg(1);

// Keeps every record's fields, to check the two decoders agree.
class CopySink : public apm::SpanSink {
 public:
  void consume(std::span<const apm::SpanRecord> s) override {
    for (const auto& r : s) {
      std::string k;
      k.append(r.service).append("|").append(r.name).append("|");
      k += std::to_string(r.kind) + "," + std::to_string(r.status) + "," +
           std::to_string(r.has_parent) + "," + std::to_string(r.trace_id_len) + "," +
           std::to_string(r.span_id_len) + "," + std::to_string(r.start_ns) + "," +
           std::to_string(r.end_ns) + "|";
      k.append(reinterpret_cast<const char*>(r.trace_id.data()), 16);
      k.append(reinterpret_cast<const char*>(r.span_id.data()), 8);
      if (r.has_parent) k.append(reinterpret_cast<const char*>(r.parent_span_id.data()), 8);
      for (auto d : r.dims) k.append("|").append(d);
      out.push_back(std::move(k));
    }
  }
  std::vector<std::string> out;
};

// Exits non-zero unless the protozero decoder yields the hand-written decoder's records.
void check_same_records() {
  auto dims = bench::bench_dimensions();
  size_t spans = 0;
  for (const auto* set : {&payloads().raw, &payloads_10k().raw}) {
    for (const std::string& body : *set) {
      CopySink a, b;
      apm::SpanBatch batch;
      apm::DecodeStats sa, sb;
      std::string err;
      batch.begin(&a, &sa);
      bool oka = apm::decode_otlp_proto(body, dims, batch, &err);
      batch.begin(&b, &sb);
      bool okb = bench::pz::decode_otlp_protozero(body, dims, batch, &err);
      if (!oka || !okb || a.out != b.out || a.out.size() != kSpansPerRequest) {
        std::fprintf(stderr, "protozero decoder disagrees with the hand-written one\n");
        std::exit(1);
      }
      spans += a.out.size();
    }
  }
  std::fprintf(stderr, "protozero and hand-written decoders agree on %zu spans\n", spans);
}

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

int main(int argc, char** argv) {
  check_same_records();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
