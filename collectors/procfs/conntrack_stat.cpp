#include "collectors/procfs/conntrack_stat.h"

#include <charconv>

#include "core/parse.h"

namespace vitals::procfs {
namespace {

std::optional<uint64_t> hex(std::string_view s) {
  uint64_t v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

ConntrackStat parse_conntrack_stat(std::string_view text) {
  ConntrackStat s;
  constexpr size_t kMaxCols = 32;
  std::array<std::optional<double>*, kMaxCols> target{};
  size_t cols = 0;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    if (parse::trim(line).empty()) continue;
    std::string_view rest = line, f;
    if (n == 1) {
      while (parse::next_field(rest, f) && cols < kMaxCols) {
        std::optional<double>* t = nullptr;
        if (f == "found")
          t = &s.found;
        else if (f == "invalid")
          t = &s.invalid;
        else if (f == "ignore")
          t = &s.ignore;
        else if (f == "insert")
          t = &s.insert;
        else if (f == "insert_failed")
          t = &s.insert_failed;
        else if (f == "drop")
          t = &s.drop;
        else if (f == "early_drop")
          t = &s.early_drop;
        else if (f == "search_restart")
          t = &s.search_restart;
        target[cols++] = t;
      }
      continue;
    }
    std::array<uint64_t, kMaxCols> vals{};
    size_t i = 0;
    bool ok = true;
    while (parse::next_field(rest, f)) {
      auto v = hex(f);
      if (!v || i >= cols) {
        ok = false;
        break;
      }
      vals[i++] = *v;
    }
    if (!ok || i != cols) {
      s.errors.add(n, "expected " + std::to_string(cols) + " hex counters matching the header",
                   line);
      continue;
    }
    for (size_t c = 0; c < cols; ++c) {
      if (target[c]) *target[c] = target[c]->value_or(0) + double(vals[c]);
    }
  }
  return s;
}

}  // namespace vitals::procfs
