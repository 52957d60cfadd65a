#include "core/prometheus_cpp.h"

namespace vitals {

void append_prometheus_cpp(const std::vector<prometheus::MetricFamily>& in, MetricSet& out) {
  std::vector<Label> labels;
  std::vector<Bucket> buckets;
  for (const auto& pf : in) {
    MetricType t = MetricType::kUntyped;
    switch (pf.type) {
      case prometheus::MetricType::Counter:
        t = MetricType::kCounter;
        break;
      case prometheus::MetricType::Gauge:
        t = MetricType::kGauge;
        break;
      case prometheus::MetricType::Histogram:
        t = MetricType::kHistogram;
        break;
      case prometheus::MetricType::Summary:
        t = MetricType::kSummary;
        break;
      default:
        t = MetricType::kUntyped;
    }
    Family& f = out.add(pf.name, pf.help, t);
    for (const auto& m : pf.metric) {
      labels.clear();
      for (const auto& l : m.label) labels.push_back({l.name, l.value});
      Sample* s = nullptr;
      switch (t) {
        case MetricType::kCounter:
          s = &f.add(labels, m.counter.value);
          break;
        case MetricType::kGauge:
          s = &f.add(labels, m.gauge.value);
          break;
        case MetricType::kHistogram:
          buckets.clear();
          for (const auto& b : m.histogram.bucket) {
            buckets.push_back({b.upper_bound, static_cast<double>(b.cumulative_count)});
          }
          s = &f.add_histogram(labels, buckets, m.histogram.sample_sum,
                               static_cast<double>(m.histogram.sample_count));
          break;
        case MetricType::kSummary:
          buckets.clear();
          for (const auto& q : m.summary.quantile) buckets.push_back({q.quantile, q.value});
          s = &f.add_summary(labels, buckets, m.summary.sample_sum,
                             static_cast<double>(m.summary.sample_count));
          break;
        default:
          s = &f.add(labels, m.untyped.value);
      }
      if (m.timestamp_ms != 0) s->timestamp_ms = m.timestamp_ms;
    }
    f.sort_samples();
  }
}

namespace {

prometheus::MetricFamily one_value(prometheus::MetricType type, std::string name, std::string help,
                                   double value) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  auto& m = f.metric.emplace_back();
  (type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value) = value;
  return f;
}

}  // namespace

prometheus::MetricFamily gauge_family(std::string name, std::string help, double value) {
  return one_value(prometheus::MetricType::Gauge, std::move(name), std::move(help), value);
}

prometheus::MetricFamily counter_family(std::string name, std::string help, double value) {
  return one_value(prometheus::MetricType::Counter, std::move(name), std::move(help), value);
}

}  // namespace vitals
