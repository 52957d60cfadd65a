// The APM module's options: --apm.* flags and config-file keys, declared and checked in
// apm/options.cpp (registered with core/module_options.h, so core/ knows none of them).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace vitals::apm {

struct ApmConfig {
  std::string otlp_listen_address = ":4318";    // empty: no OTLP/HTTP listener
  std::string zipkin_listen_address = ":9411";  // empty: no Zipkin listener
  std::vector<std::string> dimensions;          // span/resource attribute keys
  std::vector<double> buckets;                  // seconds, ascending; empty: the default
  int64_t max_series = 10000;
  std::chrono::nanoseconds series_expiry{std::chrono::minutes(15)};
  int64_t max_request_bytes = 4 << 20;
  int max_concurrent_requests = 4;  // requests decoded at once; more get 429
  int max_connections = 16;         // HTTP threads per APM listener
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
