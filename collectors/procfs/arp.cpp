#include "collectors/procfs/arp.h"

#include "core/parse.h"

namespace vitals::procfs {

Arp parse_arp(std::string_view text) {
  Arp a;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    if (n == 1 || parse::trim(line).empty()) continue;  // header
    // IP address, HW type, Flags, HW address, Mask, Device
    std::string_view rest = line, f;
    int fields = 0;
    std::string_view device;
    while (parse::next_field(rest, f)) {
      ++fields;
      device = f;
    }
    if (fields != 6) {
      a.errors.add(n, "expected 6 fields, got " + std::to_string(fields), line);
      continue;
    }
    bool found = false;
    for (auto& d : a.devices) {
      if (d.device == device) {
        d.entries++;
        found = true;
        break;
      }
    }
    if (!found) a.devices.push_back({device, 1});
  }
  return a;
}

}  // namespace vitals::procfs
