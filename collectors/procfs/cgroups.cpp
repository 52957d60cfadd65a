#include "collectors/procfs/cgroups.h"

#include "core/parse.h"

namespace vitals::procfs {

Cgroups parse_cgroups(std::string_view text) {
  Cgroups c;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view t = parse::trim(line);
    if (t.empty() || t.front() == '#') continue;
    std::string_view rest = t, f[4], extra;
    int got = 0;
    while (got < 4 && parse::next_field(rest, f[got])) ++got;
    if (got != 4 || parse::next_field(rest, extra)) {
      c.errors.add(n, "expected 4 fields", line);
      continue;
    }
    auto h = parse::to_u64(f[1]), num = parse::to_u64(f[2]), en = parse::to_u64(f[3]);
    if (!h || !num || !en) {
      c.errors.add(n, "invalid number", line);
      continue;
    }
    c.subsystems.push_back({f[0], double(*h), double(*num), double(*en)});
  }
  return c;
}

}  // namespace vitals::procfs
