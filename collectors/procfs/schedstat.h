#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// The "cpuN" lines of /proc/schedstat (version 15): fields 7, 8 and 9.
struct SchedstatCpu {
  std::string_view cpu;  // "0", "1", ... (points into the parsed text)
  double running_ns = 0;
  double waiting_ns = 0;
  double timeslices = 0;
};

struct Schedstat {
  std::vector<SchedstatCpu> cpus;
  parse::ParseErrors errors;
};

Schedstat parse_schedstat(std::string_view text);

}  // namespace vitals::procfs
