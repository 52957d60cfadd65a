#include "core/self_metrics.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "core/prometheus_cpp.h"
#include "core/version.h"

namespace vitals {

void SelfMetrics::add(std::shared_ptr<prometheus::Collectable> c, Group g) {
  entries_.push_back({std::move(c), nullptr, g});
}

void SelfMetrics::add(std::shared_ptr<MetricProducer> p, Group g) {
  entries_.push_back({nullptr, std::move(p), g});
}

void SelfMetrics::produce(MetricSet& out) {
  const bool exporter = exporter_on_.load(std::memory_order_relaxed);
  for (const Entry& e : entries_) {
    if (e.group == Group::kExporter && !exporter) continue;
    if (e.producer) {
      // In label order, as append_prometheus_cpp leaves its families and the scraper the
      // collectors' ones: only what the producer added.
      const size_t before = out.families().size();
      e.producer->produce(out);
      auto added = out.families();
      for (size_t i = before; i < added.size(); ++i) added[i].sort_samples();
    } else {
      append_prometheus_cpp(e.collectable->Collect(), out);
    }
  }
}

std::shared_ptr<prometheus::Collectable> build_info_metrics() {
  auto r = std::make_shared<prometheus::Registry>();
  prometheus::BuildGauge()
      .Name("vitals_build_info")
      .Help(
          "A metric with a constant '1' value labeled by version, revision and compiler from "
          "which vitals was built.")
      .Register(*r)
      .Add({{"compiler", kVitalsCompiler},
            {"revision", kVitalsRevision},
            {"version", kVitalsVersion}})
      .Set(1);
  return r;
}

}  // namespace vitals
