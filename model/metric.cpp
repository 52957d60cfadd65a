#include "model/metric.h"

#include <algorithm>
#include <numeric>

#include "model/utf8.h"

namespace vitals {

std::string_view metric_type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kUntyped:
      return "untyped";
  }
  return "untyped";
}

Family::Family(std::string_view name, std::string_view help, MetricType type)
    : name_(name), help_(help), type_(type) {}

uint32_t Family::push_string(std::string_view s) {
  auto off = static_cast<uint32_t>(arena_.size());
  arena_.append(s);
  return off;
}

void Family::push_labels(std::span<const Label> labels) {
  for (const Label& l : labels) {
    LabelRef r;
    r.name_len = static_cast<uint32_t>(l.name.size());
    r.name_off = push_string(l.name);
    // A value that is not UTF-8 is stored repaired (model/utf8.h): one bad label value would
    // otherwise make Prometheus refuse the whole scrape.
    r.value_off = static_cast<uint32_t>(arena_.size());
    append_utf8(arena_, l.value);
    r.value_len = static_cast<uint32_t>(arena_.size() - r.value_off);
    labels_.push_back(r);
  }
}

void Family::add_exemplar(Sample& s, uint32_t bucket, std::span<const Label> labels, double value,
                          int64_t timestamp_ms) {
  if (s.exemplar_count == 0) s.exemplar_begin = static_cast<uint32_t>(exemplars_.size());
  ExemplarRef& e = exemplars_.emplace_back();
  e.label_begin = static_cast<uint32_t>(labels_.size());
  e.label_count = static_cast<uint32_t>(labels.size());
  e.bucket = bucket;
  e.value = value;
  e.timestamp_ms = timestamp_ms;
  push_labels(labels);
  ++s.exemplar_count;
}

Label Family::exemplar_label(const ExemplarRef& e, uint32_t i) const {
  const LabelRef& r = labels_[e.label_begin + i];
  return {std::string_view(arena_.data() + r.name_off, r.name_len),
          std::string_view(arena_.data() + r.value_off, r.value_len)};
}

void Family::push_native_side(std::span<const NativeBucket> b, uint32_t* span_begin,
                              uint32_t* span_count, uint32_t* delta_begin, uint32_t* delta_count) {
  *span_begin = static_cast<uint32_t>(spans_.size());
  *delta_begin = static_cast<uint32_t>(deltas_.size());
  int64_t prev_count = 0;
  int32_t next_index = 0;  // index right after the previous span
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 0 || b[i].index != b[i - 1].index + 1) {
      spans_.push_back({b[i].index - (i == 0 ? 0 : next_index), 0});
    }
    spans_.back().length++;
    next_index = b[i].index + 1;
    auto c = static_cast<int64_t>(b[i].count);
    deltas_.push_back(c - prev_count);
    prev_count = c;
  }
  *span_count = static_cast<uint32_t>(spans_.size()) - *span_begin;
  *delta_count = static_cast<uint32_t>(deltas_.size()) - *delta_begin;
}

void Family::set_native(Sample& s, int32_t schema, double zero_threshold, uint64_t zero_count,
                        std::span<const NativeBucket> positive,
                        std::span<const NativeBucket> negative) {
  s.native = static_cast<uint32_t>(natives_.size());
  NativeHistogram h;
  h.schema = schema;
  h.zero_threshold = zero_threshold;
  h.zero_count = zero_count;
  push_native_side(positive, &h.pos_span_begin, &h.pos_span_count, &h.pos_delta_begin,
                   &h.pos_delta_count);
  push_native_side(negative, &h.neg_span_begin, &h.neg_span_count, &h.neg_delta_begin,
                   &h.neg_delta_count);
  natives_.push_back(h);
}

Sample& Family::push_sample(std::span<const Label> labels) {
  Sample& s = samples_.emplace_back();
  s.label_begin = static_cast<uint32_t>(labels_.size());
  s.label_count = static_cast<uint32_t>(labels.size());
  push_labels(labels);
  // Insertion sort by name: label sets are small.
  auto* first = labels_.data() + s.label_begin;
  for (uint32_t i = 1; i < s.label_count; ++i) {
    LabelRef cur = first[i];
    std::string_view cur_name(arena_.data() + cur.name_off, cur.name_len);
    uint32_t j = i;
    while (j > 0 && std::string_view(arena_.data() + first[j - 1].name_off, first[j - 1].name_len) >
                        cur_name) {
      first[j] = first[j - 1];
      --j;
    }
    first[j] = cur;
  }
  return s;
}

Sample& Family::add(std::span<const Label> labels, double value) {
  Sample& s = push_sample(labels);
  s.value = value;
  return s;
}

Sample& Family::add_histogram(std::span<const Label> labels, std::span<const Bucket> buckets,
                              double sum, double count) {
  Sample& s = push_sample(labels);
  s.value = sum;
  s.count = count;
  s.bucket_begin = static_cast<uint32_t>(buckets_.size());
  s.bucket_count = static_cast<uint32_t>(buckets.size());
  buckets_.insert(buckets_.end(), buckets.begin(), buckets.end());
  return s;
}

Sample& Family::add_summary(std::span<const Label> labels, std::span<const Bucket> quantiles,
                            double sum, double count) {
  return add_histogram(labels, quantiles, sum, count);
}

Label Family::label(const Sample& s, uint32_t i) const {
  const LabelRef& r = labels_[s.label_begin + i];
  return {std::string_view(arena_.data() + r.name_off, r.name_len),
          std::string_view(arena_.data() + r.value_off, r.value_len)};
}

bool Family::find_label(const Sample& s, std::string_view name, std::string_view* value) const {
  for (uint32_t i = 0; i < s.label_count; ++i) {
    Label l = label(s, i);
    if (l.name == name) {
      if (value) *value = l.value;
      return true;
    }
  }
  return false;
}

void Family::sort_samples() {
  auto less = [this](const Sample& a, const Sample& b) {
    uint32_t n = std::min(a.label_count, b.label_count);
    for (uint32_t i = 0; i < n; ++i) {
      Label la = label(a, i), lb = label(b, i);
      if (la.name != lb.name) return la.name < lb.name;
      if (la.value != lb.value) return la.value < lb.value;
    }
    return a.label_count < b.label_count;
  };
  if (!std::is_sorted(samples_.begin(), samples_.end(), less)) {
    std::stable_sort(samples_.begin(), samples_.end(), less);
  }
}

void Family::append(const Family& other) {
  std::vector<Label> tmp;
  for (const Sample& s : other.samples_) {
    tmp.clear();
    for (uint32_t i = 0; i < s.label_count; ++i) tmp.push_back(other.label(s, i));
    Sample& n = s.bucket_count || other.type_ == MetricType::kHistogram ||
                        other.type_ == MetricType::kSummary
                    ? add_histogram(tmp, other.buckets(s), s.value, s.count)
                    : add(tmp, s.value);
    n.timestamp_ms = s.timestamp_ms;
    n.created_ms = s.created_ms;
    for (const ExemplarRef& e : other.exemplars(s)) {
      tmp.clear();
      for (uint32_t i = 0; i < e.label_count; ++i) tmp.push_back(other.exemplar_label(e, i));
      add_exemplar(n, e.bucket, tmp, e.value, e.timestamp_ms);
    }
    if (const NativeHistogram* h = other.native(s)) {
      // Rebuild the absolute counts and store them anew.
      auto abs = [&](std::span<const BucketSpan> sp, std::span<const int64_t> d) {
        std::vector<NativeBucket> out;
        int32_t idx = 0;
        int64_t c = 0;
        size_t k = 0;
        for (const BucketSpan& x : sp) {
          idx += x.offset;
          for (uint32_t j = 0; j < x.length; ++j, ++k, ++idx) {
            c += d[k];
            out.push_back({idx, static_cast<uint64_t>(c)});
          }
        }
        return out;
      };
      auto pos = abs(other.positive_spans(*h), other.positive_deltas(*h));
      auto neg = abs(other.negative_spans(*h), other.negative_deltas(*h));
      set_native(n, h->schema, h->zero_threshold, h->zero_count, pos, neg);
    }
  }
  if (unit_.empty()) unit_ = other.unit_;
}

void Family::clear() {
  arena_.clear();
  labels_.clear();
  samples_.clear();
  buckets_.clear();
  exemplars_.clear();
  natives_.clear();
  spans_.clear();
  deltas_.clear();
}

void Family::reset(std::string_view name, std::string_view help, MetricType type) {
  name_.assign(name);
  help_.assign(help);
  type_ = type;
  unit_.clear();
  clear();
}

size_t MetricSet::sample_count() const {
  size_t n = 0;
  for (const Family& f : families()) n += f.size();
  return n;
}

}  // namespace vitals
