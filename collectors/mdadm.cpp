// mdadm: node_md_* from /proc/mdstat (node_exporter 1.5.0 names).
#include <cstring>

#include "collectors/procfs/mdstat.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kState{"node_md_state", "Indicates the state of md-device.", MetricType::kGauge};
constexpr Desc kDisks{"node_md_disks", "Number of active/failed/spare disks of device.",
                      MetricType::kGauge};
constexpr Desc kRequired{"node_md_disks_required", "Total number of disks of device.",
                         MetricType::kGauge};
constexpr Desc kBlocks{"node_md_blocks", "Total number of blocks on device.", MetricType::kGauge};
constexpr Desc kSynced{"node_md_blocks_synced", "Number of blocks synced on device.",
                       MetricType::kGauge};

class MdadmCollector final : public Collector {
 public:
  explicit MdadmCollector(const Paths& p) : path_(p.proc("mdstat")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto file = read_if_present(reader_, path_);
    if (!file) throw NoDataError(path_ + " not found: md driver not loaded");
    std::string_view text = *file;
    auto m = procfs::parse_mdstat(text);
    Family& state = out.add(kState);
    Family& disks = out.add(kDisks);
    Family& required = out.add(kRequired);
    Family& blocks = out.add(kBlocks);
    Family& synced = out.add(kSynced);
    for (const auto& d : m.devices) {
      const std::string& s = d.activity_state;
      required.add({{"device", d.name}}, static_cast<double>(d.disks_total));
      disks.add({{"device", d.name}, {"state", "active"}}, static_cast<double>(d.disks_active));
      disks.add({{"device", d.name}, {"state", "failed"}}, static_cast<double>(d.disks_failed));
      disks.add({{"device", d.name}, {"state", "spare"}}, static_cast<double>(d.disks_spare));
      state.add({{"device", d.name}, {"state", "active"}}, s == "active" ? 1 : 0);
      state.add({{"device", d.name}, {"state", "inactive"}}, s == "inactive" ? 1 : 0);
      state.add({{"device", d.name}, {"state", "recovering"}}, s == "recovering" ? 1 : 0);
      state.add({{"device", d.name}, {"state", "resync"}}, s == "resyncing" ? 1 : 0);
      state.add({{"device", d.name}, {"state", "check"}}, s == "checking" ? 1 : 0);
      blocks.add({{"device", d.name}}, static_cast<double>(d.blocks_total));
      synced.add({{"device", d.name}}, static_cast<double>(d.blocks_synced));
    }
    throw_if_errors(path_, m.errors);
  }

 private:
  std::string path_;
  FileReader reader_{4096};
};

}  // namespace

VITALS_COLLECTOR(
    MdadmCollector, "mdadm", true,
    "Exposes statistics about devices in /proc/mdstat (does nothing if no /proc/mdstat present).");

}  // namespace vitals
