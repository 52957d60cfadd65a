#include "remote_write/remote_write.h"

#include <deque>

#include "core/duration.h"
#include "core/log.h"
#include "model/gather.h"
#include "remote_write/client.h"
#include "remote_write/encode.h"
#include "remote_write/queue.h"

namespace vitals::remote_write {

struct RemoteWrite::State {
  State(const RemoteWriteConfig& c) : encoder(c.external_labels, c.shards, c.batch_samples) {}
  SeriesEncoder encoder;
  std::deque<MetricSet> produced;
  std::vector<Chunk> chunks;
  std::string last_invalid;
};

RemoteWrite::RemoteWrite(RemoteWriteConfig config, Scraper& scraper,
                         std::chrono::nanoseconds collector_timeout)
    : config_(std::move(config)),
      scraper_(scraper),
      collector_timeout_(collector_timeout),
      registry_(std::make_shared<prometheus::Registry>()),
      families_(std::make_unique<MetricFamilies>(*registry_)),
      collections_(&prometheus::BuildCounter()
                        .Name("vitals_remote_write_collections_total")
                        .Help("Collections queued for remote write (one per "
                              "--remote-write.interval).")
                        .Register(*registry_)
                        .Add({})),
      state_(std::make_unique<State>(config_)) {
  if (!enabled()) return;
  http_global_init();
  for (const auto& url : config_.urls) {
    endpoints_.push_back(std::make_unique<Endpoint>(config_, url, *families_));
  }
}

RemoteWrite::~RemoteWrite() {
  shutdown(std::chrono::nanoseconds(0));
}

void RemoteWrite::start() {
  if (!enabled()) return;
  for (auto& e : endpoints_) e->start();
  thread_ = std::thread([this] { run(); });
  std::string urls;
  for (const auto& e : endpoints_) urls += (urls.empty() ? "" : ",") + e->url();
  log::info("remote write started", {{"urls", urls},
                                     {"interval", format_duration(config_.interval)},
                                     {"queue_dir", config_.queue_dir}});
}

void RemoteWrite::run() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_until(lock, next, [&] { return stopping_; })) return;
    }
    collect_once();
    next += config_.interval;
    auto now = std::chrono::steady_clock::now();
    if (next < now) {
      // A collection took longer than the interval: skip the missed ticks.
      next = now + config_.interval;
    }
  }
}

void RemoteWrite::collect_once() {
  State& st = *state_;
  int64_t ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  // Every enabled collector; joins a /metrics scrape of all collectors already in flight.
  auto snap = scraper_.scrape({}, collector_timeout_);
  st.produced.resize(producers_.size());
  for (size_t i = 0; i < producers_.size(); ++i) {
    st.produced[i].recycle();
    producers_[i]->produce(st.produced[i]);
  }
  std::vector<const MetricSet*> sets;
  for (const auto& m : snap->outputs) sets.push_back(m.get());
  for (const auto& m : st.produced) sets.push_back(&m);
  sets.push_back(&snap->scrape_metrics);
  Gathered g = gather(sets);
  st.chunks.clear();
  EncodeStats stats;
  st.encoder.encode(g.families, ts, &st.chunks, &stats);
  if (stats.invalid > 0 && stats.first_invalid != st.last_invalid) {
    log::error("remote write: series left out, invalid for remote write",
               {{"count", std::to_string(stats.invalid)}, {"first", stats.first_invalid}});
  }
  st.last_invalid = stats.first_invalid;
  for (auto& e : endpoints_) {
    e->queued().Increment(static_cast<double>(stats.samples));
    if (stats.invalid) e->dropped_invalid().Increment(static_cast<double>(stats.invalid));
    e->enqueue(st.chunks);
  }
  collections_->Increment();
}

void RemoteWrite::shutdown(std::chrono::nanoseconds flush) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // All endpoints flush at once, within the one deadline.
  std::vector<std::thread> stoppers;
  for (auto& e : endpoints_) {
    stoppers.emplace_back([&e, flush] { e->stop(flush); });
  }
  for (auto& t : stoppers) t.join();
  if (enabled()) {
    log::info("remote write stopped",
              {{"collections", std::to_string(static_cast<uint64_t>(collections_->Value()))}});
  }
}

}  // namespace vitals::remote_write
