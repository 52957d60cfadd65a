// Builds realistic OTLP/HTTP trace requests for the benchmarks: one service per request,
// 100 spans each, 20 services x 50 operations, attributes as an HTTP server span carries them
// (semantic conventions 1.2x), serialized with libprotobuf's generated classes.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "otlp_trace_service.pb.h"

namespace vitals::bench {

inline constexpr int kServices = 20;
inline constexpr int kOperations = 50;
inline constexpr int kStatusCodes = 10;  // x 20 x 50 = 10,000 series with that dimension

inline void set_attr(opentelemetry::proto::common::v1::KeyValue* kv, const std::string& k,
                     const std::string& v) {
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

inline void set_attr(opentelemetry::proto::common::v1::KeyValue* kv, const std::string& k,
                     int64_t v) {
  kv->set_key(k);
  kv->mutable_value()->set_int_value(v);
}

// `service` picks the resource; spans draw operations and status codes from `rng`.
inline std::string make_request(int service, int spans, std::mt19937_64& rng) {
  namespace pb = opentelemetry::proto;
  static const int64_t codes[kStatusCodes] = {200, 201, 204, 301, 304, 400, 401, 403, 404, 500};
  pb::collector::trace::v1::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* res = rs->mutable_resource();
  std::string svc = "service-" + std::to_string(service);
  set_attr(res->add_attributes(), "service.name", svc);
  set_attr(res->add_attributes(), "service.version", "1.4.2");
  set_attr(res->add_attributes(), "service.instance.id", "3f1c2a9e-7d4b-4e8a-9c1f-5b6d7e8f9a0b");
  set_attr(res->add_attributes(), "host.name", "node-17.prod.example.com");
  set_attr(res->add_attributes(), "process.pid", int64_t{41237});
  set_attr(res->add_attributes(), "process.runtime.name", "nodejs");
  set_attr(res->add_attributes(), "telemetry.sdk.language", "nodejs");
  set_attr(res->add_attributes(), "telemetry.sdk.name", "opentelemetry");
  set_attr(res->add_attributes(), "telemetry.sdk.version", "1.30.1");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("@opentelemetry/instrumentation-http");
  ss->mutable_scope()->set_version("0.57.2");
  const uint64_t t0 = 1'700'000'000'000'000'000ULL;
  for (int i = 0; i < spans; ++i) {
    auto* sp = ss->add_spans();
    std::string tid(16, '\0'), sid(8, '\0'), pid(8, '\0');
    for (auto& c : tid) c = static_cast<char>(rng());
    for (auto& c : sid) c = static_cast<char>(rng());
    for (auto& c : pid) c = static_cast<char>(rng());
    sp->set_trace_id(tid);
    sp->set_span_id(sid);
    sp->set_parent_span_id(pid);
    int op = static_cast<int>(rng() % kOperations);
    std::string route = "/api/v1/resource" + std::to_string(op) + "/{id}";
    sp->set_name("GET " + route);
    sp->set_kind(opentelemetry::proto::trace::v1::Span_SpanKind_SPAN_KIND_SERVER);
    uint64_t start = t0 + (rng() % 1'000'000'000'000ULL);
    uint64_t dur = 200'000 + rng() % 2'000'000'000ULL;  // 0.2 ms .. 2 s
    sp->set_start_time_unix_nano(start);
    sp->set_end_time_unix_nano(start + dur);
    int64_t code = codes[rng() % kStatusCodes];
    set_attr(sp->add_attributes(), "http.request.method", "GET");
    set_attr(sp->add_attributes(), "http.route", route);
    set_attr(sp->add_attributes(), "url.path",
             "/api/v1/resource" + std::to_string(op) + "/" + std::to_string(rng() % 100000));
    set_attr(sp->add_attributes(), "url.scheme", "https");
    set_attr(sp->add_attributes(), "http.response.status_code", code);
    set_attr(sp->add_attributes(), "server.address", svc + ".prod.example.com");
    set_attr(sp->add_attributes(), "server.port", int64_t{8443});
    set_attr(sp->add_attributes(), "network.protocol.version", "1.1");
    set_attr(sp->add_attributes(), "client.address", "10.12.7." + std::to_string(rng() % 255));
    set_attr(sp->add_attributes(), "user_agent.original",
             "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/120.0.0.0 Safari/537.36");
    if (code >= 500)
      sp->mutable_status()->set_code(
          opentelemetry::proto::trace::v1::Status_StatusCode_STATUS_CODE_ERROR);
    sp->set_flags(0x301);
  }
  return req.SerializeAsString();
}

// Dimensions the benchmarks configure (as --apm.dimension would).
inline std::vector<std::string> bench_dimensions() {
  return {"http.request.method", "http.response.status_code"};
}

}  // namespace vitals::bench
