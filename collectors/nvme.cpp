// nvme: node_nvme_info from /sys/class/nvme/<device>/{serial,model,state,firmware_rev}
// (node_exporter 1.5.0 names). These strings cannot change while the controller exists, but
// state can, so every file is read each scrape (four tiny files per controller).
#include <cstring>

#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kInfo{"node_nvme_info",
                     "Non-numeric data from /sys/class/nvme/<device>, value is always 1.",
                     MetricType::kGauge};

class NvmeCollector final : public Collector {
 public:
  explicit NvmeCollector(const Paths& p) : dir_(p.sys("class/nvme")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    if (!sysfs::list_dir(dir_, &entries_)) throw NoDataError(dir_ + " not found: no NVMe");
    Family& info = out.add(kInfo);
    parse::ParseErrors errors;
    std::string vals[4];
    static constexpr const char* kFiles[4] = {"serial", "model", "state", "firmware_rev"};
    for (const auto& e : entries_) {
      if (!e.is_dir) continue;
      bool ok = true;
      for (int i = 0; i < 4 && ok; ++i) {
        std::string p = dir_ + "/" + e.name + "/" + kFiles[i];
        int err = 0;
        auto v = read_value(reader_, p, &err);
        if (!v) {
          errors.add_file(p, std::strerror(err));
          ok = false;
          break;
        }
        vals[i] = sysfs::to_valid_utf8(sysfs::trim_space(*v));
      }
      if (!ok) continue;
      info.add({{"device", e.name},
                {"firmware_revision", vals[3]},
                {"model", vals[1]},
                {"serial", vals[0]},
                {"state", vals[2]}},
               1);
    }
    throw_if_errors(dir_, errors);
  }

 private:
  std::string dir_;
  FileReader reader_{256};
  std::vector<sysfs::DirEntry> entries_;
};

}  // namespace

VITALS_COLLECTOR(NvmeCollector, "nvme", true, "Exposes NVMe info from /sys/class/nvme/.");

}  // namespace vitals
