// network_route: the routing tables as node_exporter 1.5.0 shows them, from one rtnetlink
// RTM_GETROUTE dump of every address family per scrape (the request node_exporter's library
// sends: an empty rtmsg, so IPv4 and IPv6 routes of all tables). Like node_exporter it keeps
// unicast routes only (rtm_type RTN_UNICAST), one node_network_route_info sample per route or,
// for a multipath route, per next hop, and counts them per output device.
#include <net/if.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "collectors/netlink/route.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kRouteInfo{"node_network_route_info", "network routing table information",
                          MetricType::kGauge};
constexpr Desc kRoutes{"node_network_routes", "network routes by interface", MetricType::kGauge};

// node_exporter's names for rtm_protocol (linux/rtnetlink.h's RTPROT_* less keepalived (18) and
// openr (99), which it calls "unknown" as any other number).
std::string_view protocol_name(uint8_t p) {
  switch (p) {
    case 0:
      return "unspec";
    case 1:
      return "redirect";
    case 2:
      return "kernel";
    case 3:
      return "boot";
    case 4:
      return "static";
    case 8:
      return "gated";
    case 9:
      return "ra";
    case 10:
      return "mrt";
    case 11:
      return "zebra";
    case 12:
      return "bird";
    case 13:
      return "dnrouted";
    case 14:
      return "xorp";
    case 15:
      return "ntk";
    case 16:
      return "dhcp";
    case 17:
      return "mrouted";
    case 42:
      return "babel";
    case 186:
      return "bgp";
    case 187:
      return "isis";
    case 188:
      return "ospf";
    case 189:
      return "rip";
    case 192:
      return "eigrp";
    default:
      return "unknown";
  }
}

class NetworkRouteCollector final : public Collector {
 public:
  NetworkRouteCollector(const CollectorOptions&, const Paths&) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    struct {
      nlmsghdr h;
      rtmsg r;
    } req{};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = RTM_GETROUTE;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    // Again when the dump was inconsistent (collectors/netlink/dump_retry.h).
    netlink::with_dump_retries("network_route", [&] {
      dump_.routes.clear();
      dump_.errors.clear();
      dump_.state = {};
      sock_.dump({reinterpret_cast<uint8_t*>(&req), sizeof req}, "RTM_GETROUTE", ctx.deadline,
                 [this](std::span<const uint8_t> buf) {
                   netlink::parse_route_dump(buf, &dump_);
                   return dump_.state.done;
                 });
      netlink::check_dump(dump_.state, "RTM_GETROUTE");
    });
    names_.clear();
    Family& info = out.add(kRouteInfo);
    std::map<std::string, uint64_t> per_device;
    std::set<std::string> seen;  // the Go client drops a repeated label set; so does this
    auto emit = [&](const std::string& dev, const netlink::Route& r, const netlink::IpAddr& gw,
                    const std::string& weight) {
      std::string src = netlink::format_ip(r.prefsrc),
                  dst = netlink::format_prefix(r.dst, r.dst_len), gateway = netlink::format_ip(gw),
                  prio = std::to_string(r.priority);
      std::string_view proto = protocol_name(r.protocol);
      ++per_device[dev];
      std::string key = dev + '\0' + src + '\0' + dst + '\0' + gateway + '\0' + prio + '\0' +
                        std::string(proto) + '\0' + weight;
      if (!seen.insert(std::move(key)).second) return;
      const Label labels[] = {{"device", dev},   {"src", src},       {"dest", dst},
                              {"gw", gateway},   {"priority", prio}, {"proto", proto},
                              {"weight", weight}};
      info.add(labels, 1);
    };
    for (const netlink::Route& r : dump_.routes) {
      if (r.type != RTN_UNICAST) continue;
      if (!r.multipath.empty()) {
        for (const netlink::NextHop& nh : r.multipath) {
          emit(name(nh.ifindex), r, nh.gateway, std::to_string(nh.hops + 1));
        }
      } else {
        emit(name(static_cast<int32_t>(r.oif)), r, r.gateway, "");
      }
    }
    Family& routes = out.add(kRoutes);
    for (const auto& [dev, n] : per_device) {
      routes.add({{"device", dev}}, static_cast<double>(n));
    }
    throw_if_errors("netlink RTM_GETROUTE", dump_.errors);
  }

 private:
  // The interface's name, "" when there is none with that index (as node_exporter's
  // net.InterfaceByIndex failing leaves it). Looked up once per index per scrape.
  const std::string& name(int32_t index) {
    auto [it, fresh] = names_.try_emplace(index);
    if (fresh && index > 0) {
      char buf[IF_NAMESIZE] = {};
      if (::if_indextoname(static_cast<unsigned>(index), buf)) it->second = buf;
    }
    return it->second;
  }

  netlink::RtnlSocket sock_;
  netlink::RouteDump dump_;
  std::unordered_map<int32_t, std::string> names_;
};

}  // namespace

VITALS_COLLECTOR(NetworkRouteCollector, "network_route", false,
                 "Exposes the routing tables (rtnetlink RTM_GETROUTE dump).");

}  // namespace vitals
