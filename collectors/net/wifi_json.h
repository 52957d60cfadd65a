// node_exporter's wifi fixture format (the JSON under --collector.wifi.fixtures): mdlayher/wifi's
// Interface, BSS and StationInfo as Go's encoding/json writes them (keys matched
// case-insensitively, hardware addresses base64, durations in nanoseconds). Absent keys are 0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::net {

struct WifiInterface {
  std::string name;
  int64_t type = 0;
  int64_t frequency_mhz = 0;
  // The nl80211 source's request keys (collectors/netlink/nl80211.h); not read from the JSON.
  uint32_t index = 0;
  std::string hardware_addr;  // raw bytes
};

struct WifiBss {
  std::string ssid;
  std::string bssid;  // "00:11:22:33:44:55"
  int64_t status = 0;
};

struct WifiStation {
  std::string mac;  // "aa:bb:cc:dd:ee:ff"
  int64_t connected_ns = 0;
  int64_t inactive_ns = 0;
  int64_t received_bytes = 0;
  int64_t transmitted_bytes = 0;
  int64_t receive_bitrate = 0;
  int64_t transmit_bitrate = 0;
  int64_t signal = 0;
  int64_t transmit_retries = 0;
  int64_t transmit_failed = 0;
  int64_t beacon_loss = 0;
};

// Go's net.HardwareAddr text of base64 `b64` ("qrvM3e7/" -> "aa:bb:cc:dd:ee:ff"); false when
// it is not base64.
bool hardware_addr(std::string_view b64, std::string* out);

// interfaces.json: an array. Errors (in `errors`) name the element.
std::vector<WifiInterface> parse_wifi_interfaces(std::string_view json, parse::ParseErrors& errors);
// bss.json: one object; false (with an error) when it is not one.
bool parse_wifi_bss(std::string_view json, WifiBss* out, parse::ParseErrors& errors);
// stationinfo.json: an array.
std::vector<WifiStation> parse_wifi_stations(std::string_view json, parse::ParseErrors& errors);

}  // namespace vitals::net
