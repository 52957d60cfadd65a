#include "collectors/netlink/link_stats.h"

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>

namespace vitals::netlink {

void parse_link_dump(std::span<const uint8_t> buf, LinkDump* out) {
  size_t off = 0;
  while (off + sizeof(nlmsghdr) <= buf.size()) {
    nlmsghdr h;
    std::memcpy(&h, buf.data() + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || off + h.nlmsg_len > buf.size()) {
      out->errors.push_back("truncated netlink message at offset " + std::to_string(off));
      return;
    }
    const uint8_t* msg = buf.data() + off;
    off += NLMSG_ALIGN(h.nlmsg_len);
    if (h.nlmsg_type == NLMSG_DONE) {
      out->done = true;
      return;
    }
    if (h.nlmsg_type == NLMSG_ERROR) {
      int err = 0;
      if (h.nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr))) {
        std::memcpy(&err, msg + NLMSG_HDRLEN, sizeof err);
      }
      out->errors.push_back("netlink error " + std::to_string(-err));
      out->done = true;
      return;
    }
    if (h.nlmsg_type != RTM_NEWLINK) continue;
    size_t attr_off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg));
    if (h.nlmsg_len < attr_off) {
      out->errors.push_back("short RTM_NEWLINK message");
      continue;
    }
    LinkStats l;
    bool have_name = false, have_stats = false;
    while (attr_off + sizeof(rtattr) <= h.nlmsg_len) {
      rtattr a;
      std::memcpy(&a, msg + attr_off, sizeof a);
      if (a.rta_len < sizeof(rtattr) || attr_off + a.rta_len > h.nlmsg_len) {
        out->errors.push_back("malformed link attribute");
        break;
      }
      const uint8_t* payload = msg + attr_off + RTA_LENGTH(0);
      size_t len = a.rta_len - RTA_LENGTH(0);
      if (a.rta_type == IFLA_IFNAME) {
        l.name.assign(reinterpret_cast<const char*>(payload),
                      strnlen(reinterpret_cast<const char*>(payload), len));
        have_name = true;
      } else if (a.rta_type == IFLA_STATS64) {
        std::memcpy(l.stats.data(), payload, std::min(len, sizeof(l.stats)));
        have_stats = true;
      }
      attr_off += RTA_ALIGN(a.rta_len);
    }
    if (have_name && have_stats) out->links.push_back(std::move(l));
  }
}

}  // namespace vitals::netlink
