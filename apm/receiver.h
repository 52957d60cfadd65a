// The span receivers: OTLP/HTTP (POST /v1/traces, protobuf or JSON) and Zipkin v2
// (POST /api/v2/spans), behind the HttpServer seam. A request takes one of a fixed number of
// slots (the ingestion queue: body buffers, a span batch, a JSON parser), so memory is bounded
// by --apm.max-concurrent-requests x --apm.max-request-bytes; when every slot is busy the client
// gets 429 with Retry-After and retries, so nothing is silently dropped.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "apm/decode.h"
#include "apm/span.h"
#include "http/server.h"

namespace vitals::apm {

struct ReceiverOptions {
  std::vector<std::string> dimensions;
  size_t max_request_bytes = 4 << 20;
  int max_concurrent_requests = 4;
  // Added to the nice value of a thread the first time it decodes spans (--apm.ingestion-nice).
  int ingestion_nice = 10;
};

// Inflates a gzip (or zlib) body into `out`, at most `max` bytes. Returns 0, 413 when the
// output would pass `max`, or 400 for a corrupt or truncated body (with `error` set).
int gunzip(std::string_view in, size_t max, std::string& out, std::string* error);

enum class Protocol : uint8_t { kOtlp, kOtlpProto, kOtlpJson, kZipkin, kOtlpGrpc };
inline constexpr size_t kProtocols = 5;

// OTLP/gRPC (apm/grpc_receiver.cpp holds the gRPC side; nothing here includes gRPC). The status
// codes are gRPC's numbers (grpc::StatusCode).
inline constexpr int kGrpcOk = 0;
inline constexpr int kGrpcInvalidArgument = 3;
inline constexpr int kGrpcResourceExhausted = 8;
inline constexpr int kGrpcInternal = 13;
inline constexpr int kGrpcUnavailable = 14;
inline constexpr int kGrpcUnauthenticated = 16;

// The gRPC status of an outcome the OTLP/HTTP path answers with `http_status`, as the OTLP spec
// maps them: 200 OK, 400/415 INVALID_ARGUMENT, 413 RESOURCE_EXHAUSTED (without retry info: not
// retryable), 429 RESOURCE_EXHAUSTED and 503 UNAVAILABLE (both with RetryInfo), else INTERNAL.
int grpc_code_for_http(int http_status);
// True for the outcomes a client should retry after a delay (429, 503): their gRPC status
// carries a google.rpc.RetryInfo detail.
bool grpc_retryable(int http_status);
// google.rpc.Status{code, message, details: [Any(google.rpc.RetryInfo{retry_delay})]}, the
// binary of the grpc-status-details-bin trailer.
std::string grpc_status_with_retry(int code, std::string_view message, int retry_seconds);
// ExportTraceServiceResponse: empty, or partial_success{rejected_spans, error_message}.
std::string otlp_export_response(uint64_t rejected, std::string_view message);

// The answer to one OTLP/gRPC Export call.
struct RpcAnswer {
  int code = kGrpcOk;
  std::string message;
  std::string details;   // grpc-status-details-bin (RetryInfo) or empty
  std::string response;  // ExportTraceServiceResponse bytes when code is OK
};

class Receiver final {
 public:
  Receiver(SpanSink& sink, ReceiverOptions options);
  ~Receiver();

  void handle_otlp(HttpRequest& req, HttpResponse& resp);
  void handle_zipkin(HttpRequest& req, HttpResponse& resp);
  // One OTLP/gRPC Export call whose message gRPC has read (and inflated) already, at most
  // --apm.max-request-bytes: takes a slot like the HTTP requests (the same limit; none free:
  // RESOURCE_EXHAUSTED with RetryInfo), calls `message` with the slot's buffer to get the bytes
  // (copied there, or a view on gRPC's own single slice) and decodes them with the same decoder.
  RpcAnswer export_grpc(const std::function<std::string_view(std::string& buffer)>& message);
  // A call refused before it reached the decoder (draining: 503), mapped and counted.
  RpcAnswer refuse_grpc(int http_status, std::string message);

  // vitals_apm_requests_total, _spans_received_total, _ingest_queue_length, ... (served
  // through core/self_metrics.h).
  std::shared_ptr<prometheus::Collectable> metrics() const { return registry_; }

  int queue_length() const { return static_cast<int>(queue_->Value()); }

 private:
  struct Slot;
  enum class Encoding { kIdentity, kGzip };
  // Reads (and inflates) the body into the slot. Returns 0 or the HTTP status to answer with.
  int read_body(HttpRequest& req, Encoding enc, Slot& slot, std::string_view* body,
                std::string* error);
  Slot* acquire();
  void release(Slot* s);
  void count_request(Protocol p, int status);
  // Answers a refused request and counts it: an OTLP google.rpc.Status body (with
  // `grpc_code`) for OTLP, plain text for Zipkin.
  void refuse(HttpResponse& resp, Protocol proto, int status, int grpc_code,
              const std::string& msg);
  // What both span endpoints do once the content type is known: check Content-Encoding, take
  // a slot, read (and inflate) the body. Returns the slot with *body set, or nullptr when the
  // answer (415, 429, 413, 400) is already in `resp`.
  Slot* take_body(HttpRequest& req, HttpResponse& resp, Protocol proto, std::string_view* body);
  // Runs `decode` (bool(SpanBatch&, std::string* error)) on the slot's batch, releases the
  // slot and counts spans and rejects. On a decode error answers 400 and returns false.
  template <class Decode>
  bool decode_body(Slot* slot, Protocol proto, HttpResponse& resp, DecodeStats* stats,
                   Decode&& decode);

  SpanSink& sink_;
  const ReceiverOptions opts_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_;

  // Self metrics, on prometheus-cpp. A (protocol, code) counter is made on its first request,
  // so only codes that were answered are shown; spans, bytes and rejects exist for each
  // content type from the start (not for kOtlp, the protocol before the body type is known).
  // For otlp_grpc the code is the HTTP status of the same outcome (grpc_code_for_http).
  static constexpr std::array<int, 9> kCodes = {200, 202, 400, 405, 413, 415, 429, 500, 503};
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_family_;
  prometheus::Family<prometheus::Counter>* refused_family_;
  std::array<std::array<std::atomic<prometheus::Counter*>, kCodes.size()>, kProtocols> requests_{};
  std::array<std::array<std::atomic<prometheus::Counter*>, kCodes.size()>, kProtocols> refused_{};
  std::array<prometheus::Counter*, kProtocols> spans_{};
  std::array<std::array<prometheus::Counter*, kRejectReasons>, kProtocols> rejected_{};
  std::array<prometheus::Counter*, kProtocols> bytes_{};
  prometheus::Gauge* queue_;
};

}  // namespace vitals::apm
