#include "exporter/gzip.h"

#include <libdeflate.h>

#include <memory>

#include "core/parse.h"
#include "exporter/fast_gzip.h"
#include "exporter/idle_pool.h"

namespace vitals {

namespace {

// libdeflate compressors are not thread-safe and a level-1 one holds ~200 KB of tables: lent
// out from one pool (one kept idle) rather than made per server thread.
struct Compressor {
  explicit Compressor(int l) : level(l), c(libdeflate_alloc_compressor(l)) {}
  ~Compressor() {
    if (c) libdeflate_free_compressor(c);
  }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;
  int level;
  libdeflate_compressor* c;
};

IdlePool<Compressor>& compressors() {
  static IdlePool<Compressor> p(1);
  return p;
}

}  // namespace

bool gzip_compress(std::string_view in, int level, std::string& out) {
  if (level <= 1) {
    // The default: fixed Huffman codes and greedy matching, ~3x faster than libdeflate's
    // level 1 for ~25% more bytes on exposition text (exporter/fast_gzip.cpp).
    fast_gzip(in, out);
    return true;
  }
  std::unique_ptr<Compressor> comp =
      compressors().take([level](const Compressor& k) { return k.level == level; });
  if (!comp) comp = std::make_unique<Compressor>(level);
  libdeflate_compressor* c = comp->c;
  if (!c) return false;
  size_t bound = libdeflate_gzip_compress_bound(c, in.size());
  // Compress straight into `out`, sized to the bound, then cut it to the result.
  out.resize(bound);
  size_t n = libdeflate_gzip_compress(c, in.data(), in.size(), out.data(), bound);
  compressors().give_back(std::move(comp));
  if (n == 0) return false;
  out.resize(n);
  return true;
}

bool accepts_gzip(std::string_view v) {
  // e.g. "gzip", "gzip, deflate", "deflate;q=1, gzip;q=0.5", "gzip;q=0", "*"
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view item = parse::trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    std::string_view coding = parse::trim(item.substr(0, item.find(';')));
    if (coding != "gzip" && coding != "x-gzip" && coding != "*") continue;
    size_t q = item.find("q=");
    if (q == std::string_view::npos) return true;
    auto qv = parse::to_double(parse::trim(item.substr(q + 2)));
    return qv && *qv > 0;
  }
  return false;
}

}  // namespace vitals
