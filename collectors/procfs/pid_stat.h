#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vitals::procfs {

// The fields of /proc/<pid>/stat the processes collector needs.
struct PidStat {
  char state = 0;
  double num_threads = 0;
};

// nullopt with `error` set when the line is malformed.
std::optional<PidStat> parse_pid_stat(std::string_view text, std::string* error);

}  // namespace vitals::procfs
