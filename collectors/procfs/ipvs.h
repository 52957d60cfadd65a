// /proc/net/ip_vs_stats and /proc/net/ip_vs (IPVS virtual servers and their real servers), read
// as node_exporter 1.5.0 (through prometheus/procfs) reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// ip_vs_stats: the totals on its third line, five hexadecimal numbers.
struct IpvsStats {
  std::optional<uint64_t> connections, incoming_packets, outgoing_packets, incoming_bytes,
      outgoing_bytes;
  parse::ParseErrors errors;  // "line N: ..."
};
IpvsStats parse_ip_vs_stats(std::string_view text);

struct IpvsBackend {
  std::string proto;          // TCP, UDP or FWM
  std::string local_mark;     // FWM: the firewall mark as printed; else empty
  std::string local_address;  // "192.168.0.22", "2620::1"; empty for FWM
  uint16_t local_port = 0;
  std::string remote_address;
  uint16_t remote_port = 0;
  uint64_t weight = 0;
  uint64_t active = 0;
  uint64_t inactive = 0;
};

struct Ipvs {
  std::vector<IpvsBackend> backends;
  parse::ParseErrors errors;  // "line N: ..."
};
Ipvs parse_ip_vs(std::string_view text);

// "C0A80016:0CEA" or "[2620:0000:...:0001]:0050" -> address text as Go's net.IP prints it, port.
bool parse_ipvs_address(std::string_view s, std::string* address, uint16_t* port);

}  // namespace vitals::procfs
