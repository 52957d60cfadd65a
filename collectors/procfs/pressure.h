#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/parse.h"

namespace vitals::procfs {

// One /proc/pressure/<resource> file: the "total=" stall time (microseconds) of its "some" and
// "full" lines. A line that is absent (cpu has no "full" before 5.13) stays nullopt.
struct Pressure {
  std::optional<double> some_total_us;
  std::optional<double> full_total_us;
  parse::ParseErrors errors;
};

Pressure parse_pressure(std::string_view text);

}  // namespace vitals::procfs
