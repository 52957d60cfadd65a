// Bridge from prometheus-cpp's data model: families collected from a prometheus::Registry
// (the agent's own counters and gauges use prometheus-cpp's Counter/Gauge/Histogram) are copied
// into the model, so one set of serializers writes everything.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "model/metric.h"

namespace vitals {

void append_prometheus_cpp(const std::vector<prometheus::MetricFamily>& in, MetricSet& out);

}  // namespace vitals
