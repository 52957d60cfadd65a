// process_* metrics about the agent itself, with the names and help of Prometheus' Go client.
// These read the agent's own /proc/self (the real procfs, not --path.procfs), as the Go
// client does. Not a collector: a self-metrics source (core/self_metrics.h) that agent/main.cpp
// registers, left out with --web.disable-exporter-metrics.
#pragma once

#include <prometheus/collectable.h>

#include <memory>

namespace vitals {

std::shared_ptr<prometheus::Collectable> process_metrics();

}  // namespace vitals
