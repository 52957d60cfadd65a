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
#include "core/module_options.h"

namespace vitals {

struct Config {
  std::vector<std::string> listen_addresses;  // as given, e.g. ":9100", "127.0.0.1:9100"
  std::string telemetry_path = "/metrics";
  int web_max_requests = 40;
  int web_max_connections = 64;
  int web_max_connections_per_source = 8;  // 0: no limit
  int web_read_header_timeout_ms = 5000;   // every listener, APM's too
  int web_max_header_bytes = 16384;        // every listener, APM's too
  int web_max_parked_connections = 4096;   // every listener, APM's too
  int web_gzip_level = 1;
  std::string web_config_file;  // --web.config.file; read by the agent (http/web_config.h)
  bool disable_exporter_metrics = false;
  Paths paths;
  std::vector<std::string> enabled_collectors;  // sorted
  std::map<std::string, CollectorOptions, std::less<>> collector_options;
  std::chrono::nanoseconds collector_timeout{std::chrono::seconds(5)};
  int collector_workers = 4;
  int collector_max_threads = 16;
  int collector_keep_open_files = 1536;
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kLogfmt;
  std::string config_file;
  // Options of the modules that are not collectors (core/module_options.h), by module name.
  std::map<std::string, ModuleOptions, std::less<>> module_options;
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
