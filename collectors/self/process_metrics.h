// process_* metrics about the agent itself, with the names and help of Prometheus' Go client.
// These read the agent's own /proc/self (the real procfs, not --path.procfs), as the Go
// client does. Not a collector: a self-metrics source (core/self_metrics.h) that agent/main.cpp
// registers, left out with --web.disable-exporter-metrics.
#pragma once

#include <prometheus/collectable.h>

#include <memory>

namespace vitals {

std::shared_ptr<prometheus::Collectable> process_metrics();

// The agent's open file descriptors (process_open_fds); -1 when it cannot tell. Since Linux 6.2
// the size of /proc/<pid>/fd is that number, so one stat(2) does; older kernels report 0 there,
// and the directory is listed. The listing cost ~1 ms of kernel time per scrape once the agent
// kept hundreds of procfs files open (--collector.keep-open-files).
double open_fd_count();

}  // namespace vitals
