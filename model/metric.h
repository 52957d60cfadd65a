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

struct Sample {
  uint32_t label_begin = 0;
  uint32_t label_count = 0;
  uint32_t bucket_begin = 0;
  uint32_t bucket_count = 0;
  double value = 0;  // counter, gauge, untyped: the value; histogram, summary: the sum
  double count = 0;  // histogram, summary: the observation count
  int64_t timestamp_ms = kNoTimestamp;
};

class Family {
 public:
  Family(std::string_view name, std::string_view help, MetricType type);
  explicit Family(const Desc& d) : Family(d.name, d.help, d.type) {}

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }

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

  // Reading.
  size_t size() const { return samples_.size(); }
  bool empty() const { return samples_.empty(); }
  std::span<const Sample> samples() const { return samples_; }
  Label label(const Sample& s, uint32_t i) const;
  std::span<const Bucket> buckets(const Sample& s) const {
    return {buckets_.data() + s.bucket_begin, s.bucket_count};
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

  std::string name_;
  std::string help_;
  MetricType type_;
  std::string arena_;
  std::vector<LabelRef> labels_;
  std::vector<Sample> samples_;
  std::vector<Bucket> buckets_;
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
