#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// /proc/meminfo: "Key:   value [kB]" lines, in file order.
struct MeminfoEntry {
  std::string_view key;  // as in the file, e.g. "Active(anon)"
  double value = 0;      // as in the file (kB lines not yet scaled)
  bool kb = false;       // the line carried a "kB" unit
};

struct Meminfo {
  std::vector<MeminfoEntry> entries;  // views into the parsed text
  parse::ParseErrors errors;          // one per malformed line: "line N: ..."
};

Meminfo parse_meminfo(std::string_view text);

}  // namespace vitals::procfs
