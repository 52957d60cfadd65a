// One TCP or UDP socket as the kernel reports it, from either source: a netlink sock_diag dump
// (collectors/net/sock_diag.h) or a line of /proc/net/{tcp,tcp6,udp,udp6}
// (collectors/procfs/net_sockets.h). A plain value filled in place per socket: no heap.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vitals::net {

// Kernel socket states (include/net/tcp_states.h). UDP uses kClose for unconnected sockets and
// kEstablished for connected ones.
enum TcpState : uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
};
inline constexpr int kMaxTcpState = 11;

// State masks for a dump request: bit (1 << state). kAllStates is node_exporter's TCPF_ALL
// (bits 0..11: every state up to TCP_CLOSING; bit 0 names no state).
inline constexpr uint32_t state_bit(int state) {
  return uint32_t{1} << state;
}
inline constexpr uint32_t kAllStates = 0xFFF;

struct InetSocket {
  uint8_t family = 0;  // AF_INET or AF_INET6
  uint8_t state = 0;
  uint16_t local_port = 0;                // host byte order
  uint16_t remote_port = 0;               // host byte order
  std::array<uint8_t, 16> local_addr{};   // network byte order; AF_INET uses the first 4 bytes
  std::array<uint8_t, 16> remote_addr{};  // likewise
  uint32_t rqueue = 0;  // TCP listener: accept queue length; TCP: unread bytes; UDP: rmem bytes
  uint32_t wqueue = 0;  // TCP listener (netlink only): the backlog; TCP: unacked bytes
  uint32_t uid = 0;
  uint32_t inode = 0;
  std::optional<uint32_t> drops;  // netlink with SK_MEMINFO asked for, or /proc/net/udp*
};

// node_exporter's names for the TCP states ("established", "time_wait", ...); "unknown" for
// anything else.
std::string_view tcp_state_name(int state);

// The local address of `s` in text form ("127.0.0.1", "::") into `buf`.
inline constexpr size_t kAddrBufSize = 48;
std::string_view format_address(int family, const std::array<uint8_t, 16>& addr,
                                char (&buf)[kAddrBufSize]);

}  // namespace vitals::net
