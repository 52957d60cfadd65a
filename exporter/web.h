// The agent's HTTP endpoints: the telemetry path, a landing page, /-/healthy and /-/ready.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/producer.h"
#include "core/scraper.h"
#include "core/worker_pool.h"
#include "exporter/http_server.h"
#include "exporter/negotiate.h"

namespace vitals {

struct WebOptions {
  std::string telemetry_path = "/metrics";
  int max_requests = 40;
  int gzip_level = 1;
  bool disable_exporter_metrics = false;
  std::chrono::nanoseconds collector_timeout{std::chrono::seconds(5)};
};

// Splits a query string into decoded key/value pairs.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view q);

class Web {
 public:
  Web(Scraper& scraper, WorkerPool& pool, WebOptions options);
  void install(HttpServer& server);
  // Options that a config reload may change.
  void update(WebOptions options);
  void set_ready(bool r) { ready_.store(r); }
  // Adds a module whose families are served on every scrape (before install()).
  void add_producer(std::shared_ptr<MetricProducer> p) { producers_.push_back(std::move(p)); }

  // Builds the whole scrape body for the given request parameters (for tests and benchmarks).
  // Returns the HTTP status; on error `body` holds the message.
  int render_metrics(std::string_view query, std::optional<std::string_view> timeout_header,
                     std::string& body, ExpositionFormat format = ExpositionFormat::kText004);

 private:
  void handle_metrics(HttpRequest& req, HttpResponse& resp);
  void handle_landing(HttpRequest& req, HttpResponse& resp);
  WebOptions options() const;

  Scraper& scraper_;
  WorkerPool& pool_;
  mutable std::mutex mu_;
  WebOptions opts_;
  std::atomic<bool> ready_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<size_t> last_size_{0};  // bytes of the last /metrics text, to size the next
  std::vector<std::shared_ptr<MetricProducer>> producers_;

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Gauge* in_flight_gauge_;
  prometheus::Counter* errors_encoding_;
  prometheus::Counter* errors_gathering_;
};

}  // namespace vitals
