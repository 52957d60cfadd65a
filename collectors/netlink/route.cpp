#include "collectors/netlink/route.h"

#include <cstdio>

namespace vitals::netlink {
namespace {

bool read_ip(const char* name, const uint8_t* p, size_t len, IpAddr* a, std::string* why) {
  if (len != 4 && len != 16) {
    *why = std::string(name) + " payload is " + std::to_string(len) + " bytes, want 4 or 16";
    return false;
  }
  std::memcpy(a->bytes.data(), p, len);
  a->len = static_cast<uint8_t>(len);
  return true;
}

// RTA_MULTIPATH: a list of struct rtnexthop, each followed by its own attributes.
bool read_multipath(const uint8_t* p, size_t len, std::vector<NextHop>* out, std::string* why) {
  size_t off = 0;
  while (off < len) {
    if (len - off < sizeof(rtnexthop)) {
      *why = "RTA_MULTIPATH: " + std::to_string(len - off) + " bytes left, less than a rtnexthop";
      return false;
    }
    rtnexthop nh;
    std::memcpy(&nh, p + off, sizeof nh);
    if (nh.rtnh_len < sizeof(rtnexthop) || nh.rtnh_len > len - off) {
      *why = "RTA_MULTIPATH: next hop at byte " + std::to_string(off) + " has length " +
             std::to_string(nh.rtnh_len) + ", " + std::to_string(len - off) + " bytes left";
      return false;
    }
    NextHop hop;
    hop.ifindex = nh.rtnh_ifindex;
    hop.hops = nh.rtnh_hops;
    bool ok = true;
    const uint8_t* attrs = p + off + RTNH_ALIGN(sizeof(rtnexthop));
    const uint8_t* end = p + off + nh.rtnh_len;
    if (attrs < end && !walk_attrs(attrs, end, why, [&](uint16_t type, const uint8_t* v, size_t n) {
          if (ok && type == RTA_GATEWAY)
            ok = read_ip("RTA_MULTIPATH RTA_GATEWAY", v, n, &hop.gateway, why);
        })) {
      *why = "RTA_MULTIPATH: " + *why;
      return false;
    }
    if (!ok) return false;
    out->push_back(hop);
    off += RTNH_ALIGN(nh.rtnh_len);
  }
  return true;
}

}  // namespace

void parse_route_dump(std::span<const uint8_t> buf, RouteDump* out) {
  walk_messages(buf, RTM_NEWROUTE, &out->state, &out->errors,
                [out](const uint8_t* msg, size_t len, size_t off) {
                  auto fail = [&](const std::string& why) {
                    out->errors.add(0,
                                    "RTM_NEWROUTE at offset " + std::to_string(off) + ": " + why);
                  };
                  const size_t attr_off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rtmsg));
                  if (len < NLMSG_HDRLEN + sizeof(rtmsg)) {
                    fail(std::to_string(len) + " bytes, shorter than its header and rtmsg");
                    return;
                  }
                  rtmsg rt;
                  std::memcpy(&rt, msg + NLMSG_HDRLEN, sizeof rt);
                  Route r;
                  r.family = rt.rtm_family;
                  r.dst_len = rt.rtm_dst_len;
                  r.table = rt.rtm_table;
                  r.protocol = rt.rtm_protocol;
                  r.scope = rt.rtm_scope;
                  r.type = rt.rtm_type;
                  std::string why;
                  bool ok = true;
                  auto on_attr = [&](uint16_t type, const uint8_t* p, size_t n) {
                    if (!ok) return;
                    switch (type) {
                      case RTA_DST:
                        ok = read_ip("RTA_DST", p, n, &r.dst, &why);
                        break;
                      case RTA_PREFSRC:
                        ok = read_ip("RTA_PREFSRC", p, n, &r.prefsrc, &why);
                        break;
                      case RTA_GATEWAY:
                        ok = read_ip("RTA_GATEWAY", p, n, &r.gateway, &why);
                        break;
                      case RTA_OIF:
                        ok = attr_value("RTA_OIF", p, n, &r.oif, &why);
                        break;
                      case RTA_PRIORITY:
                        ok = attr_value("RTA_PRIORITY", p, n, &r.priority, &why);
                        break;
                      case RTA_MULTIPATH:
                        ok = read_multipath(p, n, &r.multipath, &why);
                        break;
                      default:
                        break;
                    }
                  };
                  if (attr_off < len && !walk_attrs(msg + attr_off, msg + len, &why, on_attr)) {
                    ok = false;
                  }
                  if (!ok) {
                    fail(why);
                    return;
                  }
                  out->routes.push_back(std::move(r));
                });
}

std::string format_ip(const IpAddr& a) {
  char buf[64];
  const uint8_t* b = a.bytes.data();
  if (a.len == 0) return "";
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (a.len == 16 && std::memcmp(b, kMapped, 12) == 0)
    b += 12;
  else if (a.len == 16) {
    // RFC 5952: lowercase hex groups without leading zeros; the longest run (leftmost on a tie)
    // of two or more zero groups becomes "::".
    uint16_t g[8];
    for (int i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
      if (g[i] != 0) {
        ++i;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) ++j;
      if (j - i > best_len && j - i >= 2) best = i, best_len = j - i;
      i = j;
    }
    std::string s;
    for (int i = 0; i < 8; ++i) {
      if (i == best) {
        s += "::";
        i += best_len - 1;
        continue;
      }
      if (!s.empty() && s.back() != ':') s += ':';
      std::snprintf(buf, sizeof buf, "%x", g[i]);
      s += buf;
    }
    return s;
  }
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  return buf;
}

std::string format_prefix(const IpAddr& a, uint8_t len) {
  if (len == 0) return "default";
  // Go's IPNet.String() gives "<nil>" when the address is missing or the length does not fit
  // the address (an IPv4-mapped IPv6 address counts as IPv4 there).
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const bool v4 = a.len == 4 || (a.len == 16 && std::memcmp(a.bytes.data(), kMapped, 12) == 0);
  if (a.len == 0 || len > (v4 ? 32 : 128)) return "<nil>";
  return format_ip(a) + "/" + std::to_string(len);
}

}  // namespace vitals::netlink
