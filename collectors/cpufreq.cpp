// cpufreq: CPU frequencies from /sys/devices/system/cpu/cpu<N>/cpufreq (node_exporter 1.5.0
// names; kHz in sysfs, hertz in the metrics).
#include <unistd.h>

#include <array>
#include <cstring>

#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kCur{"node_cpu_frequency_hertz", "Current CPU thread frequency in hertz.",
                    MetricType::kGauge};
constexpr Desc kMax{"node_cpu_frequency_max_hertz", "Maximum CPU thread frequency in hertz.",
                    MetricType::kGauge};
constexpr Desc kMin{"node_cpu_frequency_min_hertz", "Minimum CPU thread frequency in hertz.",
                    MetricType::kGauge};
constexpr Desc kScalingCur{"node_cpu_scaling_frequency_hertz",
                           "Current scaled CPU thread frequency in hertz.", MetricType::kGauge};
constexpr Desc kScalingMax{"node_cpu_scaling_frequency_max_hertz",
                           "Maximum scaled CPU thread frequency in hertz.", MetricType::kGauge};
constexpr Desc kScalingMin{"node_cpu_scaling_frequency_min_hertz",
                           "Minimum scaled CPU thread frequency in hertz.", MetricType::kGauge};

struct FreqFile {
  const char* file;
  const Desc* desc;
};
constexpr std::array<FreqFile, 6> kFiles{{{"cpuinfo_cur_freq", &kCur},
                                          {"cpuinfo_max_freq", &kMax},
                                          {"cpuinfo_min_freq", &kMin},
                                          {"scaling_cur_freq", &kScalingCur},
                                          {"scaling_max_freq", &kScalingMax},
                                          {"scaling_min_freq", &kScalingMin}}};

class CpufreqCollector final : public Collector {
 public:
  explicit CpufreqCollector(const Paths& p) : dir_(p.sys("devices/system/cpu")) {}
  void collect(const CollectContext& ctx, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &entries_, &err)) {
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    std::array<Family*, kFiles.size()> fams;
    for (size_t i = 0; i < kFiles.size(); ++i) fams[i] = &out.add(*kFiles[i].desc);
    parse::ParseErrors errors;
    std::string path;
    for (const auto& e : entries_) {
      auto cpu = sysfs::numeric_suffix(e.name, "cpu");
      if (!cpu || !e.is_dir) continue;
      // One lookup for a CPU without a cpufreq driver instead of six failed opens.
      path = dir_ + "/" + e.name + "/cpufreq";
      if (::access(path.c_str(), F_OK) != 0) continue;
      for (size_t i = 0; i < kFiles.size(); ++i) {
        path = dir_ + "/" + e.name + "/cpufreq/" + kFiles[i].file;
        int err = 0;
        auto v = read_value(reader_, path, &err);
        if (!v) {
          // Absent (no cpufreq driver), or root-only (cpuinfo_cur_freq is mode 0400).
          if (denied(err)) ctx.permission_denied(path);
          continue;
        }
        auto khz = parse::to_u64(*v);
        if (!khz) {
          errors.add_file(path, "invalid value \"" + std::string(*v) + "\"");
          continue;
        }
        fams[i]->add({{"cpu", *cpu}}, static_cast<double>(*khz) * 1000.0);
      }
    }
    throw_if_errors(dir_, errors);
  }

 private:
  std::string dir_;
  FileReader reader_{256};
  std::vector<sysfs::DirEntry> entries_;
};

}  // namespace

VITALS_COLLECTOR(CpufreqCollector, "cpufreq", true, "Exposes CPU frequency statistics.");

}  // namespace vitals
