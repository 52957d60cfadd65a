// Helpers shared by the libFuzzer targets (docs/fuzzing.md). A target calls the agent's own
// parsing function on the input and checks, with VITALS_FUZZ_CHECK, invariants that are cheap to
// test; a failed check aborts, which libFuzzer reports as a crash with the input saved. Exceptions
// are not caught here: one escaping a parser that promises to report errors in its result (or
// one the agent would not catch) ends the run as a crash too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define VITALS_FUZZ_CHECK(cond)                                                         \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace vitals::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Whether `part` lies inside `whole` (a view a parser returned into the text it was given).
inline bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  auto p = reinterpret_cast<uintptr_t>(part.data());
  auto w = reinterpret_cast<uintptr_t>(whole.data());
  return p >= w && p + part.size() <= w + whole.size();
}

// The family targets dispatch on the first byte: parser `index` of `count`, the rest of the input
// being the file's text. Seeds start with 'A' + index, so that 'A' is parser 0.
inline size_t selector(uint8_t first, size_t count) {
  return static_cast<uint8_t>(first - 'A') % count;
}

// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace vitals::fuzz
