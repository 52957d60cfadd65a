// drm: AMD GPU card facts from /sys/class/drm/card[0-9]/device (node_exporter 1.5.0's drm
// collector, through prometheus/procfs' ClassDRMCardAMDGPUStats). As there, a card whose
// uevent does not name the amdgpu driver still gets its samples, all zero and with empty info
// labels, and a card whose uevent read fails with ENODATA is left out. A missing value file
// counts as 0 ("" for text); a value that is not a number is an item error (node_exporter
// crashes on it).
#include <cerrno>
#include <cstring>

#include "collectors/sysfs/drm.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr MetricType G = MetricType::kGauge;
constexpr Desc kCardInfo{"node_drm_card_info", "Card information", G};
struct Value {
  const char* file;
  Desc desc;
};
constexpr Value kValues[] = {
    {"gpu_busy_percent", {"node_drm_gpu_busy_percent", "How busy the GPU is as a percentage.", G}},
    {"mem_info_gtt_total",
     {"node_drm_memory_gtt_size_bytes",
      "The size of the graphics translation table (GTT) block in bytes.", G}},
    {"mem_info_gtt_used",
     {"node_drm_memory_gtt_used_bytes",
      "The used amount of the graphics translation table (GTT) block in bytes.", G}},
    {"mem_info_vis_vram_total",
     {"node_drm_memory_vis_vram_size_bytes", "The size of visible VRAM in bytes.", G}},
    {"mem_info_vis_vram_used",
     {"node_drm_memory_vis_vram_used_bytes", "The used amount of visible VRAM in bytes.", G}},
    {"mem_info_vram_total", {"node_drm_memory_vram_size_bytes", "The size of VRAM in bytes.", G}},
    {"mem_info_vram_used",
     {"node_drm_memory_vram_used_bytes", "The used amount of VRAM in bytes.", G}},
};

class DrmCollector final : public Collector {
 public:
  DrmCollector(const CollectorOptions&, const Paths& p) : dir_(p.sys("class/drm")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &entries_, &err)) {
      if (err == ENOENT) return;  // no DRM devices (procfs' glob finds nothing)
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    parse::ParseErrors errors;
    Family& info = out.add(kCardInfo);
    Family* values[std::size(kValues)];
    for (size_t i = 0; i < std::size(kValues); ++i) values[i] = &out.add(kValues[i].desc);
    for (const auto& e : entries_) {
      if (!sysfs::drm_is_card(e.name)) continue;
      const std::string dev = dir_ + "/" + e.name + "/device/";
      std::string_view text;
      if (!reader_.try_read(dev + "uevent", &text, &err)) {
        if (err != ENODATA) errors.add_file(dev + "uevent", std::strerror(err));
        continue;
      }
      const bool amd = sysfs::drm_is_amdgpu(text);
      auto field = [&](const char* file) -> std::string {
        std::string_view v;
        if (!amd || !reader_.try_read(dev + file, &v, &err)) return {};
        return std::string(sysfs::drm_field(v));
      };
      const std::string vendor = field("mem_info_vram_vendor"),
                        level = field("power_dpm_force_performance_level"),
                        unique = field("unique_id");
      info.add({{"card", e.name},
                {"memory_vendor", vendor},
                {"power_performance_level", level},
                {"unique_id", unique},
                {"vendor", "amd"}},
               1);
      for (size_t i = 0; i < std::size(kValues); ++i) {
        std::string_view v;
        uint64_t n = 0;
        if (amd && reader_.try_read(dev + kValues[i].file, &v, &err)) {
          auto parsed = sysfs::drm_uint(sysfs::drm_field(v));
          if (!parsed) {
            errors.add_file(dev + kValues[i].file,
                            "not a number: \"" + std::string(sysfs::drm_field(v)) + "\"");
            continue;
          }
          n = *parsed;
        }
        values[i]->add({{"card", e.name}}, static_cast<double>(n));
      }
    }
    throw_if_errors("", errors);
  }

 private:
  std::string dir_;
  std::vector<sysfs::DirEntry> entries_;
  FileReader reader_{256};
};

}  // namespace

VITALS_COLLECTOR(DrmCollector, "drm", false,
                 "Expose GPU metrics using sysfs / DRM, amdgpu is the only driver which exposes "
                 "this information through DRM.");

}  // namespace vitals
