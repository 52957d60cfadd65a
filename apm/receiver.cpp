#include "apm/receiver.h"

#include <libdeflate.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "core/parse.h"

namespace vitals::apm {
namespace {

constexpr std::array<std::string_view, kProtocols> kProtocolNames = {
    "otlp", "otlp_proto", "otlp_json", "zipkin", "otlp_grpc"};
// Bodies larger than this leave their buffers to be freed after the request.
constexpr size_t kKeepBufferBytes = 1 << 20;

std::string_view media_type(std::string_view ct) {
  return parse::trim(ct.substr(0, ct.find(';')));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_len_field(std::string& out, uint32_t field, std::string_view bytes) {
  put_varint(out, field << 3 | 2);
  put_varint(out, bytes.size());
  out.append(bytes);
}

// google.rpc.Status (protobuf) or its JSON form: the body of OTLP 4xx/5xx answers.
void status_body(HttpResponse& resp, int http, bool json, int grpc_code, const std::string& msg) {
  resp.status = http;
  if (json) {
    std::string b = "{\"code\":" + std::to_string(grpc_code) + ",\"message\":";
    append_json_string(b, msg);
    b += "}";
    resp.headers.emplace_back("Content-Type", "application/json");
    resp.body = std::move(b);
  } else {
    std::string b;
    put_varint(b, 1 << 3 | 0);
    put_varint(b, static_cast<uint64_t>(grpc_code));
    put_len_field(b, 2, msg);
    resp.headers.emplace_back("Content-Type", "application/x-protobuf");
    resp.body = std::move(b);
  }
}

}  // namespace

namespace {

// zlib's streaming inflate, bounded by `max`: the general path (zlib streams, multi-member gzip,
// a size trailer that does not match).
int inflate_stream(std::string_view in, size_t max, std::string& out, std::string* error) {
  out.resize(std::min(std::max<size_t>(in.size() * 4, 65536), max + 1));
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) {
    *error = "cannot start gzip decompression";
    return 500;
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  size_t total = 0;  // across members (inflateReset clears zs.total_out)
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + total);
    zs.avail_out = static_cast<uInt>(out.size() - total);
    rc = inflate(&zs, Z_NO_FLUSH);
    total = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END && zs.avail_in > 0) {
      // Another gzip member follows (RFC 1952 allows several): keep going.
      if (inflateReset(&zs) != Z_OK) break;
      continue;
    }
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (zs.avail_out == 0) {
      if (out.size() > max) break;
      out.resize(std::min(out.size() * 2, max + 1));
      continue;
    }
    if (zs.avail_in == 0) break;  // truncated input
  }
  std::string msg = zs.msg ? zs.msg : "";
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    if (total > max) {
      *error = "decompressed request body is over the limit of " + std::to_string(max) +
               " bytes (--apm.max-request-bytes)";
      return 413;
    }
    *error = "invalid gzip body: " + (msg.empty() ? std::string("truncated") : msg);
    return 400;
  }
  out.resize(total);
  return 0;
}

struct Decompressor {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  ~Decompressor() { libdeflate_free_decompressor(d); }
};

}  // namespace

int gunzip(std::string_view in, size_t max, std::string& out, std::string* error) {
  // Fast path: one gzip member whose trailer gives the size, inflated in one call by libdeflate
  // (2-3x zlib's speed on whole buffers). Anything else (several members, a trailer that does
  // not match, a size over the limit that may be a truncated body's garbage trailer) takes the
  // bounded streaming path, which tells them apart. So does a header with FHCRC (flag bit 1),
  // whose CRC libdeflate skips unchecked and zlib checks (found by fuzz.gzip).
  thread_local Decompressor dec;
  if (dec.d && in.size() >= 18 && static_cast<uint8_t>(in[0]) == 0x1f &&
      static_cast<uint8_t>(in[1]) == 0x8b && (static_cast<uint8_t>(in[3]) & 0x02) == 0) {
    uint32_t isize;
    std::memcpy(&isize, in.data() + in.size() - 4, 4);
    if (isize <= max) {
      out.resize(isize);
      size_t used_in = 0, got = 0;
      auto rc = libdeflate_gzip_decompress_ex(dec.d, in.data(), in.size(), out.data(), isize,
                                              &used_in, &got);
      if (rc == LIBDEFLATE_SUCCESS && got == isize && used_in == in.size()) return 0;
    }
  }
  return inflate_stream(in, max, out, error);
}

struct Receiver::Slot {
  std::string body;
  std::string inflated;
  SpanBatch batch;
  JsonParser json;
};

// Slots (request buffers and a JSON parser, ~100 KB each) are made on first need, so an agent
// whose span receivers are off or idle does not carry them.
// The reason a refused request's code stands for; empty for answers that took the spans.
std::string_view refusal_reason(int code) {
  switch (code) {
    case 400:
      return "undecodable";
    case 413:
      return "too_large";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "overloaded";
    case 405:
      return "bad_method";
    case 500:
      return "internal_error";
    case 503:
      return "draining";
    default:
      return "";
  }
}

Receiver::Receiver(SpanSink& sink, ReceiverOptions options)
    : sink_(sink), opts_(std::move(options)), registry_(std::make_shared<prometheus::Registry>()) {
  requests_family_ = &prometheus::BuildCounter()
                          .Name("vitals_apm_requests_total")
                          .Help("Span requests answered, by protocol and HTTP status.")
                          .Register(*registry_);
  refused_family_ = &prometheus::BuildCounter()
                         .Name("vitals_apm_requests_refused_total")
                         .Help(
                             "Span requests whose spans were not taken, by protocol and reason "
                             "(overloaded ones are retried by the client).")
                         .Register(*registry_);
  auto& spans = prometheus::BuildCounter()
                    .Name("vitals_apm_spans_received_total")
                    .Help("Valid spans received and aggregated, by protocol.")
                    .Register(*registry_);
  auto& rejected =
      prometheus::BuildCounter()
          .Name("vitals_apm_spans_rejected_total")
          .Help("Invalid spans rejected (reported in partial_success), by protocol and reason.")
          .Register(*registry_);
  auto& bytes = prometheus::BuildCounter()
                    .Name("vitals_apm_request_bytes_total")
                    .Help("Span request body bytes as received (before gzip), by protocol.")
                    .Register(*registry_);
  for (size_t p = 0; p < kProtocols; ++p) {
    if (p == static_cast<size_t>(Protocol::kOtlp)) continue;
    const std::string pn(kProtocolNames[p]);
    spans_[p] = &spans.Add({{"protocol", pn}});
    bytes_[p] = &bytes.Add({{"protocol", pn}});
    for (size_t r = 1; r < kRejectReasons; ++r) {
      rejected_[p][r] = &rejected.Add(
          {{"protocol", pn}, {"reason", std::string(reject_reason(static_cast<Reject>(r)))}});
    }
  }
  queue_ = &prometheus::BuildGauge()
                .Name("vitals_apm_ingest_queue_length")
                .Help("Span requests being read, decoded and aggregated.")
                .Register(*registry_)
                .Add({});
  prometheus::BuildGauge()
      .Name("vitals_apm_ingest_queue_capacity")
      .Help("Limit on span requests handled at once (--apm.max-concurrent-requests).")
      .Register(*registry_)
      .Add({})
      .Set(opts_.max_concurrent_requests);
  prometheus::BuildGauge()
      .Name("vitals_apm_max_request_bytes")
      .Help("Limit on a span request body (--apm.max-request-bytes).")
      .Register(*registry_)
      .Add({})
      .Set(static_cast<double>(opts_.max_request_bytes));
}

Receiver::~Receiver() = default;

namespace {

// Span ingestion yields the CPU to collection: a thread that decodes spans runs at a nice value
// `add` above the agent's, so on a busy node a scrape is not slowed by the span load (CFS gives a
// nice-10 thread about a tenth of a nice-0 one's share while both are runnable, and all of the
// CPU when it runs alone). Set once per thread, the first time it takes a slot.
void lower_priority_once(int add) {
  thread_local bool done = false;
  if (done || add <= 0) return;
  done = true;
  const auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  int nice = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0) ::setpriority(PRIO_PROCESS, tid, std::min(19, nice + add));
}

}  // namespace

Receiver::Slot* Receiver::acquire() {
  lower_priority_once(opts_.ingestion_nice);
  std::lock_guard lk(mu_);
  if (free_.empty()) {
    if (static_cast<int>(slots_.size()) >= opts_.max_concurrent_requests) return nullptr;
    slots_.push_back(std::make_unique<Slot>());
    free_.push_back(slots_.back().get());
  }
  Slot* s = free_.back();
  free_.pop_back();
  queue_->Increment();
  return s;
}

void Receiver::release(Slot* s) {
  if (s->body.capacity() > kKeepBufferBytes) std::string().swap(s->body);
  if (s->inflated.capacity() > kKeepBufferBytes) std::string().swap(s->inflated);
  s->json.trim(kKeepBufferBytes);
  std::lock_guard lk(mu_);
  free_.push_back(s);
  queue_->Decrement();
}

void Receiver::count_request(Protocol p, int status) {
  for (size_t i = 0; i < kCodes.size(); ++i) {
    if (kCodes[i] == status) {
      const size_t pi = static_cast<size_t>(p);
      prometheus::Counter* c = requests_[pi][i].load(std::memory_order_acquire);
      if (!c) {
        // Family::Add returns the one counter of these labels, whichever thread comes first.
        const std::string pn(kProtocolNames[pi]);
        // The refusal counter is published before the request counter that guards it.
        if (std::string_view reason = refusal_reason(kCodes[i]); !reason.empty()) {
          refused_[pi][i].store(
              &refused_family_->Add({{"protocol", pn}, {"reason", std::string(reason)}}),
              std::memory_order_release);
        }
        c = &requests_family_->Add({{"protocol", pn}, {"code", std::to_string(kCodes[i])}});
        requests_[pi][i].store(c, std::memory_order_release);
      }
      c->Increment();
      if (prometheus::Counter* r = refused_[pi][i].load(std::memory_order_acquire)) {
        r->Increment();
      }
      return;
    }
  }
}

int Receiver::read_body(HttpRequest& req, Encoding enc, Slot& slot, std::string_view* body,
                        std::string* error) {
  const size_t max = opts_.max_request_bytes;
  const size_t pad = json_padding();
  if (auto cl = req.header("Content-Length")) {
    auto n = parse::to_u64(parse::trim(*cl));
    if (n && *n > max) {
      *error = "request body of " + std::to_string(*n) + " bytes is over the limit of " +
               std::to_string(max) + " (--apm.max-request-bytes)";
      return 413;
    }
    if (n) slot.body.reserve(*n + pad);
  }
  std::string& b = slot.body;
  b.clear();
  size_t used = 0;
  for (;;) {
    if (b.size() < used + 65536) b.resize(std::min(used + 65536, max + 1));
    if (used == b.size()) {
      *error = "request body is over the limit of " + std::to_string(max) +
               " bytes (--apm.max-request-bytes)";
      return 413;
    }
    long n = req.read_body(b.data() + used, b.size() - used);
    if (n < 0) {
      *error = "error reading the request body";
      return 400;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  b.resize(used);
  if (enc == Encoding::kIdentity) {
    b.reserve(used + pad);
    *body = b;
    return 0;
  }
  // gzip (or zlib): inflate, bounded by the same limit.
  int st = gunzip(b, max, slot.inflated, error);
  if (st != 0) return st;
  slot.inflated.reserve(slot.inflated.size() + pad);
  *body = slot.inflated;
  return 0;
}

namespace {

// Drains a refused request's body (bounded) so the connection stays usable.
void drain(HttpRequest& req, size_t max) {
  char buf[16384];
  size_t total = 0;
  while (total <= max) {
    long n = req.read_body(buf, sizeof buf);
    if (n <= 0) return;
    total += static_cast<size_t>(n);
  }
}

}  // namespace

void Receiver::refuse(HttpResponse& resp, Protocol proto, int status, int grpc_code,
                      const std::string& msg) {
  if (proto == Protocol::kZipkin) {
    resp.set(status, "text/plain; charset=utf-8", std::to_string(status) + " " + msg + "\n");
  } else {
    status_body(resp, status, proto == Protocol::kOtlpJson, grpc_code, msg);
  }
  count_request(proto, status);
}

Receiver::Slot* Receiver::take_body(HttpRequest& req, HttpResponse& resp, Protocol proto,
                                    std::string_view* body) {
  std::string_view ce = parse::trim(req.header("Content-Encoding").value_or(""));
  Encoding enc = Encoding::kIdentity;
  if (iequals(ce, "gzip") || iequals(ce, "x-gzip")) {
    enc = Encoding::kGzip;
  } else if (!ce.empty() && !iequals(ce, "identity")) {
    drain(req, opts_.max_request_bytes);
    refuse(resp, proto, 415, 3,
           "unsupported Content-Encoding \"" + std::string(ce) + "\": want gzip");
    return nullptr;
  }
  Slot* slot = acquire();
  if (!slot) {
    drain(req, opts_.max_request_bytes);
    refuse(resp, proto, 429, 8, "span ingestion is saturated; retry later");
    resp.headers.emplace_back("Retry-After", "1");
    return nullptr;
  }
  std::string error;
  int st = read_body(req, enc, *slot, body, &error);
  if (st != 0) {
    release(slot);
    refuse(resp, proto, st, st == 413 ? 8 : 3, error);
    return nullptr;
  }
  if (prometheus::Counter* b = bytes_[static_cast<size_t>(proto)]) {
    b->Increment(static_cast<double>(slot->body.size()));
  }
  return slot;
}

template <class Decode>
bool Receiver::decode_body(Slot* slot, Protocol proto, HttpResponse& resp, DecodeStats* stats,
                           Decode&& decode) {
  const size_t p = static_cast<size_t>(proto);
  std::string error;
  slot->batch.begin(&sink_, stats);
  bool ok = decode(*slot, &error);
  release(slot);
  if (spans_[p]) spans_[p]->Increment(static_cast<double>(stats->spans));
  for (size_t i = 0; i < kRejectReasons; ++i) {
    if (stats->rejected_by[i] && rejected_[p][i]) {
      rejected_[p][i]->Increment(static_cast<double>(stats->rejected_by[i]));
    }
  }
  if (!ok) {
    log::debug("undecodable span request", {{"protocol", kProtocolNames[p]}, {"err", error}});
    refuse(resp, proto, 400, 3, error);
  }
  return ok;
}

void Receiver::handle_otlp(HttpRequest& req, HttpResponse& resp) {
  if (req.method() != "POST") {
    resp.set(405, "text/plain; charset=utf-8",
             "405 method not allowed: POST spans to /v1/traces\n");
    resp.headers.emplace_back("Allow", "POST");
    count_request(Protocol::kOtlp, 405);
    return;
  }
  std::string_view ct = media_type(req.header("Content-Type").value_or(""));
  Protocol proto;
  if (iequals(ct, "application/x-protobuf")) {
    proto = Protocol::kOtlpProto;
  } else if (iequals(ct, "application/json")) {
    proto = Protocol::kOtlpJson;
  } else {
    drain(req, opts_.max_request_bytes);
    resp.set(415, "text/plain; charset=utf-8",
             "415 unsupported content type \"" + std::string(ct) +
                 "\": want application/x-protobuf or application/json\n");
    count_request(Protocol::kOtlp, 415);
    return;
  }
  const bool json = proto == Protocol::kOtlpJson;
  std::string_view body;
  Slot* slot = take_body(req, resp, proto, &body);
  if (!slot) return;
  DecodeStats stats;
  bool ok = decode_body(slot, proto, resp, &stats, [&](Slot& s, std::string* error) {
    return json ? decode_otlp_json(s.json, body, opts_.dimensions, s.batch, error)
                : decode_otlp_proto(body, opts_.dimensions, s.batch, error);
  });
  if (!ok) return;
  resp.status = 200;
  std::string msg;
  if (stats.rejected > 0) {
    msg =
        std::to_string(stats.rejected) + " invalid span(s) rejected; first: " + stats.first_reject;
  }
  if (json) {
    resp.headers.emplace_back("Content-Type", "application/json");
    if (stats.rejected == 0) {
      resp.body = "{}";
    } else {
      resp.body = "{\"partialSuccess\":{\"rejectedSpans\":\"" + std::to_string(stats.rejected) +
                  "\",\"errorMessage\":";
      append_json_string(resp.body, msg);
      resp.body += "}}";
    }
  } else {
    resp.headers.emplace_back("Content-Type", "application/x-protobuf");
    resp.body = otlp_export_response(stats.rejected, msg);
  }
  count_request(proto, 200);
}

std::string otlp_export_response(uint64_t rejected, std::string_view message) {
  std::string out;
  if (rejected > 0) {
    std::string ps;
    put_varint(ps, 1 << 3 | 0);
    put_varint(ps, rejected);
    put_len_field(ps, 2, message);
    put_len_field(out, 1, ps);
  }
  return out;
}

int grpc_code_for_http(int http_status) {
  switch (http_status) {
    case 200:
    case 202:
      return kGrpcOk;
    case 400:
    case 415:
      return kGrpcInvalidArgument;
    case 413:
    case 429:
      return kGrpcResourceExhausted;
    case 503:
      return kGrpcUnavailable;
    default:
      return kGrpcInternal;
  }
}

bool grpc_retryable(int http_status) {
  return http_status == 429 || http_status == 503;
}

std::string grpc_status_with_retry(int code, std::string_view message, int retry_seconds) {
  std::string duration;  // google.protobuf.Duration{seconds}
  put_varint(duration, 1 << 3 | 0);
  put_varint(duration, static_cast<uint64_t>(retry_seconds));
  std::string retry_info;  // google.rpc.RetryInfo{retry_delay = 1}
  put_len_field(retry_info, 1, duration);
  std::string any;  // google.protobuf.Any{type_url = 1, value = 2}
  put_len_field(any, 1, "type.googleapis.com/google.rpc.RetryInfo");
  put_len_field(any, 2, retry_info);
  std::string status;  // google.rpc.Status{code = 1, message = 2, details = 3}
  put_varint(status, 1 << 3 | 0);
  put_varint(status, static_cast<uint64_t>(code));
  put_len_field(status, 2, message);
  put_len_field(status, 3, any);
  return status;
}

RpcAnswer Receiver::refuse_grpc(int http_status, std::string message) {
  RpcAnswer a;
  a.code = grpc_code_for_http(http_status);
  if (grpc_retryable(http_status)) a.details = grpc_status_with_retry(a.code, message, 1);
  a.message = std::move(message);
  count_request(Protocol::kOtlpGrpc, http_status);
  return a;
}

RpcAnswer Receiver::export_grpc(
    const std::function<std::string_view(std::string& buffer)>& message) {
  constexpr Protocol proto = Protocol::kOtlpGrpc;
  Slot* slot = acquire();
  if (!slot) return refuse_grpc(429, "span ingestion is saturated; retry later");
  std::string_view body = message(slot->body);
  bytes_[static_cast<size_t>(proto)]->Increment(static_cast<double>(body.size()));
  DecodeStats stats;
  HttpResponse unused;
  std::string error;
  bool ok = decode_body(slot, proto, unused, &stats, [&](Slot& s, std::string* err) {
    bool r = decode_otlp_proto(body, opts_.dimensions, s.batch, err);
    if (!r) error = *err;
    return r;
  });
  if (!ok) {
    // decode_body counted the 400 already.
    RpcAnswer a;
    a.code = kGrpcInvalidArgument;
    a.message = std::move(error);
    return a;
  }
  RpcAnswer a;
  std::string msg;
  if (stats.rejected > 0) {
    msg =
        std::to_string(stats.rejected) + " invalid span(s) rejected; first: " + stats.first_reject;
  }
  a.response = otlp_export_response(stats.rejected, msg);
  count_request(proto, 200);
  return a;
}

void Receiver::handle_zipkin(HttpRequest& req, HttpResponse& resp) {
  const Protocol proto = Protocol::kZipkin;
  if (req.method() != "POST") {
    resp.set(405, "text/plain; charset=utf-8",
             "405 method not allowed: POST spans to /api/v2/spans\n");
    resp.headers.emplace_back("Allow", "POST");
    count_request(proto, 405);
    return;
  }
  std::string_view ct = media_type(req.header("Content-Type").value_or(""));
  if (!ct.empty() && !iequals(ct, "application/json")) {
    drain(req, opts_.max_request_bytes);
    refuse(resp, proto, 415, 3,
           "unsupported content type \"" + std::string(ct) +
               "\": want application/json (Zipkin v2 JSON)");
    return;
  }
  std::string_view body;
  Slot* slot = take_body(req, resp, proto, &body);
  if (!slot) return;
  DecodeStats stats;
  bool ok = decode_body(slot, proto, resp, &stats, [&](Slot& s, std::string* error) {
    return decode_zipkin_json(s.json, body, opts_.dimensions, s.batch, error);
  });
  if (!ok) return;
  resp.status = 202;
  count_request(proto, 202);
}

}  // namespace vitals::apm
