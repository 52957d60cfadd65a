// A source of metric families that is not a collector: a module that keeps its own state
// (the APM span aggregator, for one) and writes a snapshot of it into the model on each
// scrape. Producers are not subject to collect[]/exclude[] and have no deadline, so produce()
// must be quick and must never block on I/O.
#pragma once

#include "model/metric.h"

namespace vitals {

class MetricProducer {
 public:
  virtual ~MetricProducer() = default;
  // Called concurrently by scrapes: must be thread-safe.
  virtual void produce(MetricSet& out) = 0;
};

}  // namespace vitals
