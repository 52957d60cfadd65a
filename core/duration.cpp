#include "core/duration.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace vitals {

bool parse_duration(std::string_view s, std::chrono::nanoseconds* out) {
  if (s.empty()) return false;
  double total_ns = 0;
  bool any = false;
  while (!s.empty()) {
    double num;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), num);
    if (ec != std::errc() || !(num >= 0) || std::isinf(num)) return false;
    s.remove_prefix(static_cast<size_t>(p - s.data()));
    size_t u = 0;
    while (u < s.size() && ((s[u] >= 'a' && s[u] <= 'z'))) ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    double mult;
    if (unit.empty()) {
      if (any || !s.empty()) return false;  // a bare number only on its own
      mult = 1e9;
    } else if (unit == "ns") {
      mult = 1;
    } else if (unit == "us") {
      mult = 1e3;
    } else if (unit == "ms") {
      mult = 1e6;
    } else if (unit == "s") {
      mult = 1e9;
    } else if (unit == "m") {
      mult = 60e9;
    } else if (unit == "h") {
      mult = 3600e9;
    } else {
      return false;
    }
    total_ns += num * mult;
    any = true;
  }
  if (total_ns > 9.2e18) return false;
  *out = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total_ns)));
  return true;
}

std::string format_duration(std::chrono::nanoseconds d) {
  char buf[64];
  double secs = std::chrono::duration<double>(d).count();
  std::snprintf(buf, sizeof buf, "%gs", secs);
  return buf;
}

}  // namespace vitals
