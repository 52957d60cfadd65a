#include "exporter/gzip.h"

#include <zlib.h>

#include "core/parse.h"

namespace vitals {

bool gzip_compress(std::string_view in, int level, std::string& out) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
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
