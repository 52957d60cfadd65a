// slabinfo: node_slabinfo_* from /proc/slabinfo (node_exporter 1.5.0 names), one series per
// slab cache. The file is readable by root only.
#include "collectors/procfs/slabinfo.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kActive{"node_slabinfo_active_objects",
                       "The number of objects that are currently active (i.e., in use).",
                       MetricType::kGauge};
constexpr Desc kObjects{"node_slabinfo_objects",
                        "The total number of allocated objects (i.e., objects that are both in "
                        "use and not in use).",
                        MetricType::kGauge};
constexpr Desc kSize{"node_slabinfo_object_size_bytes",
                     "The size of objects in this slab, in bytes.", MetricType::kGauge};
constexpr Desc kPerSlab{"node_slabinfo_objects_per_slab",
                        "The number of objects stored in each slab.", MetricType::kGauge};
constexpr Desc kPages{"node_slabinfo_pages_per_slab",
                      "The number of pages allocated for each slab.", MetricType::kGauge};

class SlabinfoCollector final : public Collector {
 public:
  explicit SlabinfoCollector(const Paths& p) : path_(p.proc("slabinfo")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto s = procfs::parse_slabinfo(reader_.read(path_));
    Family& active = out.add(kActive);
    Family& objects = out.add(kObjects);
    Family& size = out.add(kSize);
    Family& per_slab = out.add(kPerSlab);
    Family& pages = out.add(kPages);
    for (const auto& slab : s.slabs) {
      active.add({{"slab", slab.name}}, static_cast<double>(slab.active_objects));
      objects.add({{"slab", slab.name}}, static_cast<double>(slab.objects));
      size.add({{"slab", slab.name}}, static_cast<double>(slab.object_size));
      per_slab.add({{"slab", slab.name}}, static_cast<double>(slab.objects_per_slab));
      pages.add({{"slab", slab.name}}, static_cast<double>(slab.pages_per_slab));
    }
    throw_if_errors(path_, s.errors);
  }

 private:
  std::string path_;
  FileReader reader_{65536};
};

}  // namespace

VITALS_COLLECTOR(SlabinfoCollector, "slabinfo", false,
                 "Exposes slab statistics from /proc/slabinfo (readable by root only).");

}  // namespace vitals
