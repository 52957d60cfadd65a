// nl80211 (the cfg80211 generic netlink family) replies reduced to what node_exporter 1.5.0's
// wifi collector reads through mdlayher/wifi, in the structs the fixture JSON path fills
// (collectors/net/wifi_json.h), and the requests that library sends:
//   NL80211_CMD_GET_INTERFACE dump: NL80211_ATTR_IFINDEX, _IFNAME, _MAC, _IFTYPE, _WIPHY_FREQ;
//   NL80211_CMD_GET_STATION dump per interface (NL80211_ATTR_IFINDEX and _MAC of the interface):
//     NL80211_ATTR_MAC and the nested NL80211_ATTR_STA_INFO (connected and inactive time, byte
//     counters (64-bit ones preferred), signal, retries, failures, beacon loss, and the rx/tx
//     NL80211_RATE_INFO_BITRATE32 (or 16-bit BITRATE) in 100 kbit/s);
//   NL80211_CMD_GET_SCAN dump per interface: the first NL80211_ATTR_BSS carrying
//     NL80211_BSS_STATUS (the BSS the interface is in): BSSID, status, SSID from the information
//     elements.
// Parsers are pure (one recv() buffer in, appended to a dump struct). A malformed message (an
// attribute running past its parent, a fixed-size payload of the wrong size, bad information
// elements) is left out with an item error naming its offset; the other messages are kept.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/net/wifi_json.h"
#include "collectors/netlink/genl.h"
#include "core/parse.h"

namespace vitals::netlink {

// Bounds on one scrape's dumps (a dump past them keeps the first ones, with an item error).
constexpr size_t kMaxWifiInterfaces = 1024;
constexpr size_t kMaxWifiStations = 8192;  // per interface (an access point's clients)

// Requests as mdlayher/wifi sends them (flags NLM_F_REQUEST|NLM_F_DUMP, the family's version).
GenlRequest interface_request(const GenlFamily& f);
// GET_STATION or GET_SCAN for `ifi`: its ifindex, and its hardware address when it has one.
GenlRequest station_request(const GenlFamily& f, const net::WifiInterface& ifi);
GenlRequest scan_request(const GenlFamily& f, const net::WifiInterface& ifi);

struct WifiInterfaceDump {
  std::vector<net::WifiInterface> interfaces;  // dump order, unnamed ones included
  size_t left_out = 0;                         // past kMaxWifiInterfaces
  DumpState state;
  parse::ParseErrors errors;
};
void parse_interface_dump(std::span<const uint8_t> buf, uint16_t family, WifiInterfaceDump* out);

struct WifiStationDump {
  std::vector<net::WifiStation> stations;
  // A station message without NL80211_ATTR_STA_INFO: mdlayher/wifi then reports the interface
  // as having no station information at all (os.ErrNotExist), and so does the collector.
  bool without_info = false;
  size_t left_out = 0;  // past kMaxWifiStations
  DumpState state;
  parse::ParseErrors errors;
};
void parse_station_dump(std::span<const uint8_t> buf, uint16_t family, WifiStationDump* out);

struct WifiScanDump {
  std::optional<net::WifiBss> bss;  // the first BSS with a status
  DumpState state;
  parse::ParseErrors errors;
};
void parse_scan_dump(std::span<const uint8_t> buf, uint16_t family, WifiScanDump* out);

// Go's net.HardwareAddr.String(): lower-case hex bytes joined by ':' ("" for none).
std::string hardware_addr_text(std::string_view raw);
// Go's decoding of an SSID rune by rune: valid UTF-8 kept, each byte of an invalid sequence
// becomes U+FFFD.
std::string go_utf8(std::string_view raw);

}  // namespace vitals::netlink
