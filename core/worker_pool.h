// Bounded thread pool for collector runs. `workers` threads serve the queue; when all of them
// are busy and one is stuck past its task's deadline (a hung statfs, a FIFO that never opens),
// the pool may add threads up to `max_threads`, so stuck work never starves the next scrape.
// Extra threads retire when idle. Threads are detached and share the pool state, so shutting
// down never waits on a thread that is stuck in the kernel.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace prometheus {
class Collectable;
}

namespace vitals {

class WorkerPool {
 public:
  using Clock = std::chrono::steady_clock;
  WorkerPool(int workers, int max_threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs fn on a worker. `deadline` is when the task counts as stuck.
  void submit(std::function<void()> fn, Clock::time_point deadline);
  // Queues all of `fns` under one lock and wakes only as many workers as can take them (one
  // scrape's collectors: one wake-up per worker, not one per collector). Empties `fns`.
  void submit_all(std::vector<std::function<void()>>& fns, Clock::time_point deadline);

  struct Stats {
    int threads;
    int busy;
    int stuck;
    int queued;
    int max_threads;
  };
  Stats stats() const;
  // vitals_collector_threads, _stuck and _max, read when scraped (core/self_metrics.h). Keeps
  // the pool's state alive, not the pool.
  std::shared_ptr<prometheus::Collectable> metrics() const;

  // Stops taking work, waits up to `wait` for running tasks. True when every thread exited.
  bool shutdown(std::chrono::milliseconds wait);

  struct State;  // shared with the detached worker threads

 private:
  std::shared_ptr<State> state_;
};

}  // namespace vitals
