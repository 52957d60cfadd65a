#include "collectors/procfs/netdev.h"

#include "core/parse.h"

namespace vitals::procfs {

void parse_net_dev(std::string_view text, NetDev* out) {
  out->devices.clear();
  out->errors.clear();
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    if (n <= 2 || parse::trim(line).empty()) continue;  // two header lines
    size_t colon = line.rfind(':');
    if (colon == std::string_view::npos) {
      out->errors.add(n, "missing ':' after the device name", line);
      continue;
    }
    NetDevLine d;
    d.device = parse::trim(line.substr(0, colon));
    std::string_view rest = line.substr(colon + 1), f;
    size_t i = 0;
    bool ok = !d.device.empty();
    while (ok && parse::next_field(rest, f)) {
      auto v = parse::to_u64(f);
      if (!v || i >= d.values.size()) {
        ok = false;
        break;
      }
      d.values[i++] = double(*v);
    }
    if (!ok || i != d.values.size()) {
      out->errors.add(n, "expected a device name and 16 counters", line);
      continue;
    }
    out->devices.push_back(d);
  }
}

}  // namespace vitals::procfs
