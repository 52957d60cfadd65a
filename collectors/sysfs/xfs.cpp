#include "collectors/sysfs/xfs.h"

#include <string>

namespace vitals::sysfs {

XfsStats parse_xfs_stats(std::string_view text) {
  XfsStats r;
  std::string_view rest = text, line;
  int n = 0;
  while (parse::next_line(rest, line)) {
    ++n;
    std::string_view fields = line, key;
    if (!parse::next_field(fields, key)) continue;
    size_t which = kXfsLines.size();
    for (size_t i = 0; i < kXfsLines.size(); ++i) {
      if (kXfsLines[i].key == key) which = i;
    }
    if (which == kXfsLines.size()) continue;
    std::array<uint64_t, 7> values{};
    size_t count = 0;
    bool ok = true;
    std::string_view f;
    while (ok && count < kXfsLines[which].fields && parse::next_field(fields, f)) {
      auto v = parse::to_u64(f);
      if (!v) {
        r.errors.add(n, "invalid number \"" + std::string(f.substr(0, 40)) + "\"", line);
        ok = false;
      } else {
        values[count++] = *v;
      }
    }
    if (!ok) continue;
    if (count < kXfsLines[which].fields) {
      r.errors.add(n,
                   "expected " + std::to_string(kXfsLines[which].fields) + " values for " +
                       std::string(key) + ", got " + std::to_string(count),
                   line);
      continue;
    }
    r.lines[which] = values;
  }
  return r;
}

}  // namespace vitals::sysfs
