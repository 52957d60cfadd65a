// powersupplyclass: /sys/class/power_supply/<supply>/* (node_exporter 1.5.0 names: numeric
// attributes as node_power_supply_<name>, strings as labels of node_power_supply_info).
#include <array>

#include <cstring>

#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

struct NumAttr {
  const char* file;
  const char* metric;  // after node_power_supply_
  double scale;
};

// sysfs reports µA, µV, µWh, µW and tenths of a degree.
constexpr double kMicro = 1.0 / 1000000.0;
constexpr std::array<NumAttr, 49> kNumeric{{
    {"authentic", "authentic", 1},
    {"calibrate", "calibrate", 1},
    {"capacity", "capacity", 1},
    {"capacity_alert_max", "capacity_alert_max", 1},
    {"capacity_alert_min", "capacity_alert_min", 1},
    {"cycle_count", "cyclecount", 1},
    {"online", "online", 1},
    {"present", "present", 1},
    {"time_to_empty_now", "time_to_empty_seconds", 1},
    {"time_to_full_now", "time_to_full_seconds", 1},
    {"current_boot", "current_boot", kMicro},
    {"current_max", "current_max", kMicro},
    {"current_now", "current_ampere", kMicro},
    {"energy_empty", "energy_empty", kMicro},
    {"energy_empty_design", "energy_empty_design", kMicro},
    {"energy_full", "energy_full", kMicro},
    {"energy_full_design", "energy_full_design", kMicro},
    {"energy_now", "energy_watthour", kMicro},
    {"voltage_boot", "voltage_boot", kMicro},
    {"voltage_max", "voltage_max", kMicro},
    {"voltage_max_design", "voltage_max_design", kMicro},
    {"voltage_min", "voltage_min", kMicro},
    {"voltage_min_design", "voltage_min_design", kMicro},
    {"voltage_now", "voltage_volt", kMicro},
    {"voltage_ocv", "voltage_ocv", kMicro},
    {"charge_control_limit", "charge_control_limit", kMicro},
    {"charge_control_limit_max", "charge_control_limit_max", kMicro},
    {"charge_counter", "charge_counter", kMicro},
    {"charge_empty", "charge_empty", kMicro},
    {"charge_empty_design", "charge_empty_design", kMicro},
    {"charge_full", "charge_full", kMicro},
    {"charge_full_design", "charge_full_design", kMicro},
    {"charge_now", "charge_ampere", kMicro},
    {"charge_term_current", "charge_term_current", kMicro},
    {"constant_charge_current", "constant_charge_current", kMicro},
    {"constant_charge_current_max", "constant_charge_current_max", kMicro},
    {"constant_charge_voltage", "constant_charge_voltage", kMicro},
    {"constant_charge_voltage_max", "constant_charge_voltage_max", kMicro},
    {"precharge_current", "precharge_current", kMicro},
    {"input_current_limit", "input_current_limit", kMicro},
    {"power_now", "power_watt", kMicro},
    {"temp", "temp_celsius", 0.1},
    {"temp_alert_max", "temp_alert_max_celsius", 0.1},
    {"temp_alert_min", "temp_alert_min_celsius", 0.1},
    {"temp_ambient", "temp_ambient_celsius", 0.1},
    {"temp_ambient_max", "temp_ambient_max_celsius", 0.1},
    {"temp_ambient_min", "temp_ambient_min_celsius", 0.1},
    {"temp_max", "temp_max_celsius", 0.1},
    {"temp_min", "temp_min_celsius", 0.1},
}};

constexpr std::array<const char*, 11> kInfo{
    "type",          "capacity_level", "charge_type", "health",   "manufacturer", "model_name",
    "serial_number", "status",         "technology",  "usb_type", "scope"};

class PowerSupplyCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  PowerSupplyCollector(const Paths& p, const std::string& ignored)
      : dir_(p.sys("class/power_supply")), ignored_(ignored) {
    for (const auto& a : kNumeric) {
      std::string m = std::string("node_power_supply_") + a.metric;
      names_.push_back(m);
      helps_.push_back(std::string(a.metric) + " value of /sys/class/power_supply/<power_supply>.");
    }
  }
  void collect(const CollectContext&, MetricSet& out) override {
    if (!sysfs::list_dir(dir_, &entries_)) return;  // no power_supply class
    std::array<Family*, kNumeric.size()> fams{};
    Family& info = out.add("node_power_supply_info",
                           "info of /sys/class/power_supply/<power_supply>.", MetricType::kGauge);
    parse::ParseErrors errors;
    std::vector<std::string> values;
    std::vector<Label> labels;
    for (const auto& e : entries_) {
      if (!e.is_dir || ignored_.search(e.name)) continue;
      std::string base = dir_ + "/" + e.name + "/";
      for (size_t i = 0; i < kNumeric.size(); ++i) {
        auto v = read_attr(base + kNumeric[i].file, &errors);
        if (!v) continue;
        auto n = sysfs::parse_int_base0(*v);
        if (!n) {
          errors.add_file(base + kNumeric[i].file, "invalid value \"" + std::string(*v) + "\"");
          continue;
        }
        if (!fams[i]) fams[i] = &out.add(names_[i], helps_[i], MetricType::kGauge);
        fams[i]->add({{"power_supply", e.name}}, static_cast<double>(*n) * kNumeric[i].scale);
      }
      values.clear();
      labels.clear();
      values.reserve(kInfo.size());
      for (const char* k : kInfo) {
        auto v = read_attr(base + k, &errors);
        if (!v || v->empty()) continue;
        values.push_back(sysfs::to_valid_utf8(*v));
        labels.push_back({k, values.back()});
      }
      labels.push_back({"power_supply", e.name});
      info.add(labels, 1);
    }
    throw_if_errors(dir_, errors);
  }

 private:
  // The attribute's trimmed text; nullopt when the supply does not have it.
  std::optional<std::string_view> read_attr(const std::string& path, parse::ParseErrors* errors) {
    std::string_view v;
    int err = 0;
    if (!reader_.try_read(path, &v, &err)) {
      if (err != ENOENT && err != EINVAL && err != EOPNOTSUPP && err != ENODATA && err != EACCES &&
          err != EAGAIN) {
        errors->add_file(path, std::strerror(err));
      }
      return std::nullopt;
    }
    return sysfs::trim_space(v);
  }

  std::string dir_;
  Regex ignored_;
  std::vector<std::string> names_, helps_;
  FileReader reader_{256};
  std::vector<sysfs::DirEntry> entries_;
};

std::unique_ptr<Collector> PowerSupplyCollector::create(const CollectorOptions& o, const Paths& p) {
  return std::make_unique<PowerSupplyCollector>(p, o.str("ignored-supplies"));
}

}  // namespace

VITALS_COLLECTOR(PowerSupplyCollector, "powersupplyclass", true,
                 "Exposes Power Supply statistics from /sys/class/power_supply",
                 {{"ignored-supplies", OptionKind::kRegex, "^$",
                   "Regexp of power supplies to ignore for powersupplyclass "
                   "collector.",
                   "collector.powersupply.ignored-supplies"}});

}  // namespace vitals
