#include "model/metric.h"

#include <algorithm>
#include <numeric>

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

Sample& Family::push_sample(std::span<const Label> labels) {
  Sample& s = samples_.emplace_back();
  s.label_begin = static_cast<uint32_t>(labels_.size());
  s.label_count = static_cast<uint32_t>(labels.size());
  for (const Label& l : labels) {
    LabelRef r;
    r.name_len = static_cast<uint32_t>(l.name.size());
    r.name_off = push_string(l.name);
    r.value_len = static_cast<uint32_t>(l.value.size());
    r.value_off = push_string(l.value);
    labels_.push_back(r);
  }
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
  }
}

void Family::clear() {
  arena_.clear();
  labels_.clear();
  samples_.clear();
  buckets_.clear();
}

void Family::reset(std::string_view name, std::string_view help, MetricType type) {
  name_.assign(name);
  help_.assign(help);
  type_ = type;
  clear();
}

size_t MetricSet::sample_count() const {
  size_t n = 0;
  for (const Family& f : families()) n += f.size();
  return n;
}

}  // namespace vitals
