// supervisord: node_supervisord_* from supervisord's XML-RPC API (supervisor.getAllProcessInfo)
// over HTTP, or over its unix socket for a unix:// URL, as node_exporter 1.5.0 does. One libcurl
// handle is kept (and its connection reused) between scrapes; each call is bounded by the
// scrape's deadline and the response by kMaxResponse.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>

#include "collectors/services/xmlrpc.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr size_t kMaxResponse = 16 << 20;

constexpr Desc kUp{"node_supervisord_up", "Process Up", MetricType::kGauge};
constexpr Desc kState{"node_supervisord_state", "Process State", MetricType::kGauge};
constexpr Desc kExitStatus{"node_supervisord_exit_status", "Process Exit Status",
                           MetricType::kGauge};
constexpr Desc kStartTime{"node_supervisord_start_time_seconds", "Process start time",
                          MetricType::kCounter};

// supervisord's STARTING, RUNNING and STOPPING (http://supervisord.org/subprocess.html).
bool running(int64_t state) {
  return state == 10 || state == 20 || state == 40;
}

struct Body {
  std::string data;
  bool too_large = false;
};

size_t on_data(char* p, size_t size, size_t n, void* user) {
  auto* b = static_cast<Body*>(user);
  size_t len = size * n;
  if (b->data.size() + len > kMaxResponse) {
    b->too_large = true;
    return 0;
  }
  b->data.append(p, len);
  return len;
}

class SupervisordCollector final : public Collector {
 public:
  explicit SupervisordCollector(const CollectorOptions& o, const Paths&)
      : url_(o.str("url")), request_(xmlrpc::method_call("supervisor.getAllProcessInfo")) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    // A unix:// URL names supervisord's socket (unix:///run/supervisor.sock); the request goes
    // to /RPC2 over it, as node_exporter does.
    if (url_.starts_with("unix://")) {
      std::string_view rest = std::string_view(url_).substr(7);
      size_t slash = rest.find('/');
      socket_ = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
      target_ = "http://localhost/RPC2";
    } else {
      target_ = url_;
    }
    headers_ = curl_slist_append(nullptr, "Content-Type: text/xml");
  }
  ~SupervisordCollector() override {
    if (curl_) curl_easy_cleanup(curl_);
    curl_slist_free_all(headers_);
    curl_global_cleanup();
  }
  SupervisordCollector(const SupervisordCollector&) = delete;
  SupervisordCollector& operator=(const SupervisordCollector&) = delete;

  void collect(const CollectContext& ctx, MetricSet& out) override {
    call(ctx);
    std::string error;
    auto resp = xmlrpc::parse_response(body_.data, &error);
    if (!resp) throw CollectError("unable to call supervisord: " + error);
    if (resp->fault) {
      throw CollectError("unable to call supervisord: fault " + std::to_string(resp->fault_code) +
                         ": " + resp->fault_string);
    }
    parse::ParseErrors errors;
    auto procs = xmlrpc::process_infos(resp->value, errors);
    if (procs) {
      auto& up = out.add(kUp);
      auto& state = out.add(kState);
      auto& exit_status = out.add(kExitStatus);
      auto& start = out.add(kStartTime);
      for (const auto& p : *procs) {
        Label labels[] = {{"name", p.name}, {"group", p.group}};
        state.add(labels, static_cast<double>(p.state));
        exit_status.add(labels, static_cast<double>(p.exit_status));
        bool r = running(p.state);
        up.add(labels, r ? 1 : 0);
        if (r) start.add(labels, static_cast<double>(p.start));
      }
    }
    throw_if_errors(url_ + " (process entry)", errors);
  }

 private:
  void call(const CollectContext& ctx) {
    if (!curl_) {
      curl_ = curl_easy_init();
      if (!curl_) throw CollectError("curl_easy_init failed");
      curl_easy_setopt(curl_, CURLOPT_URL, target_.c_str());
      if (!socket_.empty()) curl_easy_setopt(curl_, CURLOPT_UNIX_SOCKET_PATH, socket_.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, request_.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(request_.size()));
      curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
      curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &on_data);
      curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body_);
      curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(curl_, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
      curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
      curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, curl_error_);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    ctx.deadline - std::chrono::steady_clock::now())
                    .count();
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::clamp<int64_t>(left, 1, 60000)));
    body_.data.clear();
    body_.too_large = false;
    curl_error_[0] = '\0';
    CURLcode rc = curl_easy_perform(curl_);
    if (body_.too_large) {
      throw CollectError("unable to call supervisord: " + url_ + ": response larger than " +
                         std::to_string(kMaxResponse) + " bytes");
    }
    if (rc != CURLE_OK) {
      throw CollectError("unable to call supervisord: " + url_ + ": " +
                         (curl_error_[0] ? curl_error_ : curl_easy_strerror(rc)));
    }
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
      throw CollectError("unable to call supervisord: " + url_ + ": HTTP status " +
                         std::to_string(status));
    }
  }

  std::string url_;
  std::string target_;
  std::string socket_;
  std::string request_;
  curl_slist* headers_ = nullptr;
  CURL* curl_ = nullptr;
  Body body_;
  char curl_error_[CURL_ERROR_SIZE] = {};
};

}  // namespace

VITALS_COLLECTOR(SupervisordCollector, "supervisord", false,
                 "Exposes the state of supervisord's processes (XML-RPC).",
                 {{"url", OptionKind::kString, "http://localhost:9001/RPC2", "XML RPC endpoint."}});

}  // namespace vitals
