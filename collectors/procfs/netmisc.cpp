#include "collectors/procfs/netmisc.h"

#include <charconv>
#include <optional>

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

Sockstat parse_sockstat(std::string_view text) {
  Sockstat s;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, proto, key, val;
    if (!parse::next_field(rest, proto)) continue;
    if (proto.back() != ':') {
      s.errors.add(n, "missing ':' after the protocol", line);
      continue;
    }
    proto.remove_suffix(1);
    size_t first = s.values.size();
    bool ok = true;
    while (parse::next_field(rest, key)) {
      std::optional<uint64_t> v;
      if (parse::next_field(rest, val)) v = parse::to_u64(val);
      if (!v) {
        ok = false;
        break;
      }
      s.values.push_back({proto, key, double(*v)});
    }
    if (!ok) {
      s.values.resize(first);
      s.errors.add(n, "expected name/number pairs", line);
    }
  }
  return s;
}

Softnet parse_softnet(std::string_view text) {
  Softnet s;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    if (parse::trim(line).empty()) continue;
    std::string_view rest = line, f[3];
    std::optional<uint64_t> v[3];
    int got = 0;
    while (got < 3 && parse::next_field(rest, f[got])) {
      v[got] = hex(f[got]);
      if (!v[got]) break;
      ++got;
    }
    if (got < 3) {
      // Keep the CPU numbering of the lines that follow.
      s.cpus.push_back({});
      s.errors.add(n, "expected at least 3 hex counters", line);
      continue;
    }
    s.cpus.push_back({double(*v[0]), double(*v[1]), double(*v[2])});
  }
  return s;
}

}  // namespace vitals::procfs
