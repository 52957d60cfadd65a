// thermal_zone: zone temperatures and cooling device states from /sys/class/thermal
// (node_exporter 1.5.0 names).
#include <cstring>

#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kTemp{"node_thermal_zone_temp", "Zone temperature in Celsius", MetricType::kGauge};
constexpr Desc kCur{"node_cooling_device_cur_state", "Current throttle state of the cooling device",
                    MetricType::kGauge};
constexpr Desc kMax{"node_cooling_device_max_state", "Maximum throttle state of the cooling device",
                    MetricType::kGauge};

class ThermalZoneCollector final : public Collector {
 public:
  explicit ThermalZoneCollector(const Paths& p) : dir_(p.sys("class/thermal")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    if (!sysfs::list_dir(dir_, &entries_)) return;  // no thermal class
    Family& temp = out.add(kTemp);
    Family& cur = out.add(kCur);
    Family& max = out.add(kMax);
    parse::ParseErrors errors;
    std::string type;
    for (const auto& e : entries_) {
      if (!e.is_dir) continue;
      std::string base = dir_ + "/" + e.name + "/";
      if (auto zone = sysfs::numeric_suffix(e.name, "thermal_zone")) {
        if (!read_str(base + "type", &type, &errors)) continue;
        auto t = read_int(base + "temp", &errors);
        if (!t) continue;
        temp.add({{"type", type}, {"zone", *zone}}, static_cast<double>(*t) / 1000.0);
      } else if (auto dev = sysfs::numeric_suffix(e.name, "cooling_device")) {
        if (!read_str(base + "type", &type, &errors)) continue;
        auto m = read_int(base + "max_state", &errors);
        auto c = read_int(base + "cur_state", &errors);
        if (!m || !c) continue;
        cur.add({{"name", *dev}, {"type", type}}, static_cast<double>(*c));
        max.add({{"name", *dev}, {"type", type}}, static_cast<double>(*m));
      }
    }
    throw_if_errors(dir_, errors);
  }

 private:
  bool read_str(const std::string& path, std::string* out, parse::ParseErrors* errors) {
    int err = 0;
    auto v = read_value(reader_, path, &err);
    if (!v) {
      errors->add_file(path, std::strerror(err));
      return false;
    }
    *out = sysfs::to_valid_utf8(sysfs::trim_space(*v));
    return true;
  }
  std::optional<int64_t> read_int(const std::string& path, parse::ParseErrors* errors) {
    int err = 0;
    auto v = read_value(reader_, path, &err);
    if (!v) {
      errors->add_file(path, std::strerror(err));
      return std::nullopt;
    }
    auto n = parse::to_i64(*v);
    if (!n) errors->add_file(path, "invalid value \"" + std::string(*v) + "\"");
    return n;
  }

  std::string dir_;
  FileReader reader_{256};
  std::vector<sysfs::DirEntry> entries_;
};

}  // namespace

VITALS_COLLECTOR(ThermalZoneCollector, "thermal_zone", true,
                 "Exposes thermal zone & cooling device statistics from /sys/class/thermal.");

}  // namespace vitals
