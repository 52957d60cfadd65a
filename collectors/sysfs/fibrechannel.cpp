#include "collectors/sysfs/fibrechannel.h"

#include <charconv>

namespace vitals::sysfs {

std::optional<uint64_t> parse_fc_counter(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view fc_strip_hex_prefix(std::string_view s) {
  if (s.size() >= 2 && s[0] == '0' && s[1] == 'x') s.remove_prefix(2);
  return s;
}

}  // namespace vitals::sysfs
