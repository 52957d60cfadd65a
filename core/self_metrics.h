// The agent's own metrics, as one producer. Each owner declares its metrics with prometheus-cpp
// (see core/prometheus_cpp.h) and hands out a prometheus::Collectable: the process
// (collectors/self/), the scraper, the worker pool, the file cache (core/fs_metrics.h), the web
// layer, the APM receiver and aggregator. agent/main.cpp registers each one here, and every
// scrape converts what they collect into the model. Families with a series per collector (the
// scraper's failure and permission counts, the netlink dump counts: ~200 series) are written
// straight into the model by a MetricProducer instead: through prometheus-cpp they cost ~840
// allocations per scrape, 2.4% of the agent's CPU per scrape of node_exporter's collector set.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <memory>
#include <vector>

#include "core/producer.h"

namespace vitals {

class SelfMetrics final : public MetricProducer {
 public:
  // kExporter metrics are left out with --web.disable-exporter-metrics (process_*,
  // promhttp_*, and vitals_* about the scraper, worker pool, file cache and web layer);
  // kAlways ones are always served (vitals_build_info, the APM module's vitals_apm_*).
  enum class Group { kExporter, kAlways };

  // Registration happens before the server starts; produce() may then run concurrently.
  void add(std::shared_ptr<prometheus::Collectable> c, Group g = Group::kExporter);
  // Self metrics written straight into the model, without prometheus-cpp's per-series strings
  // and vectors (for the families with a series per collector).
  void add(std::shared_ptr<MetricProducer> p, Group g = Group::kExporter);
  // --web.disable-exporter-metrics (reloadable).
  void set_exporter_metrics(bool on) { exporter_on_.store(on, std::memory_order_relaxed); }

  void produce(MetricSet& out) override;

 private:
  struct Entry {
    std::shared_ptr<prometheus::Collectable> collectable;
    std::shared_ptr<MetricProducer> producer;
    Group group;
  };
  std::vector<Entry> entries_;
  std::atomic<bool> exporter_on_{true};
};

// vitals_build_info: a constant 1 labelled by version, revision and compiler.
std::shared_ptr<prometheus::Collectable> build_info_metrics();

}  // namespace vitals
