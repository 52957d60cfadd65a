// schedstat: per-CPU scheduler statistics from /proc/schedstat (node_exporter 1.5.0 names).
#include "collectors/procfs/schedstat.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kRunning{"node_schedstat_running_seconds_total",
                        "Number of seconds CPU spent running a process.", MetricType::kCounter};
constexpr Desc kWaiting{"node_schedstat_waiting_seconds_total",
                        "Number of seconds spent by processing waiting for this CPU.",
                        MetricType::kCounter};
constexpr Desc kTimeslices{"node_schedstat_timeslices_total",
                           "Number of timeslices executed by CPU.", MetricType::kCounter};

class SchedstatCollector final : public Collector {
 public:
  explicit SchedstatCollector(const Paths& p) : path_(p.proc("schedstat")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto text = read_if_present(reader_, path_);
    if (!text) throw NoDataError(path_ + " not found: kernel without schedstats");
    auto s = procfs::parse_schedstat(*text);
    Family& run = out.add(kRunning);
    Family& wait = out.add(kWaiting);
    Family& slices = out.add(kTimeslices);
    for (const auto& c : s.cpus) {
      run.add({{"cpu", c.cpu}}, c.running_ns / 1e9);
      wait.add({{"cpu", c.cpu}}, c.waiting_ns / 1e9);
      slices.add({{"cpu", c.cpu}}, c.timeslices);
    }
    throw_if_errors(path_, s.errors);
  }

 private:
  std::string path_;
  FileReader reader_{16384};
};

}  // namespace

VITALS_COLLECTOR(SchedstatCollector, "schedstat", true,
                 "Exposes scheduler statistics from /proc/schedstat.");

}  // namespace vitals
