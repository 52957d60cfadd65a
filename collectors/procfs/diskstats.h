// /proc/diskstats and udev's /run/udev/data/b<major>:<minor> database files.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// One line of /proc/diskstats: major, minor, name, then 11 (before 4.18), 15 (4.18+) or 17
// (5.5+) counters; `count` says how many were present.
struct DiskStat {
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string name;
  std::array<double, 17> stats{};
  int count = 0;
};

struct Diskstats {
  std::vector<DiskStat> disks;
  parse::ParseErrors errors;  // "line N: ..."
};

Diskstats parse_diskstats(std::string_view text);

// The E: (property) lines of a udev database file, as key -> value.
std::map<std::string, std::string> parse_udev_properties(std::string_view text);

}  // namespace vitals::procfs
