// A /proc/net/stat/<cache> file (arp_cache, ndisc_cache, nf_conntrack, rt_cache, ...): a header
// line of column names, then one line of hexadecimal counters per CPU.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

struct LnstatFile {
  std::vector<std::string_view> headers;  // views into the parsed text
  // One row per CPU line that parsed; row.cpu is its position among the CPU lines (0-based),
  // so a bad line leaves a gap rather than renumbering the CPUs after it.
  struct Row {
    int cpu = 0;
    std::vector<uint64_t> values;  // values[i] is headers[i]
  };
  std::vector<Row> rows;
  parse::ParseErrors errors;  // "line N: ..."
};

// Reuses `out`'s storage.
void parse_lnstat(std::string_view text, LnstatFile& out);

}  // namespace vitals::procfs
