// edac: memory controller error counters from /sys/devices/system/edac/mc (node_exporter 1.5.0
// names).
#include <cstring>

#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kCe{"node_edac_correctable_errors_total", "Total correctable memory errors.",
                   MetricType::kCounter};
constexpr Desc kUe{"node_edac_uncorrectable_errors_total", "Total uncorrectable memory errors.",
                   MetricType::kCounter};
constexpr Desc kCsrowCe{"node_edac_csrow_correctable_errors_total",
                        "Total correctable memory errors for this csrow.", MetricType::kCounter};
constexpr Desc kCsrowUe{"node_edac_csrow_uncorrectable_errors_total",
                        "Total uncorrectable memory errors for this csrow.", MetricType::kCounter};

class EdacCollector final : public Collector {
 public:
  explicit EdacCollector(const Paths& p) : dir_(p.sys("devices/system/edac/mc")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    if (!sysfs::list_dir(dir_, &mcs_)) return;  // no EDAC driver: nothing to report
    Family& ce = out.add(kCe);
    Family& ue = out.add(kUe);
    Family& rce = out.add(kCsrowCe);
    Family& rue = out.add(kCsrowUe);
    parse::ParseErrors errors;
    for (const auto& mc : mcs_) {
      auto ctrl = sysfs::numeric_suffix(mc.name, "mc");
      if (!ctrl || !mc.is_dir) continue;
      std::string base = dir_ + "/" + mc.name + "/";
      double v[4];
      static constexpr const char* kFiles[4] = {"ce_count", "ue_count", "ce_noinfo_count",
                                                "ue_noinfo_count"};
      bool ok = true;
      for (int i = 0; i < 4 && ok; ++i) ok = read(base + kFiles[i], &v[i], &errors);
      if (!ok) continue;
      ce.add({{"controller", *ctrl}}, v[0]);
      ue.add({{"controller", *ctrl}}, v[1]);
      rce.add({{"controller", *ctrl}, {"csrow", "unknown"}}, v[2]);
      rue.add({{"controller", *ctrl}, {"csrow", "unknown"}}, v[3]);
      if (!sysfs::list_dir(base, &rows_)) continue;
      for (const auto& row : rows_) {
        auto n = sysfs::numeric_suffix(row.name, "csrow");
        if (!n || !row.is_dir) continue;
        double rc, ru;
        std::string rb = base + row.name + "/";
        if (!read(rb + "ce_count", &rc, &errors) || !read(rb + "ue_count", &ru, &errors)) continue;
        rce.add({{"controller", *ctrl}, {"csrow", *n}}, rc);
        rue.add({{"controller", *ctrl}, {"csrow", *n}}, ru);
      }
    }
    throw_if_errors(dir_, errors);
  }

 private:
  bool read(const std::string& path, double* v, parse::ParseErrors* errors) {
    int err = 0;
    auto s = read_value(reader_, path, &err);
    if (!s) {
      errors->add_file(path, std::strerror(err));
      return false;
    }
    auto n = parse::to_u64(*s);
    if (!n) {
      errors->add_file(path, "invalid value \"" + std::string(*s) + "\"");
      return false;
    }
    *v = static_cast<double>(*n);
    return true;
  }

  std::string dir_;
  FileReader reader_{256};
  std::vector<sysfs::DirEntry> mcs_, rows_;
};

}  // namespace

VITALS_COLLECTOR(EdacCollector, "edac", true, "Exposes error detection and correction statistics.");

}  // namespace vitals
