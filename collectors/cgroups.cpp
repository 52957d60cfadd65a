// cgroups: the /proc/cgroups summary per subsystem (node_exporter 1.5.0 names; off by default).
#include "collectors/procfs/cgroups.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

// node_exporter 1.5.0 gives both families the same help text.
constexpr Desc kCgroups{"node_cgroups_cgroups", "Current cgroup number of the subsystem.",
                        MetricType::kGauge};
constexpr Desc kEnabled{"node_cgroups_enabled", "Current cgroup number of the subsystem.",
                        MetricType::kGauge};

class CgroupsCollector final : public Collector {
 public:
  explicit CgroupsCollector(const Paths& p) : path_(p.proc("cgroups")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto c = procfs::parse_cgroups(reader_.read(path_));
    Family& num = out.add(kCgroups);
    Family& en = out.add(kEnabled);
    for (const auto& s : c.subsystems) {
      num.add({{"subsys_name", s.subsys_name}}, s.num_cgroups);
      en.add({{"subsys_name", s.subsys_name}}, s.enabled);
    }
    throw_if_errors(path_, c.errors);
  }

 private:
  std::string path_;
  FileReader reader_{2048};
};

}  // namespace

VITALS_COLLECTOR(CgroupsCollector, "cgroups", false,
                 "Exposes the cgroup summary from /proc/cgroups.");

}  // namespace vitals
