// Per-NUMA-node memory files under /sys/devices/system/node/node<N>/, as node_exporter 1.5.0's
// meminfo_numa collector reads them: meminfo ("Node 0 MemTotal: 123 kB", kB scaled to bytes)
// and numastat ("numa_hit 123", counters).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::sysfs {

struct NodeMemValue {
  std::string_view name;  // as in the file, without ':' ("Active(anon)", "numa_hit")
  std::string_view node;  // meminfo: the node number on the line; numastat: empty
  double value = 0;
};

struct NodeMemFile {
  std::vector<NodeMemValue> values;
  parse::ParseErrors errors;  // "line N: ..."
};

// Both reuse `out`'s storage.
void parse_node_meminfo(std::string_view text, NodeMemFile& out);
void parse_node_numastat(std::string_view text, NodeMemFile& out);

// node_exporter's metric name for a meminfo field: "Active(anon)" -> "Active_anon" (the first
// '(' to the last ')' replaced by '_' and what was between).
void numa_metric_name(std::string_view field, std::string* out);

}  // namespace vitals::sysfs
