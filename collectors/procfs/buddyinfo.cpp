#include "collectors/procfs/buddyinfo.h"

#include <string>

namespace vitals::procfs {

void parse_buddyinfo(std::string_view text, BuddyInfo& out) {
  size_t used = 0;
  out.errors.clear();
  std::string_view line;
  int n = 0;
  long orders = -1;
  while (parse::next_line(text, line)) {
    ++n;
    if (parse::trim(line).empty()) continue;
    std::string_view rest = line, f[4];
    bool ok = true;
    for (auto& x : f) ok = ok && parse::next_field(rest, x);
    if (!ok || f[0] != "Node" || f[2] != "zone") {
      out.errors.add(n, "expected \"Node N, zone NAME COUNTS...\"", line);
      continue;
    }
    if (used == out.zones.size()) out.zones.emplace_back();
    BuddyZone& z = out.zones[used];
    z.sizes.clear();
    std::string_view node = f[1];
    while (!node.empty() && node.back() == ',') node.remove_suffix(1);
    std::string_view zone = f[3];
    while (!zone.empty() && zone.back() == ',') zone.remove_suffix(1);
    z.node = node;
    z.zone = zone;
    std::string_view v;
    bool bad = false;
    while (parse::next_field(rest, v)) {
      auto d = parse::to_double(v);
      if (!d) {
        out.errors.add(n, "invalid number", line);
        bad = true;
        break;
      }
      z.sizes.push_back(*d);
    }
    if (bad) continue;
    if (orders < 0) {
      orders = static_cast<long>(z.sizes.size());
    } else if (orders != static_cast<long>(z.sizes.size())) {
      out.errors.add(n, "expected " + std::to_string(orders) + " orders, got " +
                            std::to_string(z.sizes.size()));
      continue;
    }
    ++used;
  }
  out.zones.resize(used);
}

}  // namespace vitals::procfs
