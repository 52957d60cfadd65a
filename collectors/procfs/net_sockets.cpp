#include "collectors/procfs/net_sockets.h"

#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace vitals::procfs {
namespace {

bool hex_u32(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 8) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
  return ec == std::errc() && p == s.data() + s.size();
}

// "0100007F:1F90" (AF_INET) or 32 hex digits ":" port (AF_INET6). The kernel prints each 32-bit
// word of the address as the host-order number it holds in memory, so storing the parsed number
// back in host order gives the address bytes on any endianness.
bool parse_endpoint(std::string_view f, bool v6, std::array<uint8_t, 16>* addr, uint16_t* port) {
  size_t colon = f.find(':');
  size_t hex_len = v6 ? 32 : 8;
  if (colon != hex_len || f.size() != hex_len + 5) return false;
  addr->fill(0);
  for (size_t w = 0; w < hex_len / 8; ++w) {
    uint32_t v;
    if (!hex_u32(f.substr(w * 8, 8), &v)) return false;
    std::memcpy(addr->data() + w * 4, &v, 4);
  }
  uint32_t p;
  if (!hex_u32(f.substr(colon + 1), &p) || p > 0xFFFF) return false;
  *port = static_cast<uint16_t>(p);
  return true;
}

bool fail(std::string* error, std::string_view what, std::string_view line) {
  *error = std::string(what) + " in \"" + std::string(parse::trim(line).substr(0, 100)) + "\"";
  return false;
}

}  // namespace

bool is_net_socket_header(std::string_view line) {
  std::string_view f;
  return parse::next_field(line, f) && f == "sl";
}

bool parse_net_socket_line(std::string_view line, NetSocketFile kind, net::InetSocket* out,
                           std::string* error) {
  const bool v6 = kind == NetSocketFile::kTcp6 || kind == NetSocketFile::kUdp6;
  const bool udp = kind == NetSocketFile::kUdp || kind == NetSocketFile::kUdp6;
  // sl local rem st tx:rx tr:when retrnsmt uid timeout inode [ref ptr drops (UDP) | ...]
  std::string_view rest = line, f[13];
  int n = 0;
  while (n < 13 && parse::next_field(rest, f[n])) ++n;
  const int need = udp ? 13 : 10;
  if (n < need) {
    return fail(error,
                "expected at least " + std::to_string(need) + " fields, got " + std::to_string(n),
                line);
  }
  if (f[0].size() < 2 || f[0].back() != ':' || !parse::to_u64(f[0].substr(0, f[0].size() - 1))) {
    return fail(error, "invalid slot \"" + std::string(f[0]) + "\"", line);
  }
  out->family = v6 ? AF_INET6 : AF_INET;
  if (!parse_endpoint(f[1], v6, &out->local_addr, &out->local_port)) {
    return fail(error, "invalid local address \"" + std::string(f[1]) + "\"", line);
  }
  if (!parse_endpoint(f[2], v6, &out->remote_addr, &out->remote_port)) {
    return fail(error, "invalid remote address \"" + std::string(f[2]) + "\"", line);
  }
  uint32_t st;
  if (f[3].size() != 2 || !hex_u32(f[3], &st)) {
    return fail(error, "invalid state \"" + std::string(f[3]) + "\"", line);
  }
  out->state = static_cast<uint8_t>(st);
  size_t colon = f[4].find(':');
  if (colon == std::string_view::npos || !hex_u32(f[4].substr(0, colon), &out->wqueue) ||
      !hex_u32(f[4].substr(colon + 1), &out->rqueue)) {
    return fail(error, "invalid tx_queue:rx_queue \"" + std::string(f[4]) + "\"", line);
  }
  auto uid = parse::to_u64(f[7]);
  if (!uid || *uid > 0xFFFFFFFFu)
    return fail(error, "invalid uid \"" + std::string(f[7]) + "\"", line);
  out->uid = static_cast<uint32_t>(*uid);
  auto inode = parse::to_u64(f[9]);
  if (!inode || *inode > 0xFFFFFFFFu) {
    return fail(error, "invalid inode \"" + std::string(f[9]) + "\"", line);
  }
  out->inode = static_cast<uint32_t>(*inode);
  out->drops.reset();
  if (udp) {
    auto drops = parse::to_u64(f[12]);
    if (!drops || *drops > 0xFFFFFFFFu) {
      return fail(error, "invalid drops \"" + std::string(f[12]) + "\"", line);
    }
    out->drops = static_cast<uint32_t>(*drops);
  }
  return true;
}

}  // namespace vitals::procfs
