// /proc/buddyinfo: free block counts per NUMA node, zone and order ("Node 0, zone DMA 1 0 ...").
// As node_exporter 1.5.0 (through prometheus/procfs) reads it: every zone line must have the
// same number of orders as the first one.
#pragma once

#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

struct BuddyZone {
  std::string_view node;  // views into the parsed text
  std::string_view zone;
  std::vector<double> sizes;  // free blocks of order 0, 1, ...
};

struct BuddyInfo {
  std::vector<BuddyZone> zones;
  parse::ParseErrors errors;  // "line N: ..."
};

// Reuses `out`'s storage.
void parse_buddyinfo(std::string_view text, BuddyInfo& out);

}  // namespace vitals::procfs
