#include "remote_write/encode.h"

#include <protozero/pbf_writer.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>

#include "model/float_format.h"
#include "model/utf8.h"

namespace vitals::remote_write {

double stale_nan() {
  return std::bit_cast<double>(kStaleNaNBits);
}
bool is_stale_nan(double v) {
  return std::bit_cast<uint64_t>(v) == kStaleNaNBits;
}

namespace {

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// FNV-1a, 64 bit: stable across runs and builds (std::hash is not promised to be).
uint64_t fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Insertion sort by name: the model keeps a sample's labels sorted, so only __name__, le or
// quantile and the external labels move; no allocation (std::stable_sort takes a buffer).
void sort_by_name(std::vector<std::pair<std::string_view, std::string_view>>& v) {
  for (size_t i = 1; i < v.size(); ++i) {
    auto x = v[i];
    size_t j = i;
    for (; j > 0 && x.first < v[j - 1].first; --j) v[j] = v[j - 1];
    v[j] = x;
  }
}

}  // namespace

bool valid_label_name(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string validate_labels(std::span<const std::pair<std::string_view, std::string_view>> labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    auto [n, v] = labels[i];
    if (n == "__name__") {
      if (!valid_metric_name(v)) return "invalid metric name \"" + to_utf8(v) + "\"";
    } else if (n.empty()) {
      return "empty label name";
    } else if (!valid_label_name(n)) {
      return "invalid label name \"" + to_utf8(n) + "\"";
    }
    if (i > 0 && labels[i - 1].first == n) return "duplicate label name \"" + std::string(n) + "\"";
    if (!is_utf8(v)) return "label " + std::string(n) + " has a value that is not UTF-8";
  }
  return "";
}

SeriesEncoder::SeriesEncoder(std::vector<std::pair<std::string, std::string>> external_labels,
                             int shards, int batch_samples)
    : external_(std::move(external_labels)),
      shards_(static_cast<uint32_t>(std::max(1, shards))),
      batch_samples_(static_cast<uint32_t>(std::max(1, batch_samples))) {}

uint32_t SeriesEncoder::shard_of(std::string_view metric_name) const {
  return static_cast<uint32_t>(fnv1a(metric_name) % shards_);
}

Chunk& SeriesEncoder::current(uint32_t shard) {
  int& i = open_[shard];
  if (i < 0 || (*out_)[static_cast<size_t>(i)].samples >= batch_samples_) {
    i = static_cast<int>(out_->size());
    Chunk& c = out_->emplace_back();
    c.shard = shard;
  }
  return (*out_)[static_cast<size_t>(i)];
}

void SeriesEncoder::emit(uint32_t shard, std::string_view encoded_labels, double value, int64_t ts,
                         EncodeStats* stats) {
  Chunk& c = current(shard);
  sample_buf_.clear();
  {
    protozero::pbf_writer w(sample_buf_);
    protozero::pbf_writer sample(w, 2);  // TimeSeries.samples
    sample.add_double(1, value);         // Sample.value
    sample.add_int64(2, ts);             // Sample.timestamp (ms)
  }
  protozero::pbf_writer req(c.payload);
  req.add_bytes_vectored(1, encoded_labels, sample_buf_);  // WriteRequest.timeseries
  if (c.samples == 0) {
    c.min_ts = c.max_ts = ts;
  } else {
    c.min_ts = std::min(c.min_ts, ts);
    c.max_ts = std::max(c.max_ts, ts);
  }
  ++c.samples;
  ++stats->samples;
}

void SeriesEncoder::add_series(std::string_view name, std::string_view suffix, const Family& f,
                               const Sample& s, std::string_view extra_name,
                               std::string_view extra_value, double value, int64_t ts,
                               EncodeStats* stats) {
  name_buf_.assign(name);
  name_buf_.append(suffix);
  labels_.clear();
  labels_.emplace_back("__name__", name_buf_);
  for (uint32_t i = 0; i < s.label_count; ++i) {
    Label l = f.label(s, i);
    if (l.value.empty()) continue;  // an empty value is no label, as in Prometheus
    labels_.emplace_back(l.name, l.value);
  }
  if (!extra_name.empty()) labels_.emplace_back(extra_name, extra_value);
  sort_by_name(labels_);
  // External labels where the series has none of that name (both lists are sorted).
  if (!external_.empty()) {
    size_t own = labels_.size();
    for (const auto& [n, v] : external_) {
      auto it =
          std::lower_bound(labels_.begin(), labels_.begin() + static_cast<std::ptrdiff_t>(own), n,
                           [](const LabelPair& a, const std::string& b) { return a.first < b; });
      if (it == labels_.begin() + static_cast<std::ptrdiff_t>(own) || it->first != n) {
        labels_.emplace_back(n, v);
      }
    }
    if (labels_.size() != own) sort_by_name(labels_);
  }
  if (std::string err = validate_labels(labels_); !err.empty()) {
    if (stats->invalid++ == 0) stats->first_invalid = "series " + to_utf8(name_buf_) + ": " + err;
    return;
  }
  encoded_labels_.clear();
  {
    protozero::pbf_writer w(encoded_labels_);
    for (const auto& [n, v] : labels_) {
      protozero::pbf_writer l(w, 1);  // TimeSeries.labels
      l.add_string(1, n.data(), n.size());
      l.add_string(2, v.data(), v.size());
    }
  }
  uint64_t h = fnv1a(encoded_labels_);
  // Known series are found without allocating; a new one keeps a copy of its labels for its
  // staleness marker.
  auto [it, fresh] = series_.try_emplace(h);
  if (!fresh && it->second.seen == generation_) {
    // The same series twice in one collection (two producers, one name): the first wins, as
    // two samples of one series at one timestamp would be refused by the receiver.
    if (stats->invalid++ == 0) stats->first_invalid = "series " + name_buf_ + ": duplicate series";
    return;
  }
  if (fresh) {
    it->second.labels = encoded_labels_;
    it->second.shard = shard_of(name_buf_);
  }
  it->second.seen = generation_;
  emit(it->second.shard, encoded_labels_, value, ts, stats);
}

void SeriesEncoder::encode(std::span<const Family* const> families, int64_t ts_ms,
                           std::vector<Chunk>* out, EncodeStats* stats) {
  out_ = out;
  open_.assign(shards_, -1);
  ++generation_;
  for (const Family* f : families) {
    const std::string& name = f->name();
    for (const Sample& s : f->samples()) {
      switch (f->type()) {
        case MetricType::kCounter:
        case MetricType::kGauge:
        case MetricType::kUntyped:
          add_series(name, "", *f, s, "", "", s.value, ts_ms, stats);
          break;
        case MetricType::kHistogram: {
          bool inf = false;
          for (const Bucket& b : f->buckets(s)) {
            extra_buf_.clear();
            append_float(extra_buf_, b.upper_bound);
            inf |= std::isinf(b.upper_bound) && b.upper_bound > 0;
            add_series(name, "_bucket", *f, s, "le", extra_buf_, b.count, ts_ms, stats);
          }
          if (!inf) add_series(name, "_bucket", *f, s, "le", "+Inf", s.count, ts_ms, stats);
          add_series(name, "_sum", *f, s, "", "", s.value, ts_ms, stats);
          add_series(name, "_count", *f, s, "", "", s.count, ts_ms, stats);
          break;
        }
        case MetricType::kSummary:
          for (const Bucket& q : f->buckets(s)) {
            extra_buf_.clear();
            append_float(extra_buf_, q.upper_bound);
            add_series(name, "", *f, s, "quantile", extra_buf_, q.count, ts_ms, stats);
          }
          add_series(name, "_sum", *f, s, "", "", s.value, ts_ms, stats);
          add_series(name, "_count", *f, s, "", "", s.count, ts_ms, stats);
          break;
      }
    }
  }
  // Series of the previous collection missing from this one: one staleness marker each.
  for (auto it = series_.begin(); it != series_.end();) {
    if (it->second.seen != generation_) {
      emit(it->second.shard, it->second.labels, stale_nan(), ts_ms, stats);
      ++stats->stale;
      it = series_.erase(it);
    } else {
      ++it;
    }
  }
  out_ = nullptr;
}

}  // namespace vitals::remote_write
