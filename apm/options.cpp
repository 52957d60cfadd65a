// Every --apm.* flag: its declaration (name, default, help) and its check. Registered as a
// module (core/module_options.h); parse_config runs the check after the core flags.
#include "apm/options.h"

#include "core/duration.h"
#include "core/parse.h"

namespace vitals::apm {
namespace {

// Reads the options into `a`; "" or the one-line error naming the flag.
std::string parse(const ModuleOptions& o, ApmConfig* a) {
  for (const char* name :
       {"otlp.listen-address", "zipkin.listen-address", "otlp.grpc-listen-address"}) {
    const std::string& v = o.str(name);
    ListenAddress la;
    std::string err;
    if (!v.empty() && !parse_listen_address(v, &la, &err)) {
      return std::string("flag --apm.") + name + ": invalid address \"" + v + "\": " + err;
    }
    const std::string_view n = name;
    std::string* addr = &a->zipkin_listen_address;
    bool* is_default = &a->zipkin_address_default;
    if (n == "otlp.listen-address") {
      addr = &a->otlp_listen_address;
      is_default = &a->otlp_address_default;
    } else if (n == "otlp.grpc-listen-address") {
      addr = &a->otlp_grpc_listen_address;
      is_default = &a->otlp_grpc_address_default;
    }
    *addr = v;
    *is_default = !o.is_set(name);
  }
  a->web_config_file = o.str("web.config.file");
  a->dimensions = o.strs("dimension");
  if (a->dimensions.size() > 8) return "flag --apm.dimension: at most 8 dimensions";
  for (const auto& d : a->dimensions) {
    if (d.empty()) return "flag --apm.dimension: empty attribute key";
  }
  auto naming = parse_metric_naming(o.str("metric-names"));
  if (!naming) {
    return "flag --apm.metric-names: invalid value \"" + o.str("metric-names") +
           "\" (want otel or tempo)";
  }
  auto unit = parse_histogram_unit(o.str("histogram-unit"));
  if (!unit) {
    return "flag --apm.histogram-unit: invalid value \"" + o.str("histogram-unit") +
           "\" (want s or ms)";
  }
  const NameTable* names = find_name_table(*naming, *unit);
  if (!names) {
    return "flag --apm.histogram-unit: ms needs --apm.metric-names=otel (Tempo's "
           "traces_spanmetrics_latency is in seconds)";
  }
  a->metric_naming = *naming;
  a->histogram_unit = *unit;
  const std::string& b = o.str("buckets");
  a->buckets.clear();
  if (b.empty()) a->buckets.assign(names->default_buckets.begin(), names->default_buckets.end());
  for (size_t pos = 0; !b.empty() && pos <= b.size();) {
    size_t comma = b.find(',', pos);
    std::string item = b.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto v = parse::to_double(parse::trim(item));
    if (!v || !(*v > 0) || *v > 1e9) {
      return "flag --apm.buckets: invalid bound \"" + item + "\" (want seconds > 0, e.g. 0.005)";
    }
    if (!a->buckets.empty() && *v <= a->buckets.back()) {
      return "flag --apm.buckets: bounds must ascend, \"" + item + "\" does not";
    }
    a->buckets.push_back(*v);
    if (a->buckets.size() > 64) return "flag --apm.buckets: at most 64 bounds";
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  a->max_series = o.integer("max-series");
  if (a->max_series < 1 || a->max_series > 10'000'000) {
    return "flag --apm.max-series: must be between 1 and 10000000";
  }
  const std::string& e = o.str("series-expiry");
  if (!parse_duration(e, &a->series_expiry) || a->series_expiry.count() <= 0) {
    return "flag --apm.series-expiry: invalid duration \"" + e + "\" (want e.g. 15m)";
  }
  a->max_request_bytes = o.integer("max-request-bytes");
  if (a->max_request_bytes < 1024 || a->max_request_bytes > (int64_t{1} << 30)) {
    return "flag --apm.max-request-bytes: must be between 1024 and 1073741824";
  }
  int64_t n = o.integer("max-concurrent-requests");
  if (n < 1 || n > 256) return "flag --apm.max-concurrent-requests: must be between 1 and 256";
  a->max_concurrent_requests = static_cast<int>(n);
  n = o.integer("ingestion-nice");
  if (n < 0 || n > 19) return "flag --apm.ingestion-nice: must be between 0 and 19";
  a->ingestion_nice = static_cast<int>(n);
  n = o.integer("max-connections");
  if (n < 1 || n > 1024) return "flag --apm.max-connections: must be between 1 and 1024";
  a->max_connections = static_cast<int>(n);
  n = o.integer("max-connections-per-source");
  if (n < 0 || n > 1024) {
    return "flag --apm.max-connections-per-source: must be between 0 and 1024";
  }
  a->max_connections_per_source = static_cast<int>(n);
  a->service_graph_max_items = o.integer("service-graph.max-items");
  if (a->service_graph_max_items < 0 || a->service_graph_max_items > 10'000'000) {
    return "flag --apm.service-graph.max-items: must be between 0 and 10000000";
  }
  const std::string& w = o.str("service-graph.wait");
  if (!parse_duration(w, &a->service_graph_wait) || a->service_graph_wait.count() <= 0) {
    return "flag --apm.service-graph.wait: invalid duration \"" + w + "\" (want e.g. 10s)";
  }
  a->native_histograms = o.boolean("native-histograms");
  n = o.integer("native-histograms.schema");
  if (n < -4 || n > 8) return "flag --apm.native-histograms.schema: must be between -4 and 8";
  a->native_histogram_schema = static_cast<int>(n);
  a->native_histogram_max_buckets = o.integer("native-histograms.max-buckets");
  if (a->native_histogram_max_buckets < 1 || a->native_histogram_max_buckets > 100000) {
    return "flag --apm.native-histograms.max-buckets: must be between 1 and 100000";
  }
  return "";
}

using K = OptionKind;

// clang-format off
VITALS_REGISTER_MODULE(apm, ModuleSpec{
  std::string(kModuleName),
  {
    {"otlp.listen-address", K::kString, "localhost:4318", "OTLP/HTTP span receiver address (POST /v1/traces); empty turns it off. localhost is 127.0.0.1 and ::1; when the default port is taken the receiver stays off (vitals_apm_receiver_up 0), a given address must bind."},
    {"otlp.grpc-listen-address", K::kString, "localhost:4317", "OTLP/gRPC span receiver address (TraceService/Export; gzip, TLS and basic auth from the span listeners' web config); empty turns it off. localhost is 127.0.0.1 and ::1; when the default port is taken the receiver stays off (vitals_apm_receiver_up 0), a given address must bind."},
    {"zipkin.listen-address", K::kString, "localhost:9411", "Zipkin v2 span receiver address (POST /api/v2/spans); empty turns it off. localhost is 127.0.0.1 and ::1; when the default port is taken the receiver stays off (vitals_apm_receiver_up 0), a given address must bind."},
    {"web.config.file", K::kString, "", "Web config file (TLS, client certificates, basic auth) of the span listeners; empty: the one of --web.config.file. Re-read on SIGHUP."},
    {"dimension", K::kStrings, "", "Span or resource attribute added as a label to the span metrics, e.g. http.route; repeatable (at most 8)."},
    {"buckets", K::kString, "", "Span duration histogram bucket bounds in seconds (also with --apm.histogram-unit=ms), comma-separated, ascending; empty: the naming's default (otel: the spanmetrics connector's 2 ms .. 15 s; tempo: Tempo's 2 ms doubling to 16.384 s)."},
    {"metric-names", K::kString, "otel", "Span metric names and labels: otel (the spanmetrics connector's, traces_span_metrics_*) or tempo (Tempo's metrics-generator's, traces_spanmetrics_*)."},
    {"histogram-unit", K::kString, "s", "Unit of the span duration histogram: s (traces_span_metrics_duration_seconds) or ms (traces_span_metrics_duration_milliseconds, as the spanmetrics connector's default; otel names only)."},
    {"max-series", K::kInt, "10000", "Most span metric label sets; spans of new ones beyond it count into one otel_metric_overflow=\"true\" series."},
    {"series-expiry", K::kString, "15m", "Span metric label sets without spans for this long are dropped."},
    {"max-request-bytes", K::kInt, "4194304", "Largest span request body, before and after gzip; larger ones get 413."},
    {"max-concurrent-requests", K::kInt, "4", "Span requests decoded at once (the ingestion queue); more get 429 with Retry-After."},
    {"ingestion-nice", K::kInt, "10", "Nice value added to the threads that decode spans, so collection and scrapes go first on a busy CPU (span ingestion then takes what is left); 0 keeps them at the agent's priority."},
    {"max-connections", K::kInt, "32", "HTTP server threads per APM listener, the most connections served at once."},
    {"max-connections-per-source", K::kInt, "16", "Most connections one client address (IPv4, or IPv6 /64) may hold open on an APM listener; more are closed at once. 0 disables the limit."},
    {"service-graph.max-items", K::kInt, "10000", "Most client or server spans waiting for their peer span."},
    {"service-graph.wait", K::kString, "10s", "How long a client or server span waits for its peer span."},
    {"native-histograms", K::kBool, "false", "Also keep the span duration histogram as a native histogram (served to protobuf scrapes)."},
    {"native-histograms.schema", K::kInt, "3", "Native histogram resolution, -4..8: bucket bounds grow by 2^(2^-schema)."},
    {"native-histograms.max-buckets", K::kInt, "160", "Most native histogram buckets per series; beyond it the series' schema is lowered."},
  },
  [](const ModuleOptions& o) {
    ApmConfig a;
    return parse(o, &a);
  },
});
// clang-format on

}  // namespace

ApmConfig apm_config(const Config& config) {
  ApmConfig a;
  auto it = config.module_options.find(kModuleName);
  if (it != config.module_options.end()) parse(it->second, &a);
  a.read_header_timeout_ms = config.web_read_header_timeout_ms;
  a.max_header_bytes = config.web_max_header_bytes;
  a.max_parked_connections = config.web_max_parked_connections;
  return a;
}

}  // namespace vitals::apm
