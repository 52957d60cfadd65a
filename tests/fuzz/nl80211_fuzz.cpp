// nl80211 generic netlink replies through the wifi collector's parsers (collectors/netlink/
// nl80211.h, genl.h). The first byte picks the parser ('A' + index: the CTRL_CMD_GETFAMILY
// reply, the interface, station and scan dumps; family id 0x1c), the rest is one received
// datagram. Checks: item errors have a message; the bounds hold; addresses format to
// "xx:xx:..."; SSIDs and names written as labels are UTF-8 where the kernel's are (SSIDs always:
// they go through go_utf8). Seeds: corpus/nl80211/.
#include <cctype>
#include <span>
#include <string>
#include <vector>

#include "collectors/netlink/genl.h"
#include "collectors/netlink/nl80211.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

void check_errors(const vitals::parse::ParseErrors& errors) {
  for (const vitals::parse::ItemError& e : errors) VITALS_FUZZ_CHECK(!e.message.empty());
}

bool mac_text(const std::string& s) {
  if (s.empty()) return true;
  if (s.size() % 3 != 2) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2 ? s[i] != ':' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitals;
  if (size < 1) return 0;
  // A copy in its own heap block, so ASan sees a read past it.
  std::vector<uint8_t> buf(data + 1, data + size);
  std::span<const uint8_t> in(buf.data(), buf.size());
  constexpr uint16_t kFamily = 0x1c;
  switch (fuzz::selector(data[0], 4)) {
    case 0: {
      netlink::GenlFamily f;
      netlink::DumpState state;
      parse::ParseErrors errors;
      netlink::parse_family_reply(in, "nl80211", &f, &state, &errors);
      check_errors(errors);
      VITALS_FUZZ_CHECK(!f.found || state.done);
      break;
    }
    case 1: {
      netlink::WifiInterfaceDump d;
      netlink::parse_interface_dump(in, kFamily, &d);
      check_errors(d.errors);
      VITALS_FUZZ_CHECK(d.interfaces.size() <= netlink::kMaxWifiInterfaces);
      for (const auto& i : d.interfaces) {
        VITALS_FUZZ_CHECK(i.name.find('\0') == std::string::npos);
        VITALS_FUZZ_CHECK(mac_text(netlink::hardware_addr_text(i.hardware_addr)));
      }
      break;
    }
    case 2: {
      netlink::WifiStationDump d;
      netlink::parse_station_dump(in, kFamily, &d);
      check_errors(d.errors);
      VITALS_FUZZ_CHECK(d.stations.size() <= netlink::kMaxWifiStations);
      for (const auto& s : d.stations) {
        VITALS_FUZZ_CHECK(mac_text(s.mac));
        VITALS_FUZZ_CHECK(s.signal >= -128 && s.signal <= 127);
        VITALS_FUZZ_CHECK(s.receive_bitrate >= 0 && s.transmit_bitrate >= 0);
      }
      break;
    }
    default: {
      netlink::WifiScanDump d;
      netlink::parse_scan_dump(in, kFamily, &d);
      check_errors(d.errors);
      if (d.bss) {
        VITALS_FUZZ_CHECK(mac_text(d.bss->bssid));
        VITALS_FUZZ_CHECK(fuzz::valid_utf8(d.bss->ssid));
      }
      VITALS_FUZZ_CHECK(fuzz::valid_utf8(netlink::go_utf8(fuzz::as_text(data, size))));
      break;
    }
  }
  return 0;
}
