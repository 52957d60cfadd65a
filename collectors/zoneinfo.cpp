// zoneinfo: node_zoneinfo_* from /proc/zoneinfo (node_exporter 1.5.0 names): one series per
// node and zone for each counter the zone shows, and node_zoneinfo_protection_<i> per entry
// of its protection array.
#include <cstring>

#include "collectors/procfs/zoneinfo.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr MetricType G = MetricType::kGauge;
constexpr MetricType C = MetricType::kCounter;

// Parallel to procfs::kZoneinfoKeys. nr_mlock has no family in node_exporter 1.5.0.
constexpr std::array<Desc, procfs::kZoneinfoKeys.size()> kDescs = {{
    {"node_zoneinfo_nr_free_pages", "Total number of free pages in the zone", G},
    {"node_zoneinfo_min_pages", "Zone watermark pages_min", G},
    {"node_zoneinfo_low_pages", "Zone watermark pages_low", G},
    {"node_zoneinfo_high_pages", "Zone watermark pages_high", G},
    {"node_zoneinfo_scanned_pages", "Pages scanned since last reclaim", G},
    {"node_zoneinfo_spanned_pages", "Total pages spanned by the zone, including holes", G},
    {"node_zoneinfo_present_pages", "Physical pages existing within the zone", G},
    {"node_zoneinfo_managed_pages", "Present pages managed by the buddy system", G},
    {"node_zoneinfo_nr_active_anon_pages", "Number of anonymous pages recently more used", G},
    {"node_zoneinfo_nr_inactive_anon_pages", "Number of anonymous pages recently less used", G},
    {"node_zoneinfo_nr_isolated_anon_pages", "Temporary isolated pages from anon lru", G},
    {"node_zoneinfo_nr_anon_pages", "Number of anonymous pages currently used by the system", G},
    {"node_zoneinfo_nr_anon_transparent_hugepages",
     "Number of anonymous transparent huge pages currently used by the system", G},
    {"node_zoneinfo_nr_active_file_pages", "Number of active pages with file-backing", G},
    {"node_zoneinfo_nr_inactive_file_pages", "Number of inactive pages with file-backing", G},
    {"node_zoneinfo_nr_isolated_file_pages", "Temporary isolated pages from file lru", G},
    {"node_zoneinfo_nr_file_pages", "Number of file pages", G},
    {"node_zoneinfo_nr_slab_reclaimable_pages", "Number of reclaimable slab pages", G},
    {"node_zoneinfo_nr_slab_unreclaimable_pages", "Number of unreclaimable slab pages", G},
    {"", "", G},  // nr_mlock
    {"node_zoneinfo_nr_kernel_stacks", "Number of kernel stacks", G},
    {"node_zoneinfo_nr_mapped_pages", "Number of mapped pages", G},
    {"node_zoneinfo_nr_dirty_pages", "Number of dirty pages", G},
    {"node_zoneinfo_nr_writeback_pages", "Number of writeback pages", G},
    {"node_zoneinfo_nr_unevictable_pages", "Number of unevictable pages", G},
    {"node_zoneinfo_nr_shmem_pages", "Number of shmem pages (included tmpfs/GEM pages)", G},
    {"node_zoneinfo_nr_dirtied_total", "Page dirtyings since bootup", C},
    {"node_zoneinfo_nr_written_total", "Page writings since bootup", C},
    {"node_zoneinfo_numa_hit_total", "Allocated in intended node", C},
    {"node_zoneinfo_numa_miss_total", "Allocated in non intended node", C},
    {"node_zoneinfo_numa_foreign_total", "Was intended here, hit elsewhere", C},
    {"node_zoneinfo_numa_interleave_total", "Interleaver preferred this zone", C},
    {"node_zoneinfo_numa_local_total", "Allocation from local node", C},
    {"node_zoneinfo_numa_other_total", "Allocation from other node", C},
}};

class ZoneinfoCollector final : public Collector {
 public:
  explicit ZoneinfoCollector(const Paths& p) : path_(p.proc("zoneinfo")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto z = procfs::parse_zoneinfo(reader_.read(path_));
    for (size_t i = 0; i < kDescs.size(); ++i) {
      if (kDescs[i].name.empty()) continue;
      Family* f = nullptr;
      for (const auto& zone : z.zones) {
        if (!zone.values[i]) continue;
        if (!f) f = &out.add(kDescs[i]);
        f->add({{"node", zone.node}, {"zone", zone.zone}}, static_cast<double>(*zone.values[i]));
      }
    }
    size_t entries = 0;
    for (const auto& zone : z.zones) entries = std::max(entries, zone.protection.size());
    for (size_t j = 0; j < entries; ++j) {
      name_.assign("node_zoneinfo_protection_").append(std::to_string(j));
      help_.assign("Protection array ").append(std::to_string(j)).append(". field");
      Family& f = out.add(name_, help_, G);
      for (const auto& zone : z.zones) {
        if (j < zone.protection.size()) {
          f.add({{"node", zone.node}, {"zone", zone.zone}},
                static_cast<double>(zone.protection[j]));
        }
      }
    }
    throw_if_errors(path_, z.errors);
  }

 private:
  std::string path_;
  std::string name_, help_;
  FileReader reader_{32768};
};

}  // namespace

VITALS_COLLECTOR(ZoneinfoCollector, "zoneinfo", false,
                 "Exposes zone statistics from /proc/zoneinfo.");

}  // namespace vitals
