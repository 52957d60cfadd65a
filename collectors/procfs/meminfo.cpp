#include "collectors/procfs/meminfo.h"

#include "core/parse.h"

namespace vitals::procfs {

Meminfo parse_meminfo(std::string_view text) {
  Meminfo m;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    if (parse::trim(line).empty()) continue;
    std::string_view rest = line, key, val, unit, extra;
    parse::next_field(rest, key);
    if (key.empty() || key.back() != ':') {
      m.errors.add(n, "missing ':'", line);
      continue;
    }
    key.remove_suffix(1);
    if (!parse::next_field(rest, val)) {
      m.errors.add(n, "no value for " + std::string(key), line);
      continue;
    }
    auto v = parse::to_double(val);
    if (!v) {
      m.errors.add(n, "invalid value \"" + std::string(val) + "\" for " + std::string(key), line);
      continue;
    }
    MeminfoEntry e{key, *v, false};
    if (parse::next_field(rest, unit)) {
      if (unit != "kB" || parse::next_field(rest, extra)) {
        m.errors.add(n, "unexpected unit \"" + std::string(unit) + "\" for " + std::string(key),
                     line);
        continue;
      }
      e.kb = true;
    }
    m.entries.push_back(e);
  }
  return m;
}

}  // namespace vitals::procfs
