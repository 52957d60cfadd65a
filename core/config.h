// Command line and config file (INI, as Boost.Program_options reads it). Flags are named as
// node_exporter names them. The command line wins over the config file.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/collector.h"
#include "core/fs.h"
#include "core/log.h"

namespace vitals {

// ---- APM (spans into span metrics; apm/, docs/apm.md) ----
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
  bool operator==(const ApmConfig&) const = default;
};

struct Config {
  std::vector<std::string> listen_addresses;  // as given, e.g. ":9100", "127.0.0.1:9100"
  std::string telemetry_path = "/metrics";
  int web_max_requests = 40;
  int web_max_connections = 8;
  int web_gzip_level = 1;
  bool disable_exporter_metrics = false;
  Paths paths;
  std::vector<std::string> enabled_collectors;  // sorted
  std::map<std::string, CollectorOptions, std::less<>> collector_options;
  std::chrono::nanoseconds collector_timeout{std::chrono::seconds(5)};
  int collector_workers = 4;
  int collector_max_threads = 16;
  int collector_keep_open_files = 256;
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kLogfmt;
  std::string config_file;
  ApmConfig apm;
};

struct ConfigResult {
  enum Action { kRun, kHelp, kVersion, kListCollectors, kError };
  Action action = kRun;
  Config config;
  std::string text;  // help or version text, or the one-line error
};

// Parses argv and, when --config.file is given, that file. Never exits.
ConfigResult parse_config(int argc, const char* const* argv);

std::string version_string();

// A listen address split into host and port; host empty means all interfaces.
struct ListenAddress {
  std::string host;
  int port = 0;
  bool ipv6 = false;
};
bool parse_listen_address(std::string_view s, ListenAddress* out, std::string* error);

}  // namespace vitals
