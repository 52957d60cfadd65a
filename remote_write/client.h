// The HTTP side of one shard: a libcurl easy handle kept for the shard's life, so its connection
// (and TLS session) is reused from request to request. Plus the pure parts of retrying:
// Retry-After and the backoff delay.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "remote_write/options.h"

namespace vitals::remote_write {

struct PostResult {
  int code = 0;       // HTTP status; 0 when the request failed (transport, timeout)
  std::string error;  // transport error, or the start of the response body
  std::optional<std::chrono::nanoseconds> retry_after;  // from a Retry-After header
};

class HttpClient {
 public:
  HttpClient(const RemoteWriteConfig& config, std::string url);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs a snappy-compressed WriteRequest. Gives up early (code 0) once `abort` is true.
  PostResult post(std::string_view body, const std::atomic<bool>& abort);

 private:
  static size_t on_body(char* p, size_t size, size_t n, void* self);
  static size_t on_header(char* p, size_t size, size_t n, void* self);
  static int on_progress(void* abort, long long, long long, long long, long long);

  const RemoteWriteConfig& config_;
  std::string url_;
  void* curl_ = nullptr;
  std::string response_;
  std::string retry_after_;
};

// Retry-After: delay-seconds or an HTTP-date (RFC 9110), relative to `now`. nullopt when absent
// or malformed; a date in the past is a zero delay. Capped at 10 minutes.
std::optional<std::chrono::nanoseconds> parse_retry_after(
    std::string_view v, std::chrono::system_clock::time_point now);

// Delay before retry number `attempt` (0 for the first retry): min_backoff doubled per attempt,
// capped at max_backoff, then spread by jitter (`random01` in [0, 1)) over [d/2, d]; never below
// min_backoff/2 or above max_backoff.
std::chrono::nanoseconds backoff_delay(int attempt, std::chrono::nanoseconds min_backoff,
                                       std::chrono::nanoseconds max_backoff, double random01);

// Calls curl_global_init once (before the shards start their threads).
void http_global_init();

}  // namespace vitals::remote_write
