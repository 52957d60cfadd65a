#include "remote_write/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/parse.h"
#include "core/version.h"

namespace vitals::remote_write {
namespace {

constexpr auto kMaxRetryAfter = std::chrono::minutes(10);
constexpr size_t kMaxErrorBody = 256;

std::string read_secret(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string v = s.str();
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.pop_back();
  return v;
}

}  // namespace

void http_global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::optional<std::chrono::nanoseconds> parse_retry_after(
    std::string_view v, std::chrono::system_clock::time_point now) {
  v = parse::trim(v);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t secs = 0;
    auto r = std::from_chars(v.data(), v.data() + v.size(), secs);
    if (r.ec != std::errc() || secs > 600) return kMaxRetryAfter;
    return std::chrono::seconds(secs);
  }
  time_t t = curl_getdate(std::string(v).c_str(), nullptr);
  if (t < 0) return std::nullopt;
  auto at = std::chrono::system_clock::from_time_t(t);
  if (at <= now) return std::chrono::nanoseconds(0);
  return std::min<std::chrono::nanoseconds>(at - now, kMaxRetryAfter);
}

std::chrono::nanoseconds backoff_delay(int attempt, std::chrono::nanoseconds min_backoff,
                                       std::chrono::nanoseconds max_backoff, double random01) {
  std::chrono::nanoseconds d = min_backoff;
  for (int i = 0; i < attempt && d < max_backoff; ++i) d *= 2;
  d = std::min(d, max_backoff);
  random01 = std::clamp(random01, 0.0, 1.0);
  auto jittered = std::chrono::nanoseconds(
      static_cast<int64_t>(static_cast<double>(d.count()) * (0.5 + 0.5 * random01)));
  return std::clamp(jittered, min_backoff / 2, max_backoff);
}

HttpClient::HttpClient(const RemoteWriteConfig& config, std::string url)
    : config_(config), url_(std::move(url)) {
  http_global_init();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

size_t HttpClient::on_body(char* p, size_t size, size_t n, void* self) {
  auto* c = static_cast<HttpClient*>(self);
  size_t len = size * n;
  if (c->response_.size() < kMaxErrorBody) {
    c->response_.append(p, std::min(len, kMaxErrorBody - c->response_.size()));
  }
  return len;
}

size_t HttpClient::on_header(char* p, size_t size, size_t n, void* self) {
  auto* c = static_cast<HttpClient*>(self);
  std::string_view line(p, size * n);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
    }
    if (match) c->retry_after_ = std::string(parse::trim(line.substr(kName.size())));
  }
  return size * n;
}

int HttpClient::on_progress(void* abort, long long, long long, long long, long long) {
  return static_cast<const std::atomic<bool>*>(abort)->load() ? 1 : 0;
}

PostResult HttpClient::post(std::string_view body, const std::atomic<bool>& abort) {
  PostResult r;
  CURL* c = static_cast<CURL*>(curl_);
  if (!c) {
    r.error = "cannot create a libcurl handle";
    return r;
  }
  response_.clear();
  retry_after_.clear();
  curl_easy_reset(c);  // keeps the connection cache
  curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
      c, CURLOPT_TIMEOUT_MS,
      static_cast<long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(config_.timeout).count()));
  curl_easy_setopt(
      c, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(config_.timeout).count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &HttpClient::on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &HttpClient::on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &HttpClient::on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&abort));
  std::string ua = std::string("User-Agent: vitals/") + kVitalsVersion;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Encoding: snappy");
  headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
  headers = curl_slist_append(headers, "X-Prometheus-Remote-Write-Version: 0.1.0");
  headers = curl_slist_append(headers, ua.c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  std::string auth;
  if (!config_.bearer_token_file.empty()) {
    auth = "Authorization: Bearer " + read_secret(config_.bearer_token_file);
    headers = curl_slist_append(headers, auth.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  std::string password;
  if (!config_.basic_auth_username.empty()) {
    if (!config_.basic_auth_password_file.empty()) {
      password = read_secret(config_.basic_auth_password_file);
    }
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.basic_auth_username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
  }
  if (!config_.tls_ca_file.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, config_.tls_ca_file.c_str());
  if (!config_.tls_cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, config_.tls_cert_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, config_.tls_key_file.c_str());
  }
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
    return r;
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  r.code = static_cast<int>(code);
  r.error = std::string(parse::trim(response_));
  if (!retry_after_.empty())
    r.retry_after = parse_retry_after(retry_after_, std::chrono::system_clock::now());
  return r;
}

}  // namespace vitals::remote_write
