// arp: node_arp_entries per device from /proc/net/arp (node_exporter 1.5.0 names).
#include "collectors/procfs/arp.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kEntries{"node_arp_entries", "ARP entries by device", MetricType::kGauge};

class ArpCollector final : public Collector {
 public:
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

}  // namespace

VITALS_REGISTER_COLLECTOR(
    arp, {.name = "arp",
          .default_enabled = true,
          .help = "Exposes ARP statistics from /proc/net/arp.",
          .options = {{"device-include", OptionKind::kRegex, "",
                       "Regexp of arp devices to include (mutually exclusive to device-exclude)."},
                      {"device-exclude", OptionKind::kRegex, "",
                       "Regexp of arp devices to exclude (mutually exclusive to device-include)."}},
          .make = [](const CollectorOptions& o, const Paths& p) {
            return std::make_unique<ArpCollector>(p, o.str("device-include"),
                                                  o.str("device-exclude"));
          }});

}  // namespace vitals
