// RTM_GETLINK dump replies (rtnetlink(7)): each RTM_NEWLINK message reduced to the ifinfomsg
// header and the attributes vitals uses: the struct rtnl_link_stats64 counters (netdev) and the
// link properties (netclass). Pure: bytes in, structs out.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/netlink/rtnl.h"
#include "core/parse.h"

namespace vitals::netlink {

// The counters of struct rtnl_link_stats64 in the kernel's field order (linux/if_link.h).
inline constexpr std::array<std::string_view, 24> kLinkStatFields = {
    "rx_packets",        "tx_packets",        "rx_bytes",         "tx_bytes",
    "rx_errors",         "tx_errors",         "rx_dropped",       "tx_dropped",
    "multicast",         "collisions",        "rx_length_errors", "rx_over_errors",
    "rx_crc_errors",     "rx_frame_errors",   "rx_fifo_errors",   "rx_missed_errors",
    "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",   "tx_heartbeat_errors",
    "tx_window_errors",  "rx_compressed",     "tx_compressed",    "rx_nohandler"};

// A link-layer address (IFLA_ADDRESS, IFLA_BROADCAST): at most MAX_ADDR_LEN bytes.
struct HwAddr {
  std::array<uint8_t, 32> bytes{};
  uint8_t len = 0;  // 0: the attribute was absent (the kernel omits both when addr_len is 0)
  bool operator==(const HwAddr& o) const {
    return len == o.len && std::equal(bytes.begin(), bytes.begin() + len, o.bytes.begin());
  }
};

// One RTM_NEWLINK message. Optional fields are attributes an older kernel (or a device) may
// leave out; the integers are as the kernel sends them (unsigned), before any sysfs-style
// formatting.
struct Link {
  int32_t index = 0;    // ifi_index
  uint16_t type = 0;    // ifi_type (ARPHRD_*)
  uint32_t flags = 0;   // ifi_flags: dev_get_flags(), which is not dev->flags
  std::string name;     // IFLA_IFNAME
  std::string ifalias;  // IFLA_IFALIAS (absent: no alias)
  HwAddr address, broadcast;
  std::optional<uint32_t> mtu, tx_queue_len, group, link, promiscuity, allmulti, carrier_changes,
      carrier_up_count, carrier_down_count;
  std::optional<uint8_t> operstate, link_mode, carrier;
  bool has_stats = false;            // IFLA_STATS64 present
  std::array<uint64_t, 24> stats{};  // kLinkStatFields order; fields an old kernel lacks are 0
};

struct LinkDump {
  std::vector<Link> links;   // every RTM_NEWLINK message with a name, in dump order
  bool done = false;         // NLMSG_DONE (or an NLMSG_ERROR ending the dump) seen
  bool interrupted = false;  // NLM_F_DUMP_INTR: the link list changed while it was dumped
  int error = 0;             // the (positive) errno of an NLMSG_ERROR that ended the dump
  bool truncated = false;    // a message ran past the end of its buffer
  parse::ParseErrors errors;
  DumpState state() const { return {done, interrupted, error, truncated}; }
};

// Parses one recv() buffer of a dump, appending to `out`. A malformed attribute is reported in
// out->errors (naming the message offset in `buf`, the ifindex and the attribute) and skipped;
// a message whose attribute chain breaks keeps the attributes before the break; a message cut
// short ends the buffer's parse. Other messages are kept.
void parse_link_dump(std::span<const uint8_t> buf, LinkDump* out);

// sysfs_format_mac's text: lowercase hex bytes joined by ':' ("" for an absent address).
std::string format_hwaddr(const HwAddr& a);

}  // namespace vitals::netlink
