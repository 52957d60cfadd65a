// One endpoint's queue: the segment log (remote_write/wal.h), an index of its unsent records in
// memory, and --remote-write.shards sender threads. A record belongs to the shard its series hash
// to (remote_write/encode.h); each shard sends its records in sequence order, one request at a
// time, so a series' samples reach the receiver in time order. Payloads are read back from the
// segments when sent; only while the disk fails are records held in memory instead (at most
// min(--remote-write.max-disk-bytes, 64 MiB); beyond that the oldest are dropped,
// reason="disk_error").
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "remote_write/encode.h"
#include "remote_write/options.h"
#include "remote_write/wal.h"

namespace vitals::remote_write {

// The self metrics' families (one registry for the module); each endpoint adds its children.
struct MetricFamilies {
  explicit MetricFamilies(prometheus::Registry& r);
  prometheus::Family<prometheus::Counter>& queued;
  prometheus::Family<prometheus::Counter>& sent;
  prometheus::Family<prometheus::Counter>& retried;
  prometheus::Family<prometheus::Counter>& failed;
  prometheus::Family<prometheus::Counter>& dropped;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Counter>& bytes_sent;
  prometheus::Family<prometheus::Counter>& disk_errors;
  prometheus::Family<prometheus::Gauge>& shards;
  prometheus::Family<prometheus::Gauge>& disk_bytes;
  prometheus::Family<prometheus::Gauge>& writable;
  prometheus::Family<prometheus::Gauge>& highest_sent;
  prometheus::Family<prometheus::Gauge>& lag;
};

// The directory name of an endpoint in the queue dir: its URL without credentials, with every
// byte but [A-Za-z0-9.-] as '_', and a hash of that URL (so two URLs never share one).
std::string endpoint_dir_name(std::string_view url);

class Endpoint {
 public:
  using Clock = std::chrono::steady_clock;
  Endpoint(const RemoteWriteConfig& config, std::string url, MetricFamilies& metrics);
  ~Endpoint();

  // Reads the queue back from disk and starts the shards.
  void start();
  // Queues one collection's chunks: appended to the log, then fsynced once.
  void enqueue(const std::vector<Chunk>& chunks);
  // Sends what is queued for at most `flush` (no batch deadline wait), then stops the shards;
  // what is left stays on disk.
  void stop(std::chrono::nanoseconds flush);

  const std::string& url() const { return url_; }  // without credentials

 private:
  struct Rec {
    WalRecord w;
    bool in_memory = false;
    std::string mem;  // payload while in memory
    Clock::time_point queued_at;
  };
  struct Shard {
    std::deque<Rec> queue;
    uint64_t samples = 0;  // queued in `queue`
    std::thread thread;
  };

  void run_shard(size_t index);
  // With mu_ held: removes the front record of `shard`, accounting its segment.
  void pop_front(Shard& s, bool acked);
  void release(const Rec& r);
  void drop_expired(Shard& s, int64_t now_ms);
  void enforce_disk_limit();
  void enforce_memory_limit();
  void remove_done_segments();
  void disk_error(const WalError& e);
  void disk_ok();
  void update_gauges();
  void log_send_error(const std::string& key, const std::string& message);

  const RemoteWriteConfig& config_;
  std::string raw_url_;  // as given, with credentials
  std::string url_;
  Wal wal_;
  uint64_t next_seq_ = 1;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::map<uint64_t, uint64_t> segment_live_;  // segment id -> records not yet done
  std::map<uint32_t, uint64_t> acked_;         // stored shard -> every seq up to it done
  bool acked_dirty_ = false;
  uint64_t memory_bytes_ = 0;
  uint64_t memory_limit_;
  bool writable_ = true;
  std::string last_disk_error_;
  std::string last_send_error_;
  int64_t highest_queued_ms_ = 0;
  int64_t highest_sent_ms_ = 0;
  int64_t lowest_queued_ms_ = 0;
  bool flushing_ = false;
  std::atomic<bool> stop_{false};

  MetricFamilies& f_;
  prometheus::Counter &queued_, &sent_, &retried_, &failed_, &bytes_sent_;
  prometheus::Counter &drop_4xx_, &drop_age_, &drop_disk_bytes_, &drop_disk_error_, &drop_invalid_;
  prometheus::Gauge &shards_gauge_, &disk_bytes_, &writable_gauge_, &highest_sent_, &lag_;

 public:
  // Counted by the module (validation happens before the queues).
  prometheus::Counter& queued() { return queued_; }
  prometheus::Counter& dropped_invalid() { return drop_invalid_; }
};

}  // namespace vitals::remote_write
