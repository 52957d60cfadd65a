#include "collectors/procfs/lnstat.h"

#include <charconv>
#include <string>

namespace vitals::procfs {

void parse_lnstat(std::string_view text, LnstatFile& out) {
  out.headers.clear();
  out.errors.clear();
  size_t used = 0;
  std::string_view line, field;
  int n = 0;
  int cpu = -1;
  while (parse::next_line(text, line)) {
    ++n;
    if (parse::trim(line).empty()) continue;
    if (n == 1) {
      while (parse::next_field(line, field)) out.headers.push_back(field);
      continue;
    }
    ++cpu;
    if (used == out.rows.size()) out.rows.emplace_back();
    auto& row = out.rows[used];
    row.cpu = cpu;
    row.values.clear();
    std::string_view rest = line;
    bool ok = true;
    while (ok && parse::next_field(rest, field)) {
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v, 16);
      ok = ec == std::errc() && p == field.data() + field.size();
      row.values.push_back(v);
    }
    if (!ok) {
      out.errors.add(n, "invalid hexadecimal number", line);
      continue;
    }
    if (row.values.size() != out.headers.size()) {
      out.errors.add(n, "expected " + std::to_string(out.headers.size()) + " values, got " +
                            std::to_string(row.values.size()));
      continue;
    }
    ++used;
  }
  out.rows.resize(used);
}

}  // namespace vitals::procfs
