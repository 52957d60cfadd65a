#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// /proc/net/stat/nf_conntrack: a header naming the columns, then one line of hex counters per
// CPU. The counters node_exporter reports, summed over CPUs; columns the kernel does not print
// stay nullopt.
struct ConntrackStat {
  std::optional<double> found, invalid, ignore, insert, insert_failed, drop, early_drop,
      search_restart;
  parse::ParseErrors errors;
};

ConntrackStat parse_conntrack_stat(std::string_view text);

}  // namespace vitals::procfs
