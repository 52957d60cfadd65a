#include "exporter/gzip.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <cstdint>
#include <memory>

#include "core/parse.h"
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

// ISA-L's igzip state (~80 KB): lent out the same way. Its level 0, the fastest, needs no more.
struct Igzip {
  isal_zstream s;
};

IdlePool<Igzip>& igzips() {
  static IdlePool<Igzip> p(1);
  return p;
}

// The default level: ISA-L igzip level 0 in one call. On scrape bodies it is at least as fast as
// the hand-written fixed-Huffman encoder it replaced, with ~6% fewer bytes; libdeflate's level 1
// takes ~2x the time for ~15% fewer (docs/formats.md, bench/gzip_bench.cpp).
bool igzip_fastest(std::string_view in, std::string& out) {
  if (in.size() > UINT32_MAX / 2) return false;  // ISA-L counts bytes in 32 bits
  std::unique_ptr<Igzip> z = igzips().take();
  if (!z) z = std::make_unique<Igzip>();
  isal_zstream& s = z->s;
  isal_deflate_stateless_init(&s);
  s.level = 0;
  s.gzip_flag = IGZIP_GZIP;
  s.end_of_stream = 1;
  s.flush = NO_FLUSH;
  // One-shot compression falls back to stored blocks when the data does not shrink: the input,
  // 5 bytes per stored block of up to 64 KiB, and the gzip header and trailer always fit.
  size_t bound = in.size() + (in.size() / 65535 + 1) * 5 + 64;
  out.resize(bound);
  s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uint32_t>(in.size());
  s.next_out = reinterpret_cast<uint8_t*>(out.data());
  s.avail_out = static_cast<uint32_t>(bound);
  int rc = isal_deflate_stateless(&s);
  size_t n = s.total_out;
  igzips().give_back(std::move(z));
  if (rc != COMP_OK) return false;
  out.resize(n);
  return true;
}

}  // namespace

bool gzip_compress(std::string_view in, int level, std::string& out) {
  if (level <= 1) return igzip_fastest(in, out);
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
