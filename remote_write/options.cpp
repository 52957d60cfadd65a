// Every --remote-write.* flag: its declaration (name, default, help) and its check.
#include "remote_write/options.h"

#include <algorithm>
#include <charconv>

#include "core/duration.h"
#include "core/parse.h"
#include "remote_write/encode.h"

namespace vitals::remote_write {
namespace {

std::string duration_option(const ModuleOptions& o, const char* name, bool allow_zero,
                            std::chrono::nanoseconds* out) {
  const std::string& v = o.str(name);
  if (!parse_duration(v, out) || out->count() < 0 || (!allow_zero && out->count() == 0)) {
    return std::string("flag --remote-write.") + name + ": invalid duration \"" + v +
           "\" (want e.g. 15s)";
  }
  return "";
}

// Reads the options into `c`; "" or the one-line error naming the flag.
std::string parse(const ModuleOptions& o, RemoteWriteConfig* c) {
  c->urls = o.strs("url");
  for (const auto& u : c->urls) {
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) {
      return "flag --remote-write.url: \"" + redact_url(u) + "\" is not an http:// or https:// URL";
    }
    if (std::count(c->urls.begin(), c->urls.end(), u) > 1) {
      return "flag --remote-write.url: \"" + redact_url(u) + "\" given twice";
    }
  }
  std::string e;
  if (!(e = duration_option(o, "interval", false, &c->interval)).empty()) return e;
  if (c->interval < std::chrono::milliseconds(100)) {
    return "flag --remote-write.interval: must be at least 100ms";
  }
  c->queue_dir = o.str("queue-dir");
  if (!c->urls.empty() && c->queue_dir.empty()) return "flag --remote-write.queue-dir: empty";
  c->external_labels.clear();
  for (const auto& l : o.strs("external-label")) {
    size_t eq = l.find('=');
    std::string name = l.substr(0, eq);
    if (eq == std::string::npos || !valid_label_name(name) || name.rfind("__", 0) == 0) {
      return "flag --remote-write.external-label: invalid \"" + l +
             "\" (want name=value, name matching [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)";
    }
    for (const auto& [n, v] : c->external_labels) {
      if (n == name) return "flag --remote-write.external-label: \"" + name + "\" given twice";
    }
    c->external_labels.emplace_back(name, l.substr(eq + 1));
  }
  std::sort(c->external_labels.begin(), c->external_labels.end());
  c->basic_auth_username = o.str("basic-auth.username");
  c->basic_auth_password_file = o.str("basic-auth.password-file");
  c->bearer_token_file = o.str("bearer-token-file");
  if (!c->bearer_token_file.empty() && !c->basic_auth_username.empty()) {
    return "flag --remote-write.bearer-token-file: cannot be used with "
           "--remote-write.basic-auth.username";
  }
  c->tls_ca_file = o.str("tls.ca-file");
  c->tls_cert_file = o.str("tls.cert-file");
  c->tls_key_file = o.str("tls.key-file");
  if (c->tls_cert_file.empty() != c->tls_key_file.empty()) {
    return "flag --remote-write.tls.cert-file: needs --remote-write.tls.key-file and the other "
           "way round";
  }
  auto size = parse_size(o.str("max-disk-bytes"));
  if (!size || *size < 65536) {
    return "flag --remote-write.max-disk-bytes: invalid size \"" + o.str("max-disk-bytes") +
           "\" (want at least 64KiB, e.g. 256MiB)";
  }
  c->max_disk_bytes = *size;
  if (!(e = duration_option(o, "max-age", false, &c->max_age)).empty()) return e;
  int64_t n = o.integer("shards");
  if (n < 1 || n > 64) return "flag --remote-write.shards: must be between 1 and 64";
  c->shards = static_cast<int>(n);
  n = o.integer("batch-samples");
  if (n < 1 || n > 1'000'000) {
    return "flag --remote-write.batch-samples: must be between 1 and 1000000";
  }
  c->batch_samples = static_cast<int>(n);
  if (!(e = duration_option(o, "batch-deadline", true, &c->batch_deadline)).empty()) return e;
  if (!(e = duration_option(o, "timeout", false, &c->timeout)).empty()) return e;
  if (!(e = duration_option(o, "min-backoff", false, &c->min_backoff)).empty()) return e;
  if (!(e = duration_option(o, "max-backoff", false, &c->max_backoff)).empty()) return e;
  if (c->max_backoff < c->min_backoff) {
    return "flag --remote-write.max-backoff: must not be below --remote-write.min-backoff";
  }
  return "";
}

using K = OptionKind;

// clang-format off
VITALS_REGISTER_MODULE(remote_write, ModuleSpec{
  std::string(kModuleName),
  {
    {"url", K::kStrings, "", "Prometheus remote write 1.0 endpoint (e.g. http://prometheus:9090/api/v1/write); repeatable, each endpoint has its own queue. None: remote write is off."},
    {"interval", K::kString, "15s", "How often every enabled collector and the APM producer are collected and their samples queued for the endpoints."},
    {"queue-dir", K::kString, "/var/lib/vitals/remote-write", "Directory of the on-disk queues (a write-ahead segment log per endpoint, in a subdirectory named after it)."},
    {"external-label", K::kStrings, "", "name=value label added to every series sent (a series' own label of that name wins); repeatable."},
    {"basic-auth.username", K::kString, "", "Basic auth user name for the endpoints."},
    {"basic-auth.password-file", K::kString, "", "File holding the basic auth password (read for each request)."},
    {"bearer-token-file", K::kString, "", "File holding a bearer token sent as Authorization: Bearer (read for each request)."},
    {"tls.ca-file", K::kString, "", "CA certificates (PEM) that verify the endpoints' certificates; empty: the system's."},
    {"tls.cert-file", K::kString, "", "Client certificate (PEM) presented to the endpoints."},
    {"tls.key-file", K::kString, "", "Key (PEM) of --remote-write.tls.cert-file."},
    {"max-disk-bytes", K::kString, "256MiB", "Most bytes of queue on disk per endpoint (suffix KiB, MiB, GiB); beyond it the oldest samples are dropped."},
    {"max-age", K::kString, "2h", "Samples older than this are dropped unsent."},
    {"shards", K::kInt, "1", "Requests sent in parallel per endpoint; all series of one metric name go through the same shard, in time order."},
    {"batch-samples", K::kInt, "2000", "Most samples per request."},
    {"batch-deadline", K::kString, "5s", "Longest a shard waits for a full batch before sending a smaller one."},
    {"timeout", K::kString, "30s", "Timeout of one request."},
    {"min-backoff", K::kString, "30ms", "First retry delay after a failed request (doubled per retry, with jitter)."},
    {"max-backoff", K::kString, "5s", "Longest retry delay."},
  },
  [](const ModuleOptions& o) {
    RemoteWriteConfig c;
    return parse(o, &c);
  },
});
// clang-format on

}  // namespace

RemoteWriteConfig remote_write_config(const Config& config) {
  RemoteWriteConfig c;
  auto it = config.module_options.find(kModuleName);
  if (it != config.module_options.end()) parse(it->second, &c);
  return c;
}

std::optional<int64_t> parse_size(std::string_view s) {
  s = parse::trim(s);
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0) return std::nullopt;
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + i, v);
  if (r.ec != std::errc()) return std::nullopt;
  std::string_view unit = s.substr(i);
  int64_t mult = 1;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "KiB") {
    mult = int64_t{1} << 10;
  } else if (unit == "MiB") {
    mult = int64_t{1} << 20;
  } else if (unit == "GiB") {
    mult = int64_t{1} << 30;
  } else if (unit == "KB") {
    mult = 1000;
  } else if (unit == "MB") {
    mult = 1000'000;
  } else if (unit == "GB") {
    mult = 1000'000'000;
  } else {
    return std::nullopt;
  }
  if (v > (int64_t{1} << 50) / mult) return std::nullopt;
  return v * mult;
}

std::string redact_url(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t host = scheme + 3;
  size_t end = url.find_first_of("/?#", host);
  std::string_view authority =
      url.substr(host, end == std::string_view::npos ? url.npos : end - host);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, host));
  out += url.substr(host + at + 1);
  return out;
}

}  // namespace vitals::remote_write
