// The one metric model every producer (collectors, APM, self metrics) writes into and every
// serializer (exporter/) reads from. It follows prometheus-cpp's shape (a family has a name,
// help, type and samples; a sample has labels and a value or histogram) but stores a family's
// label strings and buckets in flat, reusable arrays, so adding a sample costs no heap
// allocation once the family has grown to its working size.
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vitals {

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram, kSummary, kUntyped };

// "counter", "gauge", ... as the text format spells them.
std::string_view metric_type_name(MetricType t);

// A metric declared once, next to the code that fills it (name, help, type).
struct Desc {
  std::string_view name;
  std::string_view help;
  MetricType type;
};

struct Label {
  std::string_view name;
  std::string_view value;
};

// Histogram bucket (cumulative count up to and including upper_bound) or summary quantile
// (upper_bound holds the quantile, count the value).
struct Bucket {
  double upper_bound;
  double count;
};

inline constexpr int64_t kNoTimestamp = std::numeric_limits<int64_t>::min();
inline constexpr uint32_t kNoNative = std::numeric_limits<uint32_t>::max();

// An exemplar of a counter sample or of one histogram bucket. Its labels live in the family's
// arena like the sample's; `bucket` indexes the sample's buckets, the bucket count meaning the
// (implied) +Inf bucket; counters use 0.
struct ExemplarRef {
  uint32_t label_begin = 0;
  uint32_t label_count = 0;
  uint32_t bucket = 0;
  double value = 0;
  int64_t timestamp_ms = kNoTimestamp;
};

// A run of consecutive native histogram buckets: `offset` from the end of the previous span
// (from index 0 for the first), `length` buckets.
struct BucketSpan {
  int32_t offset = 0;
  uint32_t length = 0;
};

// Native (exponential) histogram data of one sample; spans and delta-encoded counts (each
// bucket's count minus the previous bucket's, the first absolute) live in flat family arrays.
struct NativeHistogram {
  int32_t schema = 0;
  double zero_threshold = 0;
  uint64_t zero_count = 0;
  uint32_t pos_span_begin = 0, pos_span_count = 0, pos_delta_begin = 0, pos_delta_count = 0;
  uint32_t neg_span_begin = 0, neg_span_count = 0, neg_delta_begin = 0, neg_delta_count = 0;
};

// A native histogram bucket with its absolute count, as producers hand them in.
struct NativeBucket {
  int32_t index;
  uint64_t count;
};

struct Sample {
  uint32_t label_begin = 0;
  uint32_t label_count = 0;
  uint32_t bucket_begin = 0;
  uint32_t bucket_count = 0;
  uint32_t exemplar_begin = 0;
  uint32_t exemplar_count = 0;
  uint32_t native = kNoNative;  // index into the family's native histograms
  double value = 0;             // counter, gauge, untyped: the value; histogram, summary: the sum
  double count = 0;             // histogram, summary: the observation count
  int64_t timestamp_ms = kNoTimestamp;
  int64_t created_ms = kNoTimestamp;  // counter, histogram, summary: when it started counting
};

class Family {
 public:
  Family(std::string_view name, std::string_view help, MetricType type);
  explicit Family(const Desc& d) : Family(d.name, d.help, d.type) {}

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  // OpenMetrics unit ("seconds", "bytes"); empty when none. Writers emit it only when the
  // family name ends in "_<unit>".
  const std::string& unit() const { return unit_; }
  void set_unit(std::string_view u) { unit_.assign(u); }

  // Adding. Labels are kept sorted by name within a sample, as Prometheus' Go client does.
  Sample& add(double value) { return add(std::span<const Label>{}, value); }
  Sample& add(std::initializer_list<Label> labels, double value) {
    return add(std::span<const Label>(labels.begin(), labels.size()), value);
  }
  Sample& add(std::span<const Label> labels, double value);
  // Buckets must be cumulative and ordered by upper bound; the +Inf bucket is implied by count
  // and is written by the serializer when absent.
  Sample& add_histogram(std::span<const Label> labels, std::span<const Bucket> buckets, double sum,
                        double count);
  Sample& add_summary(std::span<const Label> labels, std::span<const Bucket> quantiles, double sum,
                      double count);

  // Adds an exemplar to `s`, which must be the family's last sample (exemplars of a sample
  // are contiguous), at most one per bucket, in ascending bucket order (writers rely on it).
  // `bucket`: see ExemplarRef.
  void add_exemplar(Sample& s, uint32_t bucket, std::span<const Label> labels, double value,
                    int64_t timestamp_ms);
  // Gives `s` (the last sample) native histogram data from absolute bucket counts sorted by
  // index; they are stored as spans and deltas.
  void set_native(Sample& s, int32_t schema, double zero_threshold, uint64_t zero_count,
                  std::span<const NativeBucket> positive, std::span<const NativeBucket> negative);

  // Reading.
  size_t size() const { return samples_.size(); }
  bool empty() const { return samples_.empty(); }
  std::span<const Sample> samples() const { return samples_; }
  Label label(const Sample& s, uint32_t i) const;
  std::span<const Bucket> buckets(const Sample& s) const {
    return {buckets_.data() + s.bucket_begin, s.bucket_count};
  }
  std::span<const ExemplarRef> exemplars(const Sample& s) const {
    return {exemplars_.data() + s.exemplar_begin, s.exemplar_count};
  }
  Label exemplar_label(const ExemplarRef& e, uint32_t i) const;
  const NativeHistogram* native(const Sample& s) const {
    return s.native == kNoNative ? nullptr : &natives_[s.native];
  }
  std::span<const BucketSpan> positive_spans(const NativeHistogram& h) const {
    return {spans_.data() + h.pos_span_begin, h.pos_span_count};
  }
  std::span<const int64_t> positive_deltas(const NativeHistogram& h) const {
    return {deltas_.data() + h.pos_delta_begin, h.pos_delta_count};
  }
  std::span<const BucketSpan> negative_spans(const NativeHistogram& h) const {
    return {spans_.data() + h.neg_span_begin, h.neg_span_count};
  }
  std::span<const int64_t> negative_deltas(const NativeHistogram& h) const {
    return {deltas_.data() + h.neg_delta_begin, h.neg_delta_count};
  }
  // Value of the label `name` on `s`, or nullopt-like empty view with found=false.
  bool find_label(const Sample& s, std::string_view name, std::string_view* value) const;

  // Sorts samples by their label pairs (name, then value, in order), for deterministic output.
  void sort_samples();
  // Appends all samples of `other` (same name and type expected).
  void append(const Family& other);
  // Keeps name, help, type and capacity; drops the samples.
  void clear();
  // Becomes an empty family of another name, keeping the capacity of its arrays.
  void reset(std::string_view name, std::string_view help, MetricType type);

 private:
  struct LabelRef {
    uint32_t name_off;
    uint32_t name_len;
    uint32_t value_off;
    uint32_t value_len;
  };
  uint32_t push_string(std::string_view s);
  Sample& push_sample(std::span<const Label> labels);
  void push_labels(std::span<const Label> labels);
  void push_native_side(std::span<const NativeBucket> b, uint32_t* span_begin, uint32_t* span_count,
                        uint32_t* delta_begin, uint32_t* delta_count);

  std::string name_;
  std::string help_;
  MetricType type_;
  std::string arena_;
  std::vector<LabelRef> labels_;
  std::vector<Sample> samples_;
  std::vector<Bucket> buckets_;
  std::string unit_;
  // Side arrays: empty (no allocation) for families that use none of it.
  std::vector<ExemplarRef> exemplars_;
  std::vector<NativeHistogram> natives_;
  std::vector<BucketSpan> spans_;
  std::vector<int64_t> deltas_;
};

// The output of one producer: a list of families with stable addresses. A set can be
// recycled: its Family objects (and their arrays' capacity) are reused by the next fill, so a
// collector that makes the same families every scrape allocates nothing after the first.
class MetricSet {
 public:
  using iterator = std::deque<Family>::iterator;
  using const_iterator = std::deque<Family>::const_iterator;
  template <typename It>
  struct Range {
    It b, e;
    It begin() const { return b; }
    It end() const { return e; }
    size_t size() const { return static_cast<size_t>(e - b); }
    bool empty() const { return b == e; }
    auto& operator[](size_t i) const { return b[static_cast<std::ptrdiff_t>(i)]; }
  };

  Family& add(const Desc& d) { return take(d.name, d.help, d.type); }
  Family& add(std::string_view name, std::string_view help, MetricType type) {
    return take(name, help, type);
  }
  Range<iterator> families() {
    return {families_.begin(), families_.begin() + static_cast<std::ptrdiff_t>(used_)};
  }
  Range<const_iterator> families() const {
    return {families_.cbegin(), families_.cbegin() + static_cast<std::ptrdiff_t>(used_)};
  }
  size_t sample_count() const;
  // Empties the set but keeps its families' storage for the next fill.
  void recycle() { used_ = 0; }
  void clear() {
    families_.clear();
    used_ = 0;
  }

 private:
  Family& take(std::string_view name, std::string_view help, MetricType type) {
    if (used_ < families_.size()) {
      Family& f = families_[used_++];
      f.reset(name, help, type);
      return f;
    }
    ++used_;
    return families_.emplace_back(name, help, type);
  }
  std::deque<Family> families_;
  size_t used_ = 0;
};

}  // namespace vitals
