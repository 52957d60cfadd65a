#include "exporter/gzip.h"

#include <libdeflate.h>

#include <memory>

#include "core/parse.h"

namespace vitals {

namespace {

// One compressor per thread (libdeflate's are not thread-safe), made on first use.
struct Compressor {
  libdeflate_compressor* c = nullptr;
  int level = -1;
  ~Compressor() {
    if (c) libdeflate_free_compressor(c);
  }
  libdeflate_compressor* get(int lvl) {
    if (c && lvl == level) return c;
    if (c) libdeflate_free_compressor(c);
    c = libdeflate_alloc_compressor(lvl);
    level = lvl;
    return c;
  }
};

}  // namespace

bool gzip_compress(std::string_view in, int level, std::string& out) {
  thread_local Compressor comp;
  libdeflate_compressor* c = comp.get(level);
  if (!c) return false;
  size_t bound = libdeflate_gzip_compress_bound(c, in.size());
  // Compress into a buffer of the bound, then copy the (much smaller) result out.
  std::unique_ptr<char[]> buf = std::make_unique_for_overwrite<char[]>(bound);
  size_t n = libdeflate_gzip_compress(c, in.data(), in.size(), buf.get(), bound);
  if (n == 0) return false;
  out.assign(buf.get(), n);
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
