#include "collectors/sysfs/node_meminfo.h"

namespace vitals::sysfs {

void parse_node_meminfo(std::string_view text, NodeMemFile& out) {
  out.values.clear();
  out.errors.clear();
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    if (parse::trim(line).empty()) continue;
    std::string_view rest = line, f[6];
    int count = 0;
    while (count < 6 && parse::next_field(rest, f[count])) ++count;
    if (count < 4 || count > 5 || (count == 5 && f[4] != "kB")) {
      out.errors.add(n, "expected \"Node N NAME: VALUE [kB]\"", line);
      continue;
    }
    auto v = parse::to_double(f[3]);
    if (!v) {
      out.errors.add(n, "invalid number", line);
      continue;
    }
    std::string_view name = f[2];
    while (!name.empty() && name.back() == ':') name.remove_suffix(1);
    out.values.push_back({name, f[1], count == 5 ? *v * 1024 : *v});
  }
}

void parse_node_numastat(std::string_view text, NodeMemFile& out) {
  out.values.clear();
  out.errors.clear();
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    if (parse::trim(line).empty()) continue;
    std::string_view rest = line, f[3];
    int count = 0;
    while (count < 3 && parse::next_field(rest, f[count])) ++count;
    if (count != 2) {
      out.errors.add(n, "expected \"NAME VALUE\"", line);
      continue;
    }
    auto v = parse::to_double(f[1]);
    if (!v) {
      out.errors.add(n, "invalid number", line);
      continue;
    }
    out.values.push_back({f[0], {}, *v});
  }
}

void numa_metric_name(std::string_view field, std::string* out) {
  size_t open = field.find('(');
  size_t close = field.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    out->assign(field);
    return;
  }
  out->assign(field.substr(0, open));
  out->push_back('_');
  out->append(field.substr(open + 1, close - open - 1));
  out->append(field.substr(close + 1));
}

}  // namespace vitals::sysfs
