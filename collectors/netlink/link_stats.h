// RTM_GETLINK dump replies (rtnetlink(7)) reduced to each link's name and its
// struct rtnl_link_stats64 counters. Pure: bytes in, structs out.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vitals::netlink {

// The counters of struct rtnl_link_stats64 in the kernel's field order (linux/if_link.h).
inline constexpr std::array<std::string_view, 24> kLinkStatFields = {
    "rx_packets",        "tx_packets",        "rx_bytes",         "tx_bytes",
    "rx_errors",         "tx_errors",         "rx_dropped",       "tx_dropped",
    "multicast",         "collisions",        "rx_length_errors", "rx_over_errors",
    "rx_crc_errors",     "rx_frame_errors",   "rx_fifo_errors",   "rx_missed_errors",
    "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",   "tx_heartbeat_errors",
    "tx_window_errors",  "rx_compressed",     "tx_compressed",    "rx_nohandler"};

struct LinkStats {
  std::string name;
  std::array<uint64_t, 24> stats{};  // kLinkStatFields order; fields an old kernel lacks are 0
};

struct LinkDump {
  std::vector<LinkStats> links;  // links without IFLA_STATS64 are left out
  bool done = false;             // NLMSG_DONE seen
  std::vector<std::string> errors;
};

// Parses one recv() buffer of a dump, appending to `out`.
void parse_link_dump(std::span<const uint8_t> buf, LinkDump* out);

}  // namespace vitals::netlink
