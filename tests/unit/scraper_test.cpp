// The scraper's deadline, its guard against piling up hung work, and shared collections.
#include "core/scraper.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "exporter/gzip.h"
#include "exporter/web.h"
#include "http/query.h"

namespace vitals {
namespace {

// A collector that blocks until released.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;
};

class BlockingCollector : public Collector {
 public:
  explicit BlockingCollector(Gate* g) : g_(g) {}
  void collect(const CollectContext&, MetricSet& out) override {
    std::unique_lock<std::mutex> lk(g_->mu);
    ++g_->entered;
    g_->cv.notify_all();
    g_->cv.wait(lk, [&] { return g_->open; });
    out.add("blocking_value", "h", MetricType::kGauge).add(1);
  }
  Gate* g_;
};

class ValueCollector : public Collector {
 public:
  void collect(const CollectContext&, MetricSet& out) override {
    out.add("fast_value", "h", MetricType::kGauge).add(42);
  }
};

class ThrowingCollector : public Collector {
 public:
  void collect(const CollectContext&, MetricSet& out) override {
    out.add("partial_value", "h", MetricType::kGauge).add(7);
    throw CollectError("/proc/x: line 3: bad");
  }
};

std::shared_ptr<CollectorSet> make_set(Gate* g) {
  auto set = std::make_shared<CollectorSet>();
  auto add = [&](std::string name, std::unique_ptr<Collector> c) {
    auto s = std::make_shared<CollectorSlot>();
    s->name = std::move(name);
    s->collector = std::move(c);
    set->slots.push_back(s);
  };
  add("blocking", std::make_unique<BlockingCollector>(g));
  add("fast", std::make_unique<ValueCollector>());
  add("throwing", std::make_unique<ThrowingCollector>());
  return set;
}

const CollectorResult* result(const Snapshot& s, const std::string& name) {
  for (const auto& r : s.results) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

TEST(Scraper, HungCollectorFailsAloneAndIsNotStartedTwice) {
  Gate gate;
  WorkerPool pool(2, 8);
  Scraper scraper(pool);
  scraper.set_collectors(make_set(&gate));

  auto s1 = scraper.scrape({}, std::chrono::milliseconds(100));
  ASSERT_EQ(s1->results.size(), 3u);
  EXPECT_FALSE(result(*s1, "blocking")->success);
  EXPECT_NE(result(*s1, "blocking")->error.find("deadline"), std::string::npos);
  EXPECT_TRUE(result(*s1, "fast")->success);
  EXPECT_FALSE(result(*s1, "throwing")->success);
  EXPECT_EQ(result(*s1, "throwing")->error, "/proc/x: line 3: bad");
  // The fast and the throwing collector's outputs are there (the partial value too).
  EXPECT_EQ(s1->outputs.size(), 2u);

  for (int i = 0; i < 5; ++i) {
    auto s = scraper.scrape({}, std::chrono::milliseconds(50));
    EXPECT_FALSE(result(*s, "blocking")->success);
    EXPECT_NE(result(*s, "blocking")->error.find("still running"), std::string::npos);
    EXPECT_TRUE(result(*s, "fast")->success);
  }
  {
    std::lock_guard<std::mutex> lk(gate.mu);
    EXPECT_EQ(gate.entered, 1);  // never started a second time while hung
  }
  auto st = pool.stats();
  EXPECT_LE(st.threads, 3);  // two workers plus at most one for the stuck thread
  EXPECT_EQ(st.stuck, 1);

  {
    std::lock_guard<std::mutex> lk(gate.mu);
    gate.open = true;
  }
  gate.cv.notify_all();
  // Once released, it recovers.
  // The released thread has to finish its run before the collector may start again: poll
  // with a deadline (a fixed count of tries ran out on a loaded CI machine).
  std::shared_ptr<const Snapshot> ok;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    ok = scraper.scrape({"blocking"}, std::chrono::seconds(5));
    if (result(*ok, "blocking")->success || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(result(*ok, "blocking")->success);
  EXPECT_EQ(ok->results.size(), 1u);
}

TEST(Scraper, ConcurrentScrapesShareOneCollection) {
  Gate gate;
  WorkerPool pool(2, 8);
  Scraper scraper(pool);
  scraper.set_collectors(make_set(&gate));
  std::shared_ptr<const Snapshot> a, b;
  std::thread t1([&] { a = scraper.scrape({"blocking"}, std::chrono::seconds(10)); });
  {
    std::unique_lock<std::mutex> lk(gate.mu);
    gate.cv.wait(lk, [&] { return gate.entered == 1; });
  }
  // The first collection is in flight; a second scrape of the same set joins it.
  std::thread t2([&] { b = scraper.scrape({"blocking"}, std::chrono::seconds(10)); });
  while (scraper.shared_collections() == 0) std::this_thread::yield();
  {
    std::lock_guard<std::mutex> lk(gate.mu);
    gate.open = true;
  }
  gate.cv.notify_all();
  t1.join();
  t2.join();
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(scraper.collections(), 1u);
  EXPECT_EQ(gate.entered, 1);
  EXPECT_TRUE(result(*a, "blocking")->success);
}

// Denies `n` items per run (set between scrapes), and throws when asked: a denied item is not a
// failure, and a failed run still reports what it was denied.
class DenyingCollector : public Collector {
 public:
  explicit DenyingCollector(const uint64_t* n, const bool* fail) : n_(n), fail_(fail) {}
  void collect(const CollectContext& ctx, MetricSet& out) override {
    out.add("seen", "h", MetricType::kGauge).add(1);
    ctx.permission_denied("/proc/1/io", *n_);
    if (*fail_) throw CollectError("bad");
  }
  const uint64_t* n_;
  const bool* fail_;
};

double permission_denied(const Scraper& scraper, const std::string& collector) {
  MetricSet out;
  scraper.metrics()->produce(out);
  for (const Family& f : out.families()) {
    if (f.name() != "vitals_collector_permission_denied") continue;
    for (const Sample& s : f.samples()) {
      std::string_view v;
      if (s.label_count == 1 && f.find_label(s, "collector", &v) && v == collector) return s.value;
    }
  }
  return -1;
}

TEST(Scraper, PermissionDeniedGaugePerCollector) {
  uint64_t n = 0;
  bool fail = false;
  WorkerPool pool(2, 8);
  Scraper scraper(pool);
  auto set = std::make_shared<CollectorSet>();
  for (const char* name : {"denying", "fast"}) {
    auto slot = std::make_shared<CollectorSlot>();
    slot->name = name;
    if (slot->name == "denying") {
      slot->collector = std::make_unique<DenyingCollector>(&n, &fail);
    } else {
      slot->collector = std::make_unique<ValueCollector>();
    }
    set->slots.push_back(slot);
  }
  scraper.set_collectors(set);
  // Every enabled collector has a series, 0 before its first run.
  EXPECT_EQ(permission_denied(scraper, "denying"), 0);
  EXPECT_EQ(permission_denied(scraper, "fast"), 0);

  n = 3;
  auto s = scraper.scrape({}, std::chrono::seconds(10));
  EXPECT_TRUE(result(*s, "denying")->success);  // denied items are not a failure
  EXPECT_EQ(permission_denied(scraper, "denying"), 3);
  EXPECT_EQ(permission_denied(scraper, "fast"), 0);

  n = 5;
  fail = true;
  s = scraper.scrape({}, std::chrono::seconds(10));
  EXPECT_FALSE(result(*s, "denying")->success);
  EXPECT_EQ(permission_denied(scraper, "denying"), 5);  // the last run's count, not a sum

  n = 0;
  fail = false;
  scraper.scrape({}, std::chrono::seconds(10));
  EXPECT_EQ(permission_denied(scraper, "denying"), 0);
}

TEST(PermissionDenied, CountsAndKeepsTheFirst) {
  PermissionDenied d;
  d.add("/proc/7/io");
  d.add("/proc/8/io", 0);
  d.add("/proc/9/fd", 4);
  EXPECT_EQ(d.items, 5u);
  EXPECT_EQ(d.first, "/proc/7/io");
  Paths paths;
  CollectContext none{paths, {}};
  none.permission_denied("/x");  // no counter outside a scrape: a no-op
}

TEST(Gzip, AcceptEncoding) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, gzip"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip(""));
}

TEST(Query, DecodesCollectParameters) {
  auto q = parse_query("collect%5B%5D=cpu&collect[]=meminfo&x=a+b&flag");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].first, "collect[]");
  EXPECT_EQ(q[0].second, "cpu");
  EXPECT_EQ(q[1].second, "meminfo");
  EXPECT_EQ(q[2].second, "a b");
  EXPECT_EQ(q[3].first, "flag");
}

}  // namespace
}  // namespace vitals
