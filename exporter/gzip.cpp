#include "exporter/gzip.h"

#include <libdeflate.h>

#include <memory>
#include <mutex>
#include <vector>

#include "core/parse.h"
#include "exporter/fast_gzip.h"

namespace vitals {

namespace {

// libdeflate compressors are not thread-safe and a level-1 one holds ~200 KB of tables, so
// they are lent out from a small shared pool rather than made per server thread: concurrent
// responses make extra ones, and at most kKeepIdle stay between scrapes.
class CompressorPool {
 public:
  static constexpr size_t kKeepIdle = 1;
  ~CompressorPool() {
    for (auto& e : idle_) libdeflate_free_compressor(e.c);
  }
  libdeflate_compressor* take(int level) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      for (size_t i = 0; i < idle_.size(); ++i) {
        if (idle_[i].level != level) continue;
        libdeflate_compressor* c = idle_[i].c;
        idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
        return c;
      }
    }
    return libdeflate_alloc_compressor(level);
  }
  void give_back(libdeflate_compressor* c, int level) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (idle_.size() < kKeepIdle) {
        idle_.push_back({c, level});
        return;
      }
    }
    libdeflate_free_compressor(c);
  }

 private:
  struct Entry {
    libdeflate_compressor* c;
    int level;
  };
  std::mutex mu_;
  std::vector<Entry> idle_;
};

CompressorPool& pool() {
  static CompressorPool p;
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
  libdeflate_compressor* c = pool().take(level);
  if (!c) return false;
  size_t bound = libdeflate_gzip_compress_bound(c, in.size());
  // Compress straight into `out`, sized to the bound, then cut it to the result.
  out.resize(bound);
  size_t n = libdeflate_gzip_compress(c, in.data(), in.size(), out.data(), bound);
  pool().give_back(c, level);
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
