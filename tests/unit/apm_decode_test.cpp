// The three span decoders on hand-made payloads; libprotobuf's generated classes (from
// proto/) are the reference for the hand-written protobuf reader.
#include <gtest/gtest.h>
#include <zlib.h>

#include <map>

#include "apm/decode.h"
#include "apm/receiver.h"
#include "exporter/gzip.h"
#include "otlp_trace_service.pb.h"

namespace vitals::apm {
namespace {

namespace pb = opentelemetry::proto;

struct Got {
  std::string service, name;
  int kind, status;
  uint64_t start, end;
  std::string trace_id, span_id, parent;
  std::vector<std::string> dims;
};

class Collect : public SpanSink {
 public:
  void consume(std::span<const SpanRecord> spans) override {
    for (const auto& r : spans) {
      Got g{std::string(r.service),
            std::string(r.name),
            r.kind,
            r.status,
            r.start_ns,
            r.end_ns,
            std::string(reinterpret_cast<const char*>(r.trace_id.data()), 16),
            std::string(reinterpret_cast<const char*>(r.span_id.data()), 8),
            r.has_parent ? std::string(reinterpret_cast<const char*>(r.parent_span_id.data()), 8)
                         : "",
            {}};
      for (size_t i = 0; i < dims; ++i) g.dims.emplace_back(r.dims[i]);
      got.push_back(g);
    }
  }
  size_t dims = 0;
  std::vector<Got> got;
};

struct Run {
  Collect sink;
  DecodeStats stats;
  SpanBatch batch;
  std::string error;
  bool ok = false;
};

enum class Fmt { kProto, kJson, kZipkin };

std::unique_ptr<Run> decode(Fmt fmt, const std::string& body, std::vector<std::string> dims = {}) {
  auto r = std::make_unique<Run>();
  r->sink.dims = dims.size();
  r->batch.begin(&r->sink, &r->stats);
  std::string padded = body;
  padded.reserve(body.size() + json_padding());
  std::string_view v(padded.data(), body.size());
  static JsonParser parser;
  switch (fmt) {
    case Fmt::kProto:
      r->ok = decode_otlp_proto(v, dims, r->batch, &r->error);
      break;
    case Fmt::kJson:
      r->ok = decode_otlp_json(parser, v, dims, r->batch, &r->error);
      break;
    case Fmt::kZipkin:
      r->ok = decode_zipkin_json(parser, v, dims, r->batch, &r->error);
      break;
  }
  return r;
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

void set_str(pb::common::v1::KeyValue* kv, const std::string& k, const std::string& v) {
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

pb::collector::trace::v1::ExportTraceServiceRequest reference_request() {
  pb::collector::trace::v1::ExportTraceServiceRequest req;
  for (int r = 0; r < 2; ++r) {
    auto* rs = req.add_resource_spans();
    set_str(rs->mutable_resource()->add_attributes(), "host.name", "h");
    set_str(rs->mutable_resource()->add_attributes(), "service.name", "svc" + std::to_string(r));
    set_str(rs->mutable_resource()->add_attributes(), "deployment.environment", "prod");
    for (int s = 0; s < 2; ++s) {
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name("lib");
      for (int i = 0; i < 3; ++i) {
        auto* sp = ss->add_spans();
        sp->set_trace_id(std::string(16, static_cast<char>(0x10 + r)));
        sp->set_span_id(std::string(8, static_cast<char>(0x20 + i)));
        if (i > 0) sp->set_parent_span_id(std::string(8, static_cast<char>(0x20)));
        sp->set_name("op" + std::to_string(i));
        sp->set_kind(static_cast<pb::trace::v1::Span_SpanKind>(i + 1));
        sp->set_start_time_unix_nano(1'700'000'000'000'000'000ULL + i);
        sp->set_end_time_unix_nano(1'700'000'000'000'000'000ULL + 1000 * (i + 1));
        set_str(sp->add_attributes(), "http.route", "/r" + std::to_string(i));
        auto* code = sp->add_attributes();
        code->set_key("http.response.status_code");
        code->mutable_value()->set_int_value(200 + i);
        sp->mutable_status()->set_code(static_cast<pb::trace::v1::Status_StatusCode>(i % 3));
        sp->mutable_status()->set_message("m");
      }
    }
  }
  return req;
}

TEST(ApmOtlpProto, MatchesTheGeneratedClasses) {
  auto req = reference_request();
  std::string wire = req.SerializeAsString();
  auto r = decode(Fmt::kProto, wire,
                  {"http.route", "http.response.status_code", "deployment.environment", "absent"});
  ASSERT_TRUE(r->ok) << r->error;
  // Read back through libprotobuf and compare field by field.
  pb::collector::trace::v1::ExportTraceServiceRequest back;
  ASSERT_TRUE(back.ParseFromString(wire));
  size_t k = 0;
  for (const auto& rs : back.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& sp : ss.spans()) {
        ASSERT_LT(k, r->sink.got.size());
        const Got& g = r->sink.got[k++];
        EXPECT_EQ(g.service, rs.resource().attributes(1).value().string_value());
        EXPECT_EQ(g.name, sp.name());
        EXPECT_EQ(g.kind, sp.kind());
        EXPECT_EQ(g.status, sp.status().code());
        EXPECT_EQ(g.start, sp.start_time_unix_nano());
        EXPECT_EQ(g.end, sp.end_time_unix_nano());
        EXPECT_EQ(g.trace_id, sp.trace_id());
        EXPECT_EQ(g.span_id, sp.span_id());
        EXPECT_EQ(g.parent, sp.parent_span_id());
        EXPECT_EQ(g.dims[0], sp.attributes(0).value().string_value());
        EXPECT_EQ(g.dims[1], std::to_string(sp.attributes(1).value().int_value()));
        EXPECT_EQ(g.dims[2], "prod");
        EXPECT_EQ(g.dims[3], "");
      }
    }
  }
  EXPECT_EQ(k, 12u);
  EXPECT_EQ(r->sink.got.size(), 12u);
  EXPECT_EQ(r->stats.spans, 12u);
}

// A tiny encoder to write fields in any order, with explicit zeros and unknown fields.
struct Enc {
  std::string s;
  Enc& varint(uint64_t v) {
    while (v >= 0x80) {
      s.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    s.push_back(static_cast<char>(v));
    return *this;
  }
  Enc& tag(uint32_t f, uint32_t wt) { return varint(f << 3 | wt); }
  Enc& v(uint32_t f, uint64_t x) { return tag(f, 0).varint(x); }
  Enc& len(uint32_t f, const std::string& b) {
    tag(f, 2).varint(b.size());
    s += b;
    return *this;
  }
  Enc& f64(uint32_t f, uint64_t x) {
    tag(f, 1);
    s.append(reinterpret_cast<const char*>(&x), 8);
    return *this;
  }
  Enc& f32(uint32_t f, uint32_t x) {
    tag(f, 5);
    s.append(reinterpret_cast<const char*>(&x), 4);
    return *this;
  }
};

std::string kv(const std::string& k, const std::string& any) {
  return Enc().len(1, k).len(2, any).s;
}

TEST(ApmOtlpProto, FieldsOutOfOrderExplicitZerosAndUnknownFields) {
  std::string span = Enc()
                         .v(99, 12345)   // unknown varint
                         .f64(8, 3'000)  // end before start in the bytes
                         .len(9, kv("http.route", Enc().len(1, "/x").s))
                         .f32(77, 7)  // unknown fixed32
                         .len(15, Enc().v(3, 2).len(2, "boom").s)
                         .v(6, 0)  // explicit zero kind
                         .len(5, "late-name")
                         .f64(7, 1'000)
                         .len(2, std::string(8, 'S'))
                         .len(1, std::string(16, 'T'))
                         .len(4, "")  // explicit empty parent
                         .len(100, "unknown bytes")
                         .v(6, 2)  // a repeated scalar: last one wins
                         .s;
  std::string scope = Enc().len(3, "schema").len(2, span).len(1, Enc().len(1, "lib").s).s;
  std::string resource = Enc().len(1, kv("service.name", Enc().len(1, "late-svc").s)).v(2, 0).s;
  std::string rs = Enc().len(2, scope).len(3, "url").len(1, resource).s;  // resource last
  std::string req = Enc().len(1, rs).v(50, 1).s;
  // libprotobuf agrees this is a valid message.
  pb::collector::trace::v1::ExportTraceServiceRequest ref;
  ASSERT_TRUE(ref.ParseFromString(req));
  ASSERT_EQ(ref.resource_spans(0).scope_spans(0).spans(0).kind(), 2);

  auto r = decode(Fmt::kProto, req, {"http.route"});
  ASSERT_TRUE(r->ok) << r->error;
  ASSERT_EQ(r->sink.got.size(), 1u);
  const Got& g = r->sink.got[0];
  EXPECT_EQ(g.service, "late-svc");
  EXPECT_EQ(g.name, "late-name");
  EXPECT_EQ(g.kind, 2);
  EXPECT_EQ(g.status, 2);
  EXPECT_EQ(g.start, 1000u);
  EXPECT_EQ(g.end, 3000u);
  EXPECT_EQ(g.parent, "");
  EXPECT_EQ(g.dims[0], "/x");
}

TEST(ApmOtlpProto, AttributeValueKindsAndSpanOverResource) {
  std::string span = Enc()
                         .len(1, std::string(16, 'T'))
                         .len(2, std::string(8, 'S'))
                         .len(5, "n")
                         .len(9, kv("b", Enc().v(2, 1).s))
                         .len(9, kv("i", Enc().v(3, static_cast<uint64_t>(-42)).s))
                         .len(9, kv("d", Enc().f64(4, 0x3FF8000000000000ULL).s))  // 1.5
                         .len(9, kv("env", Enc().len(1, "span-env").s))
                         .s;
  std::string resource =
      Enc().len(1, kv("env", Enc().len(1, "res-env").s)).len(1, kv("region", Enc().v(3, 7).s)).s;
  std::string req = Enc().len(1, Enc().len(1, resource).len(2, Enc().len(2, span).s).s).s;
  auto r = decode(Fmt::kProto, req, {"b", "i", "d", "env", "region"});
  ASSERT_TRUE(r->ok) << r->error;
  ASSERT_EQ(r->sink.got.size(), 1u);
  EXPECT_EQ(r->sink.got[0].dims, (std::vector<std::string>{"true", "-42", "1.5", "span-env", "7"}));
  EXPECT_EQ(r->sink.got[0].service, "unknown_service");
}

TEST(ApmOtlpProto, InvalidSpansAreRejectedAndCounted) {
  auto req = reference_request();
  auto* spans = req.mutable_resource_spans(0)->mutable_scope_spans(0);
  spans->mutable_spans(0)->set_name("");
  spans->mutable_spans(1)->set_end_time_unix_nano(1);
  spans->mutable_spans(2)->set_trace_id("short");
  auto r = decode(Fmt::kProto, req.SerializeAsString());
  ASSERT_TRUE(r->ok) << r->error;
  EXPECT_EQ(r->stats.spans, 9u);
  EXPECT_EQ(r->stats.rejected, 3u);
  EXPECT_EQ(r->stats.rejected_by[static_cast<size_t>(Reject::kMissingName)], 1u);
  EXPECT_EQ(r->stats.rejected_by[static_cast<size_t>(Reject::kEndBeforeStart)], 1u);
  EXPECT_EQ(r->stats.rejected_by[static_cast<size_t>(Reject::kBadTraceId)], 1u);
  EXPECT_EQ(r->stats.first_reject, "span 0 (\"\"): missing_name");
}

TEST(ApmOtlpProto, TruncatedInputIsAnErrorNamingTheByte) {
  std::string wire = reference_request().SerializeAsString();
  // Every cut inside the first ResourceSpans is an error; none crashes or reads past the end.
  pb::collector::trace::v1::ExportTraceServiceRequest ref;
  for (size_t n = 1; n < wire.size(); ++n) {
    std::string cut = wire.substr(0, n);
    auto r = decode(Fmt::kProto, cut);
    EXPECT_EQ(r->ok, ref.ParseFromString(cut)) << "cut at " << n;
    if (!r->ok) {
      EXPECT_NE(r->error.find("malformed protobuf at byte "), std::string::npos) << r->error;
    }
  }
  auto r = decode(Fmt::kProto, bytes({0x0a, 0x05, 0x12, 0x03}));
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->error,
            "malformed protobuf at byte 1 in ExportTraceServiceRequest: length past the end of the "
            "message");
  r = decode(Fmt::kProto, bytes({0x0a, 0x02, 0x12, 0x05}));
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->error,
            "malformed protobuf at byte 3 in ResourceSpans: length past the end of the message");
  r = decode(Fmt::kProto, bytes({0x0b}));  // wire type 3 (group start)
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->error.find("unsupported wire type"), std::string::npos);
}

TEST(ApmOtlpProto, SpansBeforeAnErrorAreKept) {
  std::string good = reference_request().SerializeAsString();
  std::string bad = good + bytes({0x0a, 0x7f});
  auto r = decode(Fmt::kProto, bad);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->sink.got.size(), 12u);
}

const char* kOtlpJson = R"({
  "resourceSpans": [{
    "scopeSpans": [{
      "scope": {"name": "lib", "unknownScopeField": [1, {"x": null}]},
      "spans": [{
        "endTimeUnixNano": 1700000000002000000,
        "attributes": [
          {"value": {"intValue": "404"}, "key": "http.response.status_code"},
          {"key": "http.route", "value": {"stringValue": "/a\"b"}}
        ],
        "name": "GET /a",
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "eee19b7ec3c1b174",
        "parentSpanId": "eee19b7ec3c1b173",
        "startTimeUnixNano": "1700000000000000000",
        "kind": 2,
        "status": {"code": 2, "message": "x"},
        "droppedAttributesCount": 0,
        "events": [{"name": "e", "timeUnixNano": "1"}]
      }, {
        "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b175",
        "name": "zero", "kind": 0, "status": {"code": 0},
        "startTimeUnixNano": "0", "endTimeUnixNano": "0",
        "attributes": [{"key": "http.response.status_code", "value": {"intValue": 200}}]
      }]
    }],
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
    "schemaUrl": "u"
  }]
})";

TEST(ApmOtlpJson, FieldsOutOfOrderStringAndNumberInt64s) {
  auto r = decode(Fmt::kJson, kOtlpJson, {"http.route", "http.response.status_code"});
  ASSERT_TRUE(r->ok) << r->error;
  ASSERT_EQ(r->sink.got.size(), 2u);
  const Got& g = r->sink.got[0];
  EXPECT_EQ(g.service, "checkout");
  EXPECT_EQ(g.name, "GET /a");
  EXPECT_EQ(g.kind, 2);
  EXPECT_EQ(g.status, 2);
  EXPECT_EQ(g.start, 1700000000000000000u);
  EXPECT_EQ(g.end, 1700000000002000000u);
  EXPECT_EQ(g.trace_id, bytes({0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6,
                               0x33, 0x81, 0x3f, 0xc6, 0x0c}));
  EXPECT_EQ(g.parent, bytes({0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73}));
  EXPECT_EQ(g.dims, (std::vector<std::string>{"/a\"b", "404"}));
  const Got& z = r->sink.got[1];
  EXPECT_EQ(z.kind, 0);
  EXPECT_EQ(z.status, 0);
  EXPECT_EQ(z.parent, "");
  EXPECT_EQ(z.dims, (std::vector<std::string>{"", "200"}));
}

TEST(ApmOtlpJson, ErrorsNameWhatAndWhere) {
  std::string full = kOtlpJson;
  auto r = decode(Fmt::kJson, full.substr(0, full.size() / 2));
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->error.find("invalid OTLP JSON at byte "), std::string::npos) << r->error;
  r = decode(Fmt::kJson,
             R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"12x"}]}]}]})");
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->error.find("startTimeUnixNano: not an unsigned integer: \"12x\""), std::string::npos)
      << r->error;
  r = decode(Fmt::kJson, R"({"resourceSpans":[]} trailing)");
  EXPECT_FALSE(r->ok);
  r = decode(Fmt::kJson, "");
  EXPECT_FALSE(r->ok);
  r = decode(Fmt::kJson, "{}");
  EXPECT_TRUE(r->ok) << r->error;
  EXPECT_EQ(r->stats.spans, 0u);
}

TEST(ApmOtlpJson, BadIdsAreRejectedSpansNotErrors) {
  auto r = decode(
      Fmt::kJson,
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"eee19b7ec3c1b175","name":"a","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]})");
  ASSERT_TRUE(r->ok) << r->error;
  EXPECT_EQ(r->stats.rejected_by[static_cast<size_t>(Reject::kBadTraceId)], 1u);
}

const char* kZipkin = R"([
  {"id": "352bff9a74ca9ad2", "traceId": "5af7183fb1d4cf5f", "parentId": "6b221d5bc9e6496c",
   "name": "get /api", "timestamp": 1556604172355737, "duration": 1431, "kind": "SERVER",
   "localEndpoint": {"serviceName": "backend", "ipv4": "192.168.99.1", "port": 3306},
   "remoteEndpoint": {"ipv4": "172.19.0.2", "port": 58648},
   "tags": {"http.method": "GET", "http.path": "/api", "error": "boom"}, "annotations": [{"timestamp": 1, "value": "x"}]},
  {"traceId": "463ac35c9f6413ad48485a3953bb6124", "id": "a2fb4a1d1a96d312", "name": "ok",
   "duration": 5000, "timestamp": 10, "localEndpoint": {"serviceName": "frontend"},
   "tags": {"otel.status_code": "OK", "error": "ignored when otel.status_code is set"}},
  {"traceId": "463ac35c9f6413ad48485a3953bb6124", "id": "a2fb4a1d1a96d313", "name": "no duration", "timestamp": 10}
])";

TEST(ApmZipkin, DecodesV2Spans) {
  auto r = decode(Fmt::kZipkin, kZipkin, {"http.method"});
  ASSERT_TRUE(r->ok) << r->error;
  ASSERT_EQ(r->sink.got.size(), 2u);
  const Got& a = r->sink.got[0];
  EXPECT_EQ(a.service, "backend");
  EXPECT_EQ(a.name, "get /api");
  EXPECT_EQ(a.kind, kKindServer);
  EXPECT_EQ(a.status, kStatusError);
  EXPECT_EQ(a.start, 1556604172355737000u);
  EXPECT_EQ(a.end - a.start, 1431000u);
  EXPECT_EQ(a.trace_id,
            std::string(8, '\0') + bytes({0x5a, 0xf7, 0x18, 0x3f, 0xb1, 0xd4, 0xcf, 0x5f}));
  EXPECT_EQ(a.parent, bytes({0x6b, 0x22, 0x1d, 0x5b, 0xc9, 0xe6, 0x49, 0x6c}));
  EXPECT_EQ(a.dims[0], "GET");
  const Got& b = r->sink.got[1];
  EXPECT_EQ(b.kind, kKindUnspecified);
  EXPECT_EQ(b.status, kStatusOk);
  EXPECT_EQ(b.end - b.start, 5'000'000u);
  EXPECT_EQ(r->stats.rejected_by[static_cast<size_t>(Reject::kMissingDuration)], 1u);
}

TEST(ApmZipkin, Errors) {
  auto r = decode(Fmt::kZipkin, R"({"not": "a list"})");
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->error.find("invalid Zipkin JSON at byte"), std::string::npos) << r->error;
  r = decode(
      Fmt::kZipkin,
      R"([{"id":"a2fb4a1d1a96d313","traceId":"463ac35c9f6413ad","name":"x","timestamp":1,"duration":"x"}])");
  EXPECT_FALSE(r->ok);
  EXPECT_NE(r->error.find("duration: not an unsigned integer"), std::string::npos) << r->error;
  r = decode(Fmt::kZipkin, "[]");
  EXPECT_TRUE(r->ok);
}

// Found by the otlp_proto fuzz target (docs/fuzzing.md): protobuf strings reach the decoder
// unchecked, and one span name that is not UTF-8 made the span metrics unscrapable (Prometheus
// refuses the whole scrape over such a label value). Label values are now repaired.
TEST(ApmOtlpProto, LabelValuesThatAreNotUtf8AreRepaired) {
  std::string span = Enc()
                         .len(1, std::string(16, 'T'))
                         .len(2, std::string(8, 'S'))
                         .len(5, "GET \xff\xfe/x\xc3")
                         .len(9, kv("route", Enc()
                                                 .len(1,
                                                      "/a\xed\xa0\x80"
                                                      "b")
                                                 .s))  // a surrogate
                         .s;
  std::string resource = Enc().len(1, kv("service.name", Enc().len(1, "svc\xc0\xaf").s)).s;
  std::string req = Enc().len(1, Enc().len(1, resource).len(2, Enc().len(2, span).s).s).s;
  auto r = decode(Fmt::kProto, req, {"route"});
  ASSERT_TRUE(r->ok) << r->error;
  ASSERT_EQ(r->sink.got.size(), 1u);
  EXPECT_EQ(r->sink.got[0].name, "GET \uFFFD/x\uFFFD");
  EXPECT_EQ(r->sink.got[0].service, "svc\uFFFD");  // an overlong '/'
  EXPECT_EQ(r->sink.got[0].dims[0], "/a\uFFFDb");
}

TEST(ApmSpan, LongValuesAreCutAtACharacterBoundary) {
  std::string s(kMaxLabelValueBytes - 1, 'a');
  s += "\xc3\xa9tail";  // a two-byte character across the limit
  EXPECT_EQ(clamp_label_value(s).size(), kMaxLabelValueBytes - 1);
  EXPECT_EQ(clamp_label_value("short"), "short");
}

}  // namespace
}  // namespace vitals::apm

namespace vitals::apm {
namespace {

std::string gz(std::string_view s) {
  std::string out;
  EXPECT_TRUE(gzip_compress(s, 6, out));
  return out;
}

TEST(ApmGunzip, FastPathFallbacksAndLimits) {
  std::string text(100000, 'x');
  for (size_t i = 0; i < text.size(); i += 7) text[i] = static_cast<char>('a' + i % 26);
  std::string out, err;
  ASSERT_EQ(gunzip(gz(text), 1 << 20, out, &err), 0) << err;
  EXPECT_EQ(out, text);
  // Two gzip members (allowed by RFC 1952): the trailer only gives the last one's size.
  ASSERT_EQ(gunzip(gz("hello ") + gz("world"), 1 << 20, out, &err), 0) << err;
  EXPECT_EQ(out, "hello world");
  // A trailer that claims less than the data: the bounded streaming path still gets it right.
  std::string lying = gz(text);
  lying[lying.size() - 4] = 1;
  lying[lying.size() - 3] = 0;
  lying[lying.size() - 2] = 0;
  lying[lying.size() - 1] = 0;
  EXPECT_EQ(gunzip(lying, 1 << 20, out, &err), 400);
  // Over the limit, by the trailer and by the data.
  EXPECT_EQ(gunzip(gz(text), 1000, out, &err), 413);
  EXPECT_NE(err.find("over the limit of 1000 bytes"), std::string::npos) << err;
  // Corrupt and truncated.
  std::string bad = gz(text);
  bad[bad.size() / 2] ^= 0x55;
  EXPECT_EQ(gunzip(bad, 1 << 20, out, &err), 400);
  std::string cut = gz(text).substr(0, 40);
  EXPECT_EQ(gunzip(cut, 1 << 20, out, &err), 400);
  // A header CRC (FHCRC) is checked: a wrong one is refused, a right one taken (found by
  // fuzz.gzip: libdeflate's fast path did not check it).
  std::string plain = gz(text);
  ASSERT_EQ(plain[3], 0);  // no optional header fields
  std::string with_hcrc = plain.substr(0, 10) + "??" + plain.substr(10);
  with_hcrc[3] = static_cast<char>(with_hcrc[3] | 0x02);
  uint16_t hcrc = static_cast<uint16_t>(
      crc32(0, reinterpret_cast<const Bytef*>(with_hcrc.data()), 10) & 0xffff);
  with_hcrc[10] = static_cast<char>(hcrc & 0xff);
  with_hcrc[11] = static_cast<char>(hcrc >> 8);
  ASSERT_EQ(gunzip(with_hcrc, 1 << 20, out, &err), 0) << err;
  EXPECT_EQ(out, text);
  with_hcrc[10] = static_cast<char>(with_hcrc[10] ^ 1);
  EXPECT_EQ(gunzip(with_hcrc, 1 << 20, out, &err), 400);
  EXPECT_NE(err.find("invalid gzip body"), std::string::npos) << err;
}

}  // namespace
}  // namespace vitals::apm
