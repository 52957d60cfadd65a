// The OTLP/gRPC span receiver (--apm.otlp.grpc-listen-address): opentelemetry.proto.collector.
// trace.v1.TraceService/Export on Debian's gRPC, into the same Receiver (slots, limits, decoder,
// aggregator) as OTLP/HTTP. gRPC's headers are seen only by grpc_receiver.cpp.
#pragma once

#include <memory>
#include <string>

namespace vitals {
struct WebConfig;
}

namespace vitals::apm {

class Receiver;

struct GrpcReceiverOptions {
  // "host:port", "[v6]:port", "localhost:port" (every address localhost resolves to), ":port"
  // (both families).
  std::string address;
  size_t max_message_bytes = 4 << 20;  // --apm.max-request-bytes, after gzip too
  int max_concurrent_requests = 4;     // --apm.max-concurrent-requests
  int max_metadata_bytes = 16384;      // --web.max-header-bytes
  // TLS (certificate, key, client CA and client_auth_type; client_allowed_sans) and basic auth
  // (the `authorization` metadata) of the span listeners' web config; null: plaintext, no auth.
  std::shared_ptr<const WebConfig> web;
};

class GrpcReceiver {
 public:
  GrpcReceiver(Receiver& receiver, GrpcReceiverOptions options);
  ~GrpcReceiver();
  GrpcReceiver(const GrpcReceiver&) = delete;
  GrpcReceiver& operator=(const GrpcReceiver&) = delete;

  // Binds and starts serving; false with a one-line reason (a bind failure, a bad certificate).
  bool start(std::string* error);
  // Users and allowed SANs apply from the next call; TLS credentials only at start (a changed
  // tls_server_config is logged as a warning and kept until a restart).
  bool set_web_config(std::shared_ptr<const WebConfig> web, std::string* error);
  // From now on calls get UNAVAILABLE with RetryInfo (a quick process exit).
  void drain();
  void stop();
  // Threads the listener runs calls on: gRPC 1.51's callback threads, clamp(configured CPUs / 2,
  // 2, 16) (2 on 2 CPUs), started once, whatever the load; calls past the ingestion slots are
  // refused, not queued for a thread. gRPC's core adds its own few (timers, executor, event
  // engine) threads.
  int max_threads() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitals::apm
