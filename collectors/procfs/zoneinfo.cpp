#include "collectors/procfs/zoneinfo.h"

#include <cctype>

namespace vitals::procfs {
namespace {

// "Node 0, zone   Normal" -> node "0", zone "Normal".
bool node_zone(std::string_view line, std::string* node, std::string* zone) {
  size_t comma = line.find(", zone");
  if (comma == std::string_view::npos) return false;
  size_t b = comma;
  while (b > 0 && line[b - 1] >= '0' && line[b - 1] <= '9') --b;
  if (b == comma) return false;
  std::string_view rest = line.substr(comma + 6);
  size_t s = 0;
  while (s < rest.size() && parse::is_space(rest[s])) ++s;
  if (s == 0) return false;
  size_t e = s;
  while (e < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[e])) || rest[e] == '_')) {
    ++e;
  }
  if (e == s) return false;
  node->assign(line.substr(b, comma - b));
  zone->assign(rest.substr(s, e - s));
  return true;
}

}  // namespace

Zoneinfo parse_zoneinfo(std::string_view text) {
  Zoneinfo r;
  std::string_view rest = text, line;
  int n = 0;
  while (parse::next_line(rest, line)) {
    ++n;
    if (n == 1 || line.substr(0, 4) == "Node") {  // a new block, as procfs splits on "\nNode"
      r.zones.emplace_back();
      std::string node, zone;
      if (node_zone(line, &node, &zone)) {
        r.zones.back().node = std::move(node);
        r.zones.back().zone = std::move(zone);
        continue;
      }
    }
    std::string_view fields = line, key, value;
    if (!parse::next_field(fields, key) || !parse::next_field(fields, value)) continue;
    ZoneinfoZone& z = r.zones.back();
    if (key == "protection:") {
      // "protection: (0, 2039, 31932, 31932, 31932)"
      std::string_view list = line.substr(line.find(':') + 1);
      size_t open = list.find('('), close = list.rfind(')');
      if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
        r.errors.add(n, "invalid protection array", line);
        continue;
      }
      list = list.substr(open + 1, close - open - 1);
      std::vector<int64_t> values;
      bool ok = true;
      while (!list.empty()) {
        size_t c = list.find(',');
        auto v = parse::to_i64(parse::trim(list.substr(0, c)));
        if (!v) {
          ok = false;
          break;
        }
        values.push_back(*v);
        list = c == std::string_view::npos ? std::string_view() : list.substr(c + 1);
      }
      if (!ok) {
        r.errors.add(n, "invalid protection array", line);
        continue;
      }
      z.protection = std::move(values);
      continue;
    }
    for (size_t i = 0; i < kZoneinfoKeys.size(); ++i) {
      if (kZoneinfoKeys[i] != key) continue;
      auto v = parse::to_i64(value);
      if (!v) {
        r.errors.add(n, "invalid value for " + std::string(key), line);
      } else {
        z.values[i] = *v;
      }
      break;
    }
  }
  return r;
}

}  // namespace vitals::procfs
