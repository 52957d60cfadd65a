// /proc/sys/<a>/<b>/... values as node_exporter 1.5.0's sysctl collector reads them (through
// prometheus/procfs): the file's text split on whitespace, and for numeric sysctls each field
// as a decimal integer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vitals::procfs {

// "kernel.seccomp.actions_avail" -> "kernel/seccomp/actions_avail" (relative to procfs/sys).
std::string sysctl_path(std::string_view name);

// The whitespace-separated fields of a sysctl file; `out` is reused.
void split_sysctl(std::string_view text, std::vector<std::string_view>& out);

// The fields as integers; false with `error` naming the first field that is not one.
bool sysctl_ints(std::string_view text, std::vector<int64_t>& out, std::string* error);

}  // namespace vitals::procfs
