#include "apm/module.h"

#include "core/log.h"

namespace vitals::apm {

AggregatorOptions aggregator_options(const ApmConfig& c) {
  AggregatorOptions o;
  o.dimensions = c.dimensions;
  if (!c.buckets.empty()) o.buckets = c.buckets;
  o.max_series = static_cast<size_t>(c.max_series);
  o.series_expiry = c.series_expiry;
  o.graph_max_items = static_cast<size_t>(c.service_graph_max_items);
  o.graph_wait = c.service_graph_wait;
  o.native_histograms = c.native_histograms;
  o.native_schema = c.native_histogram_schema;
  o.native_max_buckets = static_cast<size_t>(c.native_histogram_max_buckets);
  return o;
}

ApmModule::ApmModule(const ApmConfig& config)
    : config_(config), aggregator_(std::make_shared<SpanAggregator>(aggregator_options(config))) {
  ReceiverOptions ro;
  ro.dimensions = config.dimensions;
  ro.max_request_bytes = static_cast<size_t>(config.max_request_bytes);
  ro.max_concurrent_requests = config.max_concurrent_requests;
  receiver_ = std::make_shared<Receiver>(*aggregator_, ro);
}

ApmModule::~ApmModule() {
  stop();
}

bool ApmModule::start(std::string* error, std::shared_ptr<const WebConfig> web) {
  auto listen = [&](const std::string& addr, const char* flag, const char* path, bool zipkin,
                    std::unique_ptr<HttpServer>* out) {
    if (addr.empty()) return true;
    HttpServerOptions so;
    so.listen_addresses = {addr};
    so.threads = config_.max_connections;
    so.web_config = web;
    auto server = make_http_server(so);
    Receiver* r = receiver_.get();
    if (zipkin) {
      server->route(path, [r](HttpRequest& q, HttpResponse& p) { r->handle_zipkin(q, p); });
    } else {
      server->route(path, [r](HttpRequest& q, HttpResponse& p) { r->handle_otlp(q, p); });
    }
    std::string err;
    if (!server->start(&err)) {
      *error = std::string("flag --") + flag + ": " + err;
      return false;
    }
    log::info("APM receiver listening",
              {{"protocol", zipkin ? "zipkin" : "otlp"}, {"address", addr}});
    *out = std::move(server);
    return true;
  };
  return listen(config_.otlp_listen_address, "apm.otlp.listen-address", "/v1/traces", false,
                &otlp_) &&
         listen(config_.zipkin_listen_address, "apm.zipkin.listen-address", "/api/v2/spans", true,
                &zipkin_);
}

bool ApmModule::set_web_config(std::shared_ptr<const WebConfig> web, std::string* error) {
  for (auto* s : {&otlp_, &zipkin_}) {
    if (*s && !(*s)->set_web_config(web, error)) return false;
  }
  return true;
}

bool ApmModule::drain(std::chrono::milliseconds timeout) {
  bool ok = true;
  if (otlp_) ok = otlp_->drain(timeout) && ok;
  if (zipkin_) ok = zipkin_->drain(timeout) && ok;
  return ok;
}

void ApmModule::stop() {
  if (otlp_) otlp_->stop();
  if (zipkin_) zipkin_->stop();
}

}  // namespace vitals::apm
