#include "core/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>

#include "core/prometheus_cpp.h"

namespace vitals {

struct WorkerPool::State {
  struct Task {
    std::function<void()> fn;
    Clock::time_point deadline;
  };
  struct Running {
    Clock::time_point deadline;
    bool active = false;
  };
  std::mutex mu;
  std::condition_variable cv;      // work available or stop
  std::condition_variable exited;  // a thread exited
  std::deque<Task> queue;
  std::list<Running> running;  // one entry per live thread
  int workers = 0;
  int max_threads = 0;
  int threads = 0;
  int idle = 0;
  bool stop = false;

  int stuck_locked(Clock::time_point now) const {
    int n = 0;
    for (const auto& r : running) n += (r.active && r.deadline < now) ? 1 : 0;
    return n;
  }
};

namespace {

void worker_loop(std::shared_ptr<WorkerPool::State> st,
                 std::list<WorkerPool::State::Running>::iterator me) {
  // Its own name, not the one inherited from the thread that started it (an HTTP server
  // thread on the first scrape).
  pthread_setname_np(pthread_self(), "collector");
  std::unique_lock<std::mutex> lk(st->mu);
  for (;;) {
    ++st->idle;
    st->cv.wait(lk, [&] { return st->stop || !st->queue.empty(); });
    --st->idle;
    if (st->queue.empty()) break;  // stop and nothing left
    auto task = std::move(st->queue.front());
    st->queue.pop_front();
    me->active = true;
    me->deadline = task.deadline;
    lk.unlock();
    try {
      task.fn();
    } catch (...) {
      // Tasks report their own errors; never let one kill the worker.
    }
    task.fn = nullptr;
    lk.lock();
    me->active = false;
    if (st->stop && st->queue.empty()) break;
    // Threads beyond the base count retire when there is nothing queued.
    if (st->threads > st->workers && st->queue.empty()) break;
  }
  st->running.erase(me);
  --st->threads;
  st->exited.notify_all();
}

}  // namespace

WorkerPool::WorkerPool(int workers, int max_threads) : state_(std::make_shared<State>()) {
  state_->workers = workers < 1 ? 1 : workers;
  state_->max_threads = max_threads < state_->workers ? state_->workers : max_threads;
}

WorkerPool::~WorkerPool() {
  shutdown(std::chrono::milliseconds(0));
}

void WorkerPool::submit(std::function<void()> fn, Clock::time_point deadline) {
  std::vector<std::function<void()>> one;
  one.push_back(std::move(fn));
  submit_all(one, deadline);
}

void WorkerPool::submit_all(std::vector<std::function<void()>>& fns, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lk(state_->mu);
  if (state_->stop || fns.empty()) {
    fns.clear();
    return;
  }
  for (auto& fn : fns) state_->queue.push_back({std::move(fn), deadline});
  fns.clear();
  const int waiting = static_cast<int>(state_->queue.size());
  const int idle = state_->idle;
  // Threads to add: up to the base count while there is more queued work than idle threads;
  // beyond it, only to stand in for threads stuck past their deadline.
  int spawn = 0;
  if (idle < waiting) {
    int want = waiting - idle;
    if (state_->threads < state_->workers) {
      spawn = std::min(want, state_->workers - state_->threads);
    } else if (state_->threads < state_->max_threads) {
      int stuck = state_->stuck_locked(Clock::now());
      int usable = state_->threads - stuck;
      if (stuck > 0 && usable < state_->workers) {
        spawn = std::min({want, state_->workers - usable, state_->max_threads - state_->threads});
      }
    }
  }
  for (int i = 0; i < spawn; ++i) {
    auto it = state_->running.emplace(state_->running.end());
    ++state_->threads;
    std::thread(worker_loop, state_, it).detach();
  }
  lk.unlock();
  // A woken worker keeps taking tasks until the queue is empty, so waking min(idle, queued)
  // workers is enough.
  if (waiting >= idle) {
    state_->cv.notify_all();
  } else {
    for (int i = 0; i < waiting; ++i) state_->cv.notify_one();
  }
}

namespace {

WorkerPool::Stats stats_of(WorkerPool::State& st) {
  std::lock_guard<std::mutex> lk(st.mu);
  WorkerPool::Stats s;
  s.threads = st.threads;
  s.busy = st.threads - st.idle;
  s.stuck = st.stuck_locked(WorkerPool::Clock::now());
  s.queued = static_cast<int>(st.queue.size());
  s.max_threads = st.max_threads;
  return s;
}

}  // namespace

WorkerPool::Stats WorkerPool::stats() const {
  return stats_of(*state_);
}

std::shared_ptr<prometheus::Collectable> WorkerPool::metrics() const {
  return std::make_shared<CallbackCollectable>([st = state_] {
    Stats s = stats_of(*st);
    std::vector<prometheus::MetricFamily> v;
    v.push_back(
        gauge_family("vitals_collector_threads", "Worker threads that run collectors.", s.threads));
    v.push_back(gauge_family("vitals_collector_threads_stuck",
                             "Worker threads still running a collector past its deadline.",
                             s.stuck));
    v.push_back(gauge_family("vitals_collector_threads_max",
                             "Limit on collector worker threads (--collector.max-threads).",
                             s.max_threads));
    return v;
  });
}

bool WorkerPool::shutdown(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lk(state_->mu);
  state_->stop = true;
  state_->queue.clear();
  state_->cv.notify_all();
  return state_->exited.wait_for(lk, wait, [&] { return state_->threads == 0; });
}

}  // namespace vitals
