// softnet: per-CPU packet processing statistics from /proc/net/softnet_stat (node_exporter 1.5.0
// names).
#include "collectors/procfs/netmisc.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kProcessed{"node_softnet_processed_total", "Number of processed packets",
                          MetricType::kCounter};
constexpr Desc kDropped{"node_softnet_dropped_total", "Number of dropped packets",
                        MetricType::kCounter};
constexpr Desc kSqueezed{"node_softnet_times_squeezed_total",
                         "Number of times processing packets ran out of quota",
                         MetricType::kCounter};

class SoftnetCollector final : public Collector {
 public:
  explicit SoftnetCollector(const Paths& p) : path_(p.proc("net/softnet_stat")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto s = procfs::parse_softnet(reader_.read(path_));
    while (cpu_labels_.size() < s.cpus.size()) {
      cpu_labels_.push_back(std::to_string(cpu_labels_.size()));
    }
    Family& processed = out.add(kProcessed);
    Family& dropped = out.add(kDropped);
    Family& squeezed = out.add(kSqueezed);
    for (size_t i = 0; i < s.cpus.size(); ++i) {
      const auto& c = s.cpus[i];
      processed.add({{"cpu", cpu_labels_[i]}}, c.processed);
      dropped.add({{"cpu", cpu_labels_[i]}}, c.dropped);
      squeezed.add({{"cpu", cpu_labels_[i]}}, c.time_squeezed);
    }
    throw_if_errors(path_, s.errors);
  }

 private:
  std::string path_;
  std::vector<std::string> cpu_labels_;
  FileReader reader_{4096};
};

}  // namespace

VITALS_COLLECTOR(SoftnetCollector, "softnet", true,
                 "Exposes statistics from /proc/net/softnet_stat.");

}  // namespace vitals
