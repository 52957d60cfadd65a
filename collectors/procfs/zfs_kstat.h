// ZFS kstat files under /proc/spl/kstat/zfs, read as node_exporter 1.5.0 does: the named
// tables ("name type data" header, then one row per value; only the 64-bit integer types 3
// and 4 are kept), a pool's "io" table (a header row of names and a row of values), a pool's
// objset-* tables (their dataset_name row names the dataset) and a pool's "state" line.
#pragma once

#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

struct KstatValue {
  std::string_view name;  // a view into the parsed text
  double value = 0;
};

struct Kstat {
  std::vector<KstatValue> values;
  std::string_view dataset;   // the dataset_name row's value (objset tables)
  bool header_seen = false;   // a "name type data" header (or the io table's header) was found
  parse::ParseErrors errors;  // "line N: ..."
};

// A named kstat table; `out` is reused.
void parse_kstat(std::string_view text, Kstat& out);

// A pool's io table: "nread nwritten reads ..." then the values in the same order.
void parse_zpool_io(std::string_view text, Kstat& out);

// A pool's state file ("ONLINE\n") in lower case, as node_exporter compares it.
std::string zpool_state(std::string_view text);

}  // namespace vitals::procfs
