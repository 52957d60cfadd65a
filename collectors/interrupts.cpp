// interrupts: node_interrupts_total per interrupt and CPU from /proc/interrupts (node_exporter
// 1.5.0 names; off by default).
#include "collectors/procfs/interrupts.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kTotal{"node_interrupts_total", "Interrupt details.", MetricType::kCounter};

class InterruptsCollector final : public Collector {
 public:
  explicit InterruptsCollector(const Paths& p) : path_(p.proc("interrupts")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto in = procfs::parse_interrupts(reader_.read(path_));
    while (static_cast<int>(cpu_labels_.size()) < in.cpus) {
      cpu_labels_.push_back(std::to_string(cpu_labels_.size()));
    }
    Family& f = out.add(kTotal);
    for (const auto& l : in.lines) {
      for (size_t c = 0; c < l.counts.size(); ++c) {
        f.add({{"cpu", cpu_labels_[c]}, {"type", l.type}, {"info", l.info}, {"devices", l.devices}},
              l.counts[c]);
      }
    }
    throw_if_errors(path_, in.errors);
  }

 private:
  std::string path_;
  std::vector<std::string> cpu_labels_;
  FileReader reader_{16384};
};

}  // namespace

VITALS_COLLECTOR(InterruptsCollector, "interrupts", false,
                 "Exposes detailed interrupts statistics.");

}  // namespace vitals
