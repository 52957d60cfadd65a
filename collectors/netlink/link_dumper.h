// An rtnetlink socket kept open across scrapes that makes one RTM_GETLINK dump per call and
// parses it (collectors/netlink/link.h) into a reused LinkDump.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "collectors/netlink/link.h"
#include "collectors/netlink/rtnl.h"

namespace vitals::netlink {

class LinkDumper {
 public:
  // Replaces *out with one whole, consistent dump of the links of vitals' network namespace.
  // `ext_mask` is sent as IFLA_EXT_MASK when not 0 (RTEXT_FILTER_SKIP_STATS leaves out the
  // per-device IPv6 statistics, most of a message, and keeps IFLA_STATS64). A dump interrupted
  // by a link change (NLM_F_DUMP_INTR), ENOBUFS or a busy kernel is repeated (with_dump_retries,
  // counted for `collector`); throws DumpError when the socket fails, a message is truncated,
  // the kernel ends the dump with an error, the dump is still inconsistent after the last
  // attempt, or it does not end by `deadline`; the socket is then reopened on the next call.
  // Malformed attributes only add to out->errors.
  void dump(std::string_view collector, std::chrono::steady_clock::time_point deadline,
            uint32_t ext_mask, LinkDump* out);

 private:
  RtnlSocket sock_;
};

}  // namespace vitals::netlink
