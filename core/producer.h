// A source of metric families that is not a collector: a module that keeps its own state
// (the APM span aggregator, for one) and writes a snapshot of it into the model on each
// scrape. Producers are not subject to collect[]/exclude[] and have no deadline, so produce()
// must be quick and must never block on I/O.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "model/metric.h"

namespace vitals {

class MetricProducer {
 public:
  virtual ~MetricProducer() = default;
  // Called concurrently by scrapes: must be thread-safe.
  virtual void produce(MetricSet& out) = 0;
};

// A producer made of a function.
class FunctionProducer final : public MetricProducer {
 public:
  explicit FunctionProducer(std::function<void(MetricSet&)> fn) : fn_(std::move(fn)) {}
  void produce(MetricSet& out) override { fn_(out); }

 private:
  std::function<void(MetricSet&)> fn_;
};

}  // namespace vitals
