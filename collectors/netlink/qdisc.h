// RTM_GETQDISC dump replies (tc(8)'s qdisc list): each RTM_NEWQDISC message reduced to what
// node_exporter's qdisc collector reads through ema/qdisc: the tcmsg's ifindex, handle and
// parent, TCA_KIND, and the counters of TCA_STATS2 (TCA_STATS_BASIC, TCA_STATS_QUEUE) and of the
// older TCA_STATS, the later attribute's values winning as in that library. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "collectors/netlink/rtnl.h"
#include "core/parse.h"

namespace vitals::netlink {

struct Qdisc {
  int32_t ifindex = 0;
  uint32_t handle = 0;
  uint32_t parent = 0;  // TC_H_ROOT (0xffffffff) is given as 0, as ema/qdisc does
  std::string kind;
  uint64_t bytes = 0;
  uint32_t packets = 0, drops = 0, requeues = 0, overlimits = 0, qlen = 0, backlog = 0;
};

struct QdiscDump {
  std::vector<Qdisc> qdiscs;  // dump order
  DumpState state;
  parse::ParseErrors errors;
};

// Parses one recv() buffer of a dump, appending to `out`. A message with a malformed attribute
// (a length past the message, a statistics block shorter than its struct) is left out with an
// item error naming its offset; the other messages are kept.
void parse_qdisc_dump(std::span<const uint8_t> buf, QdiscDump* out);

}  // namespace vitals::netlink
