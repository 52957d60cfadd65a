// The APM module's options: --apm.* flags and config-file keys, declared and checked in
// apm/options.cpp (registered with core/module_options.h, so core/ knows none of them).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "apm/names.h"
#include "core/config.h"

namespace vitals::apm {

struct ApmConfig {
  // Loopback by default: spans are written by the node's own services unless the listeners
  // are opened on purpose. Empty: no listener.
  std::string otlp_listen_address = "localhost:4318";
  std::string zipkin_listen_address = "localhost:9411";
  std::string otlp_grpc_listen_address = "localhost:4317";
  // True when the address is the default one (not given): a taken default port then only
  // turns that receiver off, with a warning and vitals_apm_receiver_up 0.
  bool otlp_address_default = true;
  bool zipkin_address_default = true;
  bool otlp_grpc_address_default = true;
  std::vector<std::string> dimensions;  // span/resource attribute keys
  std::vector<double> buckets;          // seconds, ascending (the naming's default if unset)
  MetricNaming metric_naming = MetricNaming::kOtel;
  HistogramUnit histogram_unit = HistogramUnit::kSeconds;
  int64_t max_series = 10000;
  std::chrono::nanoseconds series_expiry{std::chrono::minutes(15)};
  int64_t max_request_bytes = 4 << 20;
  int max_concurrent_requests = 4;      // requests decoded at once; more get 429
  int ingestion_nice = 10;              // added to the nice value of span-decoding threads
  int max_connections = 32;             // HTTP threads per APM listener
  int max_connections_per_source = 16;  // 0: no limit
  // From the --web.* server flags, which apply to every listener.
  int read_header_timeout_ms = 5000;
  int max_header_bytes = 16384;
  int max_parked_connections = 4096;
  int64_t service_graph_max_items = 10000;
  std::chrono::nanoseconds service_graph_wait{std::chrono::seconds(10)};
  bool native_histograms = false;  // native duration histograms (protobuf scrapes)
  int native_histogram_schema = 3;
  int64_t native_histogram_max_buckets = 160;
  std::string web_config_file;  // --apm.web.config.file; empty: --web.config.file's
  bool operator==(const ApmConfig&) const = default;
};

// The module's name in Config::module_options and the flag prefix.
inline constexpr std::string_view kModuleName = "apm";

// The APM settings of a configuration parse_config accepted (it validated them).
ApmConfig apm_config(const Config& config);

}  // namespace vitals::apm
