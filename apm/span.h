// One span as the decoders hand it to the aggregator: views into the request buffer (or the
// JSON parser's string buffer), valid only until the batch is consumed. Decoders fill a fixed
// SpanBatch and flush it when full, so decoding allocates nothing per span.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vitals::apm {

// At most this many --apm.dimension values.
inline constexpr size_t kMaxDimensions = 8;
// Label values longer than this are cut (bounds the memory of a series).
inline constexpr size_t kMaxLabelValueBytes = 256;

// OTLP Span.SpanKind values.
enum SpanKind : uint8_t {
  kKindUnspecified = 0,
  kKindInternal = 1,
  kKindServer = 2,
  kKindClient = 3,
  kKindProducer = 4,
  kKindConsumer = 5,
};
// OTLP Status.StatusCode values.
enum StatusCode : uint8_t { kStatusUnset = 0, kStatusOk = 1, kStatusError = 2 };

std::string_view span_kind_label(uint8_t kind);
std::string_view status_code_label(uint8_t code);

// Why a span was rejected (OTLP partial_success / self metric reason label).
enum class Reject : uint8_t {
  kNone,
  kMissingName,
  kEndBeforeStart,
  kBadTraceId,
  kBadSpanId,
  kMissingDuration,
};
std::string_view reject_reason(Reject r);
inline constexpr size_t kRejectReasons = 6;

struct SpanRecord {
  std::string_view service;
  std::string_view name;
  uint8_t kind = 0;
  uint8_t status = 0;
  bool has_parent = false;
  uint8_t trace_id_len = 0;
  uint8_t span_id_len = 0;
  bool no_duration = false;  // Zipkin span without a duration
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};
  std::array<uint8_t, 8> parent_span_id{};
  // Values of the configured dimensions; empty when the span and its resource lack them.
  std::array<std::string_view, kMaxDimensions> dims{};
  // Storage for dimension values that were numbers or booleans.
  std::array<std::array<char, 24>, kMaxDimensions> numbuf{};
};

// Validates a decoded span: a name, end not before start, 16-byte trace id, 8-byte span id.
Reject validate(const SpanRecord& s);

// Per-request decoding counters.
struct DecodeStats {
  uint64_t spans = 0;  // valid spans handed to the sink
  uint64_t rejected = 0;
  std::array<uint64_t, kRejectReasons> rejected_by{};
  std::string first_reject;  // "span 3: missing name", for the partial_success message
};

// Receives valid spans in batches.
class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void consume(std::span<const SpanRecord> spans) = 0;
};

// A reusable batch of records: decoders take next(), then commit() or drop it; full batches go
// to the sink. One per decoding thread, so a span costs no heap allocation.
class SpanBatch {
 public:
  static constexpr size_t kCapacity = 256;
  SpanBatch() : recs_(kCapacity) {}
  // Resets for a new request.
  void begin(SpanSink* sink, DecodeStats* stats) {
    sink_ = sink;
    stats_ = stats;
    n_ = 0;
    repaired_.clear();
  }
  SpanRecord& next() {
    SpanRecord& r = recs_[n_];
    r.service = {};
    r.name = {};
    r.kind = 0;
    r.status = 0;
    r.has_parent = false;
    r.trace_id_len = 0;
    r.span_id_len = 0;
    r.no_duration = false;
    r.start_ns = 0;
    r.end_ns = 0;
    r.dims = {};
    return r;
  }
  // Validates the record from next(); counts it valid or rejected. The label values of a valid
  // one (service, name, dimensions) are made UTF-8 (model/utf8.h: OTLP protobuf strings reach
  // the decoder unchecked) and cut to kMaxLabelValueBytes, before the aggregator keys series
  // by them.
  void commit();
  void flush() {
    if (n_ > 0 && sink_) sink_->consume(std::span<const SpanRecord>(recs_.data(), n_));
    n_ = 0;
    repaired_.clear();
  }

 private:
  // `v` as a label value: cut to the limit and, when it is not UTF-8, a repaired copy kept in
  // repaired_ until the batch is flushed.
  std::string_view label_value(std::string_view v);

  std::vector<SpanRecord> recs_;
  std::deque<std::string> repaired_;
  size_t n_ = 0;
  SpanSink* sink_ = nullptr;
  DecodeStats* stats_ = nullptr;
};

// Decoding helpers shared by the decoders.
// Hex id into bytes; returns false for odd length, bad digits or more than `cap` bytes.
bool decode_hex_id(std::string_view hex, uint8_t* out, size_t cap, uint8_t* len);
// Cuts a label value to kMaxLabelValueBytes (never inside a UTF-8 sequence).
std::string_view clamp_label_value(std::string_view v);

}  // namespace vitals::apm
