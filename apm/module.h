// The APM module as the agent runs it: the aggregator, the receivers and their listeners
// (--apm.otlp.listen-address, --apm.otlp.grpc-listen-address, --apm.zipkin.listen-address), built
// from the config.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "apm/aggregator.h"
#include "apm/grpc_receiver.h"
#include "apm/options.h"
#include "apm/receiver.h"
#include "http/server.h"

namespace vitals::apm {

class ApmModule {
 public:
  explicit ApmModule(const ApmConfig& config);
  ~ApmModule();
  // Starts the enabled listeners; false with a reason naming the flag. `web` (TLS, basic auth;
  // null: plain HTTP) applies to both listeners.
  bool start(std::string* error, std::shared_ptr<const WebConfig> web = nullptr);
  // A re-read web config (SIGHUP); false with the reason when a listener refused it (the
  // listeners that took it keep it).
  bool set_web_config(std::shared_ptr<const WebConfig> web, std::string* error);
  // Stops accepting spans and waits for in-flight requests.
  void stop();
  // For a quick process exit: new span requests get 503, in-flight ones finish (at most
  // `timeout`). True when none is left.
  bool drain(std::chrono::milliseconds timeout);

  std::shared_ptr<SpanAggregator> aggregator() const { return aggregator_; }
  std::shared_ptr<Receiver> receiver() const { return receiver_; }
  // The receiver's and the aggregator's own metrics (core/self_metrics.h).
  // vitals_apm_receiver_up: 1 per listening receiver, 0 when its default port was taken.
  std::vector<std::shared_ptr<prometheus::Collectable>> metrics() const {
    return {receiver_->metrics(), aggregator_->metrics(), up_metrics_};
  }

 private:
  bool listen_grpc(std::string* error, std::shared_ptr<const WebConfig> web);

  ApmConfig config_;
  std::shared_ptr<SpanAggregator> aggregator_;
  std::shared_ptr<Receiver> receiver_;
  std::unique_ptr<HttpServer> otlp_;
  std::unique_ptr<HttpServer> zipkin_;
  std::unique_ptr<GrpcReceiver> otlp_grpc_;
  std::atomic<int> otlp_up_{-1};  // -1: turned off (empty address)
  std::atomic<int> zipkin_up_{-1};
  std::atomic<int> otlp_grpc_up_{-1};
  std::atomic<int> otlp_grpc_threads_{0};
  std::shared_ptr<prometheus::Collectable> up_metrics_;
};

AggregatorOptions aggregator_options(const ApmConfig& c);

}  // namespace vitals::apm
