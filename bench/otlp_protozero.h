// The OTLP span decoder of apm/otlp_proto.cpp written over protozero::pbf_reader
// (libprotozero-dev) instead of the hand-written Wire reader: the same fields, the same
// two passes over a ResourceSpans, the same SpanBatch. Kept in bench/ so apm_decode_bench can
// compare the two (docs/apm.md, "protozero"). Errors are protozero's exceptions, reported with
// the offset of the innermost reader's unread data.
#pragma once

#include <protozero/pbf_reader.hpp>

#include <charconv>
#include <cstring>
#include <string>

#include "apm/decode.h"

namespace vitals::bench::pz {

using protozero::pbf_reader;
using protozero::pbf_wire_type;

inline std::string_view sv(protozero::data_view v) {
  return {v.data(), v.size()};
}

inline void any_value(pbf_reader r, std::string_view* out, std::array<char, 24>& buf,
                      bool* numeric) {
  while (r.next()) {
    switch (r.tag_and_type()) {
      case protozero::tag_and_type(1, pbf_wire_type::length_delimited):
        *out = apm::clamp_label_value(sv(r.get_view()));
        *numeric = false;
        break;
      case protozero::tag_and_type(2, pbf_wire_type::varint):
        *out = r.get_bool() ? "true" : "false";
        *numeric = false;
        break;
      case protozero::tag_and_type(3, pbf_wire_type::varint): {
        auto res = std::to_chars(buf.data(), buf.data() + buf.size(), r.get_int64());
        *out = std::string_view(buf.data(), static_cast<size_t>(res.ptr - buf.data()));
        *numeric = true;
        break;
      }
      case protozero::tag_and_type(4, pbf_wire_type::fixed64): {
        auto res = std::to_chars(buf.data(), buf.data() + buf.size(), r.get_double());
        *out = std::string_view(buf.data(), static_cast<size_t>(res.ptr - buf.data()));
        *numeric = true;
        break;
      }
      default:
        r.skip();
    }
  }
}

inline bool wanted(std::string_view key, std::span<const std::string> dims, bool resource) {
  if (resource && key == "service.name") return true;
  for (const auto& d : dims) {
    if (key == d) return true;
  }
  return false;
}

inline bool key_may_be_wanted(protozero::data_view v, std::span<const std::string> dims) {
  const auto* d = reinterpret_cast<const uint8_t*>(v.data());
  size_t n = v.size();
  if (n < 2 || d[0] != 0x0a || d[1] >= 0x80 || size_t{d[1]} + 2 > n) return true;
  return wanted(std::string_view(v.data() + 2, d[1]), dims, false);
}

inline void key_value(pbf_reader r, std::span<const std::string> dims, std::string_view* service,
                      std::array<std::string_view, apm::kMaxDimensions>& dvals,
                      std::array<std::array<char, 24>, apm::kMaxDimensions>& numbuf,
                      uint32_t* numeric_mask) {
  std::string_view key;
  bool have_key = false;
  protozero::data_view val;
  bool have_val = false;
  while (r.next()) {
    switch (r.tag_and_type()) {
      case protozero::tag_and_type(1, pbf_wire_type::length_delimited):
        key = sv(r.get_view());
        have_key = true;
        if (!have_val && !wanted(key, dims, service != nullptr)) return;
        break;
      case protozero::tag_and_type(2, pbf_wire_type::length_delimited):
        val = r.get_view();
        have_val = true;
        break;
      default:
        r.skip();
    }
  }
  if (!have_val || !have_key) return;
  if (service && key == "service.name") {
    std::array<char, 24> scratch;
    bool num = false;
    any_value(pbf_reader(val), service, scratch, &num);
    return;
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    if (key == dims[i]) {
      bool num = false;
      any_value(pbf_reader(val), &dvals[i], numbuf[i], &num);
      if (num) {
        *numeric_mask |= 1u << i;
      } else {
        *numeric_mask &= ~(1u << i);
      }
      return;
    }
  }
}

struct ResourceState {
  std::string_view service;
  std::array<std::string_view, apm::kMaxDimensions> dims{};
  std::array<std::array<char, 24>, apm::kMaxDimensions> numbuf{};
  uint32_t numeric = 0;
};

inline void span(pbf_reader r, std::span<const std::string> dims, const ResourceState& res,
                 apm::SpanBatch& batch) {
  apm::SpanRecord& s = batch.next();
  s.service = res.service;
  s.dims = res.dims;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (res.numeric & (1u << i)) {
      s.numbuf[i] = res.numbuf[i];
      s.dims[i] = std::string_view(s.numbuf[i].data(), res.dims[i].size());
    }
  }
  uint32_t numeric = 0;
  using protozero::tag_and_type;
  constexpr auto kLen = pbf_wire_type::length_delimited;
  while (r.next()) {
    switch (r.tag_and_type()) {
      case tag_and_type(1, kLen): {
        auto v = r.get_view();
        s.trace_id_len = static_cast<uint8_t>(v.size() > 255 ? 255 : v.size());
        if (v.size() == 16) std::memcpy(s.trace_id.data(), v.data(), 16);
        break;
      }
      case tag_and_type(2, kLen): {
        auto v = r.get_view();
        s.span_id_len = static_cast<uint8_t>(v.size() > 255 ? 255 : v.size());
        if (v.size() == 8) std::memcpy(s.span_id.data(), v.data(), 8);
        break;
      }
      case tag_and_type(4, kLen): {
        auto v = r.get_view();
        s.has_parent = v.size() == 8;
        if (v.size() == 8) std::memcpy(s.parent_span_id.data(), v.data(), 8);
        break;
      }
      case tag_and_type(5, kLen):
        s.name = sv(r.get_view());
        break;
      case tag_and_type(6, pbf_wire_type::varint): {
        uint64_t v = r.get_uint64();
        s.kind = v <= apm::kKindConsumer ? static_cast<uint8_t>(v) : uint8_t{apm::kKindUnspecified};
        break;
      }
      case tag_and_type(7, pbf_wire_type::fixed64):
        s.start_ns = r.get_fixed64();
        break;
      case tag_and_type(8, pbf_wire_type::fixed64):
        s.end_ns = r.get_fixed64();
        break;
      case tag_and_type(9, kLen): {
        auto v = r.get_view();
        if (dims.empty() || !key_may_be_wanted(v, dims)) break;
        key_value(pbf_reader(v), dims, nullptr, s.dims, s.numbuf, &numeric);
        break;
      }
      case tag_and_type(15, kLen): {
        pbf_reader st(r.get_view());
        while (st.next(3, pbf_wire_type::varint)) {
          uint64_t v = st.get_uint64();
          s.status = v <= apm::kStatusError ? static_cast<uint8_t>(v) : uint8_t{apm::kStatusUnset};
        }
        break;
      }
      default:
        r.skip();
    }
  }
  batch.commit();
}

inline void resource_spans(pbf_reader rs, std::span<const std::string> dims,
                           apm::SpanBatch& batch) {
  ResourceState res;
  pbf_reader scan = rs;
  while (scan.next(1, pbf_wire_type::length_delimited)) {
    pbf_reader resource(scan.get_view());
    while (resource.next(1, pbf_wire_type::length_delimited)) {
      key_value(pbf_reader(resource.get_view()), dims, &res.service, res.dims, res.numbuf,
                &res.numeric);
    }
  }
  while (rs.next(2, pbf_wire_type::length_delimited)) {
    pbf_reader ss(rs.get_view());
    while (ss.next(2, pbf_wire_type::length_delimited))
      span(pbf_reader(ss.get_view()), dims, res, batch);
  }
}

inline bool decode_otlp_protozero(std::string_view body, std::span<const std::string> dims,
                                  apm::SpanBatch& batch, std::string* error) {
  bool ok = true;
  try {
    pbf_reader req(body.data(), body.size());
    while (req.next(1, pbf_wire_type::length_delimited)) {
      resource_spans(pbf_reader(req.get_view()), dims, batch);
    }
  } catch (const protozero::exception& e) {
    *error = std::string("malformed protobuf: ") + e.what();
    ok = false;
  }
  batch.flush();
  return ok;
}

}  // namespace vitals::bench::pz
