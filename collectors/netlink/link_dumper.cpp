#include "collectors/netlink/link_dumper.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace vitals::netlink {

void LinkDumper::dump(std::string_view collector, std::chrono::steady_clock::time_point deadline,
                      uint32_t ext_mask, LinkDump* out) {
  struct {
    nlmsghdr h;
    ifinfomsg i;
    rtattr a;
    uint32_t mask;
  } req{};
  req.h.nlmsg_len = ext_mask ? sizeof req : NLMSG_LENGTH(sizeof(ifinfomsg));
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.i.ifi_family = AF_UNSPEC;
  req.a.rta_type = IFLA_EXT_MASK;
  req.a.rta_len = RTA_LENGTH(sizeof(uint32_t));
  req.mask = ext_mask;
  with_dump_retries(collector, [&] {
    out->links.clear();
    out->errors.clear();
    out->done = false;
    out->interrupted = false;
    out->error = 0;
    out->truncated = false;
    sock_.dump({reinterpret_cast<uint8_t*>(&req), req.h.nlmsg_len}, "RTM_GETLINK", deadline,
               [out](std::span<const uint8_t> buf) {
                 parse_link_dump(buf, out);
                 return out->done;
               });
    check_dump(out->state(), "RTM_GETLINK");
  });
}

}  // namespace vitals::netlink
