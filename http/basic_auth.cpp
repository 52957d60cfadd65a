#include "http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <strings.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

namespace vitals {
namespace {

// crypt_data is 32 KiB: one per thread on the heap, not on a server thread's stack.
crypt_data* thread_crypt_data() {
  thread_local std::unique_ptr<crypt_data> data = std::make_unique<crypt_data>();
  return data.get();
}

// The user's hash, recomputed from `password` with the hash's own salt and cost; compared in
// constant time.
bool bcrypt_matches(std::string_view password, const std::string& hash) {
  std::string pw(password);
  crypt_data* d = thread_crypt_data();
  const char* out = crypt_rn(pw.c_str(), hash.c_str(), d, sizeof *d);
  OPENSSL_cleanse(pw.data(), pw.size());
  if (!out) return false;
  size_t n = std::strlen(out);
  bool ok = n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
  OPENSSL_cleanse(d->output, sizeof d->output);
  return ok;
}

int cost_of(const std::string& hash) {
  return (hash[4] - '0') * 10 + (hash[5] - '0');
}

}  // namespace

BasicAuth::BasicAuth(std::map<std::string, std::string> users, size_t max_cached)
    : max_cached_(max_cached) {
  int cost = 4;
  for (auto& [u, h] : users) {
    if (h.size() >= 7) cost = std::max(cost, cost_of(h));
    users_.emplace(u, std::move(h));
  }
  char buf[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, buf, sizeof buf)) {
    dummy_setting_ = buf;
  } else {
    // No random bytes: a fixed salt does as well for a hash nobody can match.
    char c[3] = {static_cast<char>('0' + cost / 10), static_cast<char>('0' + cost % 10), 0};
    dummy_setting_ = std::string("$2b$") + c + "$abcdefghijklmnopqrstuu";
  }
}

bool BasicAuth::check(std::string_view user, std::string_view password) {
  if (password.find('\0') != std::string_view::npos) return false;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(password.data()), password.size(), digest);
  std::string key(user);
  key.push_back('\0');
  key.append(reinterpret_cast<const char*>(digest), sizeof digest);
  {
    std::lock_guard<std::mutex> lk(mu_);
    ++bcrypt_runs_;  // counted before the cache look-up; undone on a hit
    if (cache_.count(key)) {
      --bcrypt_runs_;
      return true;
    }
  }
  auto it = users_.find(user);
  bool ok;
  if (it == users_.end()) {
    bcrypt_matches(password, dummy_setting_);  // the same work, never a match
    ok = false;
  } else {
    ok = bcrypt_matches(password, it->second);
  }
  if (ok) {
    std::lock_guard<std::mutex> lk(mu_);
    if (cache_.size() >= max_cached_) cache_.clear();
    cache_.insert(std::move(key));
  }
  return ok;
}

bool BasicAuth::check_header(std::optional<std::string_view> authorization) {
  if (!authorization) return false;
  std::string_view h = *authorization;
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  if (h.size() < 6 || strncasecmp(h.data(), "basic ", 6) != 0) return false;
  h.remove_prefix(6);
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  auto decoded = base64_decode(h);
  if (!decoded) return false;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  bool ok = check(std::string_view(*decoded).substr(0, colon),
                  std::string_view(*decoded).substr(colon + 1));
  OPENSSL_cleanse(decoded->data(), decoded->size());
  return ok;
}

size_t BasicAuth::bcrypt_runs() const {
  std::lock_guard<std::mutex> lk(mu_);
  return bcrypt_runs_;
}

size_t BasicAuth::cache_size() const {
  std::lock_guard<std::mutex> lk(mu_);
  return cache_.size();
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace vitals
