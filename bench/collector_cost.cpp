// CPU time of each collector's collect() in-process, without HTTP or threads: the number to
// look at when making one collector cheaper. Takes vitals' own flags (so the collector set and
// paths are the agent's), runs every enabled collector PASSES times on this thread and prints
// CPU microseconds per call, sorted, with the total.
//   collector_cost [--passes N] [vitals flags...]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/fs.h"
#include "core/scraper.h"

namespace {

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int passes = 500;
  std::vector<const char*> args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--passes") == 0 && i + 1 < argc) {
      passes = std::atoi(argv[++i]);
    } else {
      args.push_back(argv[i]);
    }
  }
  vitals::ConfigResult cfg = vitals::parse_config(static_cast<int>(args.size()), args.data());
  if (cfg.action != vitals::ConfigResult::kRun) {
    std::fprintf(stderr, "%s\n", cfg.text.c_str());
    return 2;
  }
  vitals::FileReader::set_keep_open_limit(cfg.config.collector_keep_open_files);  // as the agent
  std::string error;
  auto set = vitals::build_collector_set(cfg.config, nullptr, &error);
  if (!set) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 2;
  }
  struct Row {
    std::string name;
    double us;
    double cold_us;  // in the in-turn passes
    size_t series;
    bool ok;
  };
  std::vector<Row> rows;
  double total = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
  for (const auto& slot : set->slots) {
    vitals::CollectContext ctx{set->paths, deadline};
    vitals::MetricSet out;
    bool ok = true;
    size_t series = 0;
    auto run = [&] {
      out.recycle();
      try {
        slot->collector->collect(ctx, out);
      } catch (const std::exception&) {
        ok = false;
      }
    };
    run();  // warm: first-pass caches, buffers
    double t0 = thread_cpu_seconds();
    for (int p = 0; p < passes; ++p) run();
    double us = (thread_cpu_seconds() - t0) / passes * 1e6;
    for (const auto& f : out.families()) series += f.size();
    rows.push_back({slot->name, us, 0, series, ok});
    total += us;
  }
  // The same collectors in turn, as a scrape runs them: each one's code and data have gone
  // cold since its last run, so this total is the more realistic one. Each keeps its own
  // recycled output, as the scraper's slots do.
  std::vector<vitals::MetricSet> outs(set->slots.size());
  std::vector<double> cold(set->slots.size());
  double t0 = thread_cpu_seconds();
  for (int p = 0; p < passes; ++p) {
    for (size_t i = 0; i < set->slots.size(); ++i) {
      double c0 = thread_cpu_seconds();
      vitals::CollectContext ctx{set->paths, deadline};
      vitals::MetricSet& out = outs[i];
      out.recycle();
      try {
        set->slots[i]->collector->collect(ctx, out);
      } catch (const std::exception&) {
      }
      cold[i] += thread_cpu_seconds() - c0;
    }
  }
  const double in_turn = (thread_cpu_seconds() - t0) / passes * 1e6;
  for (size_t i = 0; i < rows.size(); ++i) rows[i].cold_us = cold[i] / passes * 1e6;
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.us > b.us; });
  std::printf("%-18s %10s %10s %8s\n", "collector", "CPU us", "in turn", "series");
  for (const auto& r : rows) {
    std::printf("%-18s %10.1f %10.1f %8zu%s\n", r.name.c_str(), r.us, r.cold_us, r.series,
                r.ok ? "" : "  (failed)");
  }
  std::printf("%-18s %10.1f\n", "total", total);
  std::printf("%-18s %10.1f  (all collectors in turn, per pass)\n", "in turn", in_turn);
  return 0;
}
