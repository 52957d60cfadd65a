#include "apm/span.h"

#include "core/parse.h"
#include "model/utf8.h"

namespace vitals::apm {

std::string_view span_kind_label(uint8_t kind) {
  switch (kind) {
    case kKindInternal:
      return "SPAN_KIND_INTERNAL";
    case kKindServer:
      return "SPAN_KIND_SERVER";
    case kKindClient:
      return "SPAN_KIND_CLIENT";
    case kKindProducer:
      return "SPAN_KIND_PRODUCER";
    case kKindConsumer:
      return "SPAN_KIND_CONSUMER";
    default:
      return "SPAN_KIND_UNSPECIFIED";
  }
}

std::string_view status_code_label(uint8_t code) {
  switch (code) {
    case kStatusOk:
      return "STATUS_CODE_OK";
    case kStatusError:
      return "STATUS_CODE_ERROR";
    default:
      return "STATUS_CODE_UNSET";
  }
}

std::string_view reject_reason(Reject r) {
  switch (r) {
    case Reject::kMissingName:
      return "missing_name";
    case Reject::kEndBeforeStart:
      return "end_before_start";
    case Reject::kBadTraceId:
      return "bad_trace_id";
    case Reject::kBadSpanId:
      return "bad_span_id";
    case Reject::kMissingDuration:
      return "missing_duration";
    case Reject::kNone:
      break;
  }
  return "none";
}

Reject validate(const SpanRecord& s) {
  if (s.name.empty()) return Reject::kMissingName;
  if (s.no_duration) return Reject::kMissingDuration;
  if (s.end_ns < s.start_ns) return Reject::kEndBeforeStart;
  if (s.trace_id_len != 16) return Reject::kBadTraceId;
  if (s.span_id_len != 8) return Reject::kBadSpanId;
  return Reject::kNone;
}

void SpanBatch::commit() {
  SpanRecord& r = recs_[n_];
  Reject why = validate(r);
  if (why != Reject::kNone) {
    stats_->rejected++;
    stats_->rejected_by[static_cast<size_t>(why)]++;
    if (stats_->first_reject.empty()) {
      stats_->first_reject = "span " + std::to_string(stats_->spans + stats_->rejected - 1) +
                             " (\"" + to_utf8(clamp_label_value(r.name)) +
                             "\"): " + std::string(reject_reason(why));
    }
    return;
  }
  r.name = label_value(r.name);
  r.service = r.service.empty() ? std::string_view("unknown_service") : label_value(r.service);
  for (std::string_view& d : r.dims) {
    if (!d.empty()) d = label_value(d);
  }
  stats_->spans++;
  if (++n_ == kCapacity) flush();
}

bool decode_hex_id(std::string_view hex, uint8_t* out, size_t cap, uint8_t* len) {
  if (hex.size() % 2 != 0 || hex.size() / 2 > cap) return false;
  size_t n = hex.size() / 2;
  for (size_t i = 0; i < n; ++i) {
    int hi = parse::hex_digit(hex[2 * i]);
    int lo = parse::hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  *len = static_cast<uint8_t>(n);
  return true;
}

std::string_view SpanBatch::label_value(std::string_view v) {
  if (is_utf8(v)) return clamp_label_value(v);
  return clamp_label_value(repaired_.emplace_back(to_utf8(v)));
}

std::string_view clamp_label_value(std::string_view v) {
  if (v.size() <= kMaxLabelValueBytes) return v;
  size_t n = kMaxLabelValueBytes;
  // Step back over UTF-8 continuation bytes so the cut is at a character boundary.
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return v.substr(0, n);
}

}  // namespace vitals::apm
