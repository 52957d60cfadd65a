// The remote write module's options: --remote-write.* flags and config-file keys, declared and
// checked in remote_write/options.cpp (registered with core/module_options.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.h"

namespace vitals::remote_write {

struct RemoteWriteConfig {
  std::vector<std::string> urls;  // empty: remote write is off
  std::chrono::nanoseconds interval{std::chrono::seconds(15)};
  std::string queue_dir = "/var/lib/vitals/remote-write";
  std::vector<std::pair<std::string, std::string>> external_labels;  // sorted by name
  std::string basic_auth_username;
  std::string basic_auth_password_file;
  std::string bearer_token_file;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  int64_t max_disk_bytes = int64_t{256} << 20;  // per endpoint
  std::chrono::nanoseconds max_age{std::chrono::hours(2)};
  int shards = 2;
  int batch_samples = 2000;
  std::chrono::nanoseconds batch_deadline{std::chrono::seconds(5)};
  std::chrono::nanoseconds timeout{std::chrono::seconds(30)};
  std::chrono::nanoseconds min_backoff{std::chrono::milliseconds(30)};
  std::chrono::nanoseconds max_backoff{std::chrono::seconds(5)};
  bool operator==(const RemoteWriteConfig&) const = default;
};

inline constexpr std::string_view kModuleName = "remote-write";

// The remote write settings of a configuration parse_config accepted (it validated them).
RemoteWriteConfig remote_write_config(const Config& config);

// "256MiB", "1GiB", "512KiB", "1048576" (bytes; also KB/MB/GB as powers of 1000). nullopt when
// malformed or negative.
std::optional<int64_t> parse_size(std::string_view s);

// The URL with any user:password@ removed (the `url` label of the self metrics, log lines).
std::string redact_url(std::string_view url);

}  // namespace vitals::remote_write
