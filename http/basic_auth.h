// HTTP basic auth against exporter-toolkit's basic_auth_users (user -> bcrypt hash), checked
// with libxcrypt's crypt_rn. A check costs one bcrypt (about 50 ms at cost 10), also for an
// unknown user (hashed against a dummy setting of the same cost, so timing does not tell which
// users exist); successful checks are cached (user + SHA-256 of the password, bounded).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace vitals {

class BasicAuth {
 public:
  static constexpr size_t kMaxCached = 1024;

  // `users` hold bcrypt hashes checked by parse_web_config ($2a$, $2b$ or $2y$).
  explicit BasicAuth(std::map<std::string, std::string> users, size_t max_cached = kMaxCached);
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  // True when no users are configured (no authentication).
  bool open() const { return users_.empty(); }
  // Checks an Authorization header ("Basic base64(user:password)"); a missing or malformed one
  // fails without bcrypt work.
  bool check_header(std::optional<std::string_view> authorization);
  bool check(std::string_view user, std::string_view password);

  // Counters for tests and self metrics.
  size_t bcrypt_runs() const;
  size_t cache_size() const;

 private:
  std::map<std::string, std::string, std::less<>> users_;
  std::string dummy_setting_;  // a bcrypt salt of the highest cost in users_
  mutable std::mutex mu_;
  size_t max_cached_;
  std::unordered_set<std::string> cache_;
  size_t bcrypt_runs_ = 0;
};

// Decodes standard base64 (with or without padding); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace vitals
