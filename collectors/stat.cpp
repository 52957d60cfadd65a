// stat: interrupts, context switches, forks, boot time, process counts and (with
// --collector.stat.softirq) softirqs from /proc/stat (node_exporter 1.5.0 names).
#include "collectors/procfs/stat.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kIntr{"node_intr_total", "Total number of interrupts serviced.",
                     MetricType::kCounter};
constexpr Desc kCtxt{"node_context_switches_total", "Total number of context switches.",
                     MetricType::kCounter};
constexpr Desc kForks{"node_forks_total", "Total number of forks.", MetricType::kCounter};
constexpr Desc kBtime{"node_boot_time_seconds", "Node boot time, in unixtime.", MetricType::kGauge};
constexpr Desc kRunning{"node_procs_running", "Number of processes in runnable state.",
                        MetricType::kGauge};
constexpr Desc kBlocked{"node_procs_blocked",
                        "Number of processes blocked waiting for I/O to complete.",
                        MetricType::kGauge};
constexpr Desc kSoftirqs{"node_softirqs_total", "Number of softirq calls.", MetricType::kCounter};

class StatCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  StatCollector(const Paths& p, bool softirq) : path_(p.proc("stat")), softirq_(softirq) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto s = procfs::parse_stat(reader_.read(path_));
    auto emit = [&](const Desc& d, const std::optional<double>& v) {
      if (v) out.add(d).add(*v);
    };
    emit(kIntr, s.intr_total);
    emit(kCtxt, s.context_switches);
    emit(kForks, s.forks);
    emit(kBtime, s.boot_time);
    emit(kRunning, s.procs_running);
    emit(kBlocked, s.procs_blocked);
    if (softirq_ && !s.softirqs.empty()) {
      Family& f = out.add(kSoftirqs);
      for (size_t i = 0; i < s.softirqs.size() && i < procfs::kSoftirqVectors.size(); ++i) {
        f.add({{"vector", procfs::kSoftirqVectors[i]}}, s.softirqs[i]);
      }
      f.sort_samples();
    }
    throw_if_errors(path_, s.errors);
  }

 private:
  std::string path_;
  bool softirq_;
  FileReader reader_{16384};
};

std::unique_ptr<Collector> StatCollector::create(const CollectorOptions& o, const Paths& p) {
  return std::make_unique<StatCollector>(p, o.boolean("softirq"));
}

}  // namespace

VITALS_COLLECTOR(StatCollector, "stat", true, "Exposes various statistics from /proc/stat.",
                 {{"softirq", OptionKind::kBool, "false", "Export softirq calls per vector."}});

}  // namespace vitals
