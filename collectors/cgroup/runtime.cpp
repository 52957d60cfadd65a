#include "collectors/cgroup/runtime.h"

#include <array>

#include "core/log.h"
#include "core/prometheus_cpp.h"

namespace vitals::cgroup {
namespace {

// The self metrics, process-wide: a reload makes a new collector (and cache), the counters go on.
struct Stats {
  std::mutex mu;
  std::map<std::string, std::array<double, 3>, std::less<>> requests;  // by runtime, by result
  std::map<std::string, double, std::less<>> up;
  double entries = 0, max_entries = 0;
  bool active = false;
};

Stats& stats() {
  static Stats s;
  return s;
}

void count(std::string_view runtime, RuntimeResult r) {
  Stats& s = stats();
  std::lock_guard<std::mutex> lk(s.mu);
  auto it = s.requests.find(runtime);
  if (it == s.requests.end())
    it = s.requests.emplace(std::string(runtime), std::array<double, 3>{}).first;
  it->second[static_cast<int>(r)] += 1;
  s.up[std::string(runtime)] = r == RuntimeResult::kOk ? 1 : 0;
  s.active = true;
}

void set_entries(size_t n, size_t max) {
  Stats& s = stats();
  std::lock_guard<std::mutex> lk(s.mu);
  s.entries = static_cast<double>(n);
  s.max_entries = static_cast<double>(max);
  s.active = true;
}

constexpr std::array<std::string_view, 3> kResults = {"ok", "error", "timeout"};

}  // namespace

std::shared_ptr<prometheus::Collectable> container_runtime_metrics() {
  return std::make_shared<CallbackCollectable>([] {
    std::vector<prometheus::MetricFamily> v;
    Stats& s = stats();
    std::lock_guard<std::mutex> lk(s.mu);
    if (!s.active) return v;
    prometheus::MetricFamily req;
    req.name = "vitals_container_runtime_requests_total";
    req.help =
        "Container runtime list calls of the containers collector's metadata refresher, by "
        "runtime (cri, docker) and result (ok, error, timeout).";
    req.type = prometheus::MetricType::Counter;
    for (const auto& [runtime, counts] : s.requests) {
      for (size_t i = 0; i < kResults.size(); ++i) {
        prometheus::ClientMetric m;
        m.label.push_back({"runtime", runtime});
        m.label.push_back({"result", std::string(kResults[i])});
        m.counter.value = counts[i];
        req.metric.push_back(std::move(m));
      }
    }
    v.push_back(std::move(req));
    prometheus::MetricFamily up;
    up.name = "vitals_container_runtime_up";
    up.help = "1 when the container runtime's last list call succeeded, 0 when it failed.";
    up.type = prometheus::MetricType::Gauge;
    for (const auto& [runtime, value] : s.up) {
      prometheus::ClientMetric m;
      m.label.push_back({"runtime", runtime});
      m.gauge.value = value;
      up.metric.push_back(std::move(m));
    }
    v.push_back(std::move(up));
    v.push_back(gauge_family("vitals_container_runtime_cache_entries",
                             "Containers and pods in the container runtime metadata cache.",
                             s.entries));
    v.push_back(gauge_family("vitals_container_runtime_cache_entries_max",
                             "Limit on the container runtime metadata cache "
                             "(--collector.containers.runtime-cache-size).",
                             s.max_entries));
    return v;
  });
}

RuntimeMetadata::RuntimeMetadata(RuntimeOptions o,
                                 std::vector<std::unique_ptr<RuntimeSource>> sources)
    : opt_(o), sources_(std::move(sources)), last_result_(sources_.size(), -1) {}

RuntimeMetadata::~RuntimeMetadata() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t RuntimeMetadata::size() const {
  std::lock_guard<std::mutex> lk(mu_);
  return cache_.size();
}

bool RuntimeMetadata::lookup(std::string_view id, RuntimeInfo* out) {
  std::unique_lock<std::mutex> lk(mu_);
  auto it = cache_.find(id);
  if (it != cache_.end()) {
    // The first non-empty value of each field, in source order (CRI before Docker).
    *out = {};
    for (const RuntimeInfo& r : it->second.by_source) {
      if (out->container.empty()) out->container = r.container;
      if (out->pod.empty()) out->pod = r.pod;
      if (out->ns.empty()) out->ns = r.ns;
      if (out->image.empty()) out->image = r.image;
      if (out->name.empty()) out->name = r.name;
    }
    return true;
  }
  if (sources_.empty()) return false;
  auto now = std::chrono::steady_clock::now();
  auto m = misses_.find(id);
  if (m != misses_.end() && now - m->second < opt_.miss_retry) return false;
  // Bounded: a flood of ids nobody knows costs at most max_entries remembered misses.
  if (m == misses_.end()) {
    if (misses_.size() >= opt_.max_entries) misses_.clear();
    m = misses_.emplace(std::string(id), now).first;
  }
  m->second = now;
  wanted_ = true;
  start_locked();
  lk.unlock();
  cv_.notify_one();
  return false;
}

void RuntimeMetadata::start_locked() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void RuntimeMetadata::run() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stop_ || wanted_; });
    if (stop_) return;
    // At most one refresh per min_interval.
    auto next = last_refresh_ + opt_.min_interval;
    if (cv_.wait_until(lk, next, [this] { return stop_; })) return;
    wanted_ = false;
    lk.unlock();
    refresh();
    lk.lock();
    last_refresh_ = std::chrono::steady_clock::now();
  }
}

// Makes room by forgetting the container that left its runtime first. False: none has.
bool RuntimeMetadata::evict_gone() {
  auto victim = cache_.end();
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if (!it->second.listed && (victim == cache_.end() || it->second.gone < victim->second.gone)) {
      victim = it;
    }
  }
  if (victim == cache_.end()) return false;
  cache_.erase(victim);
  return true;
}

void RuntimeMetadata::refresh_now() {
  refresh();
}

void RuntimeMetadata::refresh() {
  const size_t n = sources_.size();
  std::vector<std::vector<RuntimeEntry>> lists(n);
  std::vector<bool> ok(n, false);
  for (size_t s = 0; s < n; ++s) {
    RuntimeSource& src = *sources_[s];
    std::string socket = src.socket();
    if (socket.empty()) continue;  // no defaulted candidate exists: not asked, not counted
    std::string err;
    RuntimeResult r = src.list(socket, opt_.timeout, &lists[s], &err);
    count(src.runtime(), r);
    ok[s] = r == RuntimeResult::kOk;
    if (!ok[s]) lists[s].clear();
    // One log line per change of a source's state, not one per refresh.
    if (last_result_[s] != static_cast<int>(r)) {
      last_result_[s] = static_cast<int>(r);
      if (ok[s]) {
        log::info("container runtime answers", {{"collector", "containers"},
                                                {"runtime", std::string(src.runtime())},
                                                {"socket", socket}});
      } else {
        log::warn("container runtime list failed; its labels stay empty",
                  {{"collector", "containers"},
                   {"runtime", std::string(src.runtime())},
                   {"socket", socket},
                   {"err", err}});
      }
    }
  }
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lk(mu_);
  // Unlist everything the answering sources no longer list, then (re)list what they did.
  for (auto& [id, c] : cache_) {
    uint32_t before = c.listed;
    for (size_t s = 0; s < n; ++s) {
      if (ok[s]) c.listed &= ~(1u << s);
    }
    if (before && !c.listed) c.gone = now;
  }
  bool full = false;
  for (size_t s = 0; s < n; ++s) {
    for (RuntimeEntry& e : lists[s]) {
      auto it = cache_.find(e.id);
      if (it == cache_.end()) {
        if (cache_.size() >= opt_.max_entries && !evict_gone()) {
          full = true;
          continue;
        }
        it = cache_.emplace(e.id, Cached{}).first;
        it->second.by_source.resize(n);
      }
      it->second.by_source[s] = std::move(e.info);
      it->second.listed |= 1u << s;
      misses_.erase(e.id);
    }
  }
  // Forget containers no runtime has listed for removed_ttl.
  for (auto it = cache_.begin(); it != cache_.end();) {
    bool expired = !it->second.listed && now - it->second.gone >= opt_.removed_ttl;
    it = expired ? cache_.erase(it) : std::next(it);
  }
  if (full && !warned_full_) {
    warned_full_ = true;
    log::warn(
        "container runtime metadata cache full; new containers stay unlabelled",
        {{"collector", "containers"}, {"runtime_cache_size", std::to_string(opt_.max_entries)}});
  }
  set_entries(cache_.size(), opt_.max_entries);
}

}  // namespace vitals::cgroup
