#include "collectors/procfs/diskstats.h"

#include "core/parse.h"

namespace vitals::procfs {

Diskstats parse_diskstats(std::string_view text) {
  Diskstats d;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, f;
    if (parse::trim(line).empty()) continue;
    DiskStat s;
    std::string_view maj, min, name;
    if (!parse::next_field(rest, maj) || !parse::next_field(rest, min) ||
        !parse::next_field(rest, name)) {
      d.errors.add(n, "expected major, minor and name", line);
      continue;
    }
    auto ma = parse::to_u64(maj), mi = parse::to_u64(min);
    if (!ma || !mi || *ma > UINT32_MAX || *mi > UINT32_MAX) {
      d.errors.add(n, "invalid device number", line);
      continue;
    }
    s.major = static_cast<uint32_t>(*ma);
    s.minor = static_cast<uint32_t>(*mi);
    s.name.assign(name);
    bool ok = true;
    while (parse::next_field(rest, f)) {
      if (s.count == static_cast<int>(s.stats.size())) break;  // newer kernels: ignore extras
      auto v = parse::to_u64(f);
      if (!v) {
        d.errors.add(n, "invalid counter \"" + std::string(f) + "\"", line);
        ok = false;
        break;
      }
      s.stats[static_cast<size_t>(s.count++)] = static_cast<double>(*v);
    }
    if (!ok) continue;
    if (s.count < 11) {
      d.errors.add(n, "expected at least 11 counters, got " + std::to_string(s.count), line);
      continue;
    }
    d.disks.push_back(std::move(s));
  }
  return d;
}

std::map<std::string, std::string> parse_udev_properties(std::string_view text) {
  std::map<std::string, std::string> m;
  std::string_view line;
  while (parse::next_line(text, line)) {
    if (line.size() < 2 || line.substr(0, 2) != "E:") continue;
    std::string_view kv = line.substr(2);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    m[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  return m;
}

}  // namespace vitals::procfs
