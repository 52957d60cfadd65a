#include "remote_write/queue.h"

#include <snappy.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "core/log.h"
#include "remote_write/client.h"

namespace vitals::remote_write {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

constexpr uint64_t kMemoryCap = uint64_t{64} << 20;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

MetricFamilies::MetricFamilies(prometheus::Registry& r)
    : queued(BuildCounter()
                 .Name("vitals_remote_write_samples_queued_total")
                 .Help("Samples queued for the endpoint (one per series per interval, staleness "
                       "markers included).")
                 .Register(r)),
      sent(BuildCounter()
               .Name("vitals_remote_write_samples_sent_total")
               .Help("Samples the endpoint acknowledged (2xx).")
               .Register(r)),
      retried(BuildCounter()
                  .Name("vitals_remote_write_samples_retried_total")
                  .Help("Samples of requests that failed and were retried (5xx, 429, transport "
                        "errors, timeouts), counted per failed attempt.")
                  .Register(r)),
      failed(BuildCounter()
                 .Name("vitals_remote_write_samples_failed_total")
                 .Help("Samples of requests the endpoint refused for good (4xx but 429).")
                 .Register(r)),
      dropped(BuildCounter()
                  .Name("vitals_remote_write_samples_dropped_total")
                  .Help("Samples dropped unsent, by reason: http_4xx, max_age, max_disk_bytes, "
                        "disk_error, invalid.")
                  .Register(r)),
      requests(BuildCounter()
                   .Name("vitals_remote_write_requests_total")
                   .Help("Requests sent, by HTTP status code (\"error\": transport error or "
                         "timeout).")
                   .Register(r)),
      bytes_sent(BuildCounter()
                     .Name("vitals_remote_write_bytes_sent_total")
                     .Help("Request body bytes (snappy-compressed) sent, retries included.")
                     .Register(r)),
      disk_errors(BuildCounter()
                      .Name("vitals_remote_write_disk_errors_total")
                      .Help("Failed operations on the queue dir, by op (write, fsync, read, open).")
                      .Register(r)),
      shards(BuildGauge()
                 .Name("vitals_remote_write_shards")
                 .Help("Shards sending to the endpoint in parallel.")
                 .Register(r)),
      disk_bytes(BuildGauge()
                     .Name("vitals_remote_write_queue_disk_bytes")
                     .Help("Bytes of the endpoint's queue segments on disk.")
                     .Register(r)),
      writable(BuildGauge()
                   .Name("vitals_remote_write_queue_writable")
                   .Help("1 when the last write to the endpoint's queue dir succeeded, else 0 "
                         "(samples then wait in memory).")
                   .Register(r)),
      highest_sent(BuildGauge()
                       .Name("vitals_remote_write_highest_sent_timestamp_seconds")
                       .Help("Newest sample timestamp the endpoint acknowledged.")
                       .Register(r)),
      lag(BuildGauge()
              .Name("vitals_remote_write_lag_seconds")
              .Help("Newest queued sample timestamp minus the newest acknowledged one.")
              .Register(r)) {}

std::string endpoint_dir_name(std::string_view url) {
  std::string clean = redact_url(url);
  std::string out;
  std::string_view body = clean;
  if (size_t p = body.find("://"); p != std::string_view::npos) body.remove_prefix(p + 3);
  for (char c : body.substr(0, 80)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-';
    out += ok ? c : '_';
  }
  char hash[20];
  std::snprintf(hash, sizeof hash, "-%08x", static_cast<unsigned>(fnv1a(clean) & 0xffffffffu));
  return out + hash;
}

Endpoint::Endpoint(const RemoteWriteConfig& config, std::string url, MetricFamilies& f)
    : config_(config),
      raw_url_(std::move(url)),
      url_(redact_url(raw_url_)),
      wal_(config.queue_dir + "/" + endpoint_dir_name(raw_url_),
           std::clamp<uint64_t>(static_cast<uint64_t>(config.max_disk_bytes) / 8, 16 << 10,
                                16 << 20)),
      memory_limit_(std::min<uint64_t>(static_cast<uint64_t>(config.max_disk_bytes), kMemoryCap)),
      f_(f),
      queued_(f.queued.Add({{"url", url_}})),
      sent_(f.sent.Add({{"url", url_}})),
      retried_(f.retried.Add({{"url", url_}})),
      failed_(f.failed.Add({{"url", url_}})),
      bytes_sent_(f.bytes_sent.Add({{"url", url_}})),
      drop_4xx_(f.dropped.Add({{"url", url_}, {"reason", "http_4xx"}})),
      drop_age_(f.dropped.Add({{"url", url_}, {"reason", "max_age"}})),
      drop_disk_bytes_(f.dropped.Add({{"url", url_}, {"reason", "max_disk_bytes"}})),
      drop_disk_error_(f.dropped.Add({{"url", url_}, {"reason", "disk_error"}})),
      drop_invalid_(f.dropped.Add({{"url", url_}, {"reason", "invalid"}})),
      shards_gauge_(f.shards.Add({{"url", url_}})),
      disk_bytes_(f.disk_bytes.Add({{"url", url_}})),
      writable_gauge_(f.writable.Add({{"url", url_}})),
      highest_sent_(f.highest_sent.Add({{"url", url_}})),
      lag_(f.lag.Add({{"url", url_}})) {
  for (const char* op : {"write", "fsync", "read", "open"}) {
    f.disk_errors.Add({{"url", url_}, {"op", op}});
  }
  for (int i = 0; i < config.shards; ++i) shards_.push_back(std::make_unique<Shard>());
  shards_gauge_.Set(config.shards);
}

Endpoint::~Endpoint() {
  stop(std::chrono::nanoseconds(0));
}

void Endpoint::start() {
  std::vector<WalRecord> replay;
  WalError err;
  {
    std::lock_guard lock(mu_);
    if (!wal_.open(&replay, &next_seq_, &err)) {
      disk_error(err);
    } else {
      disk_ok();
    }
    auto now = Clock::now();
    uint64_t samples = 0;
    for (const WalRecord& w : replay) {
      Shard& s = *shards_[w.shard % shards_.size()];
      s.queue.push_back(Rec{w, false, {}, now});
      s.samples += w.samples;
      samples += w.samples;
      ++segment_live_[w.segment];
      highest_queued_ms_ = std::max(highest_queued_ms_, w.max_ts);
      if (lowest_queued_ms_ == 0 || w.min_ts < lowest_queued_ms_) lowest_queued_ms_ = w.min_ts;
    }
    if (!replay.empty()) {
      log::info("remote write: queue read back from disk",
                {{"url", url_},
                 {"dir", wal_.dir()},
                 {"records", std::to_string(replay.size())},
                 {"samples", std::to_string(samples)}});
    }
    update_gauges();
  }
  for (size_t i = 0; i < shards_.size(); ++i) {
    shards_[i]->thread = std::thread([this, i] { run_shard(i); });
  }
}

void Endpoint::disk_error(const WalError& e) {
  f_.disk_errors.Add({{"url", url_}, {"op", e.op}}).Increment();
  writable_ = false;
  writable_gauge_.Set(0);
  std::string key = e.op + ": " + e.message;
  if (key != last_disk_error_) {
    log::error("remote write: queue dir failing, samples wait in memory",
               {{"url", url_}, {"op", e.op}, {"err", e.message}});
    last_disk_error_ = key;
  }
}

void Endpoint::disk_ok() {
  if (!writable_ || !last_disk_error_.empty()) {
    if (!last_disk_error_.empty()) {
      log::info("remote write: queue dir writable again", {{"url", url_}, {"dir", wal_.dir()}});
    }
    last_disk_error_.clear();
  }
  writable_ = true;
  writable_gauge_.Set(1);
}

void Endpoint::update_gauges() {
  disk_bytes_.Set(static_cast<double>(wal_.disk_bytes()));
  highest_sent_.Set(static_cast<double>(highest_sent_ms_) / 1000.0);
  // Before anything was sent, the lag runs from the oldest sample queued.
  int64_t from = highest_sent_ms_ != 0 ? highest_sent_ms_ : lowest_queued_ms_;
  lag_.Set(highest_queued_ms_ == 0 ? 0 : static_cast<double>(highest_queued_ms_ - from) / 1000.0);
}

void Endpoint::release(const Rec& r) {
  if (r.in_memory) {
    memory_bytes_ -= r.mem.size();
    return;
  }
  auto it = segment_live_.find(r.w.segment);
  if (it == segment_live_.end()) return;
  if (--it->second == 0) {
    segment_live_.erase(it);
    // Also the segment being written: the next append starts a new one, so what was sent
    // does not linger on disk (or in vitals_remote_write_queue_disk_bytes).
    wal_.remove_segment(r.w.segment);
  }
}

void Endpoint::pop_front(Shard& s, bool done) {
  Rec& r = s.queue.front();
  s.samples -= r.w.samples;
  if (done || !r.in_memory) {
    uint64_t& a = acked_[r.w.shard];
    a = std::max(a, r.w.seq);
    acked_dirty_ = true;
  }
  release(r);
  s.queue.pop_front();
}

void Endpoint::drop_expired(Shard& s, int64_t now) {
  int64_t limit =
      now - std::chrono::duration_cast<std::chrono::milliseconds>(config_.max_age).count();
  while (!s.queue.empty() && s.queue.front().w.max_ts < limit) {
    drop_age_.Increment(s.queue.front().w.samples);
    pop_front(s, true);
  }
}

void Endpoint::enforce_disk_limit() {
  // Oldest segments first, never the one being written unless it alone is over.
  while (wal_.disk_bytes() > static_cast<uint64_t>(config_.max_disk_bytes)) {
    uint64_t oldest = wal_.oldest_segment();
    if (oldest == 0) break;
    uint64_t dropped = 0;
    for (auto& s : shards_) {
      while (!s->queue.empty() && !s->queue.front().in_memory &&
             s->queue.front().w.segment == oldest) {
        dropped += s->queue.front().w.samples;
        Rec r = std::move(s->queue.front());
        s->samples -= r.w.samples;
        uint64_t& a = acked_[r.w.shard];
        a = std::max(a, r.w.seq);
        s->queue.pop_front();
      }
    }
    drop_disk_bytes_.Increment(static_cast<double>(dropped));
    segment_live_.erase(oldest);
    wal_.remove_segment(oldest);
    acked_dirty_ = true;
    if (dropped > 0) {
      log::warn("remote write: queue over --remote-write.max-disk-bytes, oldest samples dropped",
                {{"url", url_}, {"samples", std::to_string(dropped)}});
    }
  }
}

void Endpoint::enforce_memory_limit() {
  while (memory_bytes_ > memory_limit_) {
    // The oldest in-memory record over all shards.
    std::deque<Rec>* queue = nullptr;
    std::deque<Rec>::iterator oldest;
    for (auto& s : shards_) {
      auto it =
          std::find_if(s->queue.begin(), s->queue.end(), [](const Rec& r) { return r.in_memory; });
      if (it != s->queue.end() && (!queue || it->w.seq < oldest->w.seq)) {
        queue = &s->queue;
        oldest = it;
      }
    }
    if (!queue) break;
    drop_disk_error_.Increment(oldest->w.samples);
    shards_[oldest->w.shard % shards_.size()]->samples -= oldest->w.samples;
    memory_bytes_ -= oldest->mem.size();
    queue->erase(oldest);
  }
}

void Endpoint::remove_done_segments() {
  for (uint64_t id : wal_.segments()) {
    if (id != wal_.current_segment() && !segment_live_.count(id)) wal_.remove_segment(id);
  }
}

void Endpoint::enqueue(const std::vector<Chunk>& chunks) {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  int64_t wall = now_ms();
  bool wrote = false;
  bool failed = false;
  for (const Chunk& c : chunks) {
    if (c.samples == 0) continue;
    Rec r;
    r.queued_at = now;
    uint64_t seq = next_seq_++;
    WalError err;
    if (!failed &&
        wal_.append(seq, c.shard, c.samples, c.min_ts, c.max_ts, c.payload, &r.w, &err)) {
      wrote = true;
      ++segment_live_[r.w.segment];
    } else {
      if (!failed) disk_error(err);
      failed = true;  // the rest of this interval goes to memory; the disk is tried again next time
      r.in_memory = true;
      r.mem = c.payload;
      r.w.seq = seq;
      r.w.shard = c.shard;
      r.w.samples = c.samples;
      r.w.min_ts = c.min_ts;
      r.w.max_ts = c.max_ts;
      r.w.size = static_cast<uint32_t>(c.payload.size());
      memory_bytes_ += r.mem.size();
    }
    highest_queued_ms_ = std::max(highest_queued_ms_, c.max_ts);
    if (lowest_queued_ms_ == 0 || c.min_ts < lowest_queued_ms_) lowest_queued_ms_ = c.min_ts;
    Shard& s = *shards_[c.shard % shards_.size()];
    s.samples += c.samples;
    s.queue.push_back(std::move(r));
  }
  if (wrote) {
    WalError err;
    if (!wal_.sync(&err)) {
      disk_error(err);
    } else if (!failed) {
      disk_ok();
    }
  }
  remove_done_segments();
  enforce_disk_limit();
  enforce_memory_limit();
  for (auto& s : shards_) drop_expired(*s, wall);
  if (acked_dirty_ && writable_) {
    WalError err;
    if (wal_.write_acked(acked_, next_seq_, &err)) acked_dirty_ = false;
  }
  update_gauges();
  cv_.notify_all();
}

void Endpoint::log_send_error(const std::string& key, const std::string& message) {
  if (key == last_send_error_) return;
  last_send_error_ = key;
  log::error("remote write: sending failed", {{"url", url_}, {"err", message}});
}

void Endpoint::run_shard(size_t index) {
  Shard& s = *shards_[index];
  HttpClient client(config_, raw_url_);
  std::string raw, compressed, payload;
  std::mt19937_64 rng(std::random_device{}() + index);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const uint64_t batch = static_cast<uint64_t>(config_.batch_samples);
  for (;;) {
    // Take a batch: the front records up to --remote-write.batch-samples.
    uint64_t last_seq = 0;
    uint64_t samples = 0;
    int64_t batch_max_ts = 0;
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (stop_) return;
        drop_expired(s, now_ms());
        if (!s.queue.empty()) {
          if (flushing_ || s.samples >= batch) break;
          auto due = s.queue.front().queued_at + config_.batch_deadline;
          if (Clock::now() >= due) break;
          cv_.wait_until(lock, due);
          continue;
        }
        cv_.wait(lock);
      }
      raw.clear();
      for (const Rec& r : s.queue) {
        if (samples > 0 && samples + r.w.samples > batch) break;
        const std::string* p = &r.mem;
        if (!r.in_memory) {
          WalError err;
          if (!wal_.read(r.w, &payload, &err)) {
            disk_error(err);
            break;
          }
          p = &payload;
        }
        raw += *p;
        samples += r.w.samples;
        last_seq = r.w.seq;
        batch_max_ts = std::max(batch_max_ts, r.w.max_ts);
      }
      if (samples == 0) {
        // The front record cannot be read back: it is lost (counted disk_error).
        drop_disk_error_.Increment(s.queue.front().w.samples);
        pop_front(s, true);
        continue;
      }
    }
    compressed.resize(snappy::MaxCompressedLength(raw.size()));
    size_t clen = 0;
    snappy::RawCompress(raw.data(), raw.size(), compressed.data(), &clen);
    compressed.resize(clen);

    // Send until acknowledged, refused for good, or stopped.
    for (int attempt = 0;; ++attempt) {
      PostResult res = client.post(compressed, stop_);
      if (res.code == 0 && stop_) return;  // aborted by stop(): stays queued, not an error
      std::string code = res.code == 0 ? "error" : std::to_string(res.code);
      f_.requests.Add({{"url", url_}, {"code", code}}).Increment();
      bytes_sent_.Increment(static_cast<double>(compressed.size()));
      bool ok = res.code >= 200 && res.code < 300;
      bool refused = res.code >= 400 && res.code < 500 && res.code != 429;
      if (ok || refused) {
        std::lock_guard lock(mu_);
        uint64_t done = 0;
        while (!s.queue.empty() && s.queue.front().w.seq <= last_seq) {
          done += s.queue.front().w.samples;
          pop_front(s, true);
        }
        if (ok) {
          sent_.Increment(static_cast<double>(done));
          highest_sent_ms_ = std::max(highest_sent_ms_, batch_max_ts);
          if (!last_send_error_.empty()) {
            log::info("remote write: sending again", {{"url", url_}});
            last_send_error_.clear();
          }
        } else {
          failed_.Increment(static_cast<double>(done));
          drop_4xx_.Increment(static_cast<double>(done));
          log::error("remote write: endpoint refused a request, its samples are dropped",
                     {{"url", url_},
                      {"code", code},
                      {"samples", std::to_string(done)},
                      {"response", res.error}});
        }
        if (acked_dirty_ && writable_) {
          WalError err;
          if (wal_.write_acked(acked_, next_seq_, &err)) acked_dirty_ = false;
        }
        update_gauges();
        cv_.notify_all();
        break;
      }
      retried_.Increment(static_cast<double>(samples));
      std::chrono::nanoseconds delay =
          res.code == 429 && res.retry_after
              ? *res.retry_after
              : backoff_delay(attempt, config_.min_backoff, config_.max_backoff, uniform(rng));
      std::unique_lock lock(mu_);
      log_send_error(code, res.code == 0 ? res.error : "HTTP " + code + ": " + res.error);
      if (stop_) return;
      cv_.wait_for(lock, delay, [&] { return stop_.load(); });
      if (stop_) return;
      // Dropped meanwhile (age or disk limit)? Then build the batch again.
      if (s.queue.empty() || s.queue.front().w.seq > last_seq) break;
      drop_expired(s, now_ms());
      if (s.queue.empty() || s.queue.front().w.seq > last_seq) break;
    }
  }
}

void Endpoint::stop(std::chrono::nanoseconds flush) {
  {
    std::unique_lock lock(mu_);
    if (stop_) return;
    flushing_ = true;
    cv_.notify_all();
    cv_.wait_for(lock, flush, [&] {
      for (auto& s : shards_) {
        if (!s->queue.empty()) return false;
      }
      return true;
    });
    stop_ = true;
    cv_.notify_all();
  }
  for (auto& s : shards_) {
    if (s->thread.joinable()) s->thread.join();
  }
  std::lock_guard lock(mu_);
  WalError err;
  wal_.sync(&err);
  if (acked_dirty_ && writable_) wal_.write_acked(acked_, next_seq_, &err);
  uint64_t left = 0, left_memory = 0;
  for (auto& s : shards_) {
    left += s->samples;
    for (const Rec& r : s->queue) left_memory += r.in_memory ? r.w.samples : 0;
  }
  if (left > 0) {
    log::info("remote write: unsent samples kept in the queue dir for the next start",
              {{"url", url_},
               {"samples", std::to_string(left - left_memory)},
               {"lost_from_memory", std::to_string(left_memory)}});
  }
}

}  // namespace vitals::remote_write
