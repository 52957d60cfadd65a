#include "apm/names.h"

namespace vitals::apm {
namespace {

// The spanmetrics connector's default explicit buckets (2 ms .. 15 s), in seconds.
constexpr double kConnectorBuckets[] = {0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2,
                                        0.4,   0.8,   1,     1.4,   2,    5,    10,  15};
// Tempo's metrics-generator span-metrics default: 2 ms doubling 14 times (to 16.384 s).
constexpr double kTempoBuckets[] = {0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128,
                                    0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384};

constexpr Desc kGraphTotal{"traces_service_graph_request_total",
                           "Requests between two services (paired client and server spans).",
                           MetricType::kCounter};
constexpr Desc kGraphFailed{"traces_service_graph_request_failed_total",
                            "Failed requests between two services (either side has status error).",
                            MetricType::kCounter};
constexpr Desc kGraphClient{"traces_service_graph_request_client_seconds",
                            "Request duration between two services as the client saw it.",
                            MetricType::kHistogram};
constexpr Desc kGraphServer{"traces_service_graph_request_server_seconds",
                            "Request duration between two services as the server saw it.",
                            MetricType::kHistogram};

constexpr Desc kOtelCalls{"traces_span_metrics_calls_total",
                          "Number of spans, by service, span name, kind and status.",
                          MetricType::kCounter};

const NameTable kOtelSeconds{
    "otel",
    "s",
    kOtelCalls,
    {"traces_span_metrics_duration_seconds", "Span duration in seconds.", MetricType::kHistogram},
    "seconds",
    1e-9,
    kConnectorBuckets,
    "service_name",
    "span_name",
    "span_kind",
    "status_code",
    kGraphTotal,
    kGraphFailed,
    kGraphClient,
    kGraphServer,
    "client",
    "server",
};

const NameTable kOtelMilliseconds{
    "otel",
    "ms",
    kOtelCalls,
    {"traces_span_metrics_duration_milliseconds", "Span duration in milliseconds.",
     MetricType::kHistogram},
    "milliseconds",
    1e-6,
    kConnectorBuckets,
    "service_name",
    "span_name",
    "span_kind",
    "status_code",
    kGraphTotal,
    kGraphFailed,
    kGraphClient,
    kGraphServer,
    "client",
    "server",
};

const NameTable kTempoSeconds{
    "tempo",
    "s",
    {"traces_spanmetrics_calls_total", "Number of spans, by service, span name, kind and status.",
     MetricType::kCounter},
    {"traces_spanmetrics_latency", "Span duration in seconds.", MetricType::kHistogram},
    "",  // Tempo's name has no unit suffix, so OpenMetrics may not declare one
    1e-9,
    kTempoBuckets,
    "service",
    "span_name",
    "span_kind",
    "status_code",
    kGraphTotal,
    kGraphFailed,
    kGraphClient,
    kGraphServer,
    "client",
    "server",
};

}  // namespace

const NameTable* find_name_table(MetricNaming naming, HistogramUnit unit) {
  if (naming == MetricNaming::kTempo) {
    return unit == HistogramUnit::kSeconds ? &kTempoSeconds : nullptr;
  }
  return unit == HistogramUnit::kSeconds ? &kOtelSeconds : &kOtelMilliseconds;
}

const NameTable& default_name_table() {
  return kOtelSeconds;
}

std::optional<MetricNaming> parse_metric_naming(std::string_view s) {
  if (s == "otel") return MetricNaming::kOtel;
  if (s == "tempo") return MetricNaming::kTempo;
  return std::nullopt;
}

std::optional<HistogramUnit> parse_histogram_unit(std::string_view s) {
  if (s == "s") return HistogramUnit::kSeconds;
  if (s == "ms") return HistogramUnit::kMilliseconds;
  return std::nullopt;
}

}  // namespace vitals::apm
