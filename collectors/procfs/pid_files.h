// Pure parsers of the per-process files the containers and process_groups collectors read:
// /proc/<pid>/stat, status, io and limits. Text in, struct out, no I/O. Views in the
// results point into the parsed text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// /proc/<pid>/stat (proc(5) field numbers in comments). The comm may hold spaces and ')'.
struct PidStat {
  std::string_view comm;   // 2, without the parentheses
  char state = 0;          // 3
  double ppid = 0;         // 4
  double minflt = 0;       // 10
  double majflt = 0;       // 12
  double utime = 0;        // 14, clock ticks
  double stime = 0;        // 15, clock ticks
  double num_threads = 0;  // 20
  double starttime = 0;    // 22, clock ticks after boot
  double vsize = 0;        // 23, bytes
  double rss = 0;          // 24, pages
};
// nullopt when the line is malformed or short, with the item error (line 1) added to `errors`.
std::optional<PidStat> parse_pid_stat(std::string_view text, parse::ParseErrors& errors);
// The same with the error as text, for the agent's own /proc/self (collectors/self).
std::optional<PidStat> parse_pid_stat(std::string_view text, std::string* error);

// The fields of /proc/<pid>/status that process-exporter reports.
struct PidStatus {
  std::optional<double> voluntary_ctxt_switches;
  std::optional<double> nonvoluntary_ctxt_switches;
  std::optional<double> vm_swap_bytes;  // VmSwap (absent for kernel threads)
};
PidStatus parse_pid_status(std::string_view text);

// /proc/<pid>/io: read_bytes and write_bytes (storage-layer I/O).
struct PidIo {
  std::optional<double> read_bytes;
  std::optional<double> write_bytes;
};
PidIo parse_pid_io(std::string_view text);

// The soft limit of "Max open files" in /proc/<pid>/limits; +Inf for "unlimited".
std::optional<double> parse_max_open_files(std::string_view text);

// /proc/<pid>/net/dev has the format of /proc/net/dev: see procfs/netdev.h.

}  // namespace vitals::procfs
