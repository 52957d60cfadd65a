// rapl: RAPL energy counters from /sys/class/powercap/<zone>/energy_uj (node_exporter 1.5.0
// names: node_rapl_<zone>_joules_total{index,path}).
#include <map>

#include <cstring>

#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

// "package-0" -> ("package", 0); "core" -> ("core", how often "core" was seen before).
std::pair<std::string, int> zone_name_index(std::string_view raw,
                                            std::map<std::string, int>* seen) {
  size_t dash = raw.rfind('-');
  if (dash != std::string_view::npos && dash + 1 < raw.size()) {
    if (auto idx = parse::to_u64(raw.substr(dash + 1))) {
      std::string name(raw.substr(0, dash));
      (*seen)[name] = static_cast<int>(*idx) + 1;
      return {name, static_cast<int>(*idx)};
    }
  }
  std::string name(raw);
  int idx = (*seen)[name];
  (*seen)[name] = idx + 1;
  return {name, idx};
}

std::string sanitize_metric_name(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == ':';
    if (!ok) c = '_';
  }
  return out;
}

class RaplCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  RaplCollector(const Paths& p, bool zone_label)
      : dir_(p.sys("class/powercap")), zone_label_(zone_label) {}
  void collect(const CollectContext& ctx, MetricSet& out) override {
    if (!sysfs::list_dir(dir_, &entries_)) throw NoDataError(dir_ + " not found: no RAPL");
    std::map<std::string, int> seen;
    std::map<std::string, Family*> fams;
    parse::ParseErrors errors;
    for (const auto& e : entries_) {
      if (!e.is_dir) continue;
      std::string base = dir_ + "/" + e.name;
      auto raw = read_value(reader_, base + "/name");
      if (!raw) continue;  // not a zone (e.g. the "intel-rapl" control type)
      auto [name, index] = zone_name_index(sysfs::trim_space(*raw), &seen);
      int err = 0;
      auto uj = read_value(reader_, base + "/energy_uj", &err);
      if (!uj) {
        // energy_uj is root-only since Linux 5.10 (CVE-2020-8694).
        if (denied(err)) {
          ctx.permission_denied(base + "/energy_uj");
        } else {
          errors.add_file(base + "/energy_uj", std::strerror(err));
        }
        continue;
      }
      auto v = parse::to_u64(*uj);
      if (!v) {
        errors.add_file(base + "/energy_uj", "invalid value \"" + std::string(*uj) + "\"");
        continue;
      }
      double joules = static_cast<double>(*v) / 1000000.0;
      std::string idx = std::to_string(index);
      if (zone_label_) {
        Family*& f = fams[""];
        if (!f) {
          f = &out.add("node_rapl_joules_total", "Current RAPL value in joules",
                       MetricType::kCounter);
        }
        f->add({{"index", idx}, {"path", base}, {"rapl_zone", name}}, joules);
      } else {
        Family*& f = fams[name];
        if (!f) {
          f = &out.add("node_rapl_" + sanitize_metric_name(name) + "_joules_total",
                       "Current RAPL " + name + " value in joules", MetricType::kCounter);
        }
        f->add({{"index", idx}, {"path", base}}, joules);
      }
    }
    throw_if_errors(dir_, errors);
  }

 private:
  std::string dir_;
  bool zone_label_;
  FileReader reader_{256};
  std::vector<sysfs::DirEntry> entries_;
};

std::unique_ptr<Collector> RaplCollector::create(const CollectorOptions& o, const Paths& p) {
  return std::make_unique<RaplCollector>(p, o.boolean("enable-zone-label"));
}

}  // namespace

VITALS_COLLECTOR(RaplCollector, "rapl", true,
                 "Exposes various statistics from /sys/class/powercap.",
                 {{"enable-zone-label", OptionKind::kBool, "false",
                   "Enables service unit metric "
                   "node_rapl_joules_total with a rapl_zone label."}});

}  // namespace vitals
