#pragma once

#include <string>
#include <string_view>

namespace vitals {

// gzip-compresses `in` into `out` (replacing its contents). Returns false on a zlib error.
bool gzip_compress(std::string_view in, int level, std::string& out);

// True when an Accept-Encoding header value accepts gzip (q > 0).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace vitals
