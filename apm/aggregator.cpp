#include "apm/aggregator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <random>

#include "core/prometheus_cpp.h"

namespace vitals::apm {
namespace {

std::vector<uint64_t> to_ns(const std::vector<double>& b) {
  std::vector<uint64_t> out;
  for (double s : b) out.push_back(static_cast<uint64_t>(std::llround(s * 1e9)));
  return out;
}

size_t bucket_index(const std::vector<uint64_t>& bounds, uint64_t dur_ns) {
  // Few buckets: a linear scan beats a binary search and keeps le inclusive.
  size_t i = 0;
  while (i < bounds.size() && dur_ns > bounds[i]) ++i;
  return i;
}

int64_t wall_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void append_hex(std::string& out, std::span<const uint8_t> b) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (uint8_t c : b) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
}

void put_field(std::string& k, std::string_view v) {
  uint16_t n = static_cast<uint16_t>(v.size());
  k.push_back(static_cast<char>(n & 0xFF));
  k.push_back(static_cast<char>(n >> 8));
  k.append(v);
}

std::string_view get_field(std::string_view& k) {
  uint16_t n = static_cast<uint16_t>(static_cast<uint8_t>(k[0]) | static_cast<uint8_t>(k[1]) << 8);
  std::string_view v = k.substr(2, n);
  k.remove_prefix(2 + n);
  return v;
}

}  // namespace

std::string sanitize_label_name(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      c = '_';
    }
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(0, "key_");
  return out;
}

int64_t SpanAggregator::steady_now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

size_t SpanAggregator::EdgeKeyHash::operator()(const EdgeKey& k) const {
  uint64_t a, b, c;
  std::memcpy(&a, k.b.data(), 8);
  std::memcpy(&b, k.b.data() + 8, 8);
  std::memcpy(&c, k.b.data() + 16, 8);
  uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ULL)) ^ (c * 0xC2B2AE3D27D4EB4FULL);
  return static_cast<size_t>(h ^ (h >> 29));
}

SpanAggregator::SpanAggregator(AggregatorOptions options)
    : opts_(std::move(options)),
      names_(*opts_.names),
      bound_ns_(to_ns(opts_.buckets.empty() ? std::vector<double>(names_.default_buckets.begin(),
                                                                  names_.default_buckets.end())
                                            : opts_.buckets)),
      graph_bound_ns_(to_ns(kServiceGraphBuckets)) {
  // le in the histogram's unit from the integer ns bounds: 2'000'000 ns is exactly 2 ms and the
  // double nearest 0.002 s, as the flag's text would parse.
  double ns_per_unit = std::round(1 / names_.unit_per_ns);
  for (uint64_t b : bound_ns_) le_.push_back(static_cast<double>(b) / ns_per_unit);
  for (const auto& d : opts_.dimensions) dim_labels_.push_back(sanitize_label_name(d));
  init_series(overflow_);
  overflow_.key = "overflow";
  seed_ = static_cast<uint64_t>(std::random_device{}()) << 32 ^ std::random_device{}();

  registry_ = std::make_shared<prometheus::Registry>();
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
  };
  auto counter = [&](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add({});
  };
  series_gauge_ =
      gauge("vitals_apm_series", "Live span metric label sets (the overflow series not counted).");
  gauge("vitals_apm_max_series", "Limit on span metric label sets (--apm.max-series).")
      ->Set(static_cast<double>(opts_.max_series));
  overflow_spans_ = counter("vitals_apm_overflow_spans_total",
                            "Spans counted into the otel_metric_overflow=\"true\" series because "
                            "--apm.max-series was reached.");
  expired_series_ =
      counter("vitals_apm_series_expired_total",
              "Span metric label sets dropped after --apm.series-expiry without spans.");
  pending_gauge_ = gauge("vitals_apm_service_graph_pending_edges",
                         "Client or server spans waiting for their peer span.");
  gauge("vitals_apm_service_graph_max_pending_edges",
        "Limit on waiting spans (--apm.service-graph.max-items).")
      ->Set(static_cast<double>(opts_.graph_max_items));
  graph_expired_ =
      counter("vitals_apm_service_graph_expired_edges_total",
              "Client or server spans whose peer did not arrive within --apm.service-graph.wait.");
  graph_dropped_ = counter("vitals_apm_service_graph_dropped_spans_total",
                           "Client or server spans not paired because the service graph was full.");
  metrics_ = std::make_shared<CallbackCollectable>([this] {
    {
      std::lock_guard lk(mu_);
      series_gauge_->Set(static_cast<double>(live_));
      pending_gauge_->Set(static_cast<double>(pending_.size()));
    }
    return registry_->Collect();
  });
}

void SpanAggregator::init_series(Series& s) const {
  s.count = 0;
  s.sum = 0;
  s.cells.assign(bound_ns_.size() + 1, Series::Cell{});
  s.created_ms = wall_ms();
  s.schema = static_cast<int8_t>(opts_.native_schema);
  s.zero_count = 0;
  s.native.clear();
  s.native.shrink_to_fit();
}

void SpanAggregator::build_key(const SpanRecord& s) {
  key_.clear();
  key_.push_back(static_cast<char>(s.kind));
  key_.push_back(static_cast<char>(s.status));
  put_field(key_, s.service);
  put_field(key_, s.name);
  for (size_t i = 0; i < dim_labels_.size(); ++i) put_field(key_, s.dims[i]);
}

SpanAggregator::Series& SpanAggregator::new_series(std::string_view key, uint64_t hash,
                                                   int64_t now_ns) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(series_.size());
    series_.emplace_back();
  }
  Series& s = series_[slot];
  s.key.assign(key);
  s.live = true;
  s.last_seen = now_ns;
  init_series(s);
  s.hash = hash;
  index_.insert(hash, slot, [this](uint32_t i) { return series_[i].hash; });
  ++live_;
  return s;
}

void SpanAggregator::observe(Series& s, const SpanRecord& r, int64_t now_ns) {
  uint64_t dur = r.end_ns - r.start_ns;
  size_t i = bucket_index(bound_ns_, dur);
  double v = static_cast<double>(dur) * names_.unit_per_ns;
  s.cells[i].count++;
  s.count++;
  s.sum += v;
  s.last_seen = now_ns;
  Exemplar& e = s.cells[i].exemplar;
  e.trace_id = r.trace_id;
  e.span_id = r.span_id;
  e.value = v;
  e.time_ns = r.end_ns;
  e.set = true;
  if (opts_.native_histograms) observe_native(s, v);
}

void SpanAggregator::observe_native(Series& s, double value) const {
  if (value <= opts_.native_zero_threshold) {
    s.zero_count++;
    return;
  }
  int32_t idx = native_bucket_index(value, s.schema);
  auto it = std::lower_bound(s.native.begin(), s.native.end(), idx,
                             [](const NativeBucket& b, int32_t i) { return b.index < i; });
  if (it != s.native.end() && it->index == idx) {
    it->count++;
    return;
  }
  s.native.insert(it, NativeBucket{idx, 1});
  // Too many buckets: halve the resolution (merge bucket pairs) until they fit.
  while (s.native.size() > opts_.native_max_buckets && s.schema > kNativeMinSchema) {
    s.schema--;
    size_t out = 0;
    for (size_t i = 0; i < s.native.size(); ++i) {
      int32_t j = native_coarser_index(s.native[i].index);
      if (out > 0 && s.native[out - 1].index == j) {
        s.native[out - 1].count += s.native[i].count;
      } else {
        s.native[out++] = {j, s.native[i].count};
      }
    }
    s.native.resize(out);
  }
}

void SpanAggregator::consume(std::span<const SpanRecord> spans) {
  consume_at(spans, steady_now_ns());
}

void SpanAggregator::consume_at(std::span<const SpanRecord> spans, int64_t now_ns) {
  std::lock_guard lk(mu_);
  if (now_ns >= next_sweep_) sweep(now_ns);
  for (const SpanRecord& r : spans) {
    build_key(r);
    uint64_t h = hash_bytes(key_, seed_);
    uint32_t slot =
        index_.find(key_, h, [this](uint32_t i) -> std::string_view { return series_[i].key; });
    Series* s;
    if (slot != FlatIndex::kNone) {
      s = &series_[slot];
    } else if (live_ < opts_.max_series) {
      s = &new_series(key_, h, now_ns);
    } else {
      s = &overflow_;
      overflow_spans_->Increment();
    }
    observe(*s, r, now_ns);
    if (r.kind == kKindClient || r.kind == kKindServer) graph_observe(r, now_ns);
  }
}

void SpanAggregator::sweep(int64_t now_ns) {
  int64_t expiry = opts_.series_expiry.count();
  for (uint32_t i = 0; i < series_.size(); ++i) {
    Series& s = series_[i];
    if (s.live && now_ns - s.last_seen > expiry) {
      index_.erase(s.hash, i, [this](uint32_t j) { return series_[j].hash; });
      s.live = false;
      std::string().swap(s.key);
      free_.push_back(i);
      --live_;
      expired_series_->Increment();
    }
  }
  if (overflow_.count > 0 && now_ns - overflow_.last_seen > expiry) init_series(overflow_);
  graph_sweep(now_ns);
  // Sweeping costs a pass over the series: do it at most every expiry/8 (and at least every 10 s).
  next_sweep_ = now_ns + std::min<int64_t>(std::max<int64_t>(expiry / 8, 1), 10'000'000'000);
}

bool SpanAggregator::intern(std::string_view svc, uint32_t* id) {
  // Spans of one request nearly always share a service.
  if (last_service_ != FlatIndex::kNone && service_names_[last_service_] == svc) {
    *id = last_service_;
    return true;
  }
  auto it = services_.find(svc);
  if (it != services_.end()) last_service_ = it->second;
  if (it != services_.end()) {
    *id = it->second;
    return true;
  }
  if (service_names_.size() >= opts_.max_series) return false;
  *id = static_cast<uint32_t>(service_names_.size());
  service_names_.emplace_back(svc);
  services_.emplace(std::string(svc), *id);
  return true;
}

void SpanAggregator::graph_observe(const SpanRecord& r, int64_t now_ns) {
  EdgeKey k;
  std::memcpy(k.b.data(), r.trace_id.data(), 16);
  bool client = r.kind == kKindClient;
  if (client) {
    std::memcpy(k.b.data() + 16, r.span_id.data(), 8);
  } else {
    if (!r.has_parent) return;  // a root server span has no client to pair with
    std::memcpy(k.b.data() + 16, r.parent_span_id.data(), 8);
  }
  uint32_t svc;
  PendingEdge* pe = pending_.find(k);
  if (!pe) {
    if (pending_.size() >= opts_.graph_max_items || !intern(r.service, &svc)) {
      graph_dropped_->Increment();
      return;
    }
    PendingEdge e;
    e.expires_at = now_ns + opts_.graph_wait.count();
    pe = pending_.emplace(k, e);
    pending_order_.emplace_back(e.expires_at, k);
  } else if (!intern(r.service, &svc)) {
    graph_dropped_->Increment();
    return;
  }
  PendingEdge& e = *pe;
  uint64_t dur = r.end_ns - r.start_ns;
  if (client) {
    e.have_client = true;
    e.client_svc = svc;
    e.client_dur_ns = dur;
  } else {
    e.have_server = true;
    e.server_svc = svc;
    e.server_dur_ns = dur;
  }
  if (r.status == kStatusError) e.failed = true;
  if (e.have_client && e.have_server) {
    record_edge(e);
    pending_.erase(k);
  }
}

void SpanAggregator::record_edge(const PendingEdge& e) {
  uint64_t key = static_cast<uint64_t>(e.client_svc) << 32 | e.server_svc;
  auto it = edges_.find(key);
  if (it == edges_.end()) {
    if (edges_.size() >= opts_.max_series) {
      graph_dropped_->Increment(2);
      return;
    }
    EdgeStats st;
    st.client.assign(graph_bound_ns_.size() + 1, 0);
    st.server.assign(graph_bound_ns_.size() + 1, 0);
    it = edges_.emplace(key, std::move(st)).first;
  }
  EdgeStats& st = it->second;
  st.total++;
  if (e.failed) st.failed++;
  st.client[bucket_index(graph_bound_ns_, e.client_dur_ns)]++;
  st.server[bucket_index(graph_bound_ns_, e.server_dur_ns)]++;
  st.client_sum += static_cast<double>(e.client_dur_ns) * 1e-9;
  st.server_sum += static_cast<double>(e.server_dur_ns) * 1e-9;
}

void SpanAggregator::graph_sweep(int64_t now_ns) {
  while (!pending_order_.empty() && pending_order_.front().first <= now_ns) {
    const EdgeKey& k = pending_order_.front().second;
    PendingEdge* pe = pending_.find(k);
    if (pe && pe->expires_at == pending_order_.front().first) {
      pending_.erase(k);
      graph_expired_->Increment();
    }
    pending_order_.pop_front();
  }
  // Entries paired before they expired leave stale order records; keep the deque bounded.
  if (pending_order_.size() > 2 * opts_.graph_max_items + 1024) {
    std::deque<std::pair<int64_t, EdgeKey>> keep;
    for (const auto& [t, k] : pending_order_) {
      PendingEdge* pe = pending_.find(k);
      if (pe && pe->expires_at == t) keep.emplace_back(t, k);
    }
    pending_order_.swap(keep);
  }
}

void SpanAggregator::series_labels(const Series& s,
                                   std::vector<std::pair<std::string, std::string>>& out) const {
  out.clear();
  if (&s == &overflow_) {
    out.emplace_back("otel_metric_overflow", "true");
    return;
  }
  std::string_view k = s.key;
  uint8_t kind = static_cast<uint8_t>(k[0]);
  uint8_t status = static_cast<uint8_t>(k[1]);
  k.remove_prefix(2);
  out.emplace_back(names_.service_label, get_field(k));
  out.emplace_back(names_.span_name_label, get_field(k));
  out.emplace_back(names_.span_kind_label, span_kind_label(kind));
  out.emplace_back(names_.status_code_label, status_code_label(status));
  for (const auto& d : dim_labels_) {
    std::string_view v = get_field(k);
    if (!v.empty()) out.emplace_back(d, v);
  }
}

void SpanAggregator::visit(const std::function<void(const SeriesView&)>& fn) const {
  std::lock_guard lk(mu_);
  SeriesView v;
  std::vector<uint64_t> counts;
  std::vector<Exemplar> exemplars;
  auto one = [&](const Series& s) {
    series_labels(s, v.labels);
    counts.clear();
    exemplars.clear();
    for (const auto& c : s.cells) {
      counts.push_back(c.count);
      exemplars.push_back(c.exemplar);
    }
    v.bucket_counts = counts;
    v.exemplars = exemplars;
    v.count = s.count;
    v.sum = s.sum;
    v.created_ms = s.created_ms;
    v.native_schema = s.schema;
    v.zero_count = s.zero_count;
    v.native = s.native;
    fn(v);
  };
  for (const Series& s : series_) {
    if (s.live) one(s);
  }
  if (overflow_.count > 0) one(overflow_);
}

size_t SpanAggregator::series_count() const {
  std::lock_guard lk(mu_);
  return live_;
}

size_t SpanAggregator::histogram_bytes(size_t* classic, size_t* native) const {
  std::lock_guard lk(mu_);
  *classic = 0;
  *native = 0;
  for (const Series& s : series_) {
    if (!s.live) continue;
    *classic += s.cells.capacity() * sizeof(Series::Cell);
    *native += s.native.capacity() * sizeof(NativeBucket);
  }
  return *classic + *native;
}

size_t SpanAggregator::pending_edges() const {
  std::lock_guard lk(mu_);
  return pending_.size();
}

void SpanAggregator::produce(MetricSet& out) {
  produce_at(out, steady_now_ns());
}

void SpanAggregator::produce_at(MetricSet& out, int64_t now_ns) {
  std::lock_guard lk(mu_);
  sweep(now_ns);
  Family& calls = out.add(names_.calls);
  Family& dur = out.add(names_.duration);
  if (!names_.duration_unit.empty()) dur.set_unit(names_.duration_unit);
  std::vector<std::pair<std::string, std::string>> lv;
  std::vector<Label> labels;
  std::vector<Bucket> buckets(bound_ns_.size());
  std::string hex;
  hex.reserve(48);
  // trace_id and span_id of an exemplar as lowercase hex, as OpenTelemetry spells them.
  auto ex_labels = [&](const Exemplar& e) {
    hex.clear();
    append_hex(hex, e.trace_id);
    append_hex(hex, e.span_id);
    return std::array<Label, 2>{Label{"trace_id", std::string_view(hex).substr(0, 32)},
                                Label{"span_id", std::string_view(hex).substr(32)}};
  };
  auto emit = [&](const Series& s) {
    series_labels(s, lv);
    labels.clear();
    for (const auto& [n, v] : lv) labels.push_back({n, v});
    Sample& c = calls.add(labels, static_cast<double>(s.count));
    c.created_ms = s.created_ms;
    const Exemplar* latest = nullptr;
    for (const auto& cell : s.cells) {
      if (cell.exemplar.set && (!latest || cell.exemplar.time_ns > latest->time_ns)) {
        latest = &cell.exemplar;
      }
    }
    if (latest) {
      // A counter's exemplar carries the increment it stands for: one span.
      calls.add_exemplar(c, 0, ex_labels(*latest), 1,
                         static_cast<int64_t>(latest->time_ns / 1000000));
    }
    uint64_t cum = 0;
    for (size_t i = 0; i < bound_ns_.size(); ++i) {
      cum += s.cells[i].count;
      buckets[i] = {le_[i], static_cast<double>(cum)};
    }
    Sample& h = dur.add_histogram(labels, buckets, s.sum, static_cast<double>(s.count));
    h.created_ms = s.created_ms;
    for (size_t i = 0; i < s.cells.size(); ++i) {
      const Exemplar& e = s.cells[i].exemplar;
      if (!e.set) continue;
      dur.add_exemplar(h, static_cast<uint32_t>(i), ex_labels(e), e.value,
                       static_cast<int64_t>(e.time_ns / 1000000));
    }
    if (opts_.native_histograms) {
      dur.set_native(h, s.schema, opts_.native_zero_threshold, s.zero_count, s.native, {});
    }
  };
  for (const Series& s : series_) {
    if (s.live) emit(s);
  }
  if (overflow_.count > 0) emit(overflow_);

  Family& gt = out.add(names_.graph_total);
  Family& gf = out.add(names_.graph_failed);
  Family& gc = out.add(names_.graph_client);
  Family& gs = out.add(names_.graph_server);
  std::vector<Bucket> gb(graph_bound_ns_.size());
  auto hist = [&](Family& f, std::span<const Label> l, const std::vector<uint64_t>& counts,
                  double sum, uint64_t total) {
    uint64_t cum = 0;
    for (size_t i = 0; i < graph_bound_ns_.size(); ++i) {
      cum += counts[i];
      gb[i] = {kServiceGraphBuckets[i], static_cast<double>(cum)};
    }
    f.add_histogram(l, gb, sum, static_cast<double>(total));
  };
  for (const auto& [key, st] : edges_) {
    std::array<Label, 2> l{Label{names_.client_label, service_names_[key >> 32]},
                           Label{names_.server_label, service_names_[key & 0xFFFFFFFF]}};
    gt.add(l, static_cast<double>(st.total));
    gf.add(l, static_cast<double>(st.failed));
    hist(gc, l, st.client, st.client_sum, st.total);
    hist(gs, l, st.server, st.server_sum, st.total);
  }
}

}  // namespace vitals::apm
