#include "collectors/netlink/nl80211.h"

#include <linux/nl80211.h>

#include <cstring>

namespace vitals::netlink {
namespace {

constexpr uint16_t kDump = NLM_F_REQUEST | NLM_F_DUMP;

GenlRequest per_interface(const GenlFamily& f, uint8_t cmd, const net::WifiInterface& ifi) {
  GenlRequest r(f.id, cmd, f.version, kDump);
  r.put_u32(NL80211_ATTR_IFINDEX, ifi.index);
  if (!ifi.hardware_addr.empty()) {
    // A hardware address longer than the request has room for is not sent (none is).
    r.put(NL80211_ATTR_MAC, ifi.hardware_addr.data(), ifi.hardware_addr.size());
  }
  return r;
}

std::string_view as_text(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

// A NUL-terminated string attribute (the NUL and anything after it dropped).
std::string_view as_cstr(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), strnlen(reinterpret_cast<const char*>(p), n)};
}

// The walk of one message's attributes with one error for all ways it can go wrong: `why` is
// set by walk_attrs (a bad length) or by a handler (a bad payload), and later attributes are
// then ignored.
template <class F>
bool walk(const uint8_t* begin, const uint8_t* end, std::string* why, F&& on_attr) {
  std::string inner;
  bool ok = walk_attrs(begin, end, &inner, [&](uint16_t type, const uint8_t* p, size_t n) {
    if (why->empty()) on_attr(type, p, n);
  });
  if (!ok && why->empty()) *why = inner;
  return why->empty();
}

// NL80211_STA_INFO_{RX,TX}_BITRATE: the bitrate in bits per second.
bool parse_rate(const uint8_t* p, size_t n, int64_t* out, std::string* why) {
  int64_t rate = 0;
  walk(p, p + n, why, [&](uint16_t type, const uint8_t* q, size_t m) {
    if (type == NL80211_RATE_INFO_BITRATE32) {
      uint32_t v = 0;
      if (attr_value("NL80211_RATE_INFO_BITRATE32", q, m, &v, why)) rate = v;
    } else if (type == NL80211_RATE_INFO_BITRATE && rate == 0) {
      // The 16-bit rate counts only while no 32-bit one has been seen (a later BITRATE32
      // overrides it), as in mdlayher/wifi.
      uint16_t v = 0;
      if (attr_value("NL80211_RATE_INFO_BITRATE", q, m, &v, why)) rate = v;
    }
  });
  if (!why->empty()) return false;
  *out = rate * 100 * 1000;  // 100 kbit/s units
  return true;
}

bool parse_sta_info(const uint8_t* p, size_t n, net::WifiStation* s, std::string* why) {
  walk(p, p + n, why, [&](uint16_t type, const uint8_t* q, size_t m) {
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    switch (type) {
      case NL80211_STA_INFO_CONNECTED_TIME:  // seconds
        if (attr_value("NL80211_STA_INFO_CONNECTED_TIME", q, m, &u32, why)) {
          s->connected_ns = static_cast<int64_t>(u32) * 1000000000;
        }
        break;
      case NL80211_STA_INFO_INACTIVE_TIME:  // milliseconds
        if (attr_value("NL80211_STA_INFO_INACTIVE_TIME", q, m, &u32, why)) {
          s->inactive_ns = static_cast<int64_t>(u32) * 1000000;
        }
        break;
      case NL80211_STA_INFO_RX_BYTES64:
        if (attr_value("NL80211_STA_INFO_RX_BYTES64", q, m, &u64, why)) {
          s->received_bytes = static_cast<int64_t>(u64);
        }
        break;
      case NL80211_STA_INFO_TX_BYTES64:
        if (attr_value("NL80211_STA_INFO_TX_BYTES64", q, m, &u64, why)) {
          s->transmitted_bytes = static_cast<int64_t>(u64);
        }
        break;
      // The 32-bit byte counters count only while the 64-bit one is 0 (absent or not yet seen).
      case NL80211_STA_INFO_RX_BYTES:
        if (s->received_bytes == 0 && attr_value("NL80211_STA_INFO_RX_BYTES", q, m, &u32, why)) {
          s->received_bytes = u32;
        }
        break;
      case NL80211_STA_INFO_TX_BYTES:
        if (s->transmitted_bytes == 0 && attr_value("NL80211_STA_INFO_TX_BYTES", q, m, &u32, why)) {
          s->transmitted_bytes = u32;
        }
        break;
      case NL80211_STA_INFO_SIGNAL: {  // u8 holding a signed dBm value
        uint8_t v = 0;
        if (attr_value("NL80211_STA_INFO_SIGNAL", q, m, &v, why)) {
          s->signal = static_cast<int8_t>(v);
        }
        break;
      }
      case NL80211_STA_INFO_TX_RETRIES:
        if (attr_value("NL80211_STA_INFO_TX_RETRIES", q, m, &u32, why)) s->transmit_retries = u32;
        break;
      case NL80211_STA_INFO_TX_FAILED:
        if (attr_value("NL80211_STA_INFO_TX_FAILED", q, m, &u32, why)) s->transmit_failed = u32;
        break;
      case NL80211_STA_INFO_BEACON_LOSS:
        if (attr_value("NL80211_STA_INFO_BEACON_LOSS", q, m, &u32, why)) s->beacon_loss = u32;
        break;
      case NL80211_STA_INFO_RX_BITRATE:
      case NL80211_STA_INFO_TX_BITRATE: {
        const bool rx = type == NL80211_STA_INFO_RX_BITRATE;
        std::string inner;
        if (!parse_rate(q, m, rx ? &s->receive_bitrate : &s->transmit_bitrate, &inner)) {
          *why =
              std::string(rx ? "NL80211_STA_INFO_RX_BITRATE: " : "NL80211_STA_INFO_TX_BITRATE: ") +
              inner;
        }
        break;
      }
      default:
        break;
    }
  });
  return why->empty();
}

// The SSID from NL80211_BSS_INFORMATION_ELEMENTS (802.11 elements: id, length, data); false
// when the elements do not parse.
bool parse_ies(const uint8_t* p, size_t n, std::string* ssid, std::string* why) {
  size_t i = 0;
  while (i < n) {
    if (n - i < 2 || p[i + 1] > n - i - 2) {
      *why = "NL80211_BSS_INFORMATION_ELEMENTS: element at byte " + std::to_string(i) +
             " runs past the attribute";
      return false;
    }
    const uint8_t id = p[i];
    const size_t len = p[i + 1];
    if (id == 0) *ssid = go_utf8(as_text(p + i + 2, len));  // the last SSID element wins
    i += 2 + len;
  }
  return true;
}

bool has_attr(const uint8_t* begin, const uint8_t* end, uint16_t want, std::string* why) {
  bool found = false;
  walk(begin, end, why, [&](uint16_t type, const uint8_t*, size_t) {
    if (type == want) found = true;
  });
  return found;
}

}  // namespace

GenlRequest interface_request(const GenlFamily& f) {
  return GenlRequest(f.id, NL80211_CMD_GET_INTERFACE, f.version, kDump);
}

GenlRequest station_request(const GenlFamily& f, const net::WifiInterface& ifi) {
  return per_interface(f, NL80211_CMD_GET_STATION, ifi);
}

GenlRequest scan_request(const GenlFamily& f, const net::WifiInterface& ifi) {
  return per_interface(f, NL80211_CMD_GET_SCAN, ifi);
}

void parse_interface_dump(std::span<const uint8_t> buf, uint16_t family, WifiInterfaceDump* out) {
  walk_genl(buf, family, &out->state, &out->errors,
            [out](uint8_t, const uint8_t* begin, const uint8_t* end, size_t off) {
              if (out->interfaces.size() >= kMaxWifiInterfaces) {
                if (out->left_out++ == 0) {
                  out->errors.add(0, "more than " + std::to_string(kMaxWifiInterfaces) +
                                         " interfaces; the rest are left out");
                }
                return;
              }
              net::WifiInterface ifi;
              std::string why;
              walk(begin, end, &why, [&](uint16_t type, const uint8_t* p, size_t n) {
                uint32_t v = 0;
                switch (type) {
                  case NL80211_ATTR_IFINDEX:
                    attr_value("NL80211_ATTR_IFINDEX", p, n, &ifi.index, &why);
                    break;
                  case NL80211_ATTR_IFNAME:
                    ifi.name = as_cstr(p, n);
                    break;
                  case NL80211_ATTR_MAC:
                    ifi.hardware_addr.assign(as_text(p, n));
                    break;
                  case NL80211_ATTR_IFTYPE:
                    if (attr_value("NL80211_ATTR_IFTYPE", p, n, &v, &why)) ifi.type = v;
                    break;
                  case NL80211_ATTR_WIPHY_FREQ:
                    if (attr_value("NL80211_ATTR_WIPHY_FREQ", p, n, &v, &why)) {
                      ifi.frequency_mhz = v;
                    }
                    break;
                  default:
                    break;
                }
              });
              if (!why.empty()) {
                out->errors.add(
                    0, "NL80211_CMD_NEW_INTERFACE at offset " + std::to_string(off) + ": " + why);
                return;
              }
              out->interfaces.push_back(std::move(ifi));
            });
}

void parse_station_dump(std::span<const uint8_t> buf, uint16_t family, WifiStationDump* out) {
  walk_genl(buf, family, &out->state, &out->errors,
            [out](uint8_t, const uint8_t* begin, const uint8_t* end, size_t off) {
              net::WifiStation s;
              std::string mac;
              bool info = false;
              std::string why;
              walk(begin, end, &why, [&](uint16_t type, const uint8_t* p, size_t n) {
                if (info) return;  // mdlayher/wifi stops at the station information
                if (type == NL80211_ATTR_MAC) {
                  mac.assign(as_text(p, n));
                } else if (type == NL80211_ATTR_STA_INFO) {
                  info = true;
                  std::string inner;
                  if (!parse_sta_info(p, n, &s, &inner)) why = "NL80211_ATTR_STA_INFO: " + inner;
                }
              });
              if (!why.empty()) {
                out->errors.add(
                    0, "NL80211_CMD_NEW_STATION at offset " + std::to_string(off) + ": " + why);
                return;
              }
              if (!info) {
                out->without_info = true;
                return;
              }
              if (out->stations.size() >= kMaxWifiStations) {
                if (out->left_out++ == 0) {
                  out->errors.add(0, "more than " + std::to_string(kMaxWifiStations) +
                                         " stations; the rest are left out");
                }
                return;
              }
              s.mac = hardware_addr_text(mac);
              out->stations.push_back(std::move(s));
            });
}

void parse_scan_dump(std::span<const uint8_t> buf, uint16_t family, WifiScanDump* out) {
  walk_genl(buf, family, &out->state, &out->errors,
            [out](uint8_t, const uint8_t* begin, const uint8_t* end, size_t off) {
              if (out->bss) return;  // the first BSS with a status is the one
              std::string why;
              std::optional<net::WifiBss> found;
              walk(begin, end, &why, [&](uint16_t type, const uint8_t* p, size_t n) {
                if (type != NL80211_ATTR_BSS || found) return;
                std::string inner;
                if (!has_attr(p, p + n, NL80211_BSS_STATUS, &inner)) {
                  if (!inner.empty()) why = "NL80211_ATTR_BSS: " + inner;
                  return;
                }
                net::WifiBss bss;
                walk(p, p + n, &inner, [&](uint16_t t, const uint8_t* q, size_t m) {
                  if (t == NL80211_BSS_BSSID) {
                    bss.bssid = hardware_addr_text(as_text(q, m));
                  } else if (t == NL80211_BSS_STATUS) {
                    uint32_t v = 0;
                    if (attr_value("NL80211_BSS_STATUS", q, m, &v, &inner)) bss.status = v;
                  } else if (t == NL80211_BSS_INFORMATION_ELEMENTS) {
                    parse_ies(q, m, &bss.ssid, &inner);
                  }
                });
                if (!inner.empty()) {
                  why = "NL80211_ATTR_BSS: " + inner;
                  return;
                }
                found = std::move(bss);
              });
              if (!why.empty()) {
                out->errors.add(0, "NL80211_CMD_NEW_SCAN_RESULTS at offset " + std::to_string(off) +
                                       ": " + why);
                return;
              }
              if (found) out->bss = std::move(found);
            });
}

std::string hardware_addr_text(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(raw.size() * 3);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (i) s += ':';
    const auto b = static_cast<uint8_t>(raw[i]);
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

std::string go_utf8(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    const auto c = static_cast<uint8_t>(raw[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // The length of the sequence and the range of its second byte (Go's utf8 "first" table:
    // no overlong forms, no surrogates, nothing past U+10FFFF).
    size_t len = 0;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    }
    bool ok = len != 0 && raw.size() - i >= len;
    for (size_t k = 1; ok && k < len; ++k) {
      const auto b = static_cast<uint8_t>(raw[i + k]);
      ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xbf);
    }
    if (ok) {
      out.append(raw.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";  // U+FFFD
      ++i;
    }
  }
  return out;
}

}  // namespace vitals::netlink
