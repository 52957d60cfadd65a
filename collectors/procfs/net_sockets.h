// /proc/net/{tcp,tcp6,udp,udp6}: one socket per line, the fallback source of the sockets and
// tcpstat collectors when netlink sock_diag is unavailable (or --collector.<c>.source=procfs).
// Pure: text in, one net::InetSocket per line out, no heap per line.
#pragma once

#include <string>
#include <string_view>

#include "collectors/net/inet_socket.h"
#include "core/parse.h"

namespace vitals::procfs {

enum class NetSocketFile { kTcp, kTcp6, kUdp, kUdp6 };

// Parses one socket line (not the header line). Returns false with *error saying what is wrong.
// Fields used: local and remote address:port, st, tx_queue:rx_queue, uid, inode and, for UDP,
// drops. A TCP listener's tx_queue is 0 here: /proc does not show the backlog.
bool parse_net_socket_line(std::string_view line, NetSocketFile kind, net::InetSocket* out,
                           std::string* error);

// True when `line` is the header ("  sl  local_address rem_address ...").
bool is_net_socket_header(std::string_view line);

// A whole file: skips the header and blank lines, calls fn(const net::InetSocket&) per socket and
// stops at the first malformed line with *error = "line N: ...". Returns false on error.
template <class Fn>
bool parse_net_sockets(std::string_view text, NetSocketFile kind, Fn&& fn, std::string* error) {
  std::string_view line;
  net::InetSocket s;
  for (int n = 1; parse::next_line(text, line); ++n) {
    if (parse::trim(line).empty() || (n == 1 && is_net_socket_header(line))) continue;
    std::string why;
    if (!parse_net_socket_line(line, kind, &s, &why)) {
      *error = "line " + std::to_string(n) + ": " + why;
      return false;
    }
    fn(static_cast<const net::InetSocket&>(s));
  }
  return true;
}

}  // namespace vitals::procfs
