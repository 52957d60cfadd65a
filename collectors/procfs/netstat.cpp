#include "collectors/procfs/netstat.h"

#include "core/parse.h"

namespace vitals::procfs {

void parse_netstat(std::string_view text, NetStats* out) {
  std::string_view names_line, values_line;
  int n = 0;
  while (parse::next_line(text, names_line)) {
    ++n;
    if (parse::trim(names_line).empty()) continue;
    if (!parse::next_line(text, values_line)) {
      out->errors.add(n, "header without a values line", names_line);
      break;
    }
    ++n;
    std::string_view names = names_line, values = values_line, proto, proto2;
    parse::next_field(names, proto);
    parse::next_field(values, proto2);
    if (proto.empty() || proto.back() != ':' || proto != proto2) {
      out->errors.add(n, "values line does not match its header", values_line);
      continue;
    }
    proto.remove_suffix(1);
    size_t first = out->values.size();
    std::string_view name, val;
    bool ok = true;
    while (parse::next_field(names, name)) {
      if (!parse::next_field(values, val)) {
        ok = false;
        break;
      }
      // Most counters are unsigned; a few (Tcp MaxConn) are -1.
      auto v = parse::to_double(val);
      if (!v) {
        ok = false;
        break;
      }
      out->values.push_back({proto, name, *v});
    }
    if (!ok || parse::next_field(values, val)) {
      out->values.resize(first);
      out->errors.add(n, "values do not match the header's names", values_line);
    }
  }
}

void parse_snmp6(std::string_view text, NetStats* out) {
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, key, val;
    if (!parse::next_field(rest, key)) continue;
    if (!parse::next_field(rest, val)) {
      out->errors.add(n, "missing value", line);
      continue;
    }
    auto v = parse::to_double(val);
    // "Ip6InReceives" -> "Ip6" "InReceives"; "Icmp6InMsgs" -> "Icmp6" "InMsgs"; the protocol
    // ends at the first '6'.
    // Lines without a '6' are not per-protocol counters; node_exporter skips them too.
    size_t six = key.find('6');
    if (six == std::string_view::npos) continue;
    if (!v || six + 1 >= key.size()) {
      out->errors.add(n, "invalid counter", line);
      continue;
    }
    out->values.push_back({key.substr(0, six + 1), key.substr(six + 1), *v});
  }
}

}  // namespace vitals::procfs
