#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// The 16 counters of one /proc/net/dev line, in the file's column order.
inline constexpr std::array<std::string_view, 16> kNetDevFields = {
    "receive_bytes",  "receive_packets",  "receive_errs",       "receive_drop",
    "receive_fifo",   "receive_frame",    "receive_compressed", "receive_multicast",
    "transmit_bytes", "transmit_packets", "transmit_errs",      "transmit_drop",
    "transmit_fifo",  "transmit_colls",   "transmit_carrier",   "transmit_compressed"};

struct NetDevLine {
  std::string_view device;  // points into the parsed text
  std::array<double, 16> values{};
};

struct NetDev {
  std::vector<NetDevLine> devices;
  parse::ParseErrors errors;
};

// Appends to `out` (cleared first), so a collector can reuse its vectors.
void parse_net_dev(std::string_view text, NetDev* out);

}  // namespace vitals::procfs
