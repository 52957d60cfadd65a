// The agent's own metrics are declared with prometheus-cpp (Counter/Gauge/Histogram families
// in a prometheus::Registry; a prometheus::Collectable for values read at scrape time). This
// bridge copies prometheus-cpp's families into the model, so one set of serializers writes
// everything; the model itself knows no prometheus-cpp.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/metric.h"

namespace vitals {

void append_prometheus_cpp(const std::vector<prometheus::MetricFamily>& in, MetricSet& out);

// A family of one unlabelled gauge or counter, for Collectables that read values at scrape time.
prometheus::MetricFamily gauge_family(std::string name, std::string help, double value);
prometheus::MetricFamily counter_family(std::string name, std::string help, double value);

// A Collectable whose Collect() calls `fn` (values read when scraped: thread counts, /proc/self).
class CallbackCollectable final : public prometheus::Collectable {
 public:
  using Fn = std::function<std::vector<prometheus::MetricFamily>()>;
  explicit CallbackCollectable(Fn fn) : fn_(std::move(fn)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return fn_(); }

 private:
  Fn fn_;
};

}  // namespace vitals
