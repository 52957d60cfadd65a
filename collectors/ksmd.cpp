// ksmd: node_ksmd_* from the kernel samepage merging files in /sys/kernel/mm/ksm/
// (node_exporter 1.5.0 names: full_scans is a counter, sleep_millisecs becomes seconds).
#include <cstring>

#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

struct KsmFile {
  const char* file;
  Desc desc;
  double scale;
};

constexpr KsmFile kFiles[] = {
    {"full_scans",
     {"node_ksmd_full_scans_total", "ksmd 'full_scans' file.", MetricType::kCounter},
     1},
    {"merge_across_nodes",
     {"node_ksmd_merge_across_nodes", "ksmd 'merge_across_nodes' file.", MetricType::kGauge},
     1},
    {"pages_shared",
     {"node_ksmd_pages_shared", "ksmd 'pages_shared' file.", MetricType::kGauge},
     1},
    {"pages_sharing",
     {"node_ksmd_pages_sharing", "ksmd 'pages_sharing' file.", MetricType::kGauge},
     1},
    {"pages_to_scan",
     {"node_ksmd_pages_to_scan", "ksmd 'pages_to_scan' file.", MetricType::kGauge},
     1},
    {"pages_unshared",
     {"node_ksmd_pages_unshared", "ksmd 'pages_unshared' file.", MetricType::kGauge},
     1},
    {"pages_volatile",
     {"node_ksmd_pages_volatile", "ksmd 'pages_volatile' file.", MetricType::kGauge},
     1},
    {"run", {"node_ksmd_run", "ksmd 'run' file.", MetricType::kGauge}, 1},
    {"sleep_millisecs",
     {"node_ksmd_sleep_seconds", "ksmd 'sleep_millisecs' file.", MetricType::kGauge},
     0.001},
};

class KsmdCollector final : public Collector {
 public:
  explicit KsmdCollector(const Paths& p) {
    for (const auto& f : kFiles) paths_.push_back(p.sys("kernel/mm/ksm/") + f.file);
  }
  void collect(const CollectContext&, MetricSet& out) override {
    parse::ParseErrors errors;
    for (size_t i = 0; i < paths_.size(); ++i) {
      int err = 0;
      auto text = read_value(reader_, paths_[i], &err);
      if (!text) {
        errors.add_file(paths_[i], std::strerror(err));
        continue;
      }
      auto v = parse::to_u64(*text);  // node_exporter reads these as unsigned integers
      if (!v) {
        errors.add_file(paths_[i], "invalid number in \"" + std::string(*text) + "\"");
        continue;
      }
      out.add(kFiles[i].desc).add(static_cast<double>(*v) * kFiles[i].scale);
    }
    throw_if_errors(paths_.front(), errors);
  }

 private:
  std::vector<std::string> paths_;
  FileReader reader_{256};
};

}  // namespace

VITALS_COLLECTOR(KsmdCollector, "ksmd", false,
                 "Exposes kernel samepage merging statistics from /sys/kernel/mm/ksm/.");

}  // namespace vitals
