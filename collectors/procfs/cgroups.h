#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// One line of /proc/cgroups.
struct CgroupSummary {
  std::string_view subsys_name;  // points into the parsed text
  double hierarchy = 0;
  double num_cgroups = 0;
  double enabled = 0;
};

struct Cgroups {
  std::vector<CgroupSummary> subsystems;
  parse::ParseErrors errors;
};

Cgroups parse_cgroups(std::string_view text);

}  // namespace vitals::procfs
