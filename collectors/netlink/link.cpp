#include "collectors/netlink/link.h"

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vitals::netlink {
namespace {

enum class Kind { kU8, kU32, kString, kAddr, kStats64 };

struct AttrSpec {
  uint16_t type;
  const char* name;
  Kind kind;
  std::optional<uint8_t> Link::*u8 = nullptr;
  std::optional<uint32_t> Link::*u32 = nullptr;
  std::string Link::*str = nullptr;
  HwAddr Link::*addr = nullptr;
};

// The attributes read; any other is skipped unread.
const AttrSpec kAttrs[] = {
    {IFLA_IFNAME, "IFLA_IFNAME", Kind::kString, nullptr, nullptr, &Link::name},
    {IFLA_IFALIAS, "IFLA_IFALIAS", Kind::kString, nullptr, nullptr, &Link::ifalias},
    {IFLA_ADDRESS, "IFLA_ADDRESS", Kind::kAddr, nullptr, nullptr, nullptr, &Link::address},
    {IFLA_BROADCAST, "IFLA_BROADCAST", Kind::kAddr, nullptr, nullptr, nullptr, &Link::broadcast},
    {IFLA_MTU, "IFLA_MTU", Kind::kU32, nullptr, &Link::mtu},
    {IFLA_TXQLEN, "IFLA_TXQLEN", Kind::kU32, nullptr, &Link::tx_queue_len},
    {IFLA_GROUP, "IFLA_GROUP", Kind::kU32, nullptr, &Link::group},
    {IFLA_LINK, "IFLA_LINK", Kind::kU32, nullptr, &Link::link},
    {IFLA_PROMISCUITY, "IFLA_PROMISCUITY", Kind::kU32, nullptr, &Link::promiscuity},
    {IFLA_ALLMULTI, "IFLA_ALLMULTI", Kind::kU32, nullptr, &Link::allmulti},
    {IFLA_CARRIER_CHANGES, "IFLA_CARRIER_CHANGES", Kind::kU32, nullptr, &Link::carrier_changes},
    {IFLA_CARRIER_UP_COUNT, "IFLA_CARRIER_UP_COUNT", Kind::kU32, nullptr, &Link::carrier_up_count},
    {IFLA_CARRIER_DOWN_COUNT, "IFLA_CARRIER_DOWN_COUNT", Kind::kU32, nullptr,
     &Link::carrier_down_count},
    {IFLA_OPERSTATE, "IFLA_OPERSTATE", Kind::kU8, &Link::operstate},
    {IFLA_LINKMODE, "IFLA_LINKMODE", Kind::kU8, &Link::link_mode},
    {IFLA_CARRIER, "IFLA_CARRIER", Kind::kU8, &Link::carrier},
    {IFLA_STATS64, "IFLA_STATS64", Kind::kStats64},
};

const AttrSpec* find_attr(uint16_t type) {
  for (const AttrSpec& s : kAttrs) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

// Stores one attribute's payload; false with *why set when its length does not fit its type.
bool store(const AttrSpec& s, const uint8_t* p, size_t len, Link* l, std::string* why) {
  auto want = [&](size_t n) {
    *why = std::string(s.name) + " payload is " + std::to_string(len) + " bytes, want " +
           std::to_string(n);
    return false;
  };
  switch (s.kind) {
    case Kind::kU8:
      if (len != 1) return want(1);
      (l->*s.u8) = p[0];
      return true;
    case Kind::kU32: {
      if (len != 4) return want(4);
      uint32_t v;
      std::memcpy(&v, p, 4);
      (l->*s.u32) = v;
      return true;
    }
    case Kind::kString:
      // nla_put_string includes the NUL; stop there (or at the payload's end).
      (l->*s.str).assign(reinterpret_cast<const char*>(p),
                         strnlen(reinterpret_cast<const char*>(p), len));
      return true;
    case Kind::kAddr: {
      HwAddr& a = l->*s.addr;
      if (len > a.bytes.size()) {
        *why = std::string(s.name) + " payload is " + std::to_string(len) +
               " bytes, more than MAX_ADDR_LEN (32)";
        return false;
      }
      std::memcpy(a.bytes.data(), p, len);
      a.len = static_cast<uint8_t>(len);
      return true;
    }
    case Kind::kStats64:
      // Older kernels send fewer counters (zero-filled here), newer ones more (ignored).
      if (len % sizeof(uint64_t) != 0) {
        *why = std::string(s.name) + " payload is " + std::to_string(len) +
               " bytes, not a whole number of 64-bit counters";
        return false;
      }
      std::memcpy(l->stats.data(), p, std::min(len, sizeof(l->stats)));
      l->has_stats = true;
      return true;
  }
  return false;
}

}  // namespace

void parse_link_dump(std::span<const uint8_t> buf, LinkDump* out) {
  size_t off = 0;
  while (off + sizeof(nlmsghdr) <= buf.size()) {
    nlmsghdr h;
    std::memcpy(&h, buf.data() + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > buf.size() - off) {
      out->errors.add(0, "truncated netlink message at offset " + std::to_string(off) +
                             " (length " + std::to_string(h.nlmsg_len) + ", " +
                             std::to_string(buf.size() - off) + " bytes left)");
      out->truncated = true;
      return;
    }
    const size_t msg_off = off;
    const uint8_t* msg = buf.data() + off;
    off += NLMSG_ALIGN(h.nlmsg_len);
    if (h.nlmsg_flags & NLM_F_DUMP_INTR) out->interrupted = true;
    if (h.nlmsg_type == NLMSG_DONE) {
      out->done = true;
      return;
    }
    if (h.nlmsg_type == NLMSG_ERROR) {
      int err = 0;
      if (h.nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr))) {
        std::memcpy(&err, msg + NLMSG_HDRLEN, sizeof err);
      }
      // Any value, INT_MIN included: negate without overflow; out of errno's range is EPROTO.
      long long code = -static_cast<long long>(err);
      out->errors.add(0, "netlink error " + std::to_string(code));
      out->error = code >= 0 && code < 4096 ? static_cast<int>(code) : EPROTO;
      out->done = true;
      return;
    }
    if (h.nlmsg_type != RTM_NEWLINK) continue;
    auto where = [&] { return "RTM_NEWLINK at offset " + std::to_string(msg_off); };
    size_t attr_off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg));
    if (h.nlmsg_len < attr_off) {
      out->errors.add(0, where() + ": " + std::to_string(h.nlmsg_len) +
                             " bytes, shorter than its header and ifinfomsg");
      continue;
    }
    ifinfomsg ifi;
    std::memcpy(&ifi, msg + NLMSG_HDRLEN, sizeof ifi);
    Link l;
    l.index = ifi.ifi_index;
    l.type = ifi.ifi_type;
    l.flags = ifi.ifi_flags;
    auto fail = [&](const std::string& why) {
      out->errors.add(0, where() + " (ifindex " + std::to_string(l.index) + "): " + why);
    };
    std::string why;
    while (attr_off + sizeof(rtattr) <= h.nlmsg_len) {
      rtattr a;
      std::memcpy(&a, msg + attr_off, sizeof a);
      if (a.rta_len < sizeof(rtattr) || a.rta_len > h.nlmsg_len - attr_off) {
        fail("attribute type " + std::to_string(a.rta_type & NLA_TYPE_MASK) + " at byte " +
             std::to_string(attr_off) + " has length " + std::to_string(a.rta_len) + ", " +
             std::to_string(h.nlmsg_len - attr_off) + " bytes left in the message");
        break;
      }
      if (const AttrSpec* s = find_attr(a.rta_type & NLA_TYPE_MASK)) {
        if (!store(*s, msg + attr_off + RTA_LENGTH(0), a.rta_len - RTA_LENGTH(0), &l, &why)) {
          fail(why);
        }
      }
      attr_off += RTA_ALIGN(a.rta_len);
    }
    if (l.name.empty()) {
      fail("no IFLA_IFNAME");
      continue;
    }
    out->links.push_back(std::move(l));
  }
}

std::string format_hwaddr(const HwAddr& a) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(a.len * 3);
  for (size_t i = 0; i < a.len; ++i) {
    if (i) s += ':';
    s += kHex[a.bytes[i] >> 4];
    s += kHex[a.bytes[i] & 0xF];
  }
  return s;
}

}  // namespace vitals::netlink
