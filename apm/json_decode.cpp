// OTLP/JSON and Zipkin v2 JSON span decoders on simdjson's On-Demand API: fields are read in
// whatever order they come, unknown ones are skipped, strings are views into the parser's
// buffer (valid until the batch is flushed at the end of the request).
#include <simdjson.h>

#include <charconv>
#include <cstring>

#include "apm/decode.h"

namespace vitals::apm {
namespace {

namespace od = simdjson::ondemand;
using simdjson::ondemand::json_type;

// A semantic error (a value of the wrong kind): reported like simdjson's own errors.
struct BadValue {
  std::string what;
};

uint64_t to_u64(od::value v, const char* field) {
  if (v.type() == json_type::string) {
    std::string_view s = v.get_string();
    uint64_t out = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
      throw BadValue{std::string(field) + ": not an unsigned integer: \"" + std::string(s) + "\""};
    }
    return out;
  }
  return v.get_uint64();
}

// Copies a number or a string holding a number into `buf` as decimal text.
std::string_view int_text(od::value v, std::array<char, 24>& buf) {
  int64_t n;
  if (v.type() == json_type::string) {
    std::string_view s = v.get_string();
    auto r = std::from_chars(s.data(), s.data() + s.size(), n);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
      throw BadValue{"intValue: not an integer: \"" + std::string(s) + "\""};
    }
  } else {
    n = v.get_int64();
  }
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), n);
  return std::string_view(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
}

// OTLP AnyValue object as label text.
std::string_view any_value(od::object obj, std::array<char, 24>& buf) {
  std::string_view out;
  for (auto field : obj) {
    std::string_view k = field.unescaped_key();
    od::value v = field.value();
    if (k == "stringValue") {
      out = clamp_label_value(v.get_string());
    } else if (k == "intValue") {
      out = int_text(v, buf);
    } else if (k == "boolValue") {
      out = v.get_bool() ? "true" : "false";
    } else if (k == "doubleValue") {
      double d = v.get_double();
      auto r = std::to_chars(buf.data(), buf.data() + buf.size(), d);
      out = std::string_view(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
    }
  }
  return out;
}

// [{"key": ..., "value": {...}}, ...]: service.name (when `service` is given) and dimensions.
void attributes(od::array arr, std::span<const std::string> dims, std::string_view* service,
                std::array<std::string_view, kMaxDimensions>& dvals,
                std::array<std::array<char, 24>, kMaxDimensions>& numbuf, uint32_t* numeric) {
  for (auto elem : arr) {
    od::object kv = elem.get_object();
    std::string_view key;
    std::string_view val;
    bool have = false;
    int slot = -1;
    std::array<char, 24> scratch;
    // The key may come after the value: the value is decoded into scratch, then placed.
    for (auto field : kv) {
      std::string_view k = field.unescaped_key();
      if (k == "key") {
        key = field.value().get_string();
      } else if (k == "value") {
        od::value v = field.value();
        if (v.type() == json_type::object) {
          val = any_value(v.get_object(), scratch);
          have = true;
        }
      }
    }
    if (!have) continue;
    if (service && key == "service.name") {
      *service = val;  // strings only point into the parser; numbers are not service names
      if (val.data() == scratch.data()) *service = {};
      continue;
    }
    for (size_t i = 0; i < dims.size(); ++i) {
      if (key == dims[i]) slot = static_cast<int>(i);
    }
    if (slot < 0) continue;
    if (val.data() == scratch.data()) {
      numbuf[slot] = scratch;
      dvals[slot] = std::string_view(numbuf[slot].data(), val.size());
      *numeric |= 1u << slot;
    } else {
      dvals[slot] = val;
      *numeric &= ~(1u << slot);
    }
  }
}

struct ResourceState {
  std::string_view service;
  std::array<std::string_view, kMaxDimensions> dims{};
  std::array<std::array<char, 24>, kMaxDimensions> numbuf{};
  uint32_t numeric = 0;
};

uint8_t kind_value(od::value v) {
  if (v.type() == json_type::string) {
    std::string_view s = v.get_string();
    for (uint8_t k = 0; k <= kKindConsumer; ++k) {
      if (s == span_kind_label(k)) return k;
    }
    return kKindUnspecified;
  }
  uint64_t k = v.get_uint64();
  return k <= kKindConsumer ? static_cast<uint8_t>(k) : uint8_t{kKindUnspecified};
}

uint8_t status_value(od::value v) {
  if (v.type() == json_type::string) {
    std::string_view s = v.get_string();
    for (uint8_t c = 0; c <= kStatusError; ++c) {
      if (s == status_code_label(c)) return c;
    }
    return kStatusUnset;
  }
  uint64_t c = v.get_uint64();
  return c <= kStatusError ? static_cast<uint8_t>(c) : uint8_t{kStatusUnset};
}

void otlp_span(od::object obj, std::span<const std::string> dims, const ResourceState& res,
               SpanBatch& batch) {
  SpanRecord& r = batch.next();
  r.service = res.service;
  r.dims = res.dims;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (res.numeric & (1u << i)) {
      r.numbuf[i] = res.numbuf[i];
      r.dims[i] = std::string_view(r.numbuf[i].data(), res.dims[i].size());
    }
  }
  uint32_t numeric = 0;
  for (auto field : obj) {
    std::string_view k = field.unescaped_key();
    od::value v = field.value();
    if (k == "traceId") {
      if (!decode_hex_id(v.get_string(), r.trace_id.data(), 16, &r.trace_id_len)) {
        r.trace_id_len = 0;
      }
    } else if (k == "spanId") {
      if (!decode_hex_id(v.get_string(), r.span_id.data(), 8, &r.span_id_len)) r.span_id_len = 0;
    } else if (k == "parentSpanId") {
      uint8_t n = 0;
      r.has_parent = decode_hex_id(v.get_string(), r.parent_span_id.data(), 8, &n) && n == 8;
    } else if (k == "name") {
      r.name = v.get_string();
    } else if (k == "kind") {
      r.kind = kind_value(v);
    } else if (k == "startTimeUnixNano") {
      r.start_ns = to_u64(v, "startTimeUnixNano");
    } else if (k == "endTimeUnixNano") {
      r.end_ns = to_u64(v, "endTimeUnixNano");
    } else if (k == "attributes") {
      if (!dims.empty()) attributes(v.get_array(), dims, nullptr, r.dims, r.numbuf, &numeric);
    } else if (k == "status") {
      for (auto sf : v.get_object()) {
        if (std::string_view(sf.unescaped_key()) == "code") r.status = status_value(sf.value());
      }
    }
  }
  batch.commit();
}

void otlp_resource_spans(od::object obj, std::span<const std::string> dims, SpanBatch& batch) {
  // On-Demand reads forward only; the resource must be known before the spans, so when
  // scopeSpans comes first the object is walked twice (rewinding is cheap: no re-parse).
  ResourceState res;
  bool resource_seen = false;
  for (auto field : obj) {
    if (std::string_view(field.unescaped_key()) != "resource") continue;
    resource_seen = true;
    for (auto rf : field.value().get_object()) {
      if (std::string_view(rf.unescaped_key()) == "attributes") {
        attributes(rf.value().get_array(), dims, &res.service, res.dims, res.numbuf, &res.numeric);
      }
    }
  }
  (void)resource_seen;
  obj.reset();
  for (auto field : obj) {
    if (std::string_view(field.unescaped_key()) != "scopeSpans") continue;
    for (auto ss : field.value().get_array()) {
      for (auto sf : ss.get_object()) {
        if (std::string_view(sf.unescaped_key()) != "spans") continue;
        for (auto sp : sf.value().get_array()) otlp_span(sp.get_object(), dims, res, batch);
      }
    }
  }
}

template <typename Fn>
bool run(od::parser& parser, std::string_view body, SpanBatch& batch, std::string* error,
         const char* what, Fn fn) {
  simdjson::padded_string_view json(body.data(), body.size(), body.size() + json_padding());
  od::document doc;
  bool ok = true;
  bool iterated = false;  // a document that failed to start has no location
  try {
    doc = parser.iterate(json);
    iterated = true;
    fn(doc);
    // At the end of the document current_location() reports OUT_OF_BOUNDS; anything else
    // is content after the top-level value.
    if (!doc.current_location().error()) throw simdjson::simdjson_error(simdjson::TRAILING_CONTENT);
  } catch (const simdjson::simdjson_error& e) {
    ok = false;
    size_t at = body.size();
    if (iterated) {
      auto loc = doc.current_location();
      if (!loc.error()) at = static_cast<size_t>(loc.value_unsafe() - body.data());
    }
    *error = std::string("invalid ") + what + " at byte " + std::to_string(at) + ": " + e.what();
  } catch (const BadValue& e) {
    ok = false;
    size_t at = body.size();
    if (iterated) {
      auto loc = doc.current_location();
      if (!loc.error()) at = static_cast<size_t>(loc.value_unsafe() - body.data());
    }
    *error = std::string("invalid ") + what + " near byte " + std::to_string(at) + ": " + e.what;
  }
  batch.flush();
  return ok;
}

// Zipkin v2 span.
void zipkin_span(od::object obj, std::span<const std::string> dims, SpanBatch& batch) {
  SpanRecord& r = batch.next();
  bool have_duration = false;
  uint64_t ts_us = 0, dur_us = 0;
  bool otel_status = false;
  for (auto field : obj) {
    std::string_view k = field.unescaped_key();
    od::value v = field.value();
    if (k == "traceId") {
      // 64- or 128-bit; a 64-bit id is the low half.
      std::string_view hex = v.get_string();
      uint8_t n = 0;
      r.trace_id = {};
      if (hex.size() == 16 && decode_hex_id(hex, r.trace_id.data() + 8, 8, &n)) {
        r.trace_id_len = 16;
      } else if (hex.size() == 32 && decode_hex_id(hex, r.trace_id.data(), 16, &n)) {
        r.trace_id_len = 16;
      }
    } else if (k == "id") {
      if (!decode_hex_id(v.get_string(), r.span_id.data(), 8, &r.span_id_len)) r.span_id_len = 0;
    } else if (k == "parentId") {
      uint8_t n = 0;
      r.has_parent = decode_hex_id(v.get_string(), r.parent_span_id.data(), 8, &n) && n == 8;
    } else if (k == "name") {
      r.name = v.get_string();
    } else if (k == "kind") {
      std::string_view s = v.get_string();
      r.kind = kKindUnspecified;
      if (s == "SERVER") r.kind = kKindServer;
      if (s == "CLIENT") r.kind = kKindClient;
      if (s == "PRODUCER") r.kind = kKindProducer;
      if (s == "CONSUMER") r.kind = kKindConsumer;
    } else if (k == "timestamp") {
      ts_us = to_u64(v, "timestamp");
    } else if (k == "duration") {
      dur_us = to_u64(v, "duration");
      have_duration = true;
    } else if (k == "localEndpoint") {
      for (auto ef : v.get_object()) {
        if (std::string_view(ef.unescaped_key()) == "serviceName") {
          r.service = ef.value().get_string();
        }
      }
    } else if (k == "tags") {
      for (auto tf : v.get_object()) {
        std::string_view tk = tf.unescaped_key();
        if (tk == "otel.status_code") {
          std::string_view s = tf.value().get_string();
          r.status = s == "ERROR" ? uint8_t{kStatusError}
                     : s == "OK"  ? uint8_t{kStatusOk}
                                  : uint8_t{kStatusUnset};
          otel_status = true;
        } else if (tk == "error") {
          if (!otel_status) r.status = kStatusError;
        } else {
          for (size_t i = 0; i < dims.size(); ++i) {
            if (tk == dims[i]) r.dims[i] = clamp_label_value(tf.value().get_string());
          }
        }
      }
    }
  }
  r.no_duration = !have_duration;
  r.start_ns = ts_us * 1000;
  r.end_ns = r.start_ns + dur_us * 1000;
  batch.commit();
}

}  // namespace

struct JsonParser::Impl {
  od::parser parser;
};
JsonParser::JsonParser() : impl(std::make_unique<Impl>()) {}
JsonParser::~JsonParser() = default;
void JsonParser::trim(size_t bytes) {
  if (impl->parser.capacity() > bytes) impl = std::make_unique<Impl>();
}

size_t json_padding() {
  return simdjson::SIMDJSON_PADDING;
}

bool decode_otlp_json(JsonParser& parser, std::string_view body, std::span<const std::string> dims,
                      SpanBatch& batch, std::string* error) {
  return run(parser.impl->parser, body, batch, error, "OTLP JSON", [&](od::document& doc) {
    for (auto field : doc.get_object()) {
      if (std::string_view(field.unescaped_key()) != "resourceSpans") continue;
      for (auto rs : field.value().get_array()) otlp_resource_spans(rs.get_object(), dims, batch);
    }
  });
}

bool decode_zipkin_json(JsonParser& parser, std::string_view body,
                        std::span<const std::string> dims, SpanBatch& batch, std::string* error) {
  return run(parser.impl->parser, body, batch, error, "Zipkin JSON", [&](od::document& doc) {
    for (auto sp : doc.get_array()) zipkin_span(sp.get_object(), dims, batch);
  });
}

}  // namespace vitals::apm
