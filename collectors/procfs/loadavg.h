#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vitals::procfs {

// /proc/loadavg: "0.21 0.37 0.39 1/719 19737"
struct LoadAvg {
  double load1 = 0, load5 = 0, load15 = 0;
};

// Returns nullopt and sets `error` when the text is malformed.
std::optional<LoadAvg> parse_loadavg(std::string_view text, std::string* error);

}  // namespace vitals::procfs
