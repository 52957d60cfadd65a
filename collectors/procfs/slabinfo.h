// /proc/slabinfo (version 2.1): one entry per slab cache with the columns node_exporter 1.5.0
// exports (through prometheus/procfs).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

struct Slab {
  std::string name;
  int64_t active_objects = 0;
  int64_t objects = 0;
  int64_t object_size = 0;
  int64_t objects_per_slab = 0;
  int64_t pages_per_slab = 0;
};

struct Slabinfo {
  std::vector<Slab> slabs;
  parse::ParseErrors errors;  // "line N: ..."
};

// A file whose first line is not "slabinfo - version: 2.1" is one error and no slabs.
Slabinfo parse_slabinfo(std::string_view text);

}  // namespace vitals::procfs
