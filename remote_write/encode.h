// From the model to Prometheus remote write 1.0 (proto/remote_write.proto): each collection's
// families become TimeSeries with one sample each, encoded with protozero straight from the
// model into reused buffers. A series' labels are sorted and unique with __name__ first-sorted
// like every other label; the external labels are added where a series has no label of that
// name; histograms and summaries become their classic _bucket/_sum/_count (quantile) series.
// Series that fail validation (an invalid metric or label name, a duplicate label name, a value
// that is not UTF-8) are left out and counted: Prometheus 2.42 answers 500 for a duplicate label
// name, which would be retried forever.
//
// The output is split into chunks per shard (a series always hashes to the same shard, so its
// samples stay in time order) of at most `batch_samples` samples. A chunk's payload is a run of
// WriteRequest.timeseries fields (field 1): several payloads concatenated are one WriteRequest.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/metric.h"

namespace vitals::remote_write {

// Prometheus' staleness marker: a NaN with these bits ends a series.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
double stale_nan();
bool is_stale_nan(double v);

struct Chunk {
  uint32_t shard = 0;
  uint32_t samples = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  std::string payload;
};

struct EncodeStats {
  uint64_t samples = 0;       // samples encoded (staleness markers included)
  uint64_t stale = 0;         // staleness markers among them
  uint64_t invalid = 0;       // series left out
  std::string first_invalid;  // what was wrong with the first one left out
};

// [a-zA-Z_][a-zA-Z0-9_]*: a label name Prometheus accepts (also checks external labels' names).
bool valid_label_name(std::string_view n);

// Checks one series' labels (sorted by name, __name__ among them); "" or what is wrong.
std::string validate_labels(std::span<const std::pair<std::string_view, std::string_view>> labels);

class SeriesEncoder {
 public:
  SeriesEncoder(std::vector<std::pair<std::string, std::string>> external_labels, int shards,
                int batch_samples);

  // Encodes `families` at `ts_ms` into `out` (appended; chunks reuse the capacity of earlier
  // ones the caller hands back through `out`), then a staleness marker for every series of the
  // previous call that is not in this one.
  void encode(std::span<const Family* const> families, int64_t ts_ms, std::vector<Chunk>* out,
              EncodeStats* stats);

  // The shard of a series, by its metric name (__name__): stable across runs, and all series
  // of one name share a request, where snappy finds their repeated label text. Hashing whole
  // label sets split each family over every shard: 11% more bytes per sample with two shards
  // (bench/remote_write.py; docs/remote-write.md).
  uint32_t shard_of(std::string_view metric_name) const;

 private:
  using LabelPair = std::pair<std::string_view, std::string_view>;
  void add_series(std::string_view name, std::string_view suffix, const Family& f, const Sample& s,
                  std::string_view extra_name, std::string_view extra_value, double value,
                  int64_t ts, EncodeStats* stats);
  void emit(uint32_t shard, std::string_view encoded_labels, double value, int64_t ts,
            EncodeStats* stats);
  Chunk& current(uint32_t shard);

  std::vector<std::pair<std::string, std::string>> external_;
  uint32_t shards_;
  uint32_t batch_samples_;
  // Scratch, reused across calls.
  std::string name_buf_;
  std::string extra_buf_;
  std::vector<LabelPair> labels_;
  std::string encoded_labels_;
  std::string sample_buf_;
  std::vector<Chunk>* out_ = nullptr;
  std::vector<int> open_;  // per shard: index in *out_ of its open chunk, or -1
  // Series of the last collection, by hash of their encoded labels, with the collection that
  // last had them (`generation_` counts collections).
  struct Known {
    std::string labels;  // encoded, for the staleness marker
    uint64_t seen = 0;
    uint32_t shard = 0;
  };
  std::unordered_map<uint64_t, Known> series_;
  uint64_t generation_ = 0;
};

}  // namespace vitals::remote_write
