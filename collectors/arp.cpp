// arp: node_arp_entries per device from /proc/net/arp (node_exporter 1.5.0 names).
#include "collectors/procfs/arp.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kEntries{"node_arp_entries", "ARP entries by device", MetricType::kGauge};

class ArpCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  ArpCollector(const Paths& p, const std::string& include, const std::string& exclude)
      : path_(p.proc("net/arp")), filter_(include, exclude) {}
  void collect(const CollectContext&, MetricSet& out) override {
    auto a = procfs::parse_arp(reader_.read(path_));
    Family& f = out.add(kEntries);
    for (const auto& d : a.devices) {
      if (filter_.ignored(d.device)) continue;
      f.add({{"device", d.device}}, d.entries);
    }
    throw_if_errors(path_, a.errors);
  }

 private:
  std::string path_;
  DeviceFilter filter_;
  FileReader reader_{4096};
};

std::unique_ptr<Collector> ArpCollector::create(const CollectorOptions& o, const Paths& p) {
  return std::make_unique<ArpCollector>(p, o.str("device-include"), o.str("device-exclude"));
}

}  // namespace

VITALS_COLLECTOR(ArpCollector, "arp", true, "Exposes ARP statistics from /proc/net/arp.",
                 {{"device-include", OptionKind::kRegex, "",
                   "Regexp of arp devices to include (mutually exclusive to device-exclude)."},
                  {"device-exclude", OptionKind::kRegex, "",
                   "Regexp of arp devices to exclude (mutually exclusive to device-include)."}});

}  // namespace vitals
