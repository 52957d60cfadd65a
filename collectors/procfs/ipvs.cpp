#include "collectors/procfs/ipvs.h"

#include <arpa/inet.h>

#include <charconv>

namespace vitals::procfs {

namespace {

std::optional<uint64_t> hex(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

IpvsStats parse_ip_vs_stats(std::string_view text) {
  IpvsStats out;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    if (++n != 3) continue;
    std::string_view rest = line, f[6];
    int count = 0;
    while (count < 6 && parse::next_field(rest, f[count])) ++count;
    if (count != 5) {
      out.errors.add(n, "expected 5 totals", line);
      return out;
    }
    std::optional<uint64_t>* dst[] = {&out.connections, &out.incoming_packets,
                                      &out.outgoing_packets, &out.incoming_bytes,
                                      &out.outgoing_bytes};
    for (int i = 0; i < 5; ++i) {
      *dst[i] = hex(f[i]);
      if (!*dst[i]) out.errors.add(n, "invalid hexadecimal number", line);
    }
    return out;
  }
  out.errors.add(0, "too short: no totals line");
  return out;
}

bool parse_ipvs_address(std::string_view s, std::string* address, uint16_t* port) {
  char buf[INET6_ADDRSTRLEN];
  if (s.size() == 13 && s[8] == ':') {
    auto v = hex(s.substr(0, 8));
    if (!v) return false;
    uint32_t a = static_cast<uint32_t>(*v);
    address->assign(std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
                    std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255));
  } else if (s.size() == 46 && s[0] == '[' && s[40] == ']' && s[41] == ':') {
    std::string text(s.substr(1, 39));
    unsigned char raw[16];
    if (inet_pton(AF_INET6, text.c_str(), raw) != 1) return false;
    bool mapped = true;  // Go prints an IPv4-mapped address in dotted form
    for (int i = 0; i < 10; ++i) mapped = mapped && raw[i] == 0;
    mapped = mapped && raw[10] == 0xff && raw[11] == 0xff;
    if (mapped) {
      address->assign(std::to_string(raw[12]) + "." + std::to_string(raw[13]) + "." +
                      std::to_string(raw[14]) + "." + std::to_string(raw[15]));
    } else {
      if (!inet_ntop(AF_INET6, raw, buf, sizeof buf)) return false;
      address->assign(buf);
    }
  } else {
    return false;
  }
  auto p = hex(s.substr(s.size() - 4));
  if (!p || *p > 0xffff) return false;
  *port = static_cast<uint16_t>(*p);
  return true;
}

Ipvs parse_ip_vs(std::string_view text) {
  Ipvs out;
  std::string proto, mark, local_address;
  uint16_t local_port = 0;
  bool have_service = false;
  std::string_view line;
  int n = 0;
  while (parse::next_line(text, line)) {
    ++n;
    std::string_view rest = line, f[6];
    int count = 0;
    while (count < 6 && parse::next_field(rest, f[count])) ++count;
    if (count == 0) continue;
    if (f[0] == "IP" || f[0] == "Prot" || (count > 1 && f[1] == "RemoteAddress:Port")) continue;
    if (f[0] == "TCP" || f[0] == "UDP") {
      if (count < 2) continue;
      if (!parse_ipvs_address(f[1], &local_address, &local_port)) {
        out.errors.add(n, "invalid address", line);
        have_service = false;
        continue;
      }
      proto.assign(f[0]);
      mark.clear();
      have_service = true;
    } else if (f[0] == "FWM") {
      if (count < 2) continue;
      proto.assign(f[0]);
      mark.assign(f[1]);
      local_address.clear();
      local_port = 0;
      have_service = true;
    } else if (f[0] == "->") {
      if (count < 6) continue;
      if (!have_service) {
        out.errors.add(n, "real server without a valid virtual server", line);
        continue;
      }
      IpvsBackend b;
      auto w = parse::to_u64(f[3]), a = parse::to_u64(f[4]), i = parse::to_u64(f[5]);
      if (!parse_ipvs_address(f[1], &b.remote_address, &b.remote_port) || !w || !a || !i) {
        out.errors.add(n, "invalid real server", line);
        continue;
      }
      b.proto = proto;
      b.local_mark = mark;
      b.local_address = local_address;
      b.local_port = local_port;
      b.weight = *w;
      b.active = *a;
      b.inactive = *i;
      out.backends.push_back(std::move(b));
    }
  }
  return out;
}

}  // namespace vitals::procfs
