// The names, labels and units of the span metrics and the service graph, as data: one table per
// naming (--apm.metric-names) and duration unit (--apm.histogram-unit), chosen once at start.
// The aggregator reads every name it writes from the table it was given (docs/apm.md lists
// which dashboards expect which).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "model/metric.h"

namespace vitals::apm {

enum class MetricNaming { kOtel, kTempo };
enum class HistogramUnit { kSeconds, kMilliseconds };

struct NameTable {
  std::string_view naming;  // "otel" or "tempo", as the flag spells it
  std::string_view unit;    // "s" or "ms", as the flag spells it
  // Span metrics.
  Desc calls;
  Desc duration;
  std::string_view duration_unit;  // OpenMetrics # UNIT; empty when the name has no unit suffix
  double unit_per_ns;              // a duration in ns times this is the exported value
  std::span<const double> default_buckets;  // seconds
  std::string_view service_label;
  std::string_view span_name_label;
  std::string_view span_kind_label;
  std::string_view status_code_label;
  // Service graph (seconds in every naming: Tempo's and the servicegraph connector's).
  Desc graph_total;
  Desc graph_failed;
  Desc graph_client;
  Desc graph_server;
  std::string_view client_label;
  std::string_view server_label;
};

// The table of one naming and unit; nullptr for a combination that does not exist (Tempo's
// latency histogram is in seconds only).
const NameTable* find_name_table(MetricNaming naming, HistogramUnit unit);
// The default (the spanmetrics connector's names, seconds).
const NameTable& default_name_table();

std::optional<MetricNaming> parse_metric_naming(std::string_view s);
std::optional<HistogramUnit> parse_histogram_unit(std::string_view s);

}  // namespace vitals::apm
