// Pure parsers of cgroup v1 and v2 interface files, by shape (see the kernel's
// Documentation/admin-guide/cgroup-v2.rst, "Interface Files"): text in, struct out, no I/O.
// Fields the file does not have stay nullopt, so an absent value is distinguishable from 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::cgroup {

// A single-value file ("1234\n"): memory.current, pids.current, cpu.weight, cpuacct.usage,
// memory.usage_in_bytes, cpu.cfs_quota_us ("-1" is a value; callers decide what it means).
std::optional<double> parse_single(std::string_view text);

// A single value that may be "max" (memory.max, memory.swap.max, pids.max, memory.low).
struct Limit {
  bool unlimited = false;  // the file said "max"
  double value = 0;        // when !unlimited
};
std::optional<Limit> parse_limit(std::string_view text);

// cpu.max: "$MAX $PERIOD", MAX being "max" or a number of microseconds.
struct CpuMax {
  std::optional<double> quota_us;  // nullopt for "max"
  double period_us = 0;
};
std::optional<CpuMax> parse_cpu_max(std::string_view text);

// Flat keyed files ("KEY VALUE" per line: cpu.stat, memory.stat, memory.events,
// memory.oom_control, cpuacct.stat) are read with parse::parse_key_values (core/parse.h).

// Nested keyed files ("KEY SUB=VALUE SUB=VALUE ..." per line): io.stat. A line with a bad
// SUB=VALUE pair keeps its good pairs and records an error.
struct NestedKeyed {
  struct Entry {
    std::string_view key;  // e.g. "8:16"
    std::string_view sub;  // e.g. "rbytes"
    double value;
  };
  std::vector<Entry> entries;
  parse::ParseErrors errors;
};
void parse_nested_keyed(std::string_view text, NestedKeyed& out);

// Pressure stall files (cpu.pressure, memory.pressure, io.pressure) have the format of
// /proc/pressure/*: see procfs/pressure.h.

// cgroup v1 blkio "recursive" files (blkio.throttle.io_service_bytes_recursive,
// blkio.throttle.io_serviced_recursive): "MAJ:MIN OP VALUE" lines and a final "Total VALUE".
struct Blkio {
  struct Entry {
    std::string_view device;  // "8:0"
    std::string_view op;      // Read, Write, Sync, Async, Discard, Total
    double value;
  };
  std::vector<Entry> entries;
  std::optional<double> total;
  parse::ParseErrors errors;
};
void parse_blkio(std::string_view text, Blkio& out);

// cgroup.procs / tasks: one pid per line. Counts them and keeps the first.
struct Procs {
  uint64_t count = 0;
  std::optional<int> first_pid;
  parse::ParseErrors errors;
};
Procs parse_procs(std::string_view text);

}  // namespace vitals::cgroup
