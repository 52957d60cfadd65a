// process_* metrics about the agent itself, with the names and help of Prometheus' Go client.
// These read the agent's own /proc/self (the real procfs, not --path.procfs), as the Go
// client does.
#pragma once

#include <string_view>

#include "model/metric.h"

namespace vitals {

struct ProcSelfStat {
  double utime_ticks = 0;
  double stime_ticks = 0;
  double starttime_ticks = 0;
  double vsize_bytes = 0;
  double rss_pages = 0;
};

// Parses /proc/<pid>/stat. The comm field may hold spaces and parentheses.
bool parse_proc_pid_stat(std::string_view text, ProcSelfStat* out);

void collect_process_metrics(MetricSet& out);

}  // namespace vitals
