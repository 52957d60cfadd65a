// What the three span decoder targets share: the sink the receiver hands decoded spans to (a real
// SpanAggregator, as in the agent) behind checks of what a decoder promises, and the checks of a
// decode's result.
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "apm/aggregator.h"
#include "apm/decode.h"
#include "apm/span.h"
#include "exporter/text_format.h"
#include "model/metric.h"
#include "tests/fuzz/fuzz_util.h"

namespace vitals::fuzz {

// --apm.dimension values the seeds carry (a string, an int and a bool attribute among them).
inline const std::vector<std::string> kDims = {"http.route", "http.status_code", "service.version",
                                               "error", "peer.service"};

inline apm::AggregatorOptions aggregator_options() {
  apm::AggregatorOptions o;
  o.dimensions = kDims;
  o.max_series = 64;  // small limits: the overflow series and the graph's eviction get exercised
  o.graph_max_items = 64;
  o.native_histograms = true;
  return o;
}

class CheckingSink final : public apm::SpanSink {
 public:
  void consume(std::span<const apm::SpanRecord> spans) override {
    for (const apm::SpanRecord& r : spans) {
      // The batch hands on only valid spans, their label values cut to the limit.
      VITALS_FUZZ_CHECK(apm::validate(r) == apm::Reject::kNone);
      VITALS_FUZZ_CHECK(!r.service.empty() && r.service.size() <= apm::kMaxLabelValueBytes);
      VITALS_FUZZ_CHECK(r.name.size() <= apm::kMaxLabelValueBytes);
      for (std::string_view d : r.dims) VITALS_FUZZ_CHECK(d.size() <= apm::kMaxLabelValueBytes);
    }
    consumed += spans.size();
    now_ns_ += 1'000'000'000;
    agg.consume_at(spans, now_ns_);
  }

  // The metrics the spans made: every label value must be UTF-8 (Prometheus refuses a whole
  // scrape with one that is not), and the text exposition must be writable.
  void produce_and_check() {
    MetricSet set;
    agg.produce_at(set, now_ns_);
    std::vector<const Family*> families;
    for (const Family& f : set.families()) {
      families.push_back(&f);
      for (const Sample& s : f.samples()) {
        for (uint32_t i = 0; i < s.label_count; ++i) {
          VITALS_FUZZ_CHECK(valid_utf8(f.label(s, i).value));
        }
      }
    }
    std::string text;
    write_text(families, text);
    VITALS_FUZZ_CHECK(valid_utf8(text));
  }

  apm::SpanAggregator agg{aggregator_options()};
  uint64_t consumed = 0;

 private:
  int64_t now_ns_ = 0;
};

// One request body through `decode` (bool(SpanBatch&, std::string* error)), as the receiver runs
// it, and the checks of its result.
template <class Decode>
void decode_and_check(Decode&& decode) {
  static CheckingSink sink;  // kept across inputs, as the agent's aggregator is
  static apm::SpanBatch batch;
  apm::DecodeStats stats;
  batch.begin(&sink, &stats);
  const uint64_t before = sink.consumed;
  std::string error;
  bool ok = decode(batch, &error);
  // Valid spans were handed on whether or not the body decoded to its end.
  VITALS_FUZZ_CHECK(sink.consumed - before == stats.spans);
  uint64_t rejected = 0;
  for (uint64_t n : stats.rejected_by) rejected += n;
  VITALS_FUZZ_CHECK(rejected == stats.rejected);
  VITALS_FUZZ_CHECK(stats.rejected_by[0] == 0);  // Reject::kNone is not a reason
  VITALS_FUZZ_CHECK(ok || !error.empty());
  VITALS_FUZZ_CHECK(stats.rejected == 0 || !stats.first_reject.empty());
  if (stats.spans > 0) sink.produce_and_check();
}

}  // namespace vitals::fuzz
