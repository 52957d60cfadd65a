#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// One "cpu" or "cpuN" line of /proc/stat, in USER_HZ ticks. Fields the kernel did not print
// stay nullopt-free by `fields` counting how many were present.
struct CpuTicks {
  int cpu = -1;  // -1 for the aggregate "cpu" line
  std::array<double, 10>
      ticks{};  // user nice system idle iowait irq softirq steal guest guest_nice
  int fields = 0;
};

inline constexpr std::array<std::string_view, 10> kSoftirqVectors = {
    "hi",           "timer",   "net_tx", "net_rx",  "block",
    "block_iopoll", "tasklet", "sched",  "hrtimer", "rcu"};

// /proc/stat. Absent lines stay nullopt.
struct Stat {
  std::optional<CpuTicks> total;
  std::vector<CpuTicks> cpus;
  std::optional<double> intr_total;
  std::optional<double> context_switches;
  std::optional<double> boot_time;
  std::optional<double> forks;
  std::optional<double> procs_running;
  std::optional<double> procs_blocked;
  std::optional<double> softirq_total;
  std::vector<double> softirqs;  // per vector, in kSoftirqVectors order
  parse::ParseErrors errors;     // one per malformed line: "line N: ..."
};

Stat parse_stat(std::string_view text);

}  // namespace vitals::procfs
