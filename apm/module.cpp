#include "apm/module.h"

#include <prometheus/metric_family.h>

#include "core/log.h"
#include "core/prometheus_cpp.h"

namespace vitals::apm {

AggregatorOptions aggregator_options(const ApmConfig& c) {
  AggregatorOptions o;
  o.dimensions = c.dimensions;
  if (!c.buckets.empty()) o.buckets = c.buckets;
  // parse_config accepted the combination, so the table exists.
  const NameTable* names = find_name_table(c.metric_naming, c.histogram_unit);
  if (names) o.names = names;
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
  ro.ingestion_nice = config.ingestion_nice;
  receiver_ = std::make_shared<Receiver>(*aggregator_, ro);
  up_metrics_ = std::make_shared<CallbackCollectable>([this] {
    prometheus::MetricFamily f;
    f.name = "vitals_apm_receiver_up";
    f.help =
        "1 when the span receiver listens; 0 when it is off because its default port was taken "
        "(another OpenTelemetry Collector or Zipkin on the node).";
    f.type = prometheus::MetricType::Gauge;
    for (auto [name, v] : {std::pair{"otlp", otlp_up_.load()},
                           {"otlp_grpc", otlp_grpc_up_.load()},
                           {"zipkin", zipkin_up_.load()}}) {
      if (v < 0) continue;
      prometheus::ClientMetric m;
      m.label.push_back({"receiver", name});
      m.gauge.value = v;
      f.metric.push_back(std::move(m));
    }
    std::vector<prometheus::MetricFamily> out{std::move(f)};
    if (int t = otlp_grpc_threads_.load(); t > 0) {
      prometheus::MetricFamily g;
      g.name = "vitals_apm_otlp_grpc_max_threads";
      g.help =
          "Threads the OTLP/gRPC listener runs calls on: gRPC's callback threads, "
          "clamp(CPUs / 2, 2, 16), whatever the load.";
      g.type = prometheus::MetricType::Gauge;
      g.metric.emplace_back().gauge.value = t;
      out.push_back(std::move(g));
    }
    return out;
  });
}

ApmModule::~ApmModule() {
  stop();
}

bool ApmModule::start(std::string* error, std::shared_ptr<const WebConfig> web) {
  auto listen = [&](const std::string& addr, bool is_default, const char* flag, const char* path,
                    bool zipkin, std::unique_ptr<HttpServer>* out, std::atomic<int>* up) {
    if (addr.empty()) return true;
    HttpServerOptions so;
    so.listen_addresses = {addr};
    so.name = zipkin ? "zipkin" : "otlp";
    so.threads = config_.max_connections;
    so.web_config = web;
    so.max_connections_per_source = config_.max_connections_per_source;
    so.request_timeout_ms = config_.read_header_timeout_ms;
    so.max_header_bytes = config_.max_header_bytes;
    so.max_parked_connections = static_cast<size_t>(config_.max_parked_connections);
    auto server = make_http_server(so);
    Receiver* r = receiver_.get();
    if (zipkin) {
      server->route(path, [r](HttpRequest& q, HttpResponse& p) { r->handle_zipkin(q, p); });
    } else {
      server->route(path, [r](HttpRequest& q, HttpResponse& p) { r->handle_otlp(q, p); });
    }
    std::string err;
    if (!server->start(&err)) {
      if (is_default && server->address_in_use()) {
        // Another collector on the node holds the well-known port: run without this receiver
        // rather than not at all. A given address is meant, so it fails below.
        log::warn("APM receiver off: its default port is taken (set --" + std::string(flag) +
                      " to another address, or to empty to silence this)",
                  {{"protocol", so.name}, {"err", err}});
        up->store(0);
        return true;
      }
      *error = std::string("flag --") + flag + ": " + err;
      return false;
    }
    up->store(1);
    log::info("APM receiver listening",
              {{"protocol", zipkin ? "zipkin" : "otlp"}, {"address", addr}});
    *out = std::move(server);
    return true;
  };
  return listen(config_.otlp_listen_address, config_.otlp_address_default,
                "apm.otlp.listen-address", "/v1/traces", false, &otlp_, &otlp_up_) &&
         listen(config_.zipkin_listen_address, config_.zipkin_address_default,
                "apm.zipkin.listen-address", "/api/v2/spans", true, &zipkin_, &zipkin_up_) &&
         listen_grpc(error, std::move(web));
}

bool ApmModule::listen_grpc(std::string* error, std::shared_ptr<const WebConfig> web) {
  const std::string& addr = config_.otlp_grpc_listen_address;
  if (addr.empty()) return true;
  GrpcReceiverOptions go;
  go.address = addr;
  go.max_message_bytes = static_cast<size_t>(config_.max_request_bytes);
  go.max_concurrent_requests = config_.max_concurrent_requests;
  go.max_metadata_bytes = config_.max_header_bytes;
  go.web = std::move(web);
  auto r = std::make_unique<GrpcReceiver>(*receiver_, go);
  std::string err;
  if (!r->start(&err)) {
    if (config_.otlp_grpc_address_default) {
      log::warn(
          "APM receiver off: its default port is taken (set --apm.otlp.grpc-listen-address to "
          "another address, or to empty to silence this)",
          {{"protocol", "otlp_grpc"}, {"err", err}});
      otlp_grpc_up_.store(0);
      return true;
    }
    *error = "flag --apm.otlp.grpc-listen-address: " + err;
    return false;
  }
  otlp_grpc_up_.store(1);
  otlp_grpc_threads_.store(r->max_threads());
  log::info("APM receiver listening", {{"protocol", "otlp_grpc"}, {"address", addr}});
  otlp_grpc_ = std::move(r);
  return true;
}

bool ApmModule::set_web_config(std::shared_ptr<const WebConfig> web, std::string* error) {
  for (auto* s : {&otlp_, &zipkin_}) {
    if (*s && !(*s)->set_web_config(web, error)) return false;
  }
  return !otlp_grpc_ || otlp_grpc_->set_web_config(web, error);
}

bool ApmModule::drain(std::chrono::milliseconds timeout) {
  bool ok = true;
  if (otlp_grpc_) otlp_grpc_->drain();
  if (otlp_) ok = otlp_->drain(timeout) && ok;
  if (zipkin_) ok = zipkin_->drain(timeout) && ok;
  return ok;
}

void ApmModule::stop() {
  if (otlp_) otlp_->stop();
  if (zipkin_) zipkin_->stop();
  if (otlp_grpc_) otlp_grpc_->stop();
}

}  // namespace vitals::apm
