// bonding: configured and active slaves per bonding master from
// /sys/class/net/bonding_masters and each master's bonding/slaves (node_exporter 1.5.0 names).
#include <cstring>

#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kSlaves{"node_bonding_slaves", "Number of configured slaves per bonding interface.",
                       MetricType::kGauge};
constexpr Desc kActive{"node_bonding_active", "Number of active slaves per bonding interface.",
                       MetricType::kGauge};

class BondingCollector final : public Collector {
 public:
  explicit BondingCollector(const Paths& p) : net_(p.sys("class/net")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    std::string masters_path = net_ + "/bonding_masters";
    auto masters_text = read_value(reader_, masters_path);
    if (!masters_text) throw NoDataError(masters_path + " not found: bonding driver not loaded");
    std::vector<std::string> masters;
    std::string_view rest = *masters_text, f;
    while (parse::next_field(rest, f)) masters.emplace_back(f);

    Family& slaves_f = out.add(kSlaves);
    Family& active_f = out.add(kActive);
    parse::ParseErrors errors;
    std::vector<std::string> slaves;
    for (const std::string& m : masters) {
      std::string slaves_path = net_ + "/" + m + "/bonding/slaves";
      int err = 0;
      auto s = read_value(reader_, slaves_path, &err);
      if (!s) {
        errors.add_file(slaves_path, std::strerror(err));
        continue;
      }
      slaves.clear();
      rest = *s;
      while (parse::next_field(rest, f)) slaves.emplace_back(f);
      int total = 0, active = 0;
      bool ok = true;
      for (const std::string& sl : slaves) {
        std::string p = net_ + "/" + m + "/lower_" + sl + "/bonding_slave/mii_status";
        auto st = read_value(reader_, p, &err);
        if (!st && err == ENOENT) {
          p = net_ + "/" + m + "/slave_" + sl + "/bonding_slave/mii_status";
          st = read_value(reader_, p, &err);
        }
        if (!st) {
          errors.add_file(p, std::strerror(err));
          ok = false;
          break;
        }
        ++total;
        if (*st == "up") ++active;
      }
      if (!ok) continue;
      slaves_f.add({{"master", m}}, total);
      active_f.add({{"master", m}}, active);
    }
    throw_if_errors(net_, errors);
  }

 private:
  std::string net_;
  FileReader reader_{256};
};

}  // namespace

VITALS_COLLECTOR(BondingCollector, "bonding", true,
                 "Exposes the number of configured and active slaves of Linux bonding interfaces.");

}  // namespace vitals
