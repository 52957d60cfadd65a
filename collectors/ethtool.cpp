// ethtool: per-driver statistics and driver/link facts of every network interface, as
// node_exporter 1.5.0 shows them: for each entry of /sys/class/net (plain files left out) that
// the device filter keeps, one ETHTOOL_GSET (node_network_{supported,advertised}_* and
// node_network_autonegotiate), one ETHTOOL_GDRVINFO (node_ethtool_info) and the driver's
// statistics (ETHTOOL_GSTRINGS + ETHTOOL_GSTATS) as node_ethtool_<sanitised name>, untyped.
// A device whose driver lacks an ioctl (EOPNOTSUPP) or that went away (ENODEV) simply has no
// such samples; any other ioctl failure is an item error after the rest is emitted.
#include <linux/ethtool.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <unordered_map>

#include "collectors/net/ethtool_stats.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr MetricType G = MetricType::kGauge;
constexpr MetricType U = MetricType::kUntyped;
constexpr Desc kInfo{"node_ethtool_info",
                     "A metric with a constant '1' value labeled by bus_info, device, driver, "
                     "expansion_rom_version, firmware_version, version.",
                     G};
constexpr Desc kSupportedPort{"node_network_supported_port_info",
                              "Type of ports or PHYs supported by network device", G};
constexpr Desc kSupportedSpeed{"node_network_supported_speed_bytes",
                               "Combination of speeds and features supported by network device", G};
constexpr Desc kAdvertisedSpeed{"node_network_advertised_speed_bytes",
                                "Combination of speeds and features offered by network device", G};
constexpr Desc kAutonegSupported{"node_network_autonegotiate_supported",
                                 "If this port device supports autonegotiate", G};
constexpr Desc kPauseSupported{"node_network_pause_supported",
                               "If this port device supports pause frames", G};
constexpr Desc kAsymPauseSupported{"node_network_asymmetricpause_supported",
                                   "If this port device supports asymmetric pause frames", G};
constexpr Desc kAutonegAdvertised{"node_network_autonegotiate_advertised",
                                  "If this port device offers autonegotiate", G};
constexpr Desc kPauseAdvertised{"node_network_pause_advertised",
                                "If this port device offers pause capability", G};
constexpr Desc kAsymPauseAdvertised{"node_network_asymmetricpause_advertised",
                                    "If this port device offers asymmetric pause capability", G};
constexpr Desc kAutoneg{"node_network_autonegotiate", "If this port is using autonegotiate", G};

// The statistics node_exporter gives their own names and help (keyed by the driver's name).
struct Fixed {
  std::string_view stat;
  Desc desc;
};
constexpr Fixed kFixed[] = {
    {"rx_bytes", {"node_ethtool_received_bytes_total", "Network interface bytes received", U}},
    {"rx_dropped", {"node_ethtool_received_dropped_total", "Number of received frames dropped", U}},
    {"rx_errors",
     {"node_ethtool_received_errors_total", "Number of received frames with errors", U}},
    {"rx_packets",
     {"node_ethtool_received_packets_total", "Network interface packets received", U}},
    {"tx_bytes", {"node_ethtool_transmitted_bytes_total", "Network interface bytes sent", U}},
    {"tx_errors",
     {"node_ethtool_transmitted_errors_total", "Number of sent frames with errors", U}},
    {"tx_packets", {"node_ethtool_transmitted_packets_total", "Network interface packets sent", U}},
};

// Link-mode bits below 32 that node_exporter turns into speed samples: {bit, Mbit/s, duplex,
// mode}.
struct SpeedBit {
  int bit;
  double mbps;
  std::string_view duplex, mode;
};
constexpr SpeedBit kSpeeds[] = {
    {ETHTOOL_LINK_MODE_10baseT_Half_BIT, 10, "half", "T"},
    {ETHTOOL_LINK_MODE_10baseT_Full_BIT, 10, "full", "T"},
    {ETHTOOL_LINK_MODE_100baseT_Half_BIT, 100, "half", "T"},
    {ETHTOOL_LINK_MODE_100baseT_Full_BIT, 100, "full", "T"},
    {ETHTOOL_LINK_MODE_1000baseT_Half_BIT, 1000, "half", "T"},
    {ETHTOOL_LINK_MODE_1000baseT_Full_BIT, 1000, "full", "T"},
    {ETHTOOL_LINK_MODE_10000baseT_Full_BIT, 10000, "full", "T"},
    {ETHTOOL_LINK_MODE_2500baseX_Full_BIT, 2500, "full", "X"},
    {ETHTOOL_LINK_MODE_1000baseKX_Full_BIT, 1000, "full", "KX"},
    {ETHTOOL_LINK_MODE_10000baseKX4_Full_BIT, 10000, "full", "KX4"},
    {ETHTOOL_LINK_MODE_10000baseKR_Full_BIT, 10000, "full", "KR"},
    {ETHTOOL_LINK_MODE_10000baseR_FEC_BIT, 10000, "full", "R_FEC"},
    {ETHTOOL_LINK_MODE_20000baseMLD2_Full_BIT, 20000, "full", "MLD2"},
    {ETHTOOL_LINK_MODE_20000baseKR2_Full_BIT, 20000, "full", "KR2"},
    {ETHTOOL_LINK_MODE_40000baseKR4_Full_BIT, 40000, "full", "KR4"},
    {ETHTOOL_LINK_MODE_40000baseCR4_Full_BIT, 40000, "full", "CR4"},
    {ETHTOOL_LINK_MODE_40000baseSR4_Full_BIT, 40000, "full", "SR4"},
    {ETHTOOL_LINK_MODE_40000baseLR4_Full_BIT, 40000, "full", "LR4"},
    {ETHTOOL_LINK_MODE_56000baseKR4_Full_BIT, 56000, "full", "KR4"},
    {ETHTOOL_LINK_MODE_56000baseCR4_Full_BIT, 56000, "full", "CR4"},
    {ETHTOOL_LINK_MODE_56000baseSR4_Full_BIT, 56000, "full", "SR4"},
    {ETHTOOL_LINK_MODE_56000baseLR4_Full_BIT, 56000, "full", "LR4"},
    {ETHTOOL_LINK_MODE_25000baseCR_Full_BIT, 25000, "full", "CR"},
};
constexpr std::pair<int, std::string_view> kPorts[] = {
    {ETHTOOL_LINK_MODE_TP_BIT, "TP"},   {ETHTOOL_LINK_MODE_AUI_BIT, "AUI"},
    {ETHTOOL_LINK_MODE_MII_BIT, "MII"}, {ETHTOOL_LINK_MODE_FIBRE_BIT, "FIBRE"},
    {ETHTOOL_LINK_MODE_BNC_BIT, "BNC"}, {ETHTOOL_LINK_MODE_Backplane_BIT, "Backplane"},
};

bool has(uint32_t modes, int bit) {
  return bit < 32 && (modes >> bit & 1u) != 0;
}

// Not an error for node_exporter either: the driver has no such ioctl, or the device is gone.
bool quiet(int err) {
  return err == EOPNOTSUPP || err == ENODEV;
}

class EthtoolCollector final : public Collector {
 public:
  EthtoolCollector(const CollectorOptions& o, const Paths& p)
      : dir_(p.sys("class/net")),
        filter_(o.str("device-include"), o.str("device-exclude")),
        metrics_(o.str("metrics-include")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    parse::ParseErrors errors;
    int err = 0;
    // Interfaces are symlinks (not followed: only plain files are left out).
    if (!sysfs::list_dir(dir_, &entries_, &err, false)) {
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    Family& info = out.add(kInfo);
    Family& port = out.add(kSupportedPort);
    Family& autoneg = out.add(kAutoneg);
    const Modes supported{&out.add(kSupportedSpeed), &out.add(kAutonegSupported),
                          &out.add(kPauseSupported), &out.add(kAsymPauseSupported)};
    const Modes advertised{&out.add(kAdvertisedSpeed), &out.add(kAutonegAdvertised),
                           &out.add(kPauseAdvertised), &out.add(kAsymPauseAdvertised)};
    for (auto& kv : families_) kv.second = nullptr;
    const auto now = std::chrono::steady_clock::now();
    auto fail = [&](const std::string& dev, const char* what, int e) {
      errors.add_file("ethtool " + dev, std::string(what) + ": " + std::strerror(e));
    };
    for (const auto& e : entries_) {
      if (e.is_regular && !e.is_symlink) continue;  // bonding_masters
      const std::string& dev = e.name;
      if (filter_.ignored(dev)) continue;
      net::LinkModes lm;
      if (int r = io_.link_modes(dev, &lm)) {
        if (!quiet(r)) fail(dev, "ETHTOOL_GSET", r);
      } else {
        speeds(supported, dev, lm.supported);
        for (const auto& [bit, name] : kPorts) {
          if (has(lm.supported, bit)) port.add({{"device", dev}, {"type", name}}, 1);
        }
        speeds(advertised, dev, lm.advertising);
        autoneg.add({{"device", dev}}, lm.autoneg);
      }
      net::DriverInfo di;
      int r = io_.driver_info(dev, &di);
      if (r) {
        if (!quiet(r)) fail(dev, "ETHTOOL_GDRVINFO", r);
        continue;  // node_exporter's statistics start with the same ioctl
      }
      info.add({{"bus_info", di.bus_info},
                {"device", dev},
                {"driver", di.driver},
                {"expansion_rom_version", di.erom_version},
                {"firmware_version", di.fw_version},
                {"version", di.version}},
               1);
      if (di.n_stats > net::kMaxEthtoolStats) {
        errors.add_file("ethtool " + dev, std::to_string(di.n_stats) + " statistics, more than " +
                                              std::to_string(net::kMaxEthtoolStats));
        continue;
      }
      auto [pit, fresh] = plans_.try_emplace(dev);
      Plan& plan = pit->second;
      plan.seen = true;
      if (fresh || plan.driver != di.driver || plan.bus_info != di.bus_info ||
          plan.n_stats != di.n_stats || now - plan.read_at >= kNamesMaxAge) {
        if ((r = io_.stat_names(dev, di.n_stats, &names_))) {
          plans_.erase(pit);  // read the names again next time
          if (!quiet(r)) fail(dev, "ETHTOOL_GSTRINGS", r);
          continue;
        }
        make_plan(plan);
        plan.driver = di.driver;
        plan.bus_info = di.bus_info;
        plan.n_stats = di.n_stats;
        plan.read_at = now;
      }
      if ((r = io_.stat_values(dev, di.n_stats, &values_))) {
        if (!quiet(r)) fail(dev, "ETHTOOL_GSTATS", r);
        continue;
      }
      emit_stats(out, dev, plan);
    }
    // Devices gone from /sys/class/net take their plans with them, and families no device has
    // now their slots.
    for (auto it = plans_.begin(); it != plans_.end();) {
      if (!it->second.seen) {
        it = plans_.erase(it);
        continue;
      }
      it->second.seen = false;
      ++it;
    }
    std::erase_if(families_, [](const auto& kv) { return kv.second == nullptr; });
    throw_if_errors("", errors);
  }

 private:
  // The families of one link-mode mask (supported or advertised).
  struct Modes {
    Family *speed, *autoneg, *pause, *asym_pause;
  };

  static void speeds(const Modes& f, const std::string& dev, uint32_t modes) {
    for (const SpeedBit& b : kSpeeds) {
      if (has(modes, b.bit)) {
        f.speed->add({{"device", dev}, {"duplex", b.duplex}, {"mode", b.mode}},
                     b.mbps * 1000 * 1000 / 8);
      }
    }
    f.autoneg->add({{"device", dev}}, has(modes, ETHTOOL_LINK_MODE_Autoneg_BIT) ? 1 : 0);
    f.pause->add({{"device", dev}}, has(modes, ETHTOOL_LINK_MODE_Pause_BIT) ? 1 : 0);
    f.asym_pause->add({{"device", dev}}, has(modes, ETHTOOL_LINK_MODE_Asym_Pause_BIT) ? 1 : 0);
  }

  // A device's statistics as node_exporter names them, worked out once from their names:
  // GSTRINGS makes the kernel allocate and format the whole name table (as dear as GSTATS, ~10 us
  // per device on a VM), and the names, metrics-include and node_exporter's renaming give the
  // same result for as long as the driver keeps its table. A plan is kept while the device's
  // driver, bus and statistics count stay the same, and the names are read again at least
  // every kNamesMaxAge.
  static constexpr auto kNamesMaxAge = std::chrono::minutes(5);
  struct Plan {
    struct Item {
      std::string family;  // metric name
      std::string help;
      const Desc* fixed;  // node_exporter's own name and help for it, or null
      uint32_t index;     // into the GSTATS values
    };
    std::vector<Item> items;  // by metric name; names that sanitise to the same one left out
    std::string driver, bus_info;
    uint32_t n_stats = 0;
    std::chrono::steady_clock::time_point read_at;
    bool seen = false;  // listed in this scrape
  };

  // The statistics that metrics-include keeps, under node_exporter's names; names that sanitise
  // to the same metric are all dropped (node_exporter cannot tell which to keep).
  void make_plan(Plan& plan) {
    constexpr size_t kClash = ~size_t{0};
    std::map<std::string, size_t> by_name;  // metric name -> index into names_, or kClash
    for (size_t i = 0; i < names_.size(); ++i) {
      if (!metrics_.search(names_[i].first)) continue;
      auto [it, fresh] = by_name.try_emplace(net::ethtool_metric_name(names_[i].first), i);
      if (!fresh) it->second = kClash;
    }
    plan.items.clear();
    for (auto& [name, i] : by_name) {
      if (i == kClash) continue;
      const std::string& stat = names_[i].first;
      const Desc* fixed = nullptr;
      for (const Fixed& x : kFixed) {
        if (x.stat == stat) fixed = &x.desc;
      }
      plan.items.push_back({fixed ? std::string(fixed->name) : name,
                            fixed ? std::string() : "Network interface " + stat, fixed,
                            names_[i].second});
    }
  }

  void emit_stats(MetricSet& out, const std::string& dev, const Plan& plan) {
    // Each index is below the statistics count the plan was made for, which is values_.size().
    for (const Plan::Item& item : plan.items) {
      // One family per metric name: the first device's statistic gives its help, as the
      // first Desc node_exporter makes for a name is the one its registry keeps.
      auto it = families_.find(item.family);
      if (it == families_.end()) it = families_.emplace(item.family, nullptr).first;
      Family*& f = it->second;
      if (!f) f = item.fixed ? &out.add(*item.fixed) : &out.add(item.family, item.help, U);
      f->add({{"device", dev}}, static_cast<double>(values_[item.index]));
    }
  }

  std::string dir_;
  DeviceFilter filter_;
  Regex metrics_;
  net::EthtoolIoctl io_;
  std::vector<sysfs::DirEntry> entries_;
  std::unordered_map<std::string, Plan> plans_;           // by device
  std::map<std::string, Family*, std::less<>> families_;  // statistics' families, this scrape
  std::vector<std::pair<std::string, uint32_t>> names_;
  std::vector<uint64_t> values_;
};

}  // namespace

VITALS_COLLECTOR(
    EthtoolCollector, "ethtool", false,
    "Exposes network interface information and network driver statistics "
    "equivalent to `ethtool`, `ethtool -S`, and `ethtool -i`.",
    {{"device-include", OptionKind::kRegex, "", "Regexp of ethtool devices to include."},
     {"device-exclude", OptionKind::kRegex, "", "Regexp of ethtool devices to exclude."},
     {"metrics-include", OptionKind::kRegex, ".*", "Regexp of ethtool stats to include."}});

}  // namespace vitals
