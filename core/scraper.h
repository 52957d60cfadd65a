// Runs the enabled collectors for a scrape: concurrently on the worker pool, each under the
// scrape's deadline. A collector still running from an earlier scrape is not started again
// (it is reported failed), so hung work never piles up threads or descriptors. Concurrent
// scrapes asking for the same collectors share one collection.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/collector.h"
#include "core/config.h"
#include "core/producer.h"
#include "core/worker_pool.h"
#include "model/metric.h"

namespace vitals {

// One enabled collector, kept across scrapes (and across reloads while its options stay the
// same).
struct CollectorSlot {
  std::string name;
  CollectorOptions options;
  std::unique_ptr<Collector> collector;
  std::atomic<bool> busy{false};
  // For the landing page.
  std::atomic<double> last_duration{0};
  std::atomic<int> last_success{-1};  // -1: never ran
  // Items the last run skipped for lack of a permission (vitals_collector_permission_denied),
  // and whether that was logged (touched only by the one task running this collector).
  std::atomic<uint64_t> denied{0};
  bool denied_logged = false;
  // Failed runs by kind (vitals_collector_failures_total), and what was last logged, so an
  // error that repeats unchanged scrape after scrape is logged once (then at debug) and a
  // collector without its facility (NoDataError) is reported once at info.
  std::atomic<uint64_t> failures_error{0};
  std::atomic<uint64_t> failures_no_data{0};
  std::atomic<uint64_t> failures_deadline{0};
  std::mutex log_mu;
  std::string last_logged;  // empty: the last run succeeded (or nothing logged yet)
  // Output sets of earlier scrapes, returned when their snapshot is gone, refilled next time.
  std::mutex spare_mu;
  std::vector<std::unique_ptr<MetricSet>> spare;
  std::unique_ptr<MetricSet> take_set();
  static void give_back(const std::weak_ptr<CollectorSlot>& slot, MetricSet* set);
};

struct CollectorSet {
  Paths paths;
  std::vector<std::shared_ptr<CollectorSlot>> slots;  // sorted by name
  const CollectorSlot* find(std::string_view name) const;
};

// Builds the collectors `config` enables, reusing slots of `previous` whose options and paths
// did not change. Returns null and sets `error` when a collector cannot be created.
std::shared_ptr<CollectorSet> build_collector_set(const Config& config,
                                                  const CollectorSet* previous, std::string* error);

struct CollectorResult {
  std::string name;
  bool success = false;
  bool no_data = false;   // failed with NoDataError: the facility does not exist here
  bool deadline = false;  // still running at the deadline
  double duration_seconds = 0;
  std::string error;
};

// The outcome of one collection. Immutable once published.
struct Snapshot {
  std::vector<CollectorResult> results;
  // One per collector that finished in time; each goes back to its collector for reuse
  // when the snapshot is destroyed.
  std::vector<std::shared_ptr<const MetricSet>> outputs;
  MetricSet scrape_metrics;  // node_scrape_collector_{duration_seconds,success}
};

class Scraper {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Scraper(WorkerPool& pool);

  void set_collectors(std::shared_ptr<const CollectorSet> set);
  std::shared_ptr<const CollectorSet> collectors() const;

  // Runs the named collectors (all enabled ones when `names` is empty; unknown names are the
  // caller's to reject) and waits at most `timeout`.
  std::shared_ptr<const Snapshot> scrape(const std::vector<std::string>& names,
                                         Clock::duration timeout);

  // Collections started and collections joined by a concurrent scrape.
  uint64_t collections() const { return static_cast<uint64_t>(collections_.Value()); }
  uint64_t shared_collections() const { return static_cast<uint64_t>(shared_.Value()); }
  // vitals_collections_total, vitals_collections_shared_total and, per enabled collector,
  // vitals_collector_permission_denied and vitals_collector_failures_total
  // (core/self_metrics.h).
  std::shared_ptr<MetricProducer> metrics() const;

 private:
  struct InFlight;
  std::shared_ptr<const Snapshot> collect(const CollectorSet& set,
                                          const std::vector<std::string>& names,
                                          Clock::duration timeout);

  WorkerPool& pool_;
  mutable std::mutex mu_;
  std::shared_ptr<const CollectorSet> set_;
  std::map<std::string, std::shared_ptr<InFlight>> in_flight_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter& collections_;
  prometheus::Counter& shared_;
};

}  // namespace vitals
