// process_* metrics about the agent itself, with the names and help of Prometheus' Go client.
// These read the agent's own /proc/self (the real procfs, not --path.procfs), as the Go
// client does. Not a collector: the exporter adds them to every scrape (unless
// --web.disable-exporter-metrics).
#pragma once

#include <string_view>

#include "model/metric.h"

namespace vitals {

void collect_process_metrics(MetricSet& out);

}  // namespace vitals
