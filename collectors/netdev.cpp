// netdev: network device counters (node_exporter 1.5.0 names and flags) from one rtnetlink
// RTM_GETLINK dump (--collector.netdev.netlink, the default, when --path.procfs is a live procfs:
// Paths::live_procfs) or
// from <procfs>/net/dev, and with --collector.netdev.address-info the addresses of every
// interface (getifaddrs).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <span>

#include "collectors/netlink/link_dumper.h"
#include "collectors/procfs/netdev.h"
#include "collectors/util.h"
#include "core/collector.h"
#include "core/log.h"

namespace vitals {
namespace {

constexpr Desc kAddressInfo{"node_network_address_info", "node network address by device",
                            MetricType::kGauge};

struct NetdevOptions {
  std::string include;
  std::string exclude;
  bool address_info = false;
  bool detailed = false;
  bool netlink = true;
};

// One family of the netlink path: its field name and how it is computed from the
// rtnl_link_stats64 counters (a sum of up to four of them, as node_exporter 1.5.0's legacy
// names fold the detailed error counters together the way /proc/net/dev does).
struct LinkField {
  std::string_view name;
  std::array<int, 4> sum;  // indexes into kLinkStatFields, -1 unused
};

// Without --collector.netdev.enable-detailed-metrics.
constexpr LinkField kLegacyFields[] = {
    {"receive_bytes", {2, -1, -1, -1}},       {"receive_packets", {0, -1, -1, -1}},
    {"receive_errs", {4, -1, -1, -1}},        {"receive_drop", {6, 15, -1, -1}},
    {"receive_fifo", {14, -1, -1, -1}},       {"receive_frame", {13, 10, 11, 12}},
    {"receive_compressed", {21, -1, -1, -1}}, {"receive_multicast", {8, -1, -1, -1}},
    {"receive_nohandler", {23, -1, -1, -1}},  {"transmit_bytes", {3, -1, -1, -1}},
    {"transmit_packets", {1, -1, -1, -1}},    {"transmit_errs", {5, -1, -1, -1}},
    {"transmit_drop", {7, -1, -1, -1}},       {"transmit_fifo", {18, -1, -1, -1}},
    {"transmit_colls", {9, -1, -1, -1}},      {"transmit_carrier", {17, 16, 19, 20}},
    {"transmit_compressed", {22, -1, -1, -1}}};

// With it: every counter under its own name.
constexpr LinkField kDetailedFields[] = {{"receive_packets", {0, -1, -1, -1}},
                                         {"transmit_packets", {1, -1, -1, -1}},
                                         {"receive_bytes", {2, -1, -1, -1}},
                                         {"transmit_bytes", {3, -1, -1, -1}},
                                         {"receive_errors", {4, -1, -1, -1}},
                                         {"transmit_errors", {5, -1, -1, -1}},
                                         {"receive_dropped", {6, -1, -1, -1}},
                                         {"transmit_dropped", {7, -1, -1, -1}},
                                         {"multicast", {8, -1, -1, -1}},
                                         {"collisions", {9, -1, -1, -1}},
                                         {"receive_length_errors", {10, -1, -1, -1}},
                                         {"receive_over_errors", {11, -1, -1, -1}},
                                         {"receive_crc_errors", {12, -1, -1, -1}},
                                         {"receive_frame_errors", {13, -1, -1, -1}},
                                         {"receive_fifo_errors", {14, -1, -1, -1}},
                                         {"receive_missed_errors", {15, -1, -1, -1}},
                                         {"transmit_aborted_errors", {16, -1, -1, -1}},
                                         {"transmit_carrier_errors", {17, -1, -1, -1}},
                                         {"transmit_fifo_errors", {18, -1, -1, -1}},
                                         {"transmit_heartbeat_errors", {19, -1, -1, -1}},
                                         {"transmit_window_errors", {20, -1, -1, -1}},
                                         {"receive_compressed", {21, -1, -1, -1}},
                                         {"transmit_compressed", {22, -1, -1, -1}},
                                         {"receive_nohandler", {23, -1, -1, -1}}};

class NetdevCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  NetdevCollector(const Paths& p, const NetdevOptions& o)
      : path_(p.proc("net/dev")),
        filter_(o.include, o.exclude),
        address_info_(o.address_info),
        netlink_(o.netlink) {
    log::debug("netdev source", {{"source", netlink_ ? "netlink" : "file"}, {"path", path_}});
    if (netlink_) {
      for (const auto& f : o.detailed ? std::span<const LinkField>(kDetailedFields)
                                      : std::span<const LinkField>(kLegacyFields)) {
        link_fields_.push_back({f, "node_network_" + std::string(f.name) + "_total",
                                "Network device statistic " + std::string(f.name) + "."});
      }
    }
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

  void collect(const CollectContext& ctx, MetricSet& out) override {
    if (netlink_) {
      collect_netlink(ctx, out);
      if (address_info_) collect_addresses(out);
      return;
    }
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
  struct NamedField {
    LinkField field;
    std::string name, help;
  };

  // One RTM_GETLINK dump: every link's name and rtnl_link_stats64 in a few recv() calls,
  // instead of /proc/net/dev text or per-interface sysfs statistics files.
  void collect_netlink(const CollectContext& ctx, MetricSet& out) {
    dumper_.dump("netdev", ctx.deadline, 0, &dump_);
    std::vector<Family*> fams;
    fams.reserve(link_fields_.size());
    for (const auto& f : link_fields_) {
      fams.push_back(&out.add(f.name, f.help, MetricType::kCounter));
    }
    for (const auto& l : dump_.links) {
      if (!l.has_stats || filter_.ignored(l.name)) continue;
      for (size_t i = 0; i < link_fields_.size(); ++i) {
        double v = 0;
        for (int idx : link_fields_[i].field.sum) {
          if (idx >= 0) v += double(l.stats[idx]);
        }
        fams[i]->add({{"device", l.name}}, v);
      }
    }
    throw_if_errors("netlink RTM_GETLINK", dump_.errors);
  }

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
  bool netlink_;
  std::vector<NamedField> link_fields_;
  netlink::LinkDumper dumper_;
  netlink::LinkDump dump_;
  std::array<std::string, 16> names_, helps_;
  procfs::NetDev dev_;
  FileReader reader_{8192};
};

std::unique_ptr<Collector> NetdevCollector::create(const CollectorOptions& o, const Paths& p) {
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
  n.netlink = o.boolean("netlink") && p.live_procfs();
  return std::make_unique<NetdevCollector>(p, n);
}

}  // namespace

// The default exclude "^lo$" is that of Debian's prometheus-node-exporter 1.5.0, the reference
// this agent replaces. Netlink reports the network namespace vitals runs in, so unless
// --path.procfs is a procfs showing that namespace (/proc, or a host's /proc mounted into a
// container at /host/proc; not a fixture tree) <procfs>/net/dev is read instead, as it is with
// --no-collector.netdev.netlink.
VITALS_COLLECTOR(NetdevCollector, "netdev", true,
                 "Exposes network interface statistics such as bytes transferred.",
                 {{"device-include", OptionKind::kRegex, "",
                   "Regexp of net devices to include (mutually exclusive to device-exclude)."},
                  {"device-exclude", OptionKind::kRegex, "^lo$",
                   "Regexp of net devices to exclude (mutually exclusive to device-include)."},
                  {"address-info", OptionKind::kBool, "false",
                   "Collect address-info for every device"},
                  {"enable-detailed-metrics", OptionKind::kBool, "false",
                   "Use (incompatible) metric names that provide more detailed stats on Linux"},
                  {"netlink", OptionKind::kBool, "true",
                   "Use netlink to gather stats instead of /proc/net/dev (only with the default "
                   "--path.procfs)."}});

}  // namespace vitals
