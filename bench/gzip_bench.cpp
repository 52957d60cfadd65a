// gzip encoders on scrape bodies: the agent's gzip_compress at level 1 (ISA-L igzip level 0
// since it replaced the hand-written fast_gzip; docs/formats.md has both), Intel ISA-L's igzip
// (levels 0-3, one-shot), libdeflate (levels 1 and 6) and zlib level 1. For each body: the best
// and the median time of one compression over many runs, the output size, and a round trip
// through zlib's inflate (every output is checked).
//   build/bench/gzip_bench [FILE...]
// With no files it compresses two generated bodies: 10,000 node-like counter series and 10,000
// APM duration histograms in the text format. Save a real scrape with
//   curl -s localhost:9100/metrics > node.txt
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "apm/aggregator.h"
#include "exporter/gzip.h"
#include "exporter/text_format.h"
#include "model/gather.h"

using namespace vitals;

namespace {

std::string gunzip(const std::string& gz) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return {};
  std::string out;
  char buf[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string("inflate failed");
}

// ISA-L one-shot compression at `level`, with the level buffer its header suggests.
struct Isal {
  explicit Isal(int l) : level(l) {
    static const size_t sizes[] = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT,
                                   ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};
    level_buf.resize(sizes[level]);
  }
  bool operator()(std::string_view in, std::string& out) {
    isal_zstream s;
    isal_deflate_stateless_init(&s);
    s.level = static_cast<uint32_t>(level);
    s.level_buf = level_buf.empty() ? nullptr : level_buf.data();
    s.level_buf_size = static_cast<uint32_t>(level_buf.size());
    s.gzip_flag = IGZIP_GZIP;
    s.end_of_stream = 1;
    s.flush = NO_FLUSH;
    out.resize(in.size() + in.size() / 16 + 1024);
    s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in.data()));
    s.avail_in = static_cast<uint32_t>(in.size());
    s.next_out = reinterpret_cast<uint8_t*>(out.data());
    s.avail_out = static_cast<uint32_t>(out.size());
    if (isal_deflate_stateless(&s) != COMP_OK) return false;
    out.resize(s.total_out);
    return true;
  }
  int level;
  std::vector<uint8_t> level_buf;
};

struct Deflate {
  explicit Deflate(int l) : c(libdeflate_alloc_compressor(l)) {}
  ~Deflate() { libdeflate_free_compressor(c); }
  bool operator()(std::string_view in, std::string& out) {
    out.resize(libdeflate_gzip_compress_bound(c, in.size()));
    size_t n = libdeflate_gzip_compress(c, in.data(), in.size(), out.data(), out.size());
    out.resize(n);
    return n > 0;
  }
  libdeflate_compressor* c;
};

bool zlib1(std::string_view in, std::string& out) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  out.resize(deflateBound(&z, in.size()));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END;
}

void bench(const std::string& what, const std::string& body) {
  Isal i0(0), i1(1), i2(2), i3(3);
  Deflate d1(1), d6(6);
  struct E {
    const char* name;
    std::function<bool(std::string_view, std::string&)> fn;
  } encoders[] = {
      {"vitals gzip_compress level 1", [](auto in, auto& o) { return gzip_compress(in, 1, o); }},
      {"isa-l igzip level 0", std::ref(i0)},
      {"isa-l igzip level 1", std::ref(i1)},
      {"isa-l igzip level 2", std::ref(i2)},
      {"isa-l igzip level 3", std::ref(i3)},
      {"libdeflate level 1", std::ref(d1)},
      {"libdeflate level 6", std::ref(d6)},
      {"zlib level 1", zlib1},
  };
  std::printf("%s: %zu bytes\n", what.c_str(), body.size());
  std::printf("  %-28s %10s %10s %10s %8s\n", "encoder", "best us", "median us", "bytes", "ratio");
  std::string out;
  // Enough runs for ~0.3 s per encoder, at least 20.
  for (E& e : encoders) {
    if (!e.fn(body, out) || gunzip(out) != body) {
      std::printf("  %-28s ROUND TRIP FAILED\n", e.name);
      continue;
    }
    std::vector<double> us;
    auto start = std::chrono::steady_clock::now();
    while (us.size() < 20 ||
           (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300) &&
            us.size() < 5000)) {
      auto t0 = std::chrono::steady_clock::now();
      e.fn(body, out);
      auto t1 = std::chrono::steady_clock::now();
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(us.begin(), us.end());
    std::printf("  %-28s %10.1f %10.1f %10zu %8.2f\n", e.name, us.front(), us[us.size() / 2],
                out.size(), static_cast<double>(body.size()) / static_cast<double>(out.size()));
  }
}

std::string text_of(const MetricSet& set) {
  std::vector<const MetricSet*> sets = {&set};
  Gathered g = gather(sets);
  std::string out;
  write_text(g.families, out);
  return out;
}

std::string node_like() {
  MetricSet node;
  for (int f = 0; f < 100; ++f) {
    Family& fam = node.add("node_bench_family_" + std::to_string(f) + "_total",
                           "A benchmark counter family.", MetricType::kCounter);
    for (int s = 0; s < 100; ++s) {
      fam.add(
          {{"device", "dev" + std::to_string(s)}, {"mode", "user"}, {"cpu", std::to_string(s % 8)}},
          1234567.25 + s * 17.5);
    }
  }
  return text_of(node);
}

// 10,000 span-metric series (calls and duration histograms), durations log-uniform 1 ms .. 2 s.
std::string apm_like() {
  apm::SpanAggregator agg(apm::AggregatorOptions{});
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(std::log(1e6), std::log(2e9));
  std::vector<apm::SpanRecord> batch;
  std::vector<std::string> names;
  for (int i = 0; i < 10000; ++i) names.push_back("GET /api/v1/item/" + std::to_string(i));
  for (uint64_t i = 0; i < 200000; ++i) {
    apm::SpanRecord r;
    r.service = "shop";
    r.name = names[i % names.size()];
    r.kind = apm::kKindServer;
    r.end_ns = 1'700'000'000'000'000'000ull + i * 1000;
    r.start_ns = r.end_ns - static_cast<uint64_t>(std::exp(u(rng)));
    r.trace_id_len = 16;
    r.span_id_len = 8;
    for (int k = 0; k < 16; ++k) r.trace_id[k] = static_cast<uint8_t>(i >> (k % 8));
    for (int k = 0; k < 8; ++k) r.span_id[k] = static_cast<uint8_t>(i >> k);
    batch.push_back(r);
    if (batch.size() == 1000) {
      agg.consume_at(batch, 1);
      batch.clear();
    }
  }
  MetricSet set;
  agg.produce_at(set, 2);
  return text_of(set);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    for (int i = 1; i < argc; ++i) {
      std::ifstream f(argv[i], std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      bench(argv[i], ss.str());
    }
    return 0;
  }
  bench("10k node-like counter series (generated)", node_like());
  bench("10k APM span-metric series (generated)", apm_like());
  return 0;
}
