#include "core/scraper.h"

#include <algorithm>
#include <condition_variable>

#include "core/log.h"
#include "core/malloc_release.h"
#include "core/prometheus_cpp.h"
#include "core/reloadable.h"

namespace vitals {
namespace {

constexpr Desc kDurationDesc{"node_scrape_collector_duration_seconds",
                             "node_exporter: Duration of a collector scrape.", MetricType::kGauge};
constexpr Desc kSuccessDesc{"node_scrape_collector_success",
                            "node_exporter: Whether a collector succeeded.", MetricType::kGauge};

// Shared by the scraper and the workers of one collection.
struct RunState {
  struct Entry {
    std::shared_ptr<CollectorSlot> slot;
    bool started = false;
    bool done = false;
    bool success = false;
    bool no_data = false;
    double duration = 0;
    std::string error;
    std::unique_ptr<MetricSet> out;
  };
  std::mutex mu;
  std::condition_variable cv;  // signalled once, when pending reaches 0
  int pending = 0;
  std::vector<Entry> entries;
  Paths paths;
};

// One log line when a collector starts being denied items, one when it sees everything again:
// never one per scrape (the count itself is vitals_collector_permission_denied).
void note_denied(CollectorSlot& slot, const PermissionDenied& denied, bool ran_through) {
  slot.denied.store(denied.items, std::memory_order_relaxed);
  if (denied.items > 0 && !slot.denied_logged) {
    slot.denied_logged = true;
    std::string items = std::to_string(denied.items);
    log::warn("collector cannot read everything: permission denied; see docs/privileges.md",
              {{"collector", slot.name}, {"items", items}, {"first", denied.first}});
  } else if (denied.items == 0 && slot.denied_logged && ran_through) {
    slot.denied_logged = false;
    log::info("collector reads everything again", {{"collector", slot.name}});
  }
}

// Logs a collector's outcome the way an operator wants to read it: an error when it starts or
// changes, at debug while it repeats unchanged, one line when the collector recovers; a
// missing facility (NoDataError) once at info, then at debug, as node_exporter logs "no data"
// at debug. vitals_collector_failures_total counts every failed run.
void note_outcome(CollectorSlot& slot, const CollectorResult& r) {
  if (!r.success) {
    auto& counter = r.no_data    ? slot.failures_no_data
                    : r.deadline ? slot.failures_deadline
                                 : slot.failures_error;
    counter.fetch_add(1, std::memory_order_relaxed);
  }
  std::string key = r.success ? std::string() : (r.no_data ? "no data: " : "") + r.error;
  bool changed;
  bool recovered;
  {
    std::lock_guard<std::mutex> lk(slot.log_mu);
    changed = key != slot.last_logged;
    recovered = changed && r.success;
    if (changed) slot.last_logged = key;
  }
  if (r.success) {
    if (recovered) log::info("collector succeeds again", {{"name", r.name}});
    return;
  }
  std::string_view msg =
      r.no_data ? "collector found no data; the facility it reads is absent" : "collector failed";
  if (!changed) {
    log::debug(r.no_data ? "collector returned no data" : "collector failed (unchanged)",
               {{"name", r.name}, {"err", r.error}});
  } else if (r.no_data) {
    log::info(msg, {{"name", r.name}, {"err", r.error}});
  } else {
    log::error(msg, {{"name", r.name}, {"err", r.error}});
  }
}

}  // namespace

struct Scraper::InFlight {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  std::shared_ptr<const Snapshot> snapshot;
};

std::unique_ptr<MetricSet> CollectorSlot::take_set() {
  std::unique_ptr<MetricSet> set;
  {
    std::lock_guard<std::mutex> lk(spare_mu);
    if (!spare.empty()) {
      set = std::move(spare.back());
      spare.pop_back();
    }
  }
  if (!set) return std::make_unique<MetricSet>();
  set->recycle();
  return set;
}

void CollectorSlot::give_back(const std::weak_ptr<CollectorSlot>& weak, MetricSet* set) {
  std::unique_ptr<MetricSet> owned(set);
  if (auto slot = weak.lock()) {
    std::lock_guard<std::mutex> lk(slot->spare_mu);
    if (slot->spare.empty()) slot->spare.push_back(std::move(owned));
  }
}

const CollectorSlot* CollectorSet::find(std::string_view name) const {
  for (const auto& s : slots) {
    if (s->name == name) return s.get();
  }
  return nullptr;
}

std::shared_ptr<CollectorSet> build_collector_set(const Config& config,
                                                  const CollectorSet* previous,
                                                  std::string* error) {
  auto set = std::make_shared<CollectorSet>();
  set->paths = config.paths;
  bool same_paths = previous && previous->paths.procfs == config.paths.procfs &&
                    previous->paths.sysfs == config.paths.sysfs &&
                    previous->paths.rootfs == config.paths.rootfs &&
                    previous->paths.udev_data == config.paths.udev_data;
  for (const std::string& name : config.enabled_collectors) {
    const CollectorSpec* spec = CollectorRegistry::find(name);
    if (!spec) {
      *error = "unknown collector \"" + name + "\"";
      return nullptr;
    }
    if (!spec->implemented) {
      log::warn("collector accepted for compatibility but not implemented by vitals; skipped",
                {{"collector", name}});
      continue;
    }
    const CollectorOptions& opts = config.collector_options.at(name);
    std::shared_ptr<CollectorSlot> reuse;
    if (same_paths) {
      for (const auto& old : previous->slots) {
        if (old->name != name || !(old->options == opts)) continue;
        auto* r = dynamic_cast<const ReloadableCollector*>(old->collector.get());
        if (!r || !r->stale()) reuse = old;
      }
    }
    if (reuse) {
      set->slots.push_back(reuse);
      continue;
    }
    auto slot = std::make_shared<CollectorSlot>();
    slot->name = name;
    slot->options = opts;
    try {
      slot->collector = spec->make(opts, config.paths);
    } catch (const std::exception& e) {
      *error = "collector " + name + ": " + e.what();
      return nullptr;
    }
    set->slots.push_back(std::move(slot));
  }
  return set;
}

Scraper::Scraper(WorkerPool& pool)
    : pool_(pool),
      registry_(std::make_shared<prometheus::Registry>()),
      collections_(prometheus::BuildCounter()
                       .Name("vitals_collections_total")
                       .Help("Collections run for scrapes, not counting shared ones.")
                       .Register(*registry_)
                       .Add({})),
      shared_(prometheus::BuildCounter()
                  .Name("vitals_collections_shared_total")
                  .Help("Scrapes that joined a collection already in flight instead of starting "
                        "one.")
                  .Register(*registry_)
                  .Add({})) {}

constexpr Desc kPermissionDeniedDesc{
    "vitals_collector_permission_denied",
    "Items (processes, files, mount points) the collector skipped in its last run because the "
    "agent lacks the permission to read them; 0: it sees everything.",
    MetricType::kGauge};
constexpr Desc kFailuresDesc{
    "vitals_collector_failures_total",
    "Collector runs that failed, by kind: error, deadline (still running at --collector.timeout) "
    "or no_data (the facility it reads is absent on this host). Logged when the error starts or "
    "changes; repeats are counted here and logged at debug.",
    MetricType::kCounter};

std::shared_ptr<MetricProducer> Scraper::metrics() const {
  return std::make_shared<FunctionProducer>([this](MetricSet& out) {
    append_prometheus_cpp(registry_->Collect(), out);
    auto set = collectors();
    if (!set) return;
    Family& denied = out.add(kPermissionDeniedDesc);
    Family& failures = out.add(kFailuresDesc);
    for (const auto& slot : set->slots) {
      denied.add({{"collector", slot->name}},
                 static_cast<double>(slot->denied.load(std::memory_order_relaxed)));
      const std::pair<const char*, const std::atomic<uint64_t>*> kinds[] = {
          {"error", &slot->failures_error},
          {"deadline", &slot->failures_deadline},
          {"no_data", &slot->failures_no_data}};
      for (const auto& [kind, n] : kinds) {
        failures.add({{"collector", slot->name}, {"kind", kind}},
                     static_cast<double>(n->load(std::memory_order_relaxed)));
      }
    }
  });
}

void Scraper::set_collectors(std::shared_ptr<const CollectorSet> set) {
  std::lock_guard<std::mutex> lk(mu_);
  set_ = std::move(set);
}

std::shared_ptr<const CollectorSet> Scraper::collectors() const {
  std::lock_guard<std::mutex> lk(mu_);
  return set_;
}

std::shared_ptr<const Snapshot> Scraper::scrape(const std::vector<std::string>& names,
                                                Clock::duration timeout) {
  std::shared_ptr<const CollectorSet> set;
  std::shared_ptr<InFlight> flight;
  bool leader = false;
  std::string key;
  {
    std::lock_guard<std::mutex> lk(mu_);
    set = set_;
    key = std::to_string(reinterpret_cast<uintptr_t>(set.get()));
    for (const auto& n : names) key += "," + n;
    auto it = in_flight_.find(key);
    if (it != in_flight_.end()) {
      flight = it->second;
    } else {
      flight = std::make_shared<InFlight>();
      in_flight_.emplace(key, flight);
      leader = true;
    }
  }
  if (!leader) {
    shared_.Increment();
    std::unique_lock<std::mutex> lk(flight->mu);
    flight->cv.wait(lk, [&] { return flight->ready; });
    return flight->snapshot;
  }
  collections_.Increment();
  auto snap = collect(*set, names, timeout);
  {
    std::lock_guard<std::mutex> lk(mu_);
    in_flight_.erase(key);
  }
  {
    std::lock_guard<std::mutex> lk(flight->mu);
    flight->snapshot = snap;
    flight->ready = true;
  }
  flight->cv.notify_all();
  // The collection's temporaries and, more, what span bursts freed since the last one: back to
  // the kernel (at most every 5 s, and only when malloc holds 1 MiB or more free).
  release_free_malloc_memory();
  return snap;
}

std::shared_ptr<const Snapshot> Scraper::collect(const CollectorSet& set,
                                                 const std::vector<std::string>& names,
                                                 Clock::duration timeout) {
  auto state = std::make_shared<RunState>();
  for (const auto& slot : set.slots) {
    if (!names.empty() && std::find(names.begin(), names.end(), slot->name) == names.end()) {
      continue;
    }
    state->entries.emplace_back().slot = slot;
  }
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  state->paths = set.paths;
  // First decide what runs, so `pending` is final before any worker can touch it.
  for (auto& e : state->entries) {
    if (e.slot->busy.exchange(true)) {
      e.done = true;
      e.error = "still running from an earlier scrape (stuck past its deadline)";
      continue;
    }
    e.started = true;
    ++state->pending;
  }
  std::vector<std::function<void()>> tasks;
  tasks.reserve(state->entries.size());
  for (size_t i = 0; i < state->entries.size(); ++i) {
    if (!state->entries[i].started) continue;
    tasks.emplace_back([state, i, deadline] {
      RunState::Entry& entry = state->entries[i];  // stable: no resize after submit
      CollectorSlot& slot = *entry.slot;
      std::unique_ptr<MetricSet> out = slot.take_set();
      bool ok = false;
      bool no_data = false;
      std::string err;
      auto t0 = Clock::now();
      if (t0 >= deadline) {
        err = "not started before the deadline (all workers busy)";
      } else {
        PermissionDenied denied;
        try {
          CollectContext ctx{state->paths, deadline, &denied};
          slot.collector->collect(ctx, *out);
          ok = true;
        } catch (const NoDataError& ex) {
          err = ex.what();
          no_data = true;
        } catch (const std::exception& ex) {
          err = ex.what();
        } catch (...) {
          err = "unknown error";
        }
        note_denied(slot, denied, ok);
        for (Family& f : out->families()) f.sort_samples();
      }
      double dur = std::chrono::duration<double>(Clock::now() - t0).count();
      slot.last_duration.store(dur);
      slot.last_success.store(ok ? 1 : 0);
      slot.busy.store(false);
      std::lock_guard<std::mutex> lk(state->mu);
      entry.out = std::move(out);
      entry.success = ok;
      entry.no_data = no_data;
      entry.duration = dur;
      entry.error = std::move(err);
      entry.done = true;
      // The scraper waits for all of them (or the deadline): wake it once, not per collector.
      if (--state->pending == 0) state->cv.notify_all();
    });
  }
  pool_.submit_all(tasks, deadline);

  auto snap = std::make_shared<Snapshot>();
  {
    std::unique_lock<std::mutex> lk(state->mu);
    state->cv.wait_until(lk, deadline, [&] { return state->pending == 0; });
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    for (auto& e : state->entries) {
      CollectorResult r;
      r.name = e.slot->name;
      if (e.done) {
        r.success = e.success;
        r.no_data = e.no_data;
        r.duration_seconds = e.duration;
        r.error = e.error;
        if (e.started && e.out) {
          std::weak_ptr<CollectorSlot> weak = e.slot;
          snap->outputs.emplace_back(e.out.release(), [weak](const MetricSet* m) {
            CollectorSlot::give_back(weak, const_cast<MetricSet*>(m));
          });
        }
      } else {
        r.success = false;
        r.duration_seconds = elapsed;
        // No elapsed time in the text: it would make every repeat look like a new error.
        r.error = "deadline exceeded (--collector.timeout)";
        r.deadline = true;
      }
      snap->results.push_back(std::move(r));
    }
  }
  for (size_t i = 0; i < snap->results.size(); ++i) {
    note_outcome(*state->entries[i].slot, snap->results[i]);
  }
  Family& dur = snap->scrape_metrics.add(kDurationDesc);
  Family& ok = snap->scrape_metrics.add(kSuccessDesc);
  for (const auto& r : snap->results) {
    dur.add({{"collector", r.name}}, r.duration_seconds);
    ok.add({{"collector", r.name}}, r.success ? 1 : 0);
  }
  return snap;
}

}  // namespace vitals
