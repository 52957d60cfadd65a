#include "collectors/procfs/nfs_rpc.h"

#include <string>

namespace vitals::procfs {

void parse_rpc_stats(std::string_view text, RpcStats& out) {
  out.lines.clear();
  out.values.clear();
  out.errors.clear();
  std::string_view rest = text, line;
  int n = 0;
  while (parse::next_line(rest, line)) {
    ++n;
    std::string_view fields = line, key, f;
    if (!parse::next_field(fields, key)) continue;
    RpcStats::Line l{key, static_cast<uint32_t>(out.values.size()), 0, n};
    bool ok = true;
    while (parse::next_field(fields, f)) {
      auto v = parse::to_double(f);
      if (!v) {
        out.errors.add(n, "invalid number \"" + std::string(f.substr(0, 40)) + "\"", line);
        ok = false;
        break;
      }
      out.values.push_back(*v);
      ++l.count;
    }
    if (!ok || l.count == 0) {
      if (ok) out.errors.add(n, "no values", line);
      out.values.resize(l.begin);
      continue;
    }
    out.lines.push_back(l);
  }
}

std::span<const double> rpc_procedures(const RpcStats& s, const RpcStats::Line& l, size_t min,
                                       parse::ParseErrors& errors) {
  auto v = s.of(l);
  if (v.empty() || v[0] != static_cast<double>(v.size() - 1) || v.size() - 1 < min) {
    errors.add(l.number, "invalid " + std::string(l.key) + " line: count " +
                             std::to_string(v.empty() ? 0 : static_cast<int64_t>(v[0])) + ", " +
                             std::to_string(v.empty() ? 0 : v.size() - 1) + " values (at least " +
                             std::to_string(min) + " expected)");
    return {};
  }
  return v.subspan(1);
}

std::span<const double> rpc_line(RpcStats& s, std::string_view key, size_t min) {
  const auto* l = s.find(key);
  if (!l) return {};
  auto v = s.of(*l);
  if (v.size() < min) {
    s.errors.add(l->number, "expected " + std::to_string(min) + " values for " + std::string(key) +
                                ", got " + std::to_string(v.size()));
    return {};
  }
  return v;
}

}  // namespace vitals::procfs
