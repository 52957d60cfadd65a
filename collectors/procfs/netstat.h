#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// One counter of /proc/net/netstat, /proc/net/snmp ("Tcp" + "ActiveOpens") or
// /proc/net/snmp6 ("Ip6" + "InOctets", split at the protocol prefix as node_exporter does).
struct NetStatValue {
  std::string_view protocol;  // points into the parsed text
  std::string_view name;
  double value = 0;
};

struct NetStats {
  std::vector<NetStatValue> values;
  parse::ParseErrors errors;
};

// /proc/net/netstat and /proc/net/snmp: pairs of lines "Proto: names..." / "Proto: values...".
// Appends to `out`.
void parse_netstat(std::string_view text, NetStats* out);
// /proc/net/snmp6: "Ip6InReceives  12" lines. Appends to `out`.
void parse_snmp6(std::string_view text, NetStats* out);

}  // namespace vitals::procfs
