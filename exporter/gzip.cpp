#include "exporter/gzip.h"

#include <zlib.h>

#include <memory>

#include "core/parse.h"

namespace vitals {

namespace {

// One deflate state per thread, reset between bodies: deflateInit allocates and clears
// about 256 KiB, which would otherwise dominate the cost of compressing a scrape.
struct Deflater {
  z_stream zs{};
  int level = -1;
  bool ok = false;
  ~Deflater() {
    if (ok) deflateEnd(&zs);
  }
  bool reset(int lvl) {
    if (ok && lvl == level) return deflateReset(&zs) == Z_OK;
    if (ok) deflateEnd(&zs);
    zs = z_stream{};
    ok = deflateInit2(&zs, lvl, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    level = lvl;
    return ok;
  }
};

}  // namespace

bool gzip_compress(std::string_view in, int level, std::string& out) {
  thread_local Deflater d;
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t cap = 0;
  if (!d.reset(level)) return false;
  z_stream& zs = d.zs;
  size_t need = deflateBound(&zs, static_cast<uLong>(in.size()));
  if (need > cap) {
    cap = need;
    buf = std::make_unique_for_overwrite<char[]>(cap);
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(buf.get());
  zs.avail_out = static_cast<uInt>(cap);
  int rc = deflate(&zs, Z_FINISH);
  if (rc != Z_STREAM_END) return false;
  out.assign(buf.get(), zs.total_out);
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
