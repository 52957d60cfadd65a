// netdev: network device counters from /proc/net/dev (node_exporter 1.5.0 names and flags) and,
// with --collector.netdev.address-info, the addresses of every interface (getifaddrs).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <array>

#include "collectors/procfs/netdev.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kAddressInfo{"node_network_address_info", "node network address by device",
                            MetricType::kGauge};

struct NetdevOptions {
  std::string include;
  std::string exclude;
  bool address_info = false;
  bool detailed = false;
};

class NetdevCollector final : public Collector {
 public:
  NetdevCollector(const Paths& p, const NetdevOptions& o)
      : path_(p.proc("net/dev")), filter_(o.include, o.exclude), address_info_(o.address_info) {
    for (size_t i = 0; i < procfs::kNetDevFields.size(); ++i) {
      std::string field(procfs::kNetDevFields[i]);
      // With --collector.netdev.enable-detailed-metrics node_exporter 1.5.0 spells these
      // four counters out ("errors", "dropped").
      if (o.detailed) {
        if (field == "receive_errs") field = "receive_errors";
        if (field == "transmit_errs") field = "transmit_errors";
        if (field == "receive_drop") field = "receive_dropped";
        if (field == "transmit_drop") field = "transmit_dropped";
      }
      names_[i] = "node_network_" + field + "_total";
      helps_[i] = "Network device statistic " + field + ".";
    }
  }

  void collect(const CollectContext&, MetricSet& out) override {
    procfs::parse_net_dev(reader_.read(path_), &dev_);
    std::array<Family*, 16> fams;
    for (size_t i = 0; i < fams.size(); ++i) {
      fams[i] = &out.add(names_[i], helps_[i], MetricType::kCounter);
    }
    for (const auto& d : dev_.devices) {
      if (filter_.ignored(d.device)) continue;
      for (size_t i = 0; i < fams.size(); ++i) fams[i]->add({{"device", d.device}}, d.values[i]);
    }
    if (address_info_) collect_addresses(out);
    throw_if_errors(path_, dev_.errors);
  }

 private:
  // node_exporter's scope names: loopback and link-local unicast are "link-local".
  static std::string_view scope(const sockaddr* sa) {
    if (sa->sa_family == AF_INET) {
      uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr);
      if ((a >> 24) == 127 || (a >> 16) == 0xA9FE) return "link-local";
      if (a == 0 || a == 0xFFFFFFFF || (a >> 28) == 0xE) return "";
      return "global";
    }
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a6) || IN6_IS_ADDR_LINKLOCAL(a6)) return "link-local";
    if (IN6_IS_ADDR_MC_NODELOCAL(a6)) return "interface-local";
    if (IN6_IS_ADDR_UNSPECIFIED(a6) || IN6_IS_ADDR_MULTICAST(a6)) return "";
    return "global";
  }

  static int prefix_len(const sockaddr* mask) {
    if (!mask) return 0;
    const unsigned char* b;
    size_t n;
    if (mask->sa_family == AF_INET) {
      b = reinterpret_cast<const unsigned char*>(
          &reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
      n = 4;
    } else {
      b = reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr.s6_addr;
      n = 16;
    }
    int bits = 0;
    for (size_t i = 0; i < n; ++i) bits += __builtin_popcount(b[i]);
    return bits;
  }

  void collect_addresses(MetricSet& out) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) throw CollectError("getifaddrs failed");
    Family& f = out.add(kAddressInfo);
    char buf[INET6_ADDRSTRLEN];
    for (ifaddrs* i = list; i; i = i->ifa_next) {
      if (!i->ifa_addr) continue;
      int fam = i->ifa_addr->sa_family;
      if (fam != AF_INET && fam != AF_INET6) continue;
      const void* a = fam == AF_INET
                          ? static_cast<const void*>(
                                &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr)
                          : &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr;
      if (!::inet_ntop(fam, a, buf, sizeof buf)) continue;
      std::string mask = std::to_string(prefix_len(i->ifa_netmask));
      f.add({{"device", i->ifa_name},
             {"address", buf},
             {"netmask", mask},
             {"scope", scope(i->ifa_addr)}},
            1);
    }
    ::freeifaddrs(list);
  }

  std::string path_;
  DeviceFilter filter_;
  bool address_info_;
  std::array<std::string, 16> names_, helps_;
  procfs::NetDev dev_;
  FileReader reader_{8192};
};

}  // namespace

// The default exclude "^lo$" is that of Debian's prometheus-node-exporter 1.5.0, the reference
// this agent replaces. --collector.netdev.netlink is accepted for compatibility; vitals always
// reads /proc/net/dev (so the netlink-only receive_nohandler counter is not exported).
VITALS_REGISTER_COLLECTOR(
    netdev,
    {.name = "netdev",
     .default_enabled = true,
     .help = "Exposes network interface statistics such as bytes transferred.",
     .options = {{"device-include", OptionKind::kRegex, "",
                  "Regexp of net devices to include (mutually exclusive to device-exclude)."},
                 {"device-exclude", OptionKind::kRegex, "^lo$",
                  "Regexp of net devices to exclude (mutually exclusive to device-include)."},
                 {"address-info", OptionKind::kBool, "false",
                  "Collect address-info for every device"},
                 {"enable-detailed-metrics", OptionKind::kBool, "false",
                  "Use (incompatible) metric names that provide more detailed stats on Linux"},
                 {"netlink", OptionKind::kBool, "true",
                  "Use netlink to gather stats instead of /proc/net/dev (accepted; vitals "
                  "reads /proc/net/dev)."}},
     .make = [](const CollectorOptions& o, const Paths& p) {
       if (o.is_set("device-include") && o.is_set("device-exclude") &&
           !o.str("device-include").empty() && !o.str("device-exclude").empty()) {
         throw std::invalid_argument(
             "--collector.netdev.device-include and --collector.netdev.device-exclude are "
             "mutually exclusive");
       }
       NetdevOptions n;
       n.include = o.str("device-include");
       n.exclude = o.is_set("device-include") ? "" : o.str("device-exclude");
       n.address_info = o.boolean("address-info");
       n.detailed = o.boolean("enable-detailed-metrics");
       return std::make_unique<NetdevCollector>(p, n);
     }});

}  // namespace vitals
