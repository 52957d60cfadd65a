#include "collectors/procfs/zfs_kstat.h"

#include <array>
#include <cctype>
#include <string>

namespace vitals::procfs {

void parse_kstat(std::string_view text, Kstat& out) {
  out.values.clear();
  out.dataset = {};
  out.header_seen = false;
  out.errors.clear();
  std::string_view rest = text, line;
  int n = 0;
  while (parse::next_line(rest, line)) {
    ++n;
    std::string_view fields = line;
    std::array<std::string_view, 3> f;
    size_t count = 0;
    std::string_view x;
    while (parse::next_field(fields, x)) {
      if (count < f.size()) f[count] = x;
      ++count;
    }
    if (!out.header_seen) {
      out.header_seen = count == 3 && f[0] == "name" && f[1] == "type" && f[2] == "data";
      continue;
    }
    if (count < 3) continue;
    if (f[0] == "dataset_name") {
      out.dataset = f[2];
      continue;
    }
    if (f[1] != "4" && f[1] != "3") continue;  // KSTAT_DATA_UINT64, KSTAT_DATA_INT64
    std::optional<double> v;
    if (f[1] == "4") {
      if (auto u = parse::to_u64(f[2])) v = static_cast<double>(*u);
    } else if (auto i = parse::to_i64(f[2])) {
      v = static_cast<double>(*i);
    }
    if (!v) {
      out.errors.add(n, "invalid integer for " + std::string(f[0]), line);
      continue;
    }
    out.values.push_back({f[0], *v});
  }
}

void parse_zpool_io(std::string_view text, Kstat& out) {
  out.values.clear();
  out.dataset = {};
  out.header_seen = false;
  out.errors.clear();
  std::string_view rest = text, line, header;
  int n = 0;
  while (parse::next_line(rest, line)) {
    ++n;
    std::string_view fields = line, first;
    if (!parse::next_field(fields, first)) continue;
    if (!out.header_seen) {
      if (first == "nread") {
        size_t count = 1;
        std::string_view x;
        while (parse::next_field(fields, x)) ++count;
        if (count >= 12) {
          out.header_seen = true;
          header = line;
        }
      }
      continue;
    }
    std::string_view names = header, values = line, name, value;
    while (parse::next_field(names, name)) {
      if (!parse::next_field(values, value)) {
        out.errors.add(n, "fewer values than names", line);
        break;
      }
      auto v = parse::to_u64(value);
      if (!v) {
        out.errors.add(n, "invalid integer for " + std::string(name), line);
        continue;
      }
      out.values.push_back({name, static_cast<double>(*v)});
    }
  }
}

std::string zpool_state(std::string_view text) {
  size_t nl = text.find('\n');
  std::string s(text.substr(0, nl));
  if (!s.empty() && s.back() == '\r') s.pop_back();
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace vitals::procfs
