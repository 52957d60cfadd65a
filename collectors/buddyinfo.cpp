// buddyinfo: node_buddyinfo_blocks per node, zone and order from /proc/buddyinfo
// (node_exporter 1.5.0 names).
#include <string>

#include "collectors/procfs/buddyinfo.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kBlocks{"node_buddyinfo_blocks", "Count of free blocks according to size.",
                       MetricType::kGauge};

class BuddyinfoCollector final : public Collector {
 public:
  explicit BuddyinfoCollector(const Paths& p) : path_(p.proc("buddyinfo")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    procfs::parse_buddyinfo(reader_.read(path_), info_);
    Family& f = out.add(kBlocks);
    for (const auto& z : info_.zones) {
      for (size_t i = 0; i < z.sizes.size(); ++i) {
        if (i >= size_names_.size()) size_names_.push_back(std::to_string(i));
        f.add({{"node", z.node}, {"size", size_names_[i]}, {"zone", z.zone}}, z.sizes[i]);
      }
    }
    throw_if_errors(path_, info_.errors);
  }

 private:
  std::string path_;
  FileReader reader_{4096};
  procfs::BuddyInfo info_;
  std::vector<std::string> size_names_;
};

}  // namespace

VITALS_COLLECTOR(BuddyinfoCollector, "buddyinfo", false,
                 "Exposes statistics of memory fragments as reported by /proc/buddyinfo.");

}  // namespace vitals
