// UTF-8 checking and repair of label values. Prometheus refuses a whole scrape over one label
// value that is not UTF-8 (text and protobuf formats alike), and several of ours come from bytes
// nobody checked: interface and mount point names (the kernel allows any byte but '/' and NUL),
// OTLP protobuf strings. Family::add stores such a value repaired, as Go's strings.ToValidUTF8
// would: each run of bytes that is not UTF-8 becomes one U+FFFD.
#pragma once

#include <string>
#include <string_view>

namespace vitals {

// Whether `s` is UTF-8 (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF).
bool is_utf8(std::string_view s);

// Appends `s` to `out`, each run of bytes that is not UTF-8 replaced by U+FFFD.
void append_utf8(std::string& out, std::string_view s);

inline std::string to_utf8(std::string_view s) {
  std::string out;
  append_utf8(out, s);
  return out;
}

}  // namespace vitals
