// RTM_GETROUTE dump replies (rtnetlink(7)): each RTM_NEWROUTE message reduced to its rtmsg
// header and the attributes node_exporter's network_route collector reads (jsimonetti/rtnetlink's
// RouteAttributes: RTA_DST, RTA_PREFSRC, RTA_GATEWAY, RTA_OIF, RTA_PRIORITY, RTA_MULTIPATH).
// Pure: bytes in, structs out.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "collectors/netlink/rtnl.h"
#include "core/parse.h"

namespace vitals::netlink {

// An IPv4 (4 bytes) or IPv6 (16 bytes) address attribute; len 0 when absent.
struct IpAddr {
  std::array<uint8_t, 16> bytes{};
  uint8_t len = 0;
};

struct NextHop {
  int32_t ifindex = 0;  // rtnh_ifindex
  uint8_t hops = 0;     // rtnh_hops (the weight minus one)
  IpAddr gateway;       // RTA_GATEWAY inside the next hop
};

struct Route {
  uint8_t family = 0, dst_len = 0, table = 0, protocol = 0, scope = 0, type = 0;
  IpAddr dst, prefsrc, gateway;
  uint32_t oif = 0, priority = 0;  // 0 when absent, as node_exporter's library leaves them
  std::vector<NextHop> multipath;  // RTA_MULTIPATH's next hops, in order
};

struct RouteDump {
  std::vector<Route> routes;  // dump order
  DumpState state;
  parse::ParseErrors errors;
};

// Parses one recv() buffer of a dump, appending to `out`. A message with a malformed attribute
// (a length that runs past the message, an address that is neither 4 nor 16 bytes, a broken
// next-hop list) is left out with an item error naming its offset; the other messages are kept.
void parse_route_dump(std::span<const uint8_t> buf, RouteDump* out);

// An address as Go's net.IP.String() prints it (what node_exporter's labels hold): dotted quad
// for IPv4 and for IPv4-mapped IPv6 addresses, RFC 5952 text for other IPv6 ones; "" when
// absent.
std::string format_ip(const IpAddr& a);

// net.IPNet{dst, CIDRMask(len)}.String() as node_exporter's route labels use it: "default"
// for a zero prefix length, else "ADDR/LEN".
std::string format_prefix(const IpAddr& a, uint8_t len);

}  // namespace vitals::netlink
