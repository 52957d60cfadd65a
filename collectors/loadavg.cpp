// loadavg: node_load1, node_load5, node_load15 from /proc/loadavg (node_exporter 1.5.0 names).
#include "collectors/procfs/loadavg.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kLoad1{"node_load1", "1m load average.", MetricType::kGauge};
constexpr Desc kLoad5{"node_load5", "5m load average.", MetricType::kGauge};
constexpr Desc kLoad15{"node_load15", "15m load average.", MetricType::kGauge};

class LoadavgCollector final : public Collector {
 public:
  explicit LoadavgCollector(const Paths& p) : path_(p.proc("loadavg")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    std::string err;
    auto la = procfs::parse_loadavg(reader_.read(path_), &err);
    if (!la) throw CollectError(path_ + ": " + err);
    out.add(kLoad1).add(la->load1);
    out.add(kLoad5).add(la->load5);
    out.add(kLoad15).add(la->load15);
  }

 private:
  std::string path_;
  FileReader reader_{256};
};

}  // namespace

VITALS_COLLECTOR(LoadavgCollector, "loadavg", true, "Exposes load average.");

}  // namespace vitals
