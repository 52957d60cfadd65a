#include "exporter/gzip.h"

#include <zlib.h>

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
  if (!d.reset(level)) return false;
  z_stream& zs = d.zs;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  out.clear();
  // Compressed text is typically under a fifth of the input; grow if it is not.
  size_t chunk = in.size() / 4 + 1024;
  int rc = Z_OK;
  while (rc == Z_OK) {
    size_t used = out.size();
    out.resize(used + chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(chunk);
    rc = deflate(&zs, Z_FINISH);
    out.resize(used + chunk - zs.avail_out);
  }
  return rc == Z_STREAM_END;
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
