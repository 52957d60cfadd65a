// Small /proc/net files: sockstat, softnet_stat, udp queues.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// /proc/net/sockstat{,6}: "TCP: inuse 4 orphan 0 ..." -> ("TCP", "inuse", 4), ...
struct SockstatValue {
  std::string_view protocol;  // points into the parsed text
  std::string_view key;
  double value = 0;
};

struct Sockstat {
  std::vector<SockstatValue> values;
  parse::ParseErrors errors;
};

Sockstat parse_sockstat(std::string_view text);

// /proc/net/softnet_stat: one line of hex counters per CPU (line index = cpu, as
// node_exporter 1.5.0 numbers them).
struct SoftnetCpu {
  double processed = 0;
  double dropped = 0;
  double time_squeezed = 0;
};

struct Softnet {
  std::vector<SoftnetCpu> cpus;
  parse::ParseErrors errors;
};

Softnet parse_softnet(std::string_view text);

}  // namespace vitals::procfs
