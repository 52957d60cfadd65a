// The span aggregator: turns spans into the spanmetrics connector's series (calls counter and
// duration histogram per service, span name, kind, status and configured dimensions, with an
// exemplar per bucket) and Tempo's service graph (client/server pairs), within bounded memory.
// Thread-safe: decoders call consume() from the receiver threads, scrapes call produce().
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "apm/flat_index.h"
#include "apm/names.h"
#include "apm/span.h"
#include "core/producer.h"
#include "model/native_histogram.h"

namespace vitals::apm {

// Seconds, as the spanmetrics connector has them by default.
inline const std::vector<double> kDefaultBuckets = {
    0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15};
// Tempo's service graph default: 0.1 s doubling 8 times.
inline const std::vector<double> kServiceGraphBuckets = {0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8};
inline constexpr size_t kMaxBuckets = 64;

struct AggregatorOptions {
  std::vector<std::string> dimensions;  // span/resource attribute keys, e.g. "http.route"
  std::vector<double> buckets;          // seconds, ascending; empty: the naming's default
  // Metric and label names and the duration unit (apm/names.h); a static table.
  const NameTable* names = &default_name_table();
  size_t max_series = 10000;
  std::chrono::nanoseconds series_expiry = std::chrono::minutes(15);
  size_t graph_max_items = 10000;  // unpaired client/server spans waiting for their peer
  std::chrono::nanoseconds graph_wait = std::chrono::seconds(10);
  // Native histogram beside the classic buckets of the duration histogram (docs/formats.md).
  bool native_histograms = false;
  int native_schema = 3;            // -4..8; lowered per series when max buckets is exceeded
  size_t native_max_buckets = 160;  // buckets in use per series before the schema is lowered
  double native_zero_threshold = kNativeDefaultZeroThreshold;
};

// The latest span that fell into a bucket.
struct Exemplar {
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};
  double value = 0;      // duration, in the histogram's unit (NameTable::unit_per_ns)
  uint64_t time_ns = 0;  // span end, Unix ns
  bool set = false;
};

// A read-only view of one series, for tests and for issue 7 (OpenMetrics exemplars).
struct SeriesView {
  std::vector<std::pair<std::string, std::string>> labels;  // as exported
  std::span<const uint64_t> bucket_counts;  // per bucket, not cumulative; last is +Inf
  std::span<const Exemplar> exemplars;      // per bucket, last is +Inf
  uint64_t count = 0;
  double sum = 0;  // in the histogram's unit
  int64_t created_ms = 0;
  // Native histogram (when enabled): schema, zero bucket, buckets in use sorted by index.
  int native_schema = 0;
  uint64_t zero_count = 0;
  std::span<const NativeBucket> native;
};

class SpanAggregator final : public MetricProducer, public SpanSink {
 public:
  explicit SpanAggregator(AggregatorOptions options);

  const AggregatorOptions& options() const { return opts_; }

  // Aggregates valid spans (SpanBatch validated them). `now_ns` is a steady-clock time used
  // for expiry only.
  void consume(std::span<const SpanRecord> spans) override;
  void consume_at(std::span<const SpanRecord> spans, int64_t now_ns);

  // The span metrics and the service graph (traces_*).
  void produce(MetricSet& out) override;
  void produce_at(MetricSet& out, int64_t now_ns);
  // The aggregator's own vitals_apm_* metrics (core/self_metrics.h), as of the last consume or
  // produce (which sweeps expired series). Valid while the aggregator lives.
  std::shared_ptr<prometheus::Collectable> metrics() const { return metrics_; }

  // Calls fn for every live series (the overflow series included) under the lock.
  void visit(const std::function<void(const SeriesView&)>& fn) const;
  size_t series_count() const;
  size_t pending_edges() const;
  // Heap bytes the span histograms of the live series hold: the classic cells and the native
  // buckets (for the benchmark and the docs).
  size_t histogram_bytes(size_t* classic, size_t* native) const;

  static int64_t steady_now_ns();

 private:
  struct Series {
    std::string key;
    uint64_t hash = 0;
    uint64_t count = 0;
    double sum = 0;
    int64_t last_seen = 0;
    int64_t created_ms = 0;  // wall clock, for _created
    bool live = false;
    int8_t schema = 0;
    uint64_t zero_count = 0;
    std::vector<NativeBucket> native;  // buckets in use only, sorted by index
    // Per bucket (last is +Inf): the count and the exemplar side by side, so a span touches
    // one cache line of them.
    struct Cell {
      uint64_t count = 0;
      Exemplar exemplar;
    };
    std::vector<Cell> cells;
  };
  struct EdgeKey {
    std::array<uint8_t, 24> b;
    bool operator==(const EdgeKey&) const = default;
  };
  struct EdgeKeyHash {
    size_t operator()(const EdgeKey& k) const;
  };
  struct PendingEdge {
    int64_t expires_at = 0;
    uint32_t client_svc = 0;
    uint32_t server_svc = 0;
    uint64_t client_dur_ns = 0;
    uint64_t server_dur_ns = 0;
    bool have_client = false;
    bool have_server = false;
    bool failed = false;
  };
  // Waiting spans by (trace id, client span id), in one open-addressing table over a slot
  // vector: a lookup is one probe and one 24-byte comparison.
  class PendingTable {
   public:
    PendingEdge* find(const EdgeKey& k) {
      uint32_t i =
          index_.find(view(k), hash(k), [this](uint32_t j) { return view(slots_[j].key); });
      return i == FlatIndex::kNone ? nullptr : &slots_[i].edge;
    }
    PendingEdge* emplace(const EdgeKey& k, const PendingEdge& e) {
      uint32_t i;
      if (!free_.empty()) {
        i = free_.back();
        free_.pop_back();
      } else {
        i = static_cast<uint32_t>(slots_.size());
        slots_.emplace_back();
      }
      slots_[i] = Slot{k, hash(k), e};
      index_.insert(slots_[i].hash, i, [this](uint32_t j) { return slots_[j].hash; });
      return &slots_[i].edge;
    }
    void erase(const EdgeKey& k) {
      uint64_t h = hash(k);
      uint32_t i = index_.find(view(k), h, [this](uint32_t j) { return view(slots_[j].key); });
      if (i == FlatIndex::kNone) return;
      index_.erase(h, i, [this](uint32_t j) { return slots_[j].hash; });
      free_.push_back(i);
    }
    size_t size() const { return index_.size(); }

   private:
    struct Slot {
      EdgeKey key;
      uint64_t hash;
      PendingEdge edge;
    };
    static std::string_view view(const EdgeKey& k) {
      return {reinterpret_cast<const char*>(k.b.data()), k.b.size()};
    }
    static uint64_t hash(const EdgeKey& k) { return EdgeKeyHash{}(k)*0x9E3779B97F4A7C15ULL; }
    std::vector<Slot> slots_;
    std::vector<uint32_t> free_;
    FlatIndex index_;
  };
  struct EdgeStats {
    uint64_t total = 0;
    uint64_t failed = 0;
    std::vector<uint64_t> client;  // per bucket + Inf
    std::vector<uint64_t> server;
    double client_sum = 0;
    double server_sum = 0;
  };
  struct StrHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  void build_key(const SpanRecord& s);
  Series& new_series(std::string_view key, uint64_t hash, int64_t now_ns);
  void init_series(Series& s) const;
  void observe(Series& s, const SpanRecord& r, int64_t now_ns);
  void observe_native(Series& s, double value) const;
  void sweep(int64_t now_ns);
  void graph_observe(const SpanRecord& r, int64_t now_ns);
  void graph_sweep(int64_t now_ns);
  bool intern(std::string_view svc, uint32_t* id);
  void record_edge(const PendingEdge& e);
  void series_labels(const Series& s, std::vector<std::pair<std::string, std::string>>& out) const;

  const AggregatorOptions opts_;
  const NameTable& names_;
  std::vector<uint64_t> bound_ns_;        // bucket upper bounds in ns (le is inclusive)
  std::vector<double> le_;                // the same bounds in the histogram's unit
  std::vector<uint64_t> graph_bound_ns_;  // service graph buckets in ns
  std::vector<std::string> dim_labels_;   // dimension keys as label names

  mutable std::mutex mu_;
  std::string key_;  // scratch, reused
  uint64_t seed_;    // per process, so label values cannot be chosen to collide
  FlatIndex index_;
  std::vector<Series> series_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
  Series overflow_;
  int64_t next_sweep_ = 0;

  // Service graph.
  PendingTable pending_;
  std::deque<std::pair<int64_t, EdgeKey>> pending_order_;
  std::unordered_map<std::string, uint32_t, StrHash, std::equal_to<>> services_;
  std::vector<std::string> service_names_;
  uint32_t last_service_ = FlatIndex::kNone;
  std::unordered_map<uint64_t, EdgeStats> edges_;

  // Self metrics, on prometheus-cpp; the gauges are set when collected.
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* overflow_spans_;
  prometheus::Counter* expired_series_;
  prometheus::Counter* graph_expired_;
  prometheus::Counter* graph_dropped_;
  prometheus::Gauge* series_gauge_;
  prometheus::Gauge* pending_gauge_;
  std::shared_ptr<prometheus::Collectable> metrics_;
};

// "http.route" -> "http_route": a valid Prometheus label name.
std::string sanitize_label_name(std::string_view key);

}  // namespace vitals::apm
