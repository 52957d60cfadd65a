// The agent's HTTP endpoints: the telemetry path, a landing page, /-/healthy and /-/ready.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/producer.h"
#include "core/scraper.h"
#include "exporter/idle_pool.h"
#include "exporter/negotiate.h"
#include "http/server.h"

namespace vitals {

struct WebOptions {
  std::string telemetry_path = "/metrics";
  int max_requests = 40;
  int gzip_level = 1;
  std::chrono::nanoseconds collector_timeout{std::chrono::seconds(5)};
};

class Web {
 public:
  Web(Scraper& scraper, WebOptions options);
  void install(HttpServer& server);
  // Options that a config reload may change.
  void update(WebOptions options);
  void set_ready(bool r) { ready_.store(r); }
  // Adds a module whose families are served on every scrape (before install()): the APM span
  // metrics, the agent's self metrics (core/self_metrics.h).
  void add_producer(std::shared_ptr<MetricProducer> p) { producers_.push_back(std::move(p)); }
  // promhttp_metric_handler_* and vitals_web_max_requests (core/self_metrics.h).
  std::shared_ptr<prometheus::Collectable> metrics() const { return registry_; }

  // Builds the whole scrape body for the given request parameters (for tests and benchmarks).
  // Returns the HTTP status; on error `body` holds the message.
  int render_metrics(std::string_view query, std::optional<std::string_view> timeout_header,
                     std::string& body, ExpositionFormat format = ExpositionFormat::kText004);

 private:
  void handle_metrics(HttpRequest& req, HttpResponse& resp);
  void handle_landing(HttpRequest& req, HttpResponse& resp);
  WebOptions options() const;

  Scraper& scraper_;
  mutable std::mutex mu_;
  WebOptions opts_;
  std::atomic<bool> ready_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<size_t> last_size_{0};  // bytes of the last /metrics text, to size the next
  std::vector<std::shared_ptr<MetricProducer>> producers_;
  // One set per producer, kept from the last scrape for the next (a burst of concurrent
  // scrapes makes more and drops them).
  IdlePool<std::deque<MetricSet>> produced_pool_{1};

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Gauge* in_flight_gauge_;
  prometheus::Counter* errors_encoding_;
  prometheus::Counter* errors_gathering_;
  prometheus::Gauge* max_requests_;
};

}  // namespace vitals
