// The remote write module: every --remote-write.interval it collects every enabled collector
// (through the Scraper, so a /metrics scrape running at that moment and this collection are one
// collection) and every producer (APM span metrics, the agent's own metrics), encodes the
// samples once with the collection's timestamp (remote_write/encode.h) and queues them for each
// endpoint (remote_write/queue.h), which sends them. See docs/architecture.md.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/producer.h"
#include "core/scraper.h"
#include "remote_write/options.h"

namespace vitals::remote_write {

class Endpoint;
struct MetricFamilies;

class RemoteWrite {
 public:
  RemoteWrite(RemoteWriteConfig config, Scraper& scraper,
              std::chrono::nanoseconds collector_timeout);
  ~RemoteWrite();
  RemoteWrite(const RemoteWrite&) = delete;
  RemoteWrite& operator=(const RemoteWrite&) = delete;

  bool enabled() const { return !config_.urls.empty(); }
  // Before start().
  void add_producer(std::shared_ptr<MetricProducer> p) { producers_.push_back(std::move(p)); }
  // Reads the queues back from disk, starts the shards and the collection loop. Never fails:
  // an unusable queue dir is reported (log, vitals_remote_write_queue_writable 0) and retried.
  void start();
  // SIGTERM: stops collecting, sends what is queued for at most `flush`, keeps the rest on disk.
  void shutdown(std::chrono::nanoseconds flush);
  // The vitals_remote_write_* families.
  std::shared_ptr<prometheus::Collectable> metrics() const { return registry_; }

 private:
  void run();
  void collect_once();

  RemoteWriteConfig config_;
  Scraper& scraper_;
  std::chrono::nanoseconds collector_timeout_;
  std::vector<std::shared_ptr<MetricProducer>> producers_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<MetricFamilies> families_;
  prometheus::Counter* collections_;  // vitals_remote_write_collections_total
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  struct State;
  std::unique_ptr<State> state_;  // encoder and reused buffers, used by the collection thread
};

}  // namespace vitals::remote_write
