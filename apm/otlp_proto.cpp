// A hand-written reader of the OTLP trace protobuf wire format: walks the bytes once, pulls out
// the fields spans need and skips everything else, allocating nothing. proto/*.proto (and
// libprotobuf's generated classes, used as the reference in the unit tests) define the same
// messages.
#include <charconv>
#include <cstring>

#include "apm/decode.h"

namespace vitals::apm {
namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

class Wire {
 public:
  Wire(const uint8_t* p, const uint8_t* end, const uint8_t* base, const char* what)
      : p_(p), end_(end), base_(base), what_(what) {}

  bool done() const { return p_ >= end_; }
  size_t offset() const { return static_cast<size_t>(p_ - base_); }

  bool varint(uint64_t* v) {
    if (p_ < end_ && *p_ < 0x80) {
      *v = *p_++;
      return true;
    }
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return fail("truncated varint");
      uint8_t b = *p_++;
      r |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) {
        *v = r;
        return true;
      }
    }
    return fail("varint longer than 10 bytes");
  }

  bool tag(uint32_t* field, uint32_t* wt) {
    uint64_t t;
    if (!varint(&t)) return false;
    *field = static_cast<uint32_t>(t >> 3);
    *wt = static_cast<uint32_t>(t & 7);
    if (*field == 0) return fail("field number 0");
    return true;
  }

  bool len(const uint8_t** data, size_t* n) {
    uint64_t l;
    const uint8_t* at = p_;
    if (!varint(&l)) return false;
    if (l > static_cast<uint64_t>(end_ - p_)) {
      p_ = at;  // report the offset of the length itself
      return fail("length past the end of the message");
    }
    *data = p_;
    *n = static_cast<size_t>(l);
    p_ += l;
    return true;
  }

  bool fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return fail("truncated fixed64");
    std::memcpy(v, p_, 8);  // little-endian host
    p_ += 8;
    return true;
  }

  bool skip(uint32_t wt) {
    switch (wt) {
      case kVarint: {
        uint64_t v;
        return varint(&v);
      }
      case kFixed64:
        if (end_ - p_ < 8) return fail("truncated fixed64");
        p_ += 8;
        return true;
      case kLen: {
        const uint8_t* d;
        size_t n;
        return len(&d, &n);
      }
      case kFixed32:
        if (end_ - p_ < 4) return fail("truncated fixed32");
        p_ += 4;
        return true;
      default:
        return fail("unsupported wire type");
    }
  }

  Wire sub(const uint8_t* d, size_t n, const char* what) const {
    return Wire(d, d + n, base_, what);
  }

  // Calls fn(Wire) for each length-delimited field number `field` of this message (as a
  // sub-message named `what`) and skips every other field. fn returns false to stop, its
  // error already in `parent`; malformed data here is copied to `parent`. False on either.
  template <class Fn>
  bool each(uint32_t field, const char* what, Wire& parent, Fn&& fn) {
    while (!done()) {
      uint32_t f, wt;
      if (!tag(&f, &wt)) return parent.fail_from(*this);
      if (f == field && wt == kLen) {
        const uint8_t* d;
        size_t n;
        if (!len(&d, &n)) return parent.fail_from(*this);
        if (!fn(sub(d, n, what))) return false;
      } else if (!skip(wt)) {
        return parent.fail_from(*this);
      }
    }
    return true;
  }

  bool fail(const char* why) {
    if (!err_) {
      err_ = why;
      err_at_ = offset();
    }
    return false;
  }
  // Carries a nested reader's error up.
  bool fail_from(const Wire& w) {
    err_ = w.err_;
    err_at_ = w.err_at_;
    err_what_ = w.err_what_ ? w.err_what_ : w.what_;
    return false;
  }
  std::string message() const {
    return std::string("malformed protobuf at byte ") + std::to_string(err_at_) + " in " +
           (err_what_ ? err_what_ : what_) + ": " + (err_ ? err_ : "error");
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* base_;
  const char* what_;
  const char* err_ = nullptr;
  const char* err_what_ = nullptr;
  size_t err_at_ = 0;
};

std::string_view sv(const uint8_t* d, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(d), n);
}

// Reads an AnyValue as label text into `out` (numbers formatted into `buf`).
bool any_value(Wire w, std::string_view* out, std::array<char, 24>& buf, bool* numeric,
               Wire& parent) {
  while (!w.done()) {
    uint32_t f, wt;
    if (!w.tag(&f, &wt)) return parent.fail_from(w);
    if (f == 1 && wt == kLen) {
      const uint8_t* d;
      size_t n;
      if (!w.len(&d, &n)) return parent.fail_from(w);
      *out = clamp_label_value(sv(d, n));
      *numeric = false;
    } else if (f == 2 && wt == kVarint) {
      uint64_t v;
      if (!w.varint(&v)) return parent.fail_from(w);
      *out = v ? "true" : "false";
      *numeric = false;
    } else if (f == 3 && wt == kVarint) {
      uint64_t v;
      if (!w.varint(&v)) return parent.fail_from(w);
      auto r = std::to_chars(buf.data(), buf.data() + buf.size(), static_cast<int64_t>(v));
      *out = std::string_view(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
      *numeric = true;
    } else if (f == 4 && wt == kFixed64) {
      uint64_t bits;
      if (!w.fixed64(&bits)) return parent.fail_from(w);
      double d;
      std::memcpy(&d, &bits, 8);
      auto r = std::to_chars(buf.data(), buf.data() + buf.size(), d);
      *out = std::string_view(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
      *numeric = true;
    } else if (!w.skip(wt)) {
      return parent.fail_from(w);
    }
  }
  return true;
}

bool wanted(std::string_view key, std::span<const std::string> dims, bool resource) {
  if (resource && key == "service.name") return true;
  for (const auto& d : dims) {
    if (key == d) return true;
  }
  return false;
}

// Hot path: every SDK writes a KeyValue's key first, so most unwanted attributes are passed
// over here without a call. False only when the key is first and certainly unwanted.
inline bool key_may_be_wanted(const uint8_t* d, size_t n, std::span<const std::string> dims) {
  if (n < 2 || d[0] != 0x0a || d[1] >= 0x80 || size_t{d[1]} + 2 > n) return true;
  return wanted(sv(d + 2, d[1]), dims, false);
}

// Reads a KeyValue; when its key is service.name (resource only) or a dimension, stores it.
// Returns false on a wire error.
bool key_value(Wire w, std::span<const std::string> dims, std::string_view* service,
               std::array<std::string_view, kMaxDimensions>& dvals,
               std::array<std::array<char, 24>, kMaxDimensions>& numbuf, uint32_t* numeric_mask,
               Wire& parent) {
  std::string_view key;
  bool have_key = false;
  const uint8_t* vd = nullptr;
  size_t vn = 0;
  while (!w.done()) {
    uint32_t f, wt;
    if (!w.tag(&f, &wt)) return parent.fail_from(w);
    if (f == 1 && wt == kLen) {
      const uint8_t* d;
      size_t n;
      if (!w.len(&d, &n)) return parent.fail_from(w);
      key = sv(d, n);
      have_key = true;
      // Most attributes are not wanted: stop at the key (the KeyValue's extent is already
      // known to be inside its parent, so nothing is left unchecked that matters).
      if (!vd && !wanted(key, dims, service != nullptr)) return true;
    } else if (f == 2 && wt == kLen) {
      if (!w.len(&vd, &vn)) return parent.fail_from(w);
    } else if (!w.skip(wt)) {
      return parent.fail_from(w);
    }
  }
  if (!vd || !have_key) return true;
  if (service && key == "service.name") {
    std::array<char, 24> scratch;
    bool num = false;
    return any_value(w.sub(vd, vn, "AnyValue"), service, scratch, &num, parent);
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    if (key == dims[i]) {
      bool num = false;
      if (!any_value(w.sub(vd, vn, "AnyValue"), &dvals[i], numbuf[i], &num, parent)) return false;
      if (num) {
        *numeric_mask |= 1u << i;
      } else {
        *numeric_mask &= ~(1u << i);
      }
      return true;
    }
  }
  return true;
}

struct ResourceState {
  std::string_view service;
  std::array<std::string_view, kMaxDimensions> dims{};
  std::array<std::array<char, 24>, kMaxDimensions> numbuf{};
  uint32_t numeric = 0;
};

bool span(Wire w, std::span<const std::string> dims, const ResourceState& res, SpanBatch& batch,
          Wire& parent) {
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
  while (!w.done()) {
    uint32_t f, wt;
    if (!w.tag(&f, &wt)) return parent.fail_from(w);
    const uint8_t* d;
    size_t n;
    uint64_t v;
    switch (f) {
      case 1:
      case 2:
      case 4:
        if (wt != kLen) break;
        if (!w.len(&d, &n)) return parent.fail_from(w);
        if (f == 1) {
          r.trace_id_len = static_cast<uint8_t>(n > 255 ? 255 : n);
          if (n == 16) std::memcpy(r.trace_id.data(), d, 16);
        } else if (f == 2) {
          r.span_id_len = static_cast<uint8_t>(n > 255 ? 255 : n);
          if (n == 8) std::memcpy(r.span_id.data(), d, 8);
        } else {
          r.has_parent = n == 8;
          if (n == 8) std::memcpy(r.parent_span_id.data(), d, 8);
        }
        continue;
      case 5:
        if (wt != kLen) break;
        if (!w.len(&d, &n)) return parent.fail_from(w);
        r.name = sv(d, n);
        continue;
      case 6:
        if (wt != kVarint) break;
        if (!w.varint(&v)) return parent.fail_from(w);
        r.kind = v <= kKindConsumer ? static_cast<uint8_t>(v) : uint8_t{kKindUnspecified};
        continue;
      case 7:
      case 8:
        if (wt != kFixed64) break;
        if (!w.fixed64(&v)) return parent.fail_from(w);
        (f == 7 ? r.start_ns : r.end_ns) = v;
        continue;
      case 9:
        if (wt != kLen) break;
        if (!w.len(&d, &n)) return parent.fail_from(w);
        if (dims.empty() || !key_may_be_wanted(d, n, dims)) continue;
        if (!key_value(w.sub(d, n, "KeyValue"), dims, nullptr, r.dims, r.numbuf, &numeric,
                       parent)) {
          return false;
        }
        continue;
      case 15: {
        if (wt != kLen) break;
        if (!w.len(&d, &n)) return parent.fail_from(w);
        Wire s = w.sub(d, n, "Status");
        while (!s.done()) {
          uint32_t sf, swt;
          if (!s.tag(&sf, &swt)) return parent.fail_from(s);
          if (sf == 3 && swt == kVarint) {
            if (!s.varint(&v)) return parent.fail_from(s);
            r.status = v <= kStatusError ? static_cast<uint8_t>(v) : uint8_t{kStatusUnset};
          } else if (!s.skip(swt)) {
            return parent.fail_from(s);
          }
        }
        continue;
      }
      default:
        break;
    }
    if (!w.skip(wt)) return parent.fail_from(w);
  }
  batch.commit();
  return true;
}

bool resource_spans(Wire w, std::span<const std::string> dims, SpanBatch& batch, Wire& parent) {
  // Pass 1: the resource, wherever it is among the fields.
  ResourceState res;
  Wire scan = w;
  bool ok = scan.each(1, "Resource", parent, [&](Wire r) {
    return r.each(1, "KeyValue", parent, [&](Wire kv) {
      return key_value(kv, dims, &res.service, res.dims, res.numbuf, &res.numeric, parent);
    });
  });
  if (!ok) return false;
  // Pass 2: the spans (the structure is known to be sound at this level now).
  return w.each(2, "ScopeSpans", parent, [&](Wire ss) {
    return ss.each(2, "Span", parent, [&](Wire sp) { return span(sp, dims, res, batch, parent); });
  });
}

}  // namespace

bool decode_otlp_proto(std::string_view body, std::span<const std::string> dims, SpanBatch& batch,
                       std::string* error) {
  const auto* base = reinterpret_cast<const uint8_t*>(body.data());
  Wire w(base, base + body.size(), base, "ExportTraceServiceRequest");
  bool ok =
      w.each(1, "ResourceSpans", w, [&](Wire rs) { return resource_spans(rs, dims, batch, w); });
  batch.flush();
  if (!ok) *error = w.message();
  return ok;
}

}  // namespace vitals::apm
