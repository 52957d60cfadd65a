// node_exporter's wifi fixture JSON: interfaces, BSS and stations with base64 hardware
// addresses; a bad element is skipped with an item error.
#include <gtest/gtest.h>

#include "collectors/net/wifi_json.h"

namespace vitals::net {
namespace {

TEST(WifiJson, HardwareAddr) {
  std::string s;
  ASSERT_TRUE(hardware_addr("qrvM3e7/", &s));
  EXPECT_EQ(s, "aa:bb:cc:dd:ee:ff");
  ASSERT_TRUE(hardware_addr("ABEiM0RV", &s));
  EXPECT_EQ(s, "00:11:22:33:44:55");
  ASSERT_TRUE(hardware_addr("", &s));
  EXPECT_EQ(s, "");
  EXPECT_FALSE(hardware_addr("!!", &s));
}

TEST(WifiJson, Interfaces) {
  parse::ParseErrors errors;
  auto i = parse_wifi_interfaces(
      R"([{"name": "wlan0", "type": 2, "frequency": 2412}, {"type": 10},
          {"name": 5}, {"Name": "wlan1", "Frequency": 5180}])",
      errors);
  ASSERT_EQ(i.size(), 3u);
  EXPECT_EQ(i[0].name, "wlan0");
  EXPECT_EQ(i[0].frequency_mhz, 2412);
  EXPECT_EQ(i[1].name, "");
  EXPECT_EQ(i[2].name, "wlan1");
  EXPECT_EQ(i[2].frequency_mhz, 5180);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].text().find("interface 3"), std::string::npos) << errors[0].text();
}

TEST(WifiJson, BssAndStations) {
  parse::ParseErrors errors;
  WifiBss bss;
  ASSERT_TRUE(
      parse_wifi_bss(R"({"ssid": "Example", "bssid": "ABEiM0RV", "status": 1})", &bss, errors));
  EXPECT_EQ(bss.ssid, "Example");
  EXPECT_EQ(bss.bssid, "00:11:22:33:44:55");
  EXPECT_EQ(bss.status, 1);
  auto s = parse_wifi_stations(
      R"([{"hardwareaddr": "qrvM3e7/", "connected": 30000000000, "inactive": 400000000,
           "signal": -52, "beaconloss": 1},
          {"hardwareaddr": "???"}])",
      errors);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].mac, "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(s[0].connected_ns, 30000000000);
  EXPECT_EQ(s[0].signal, -52);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].text().find("station 2"), std::string::npos);
  EXPECT_FALSE(parse_wifi_bss("[]", &bss, errors));
}

}  // namespace
}  // namespace vitals::net
