// Tests of the generic netlink helpers and the nl80211 reply parsers on hand-built messages:
// family resolution, the interface dump, stations with nested NL80211_STA_INFO_* (rates,
// signal, 32/64-bit counters), the scan dump's BSS with a status; truncated and malformed
// messages become item errors while the other messages are kept.
#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nl80211.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "collectors/netlink/genl.h"
#include "collectors/netlink/nl80211.h"

namespace vitals::netlink {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr uint16_t kFamily = 0x1c;

Bytes attr(uint16_t type, const void* data, size_t len) {
  Bytes b(NLA_ALIGN(NLA_HDRLEN + len), 0);
  nlattr a{static_cast<uint16_t>(NLA_HDRLEN + len), type};
  std::memcpy(b.data(), &a, sizeof a);
  if (len) std::memcpy(b.data() + NLA_HDRLEN, data, len);
  return b;
}
template <typename T>
Bytes num(uint16_t type, T v) {
  return attr(type, &v, sizeof v);
}
Bytes str(uint16_t type, const std::string& s) {
  return attr(type, s.c_str(), s.size() + 1);
}
Bytes raw(uint16_t type, const Bytes& v) {
  return attr(type, v.data(), v.size());
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const auto& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}
Bytes nest(uint16_t type, std::initializer_list<Bytes> attrs) {
  Bytes inner = cat(attrs);
  return attr(type | NLA_F_NESTED, inner.data(), inner.size());
}
Bytes msg(uint16_t family, uint8_t cmd, std::initializer_list<Bytes> attrs) {
  Bytes body = cat(attrs);
  Bytes b(NLMSG_HDRLEN + GENL_HDRLEN, 0);
  b.insert(b.end(), body.begin(), body.end());
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(b.size());
  h.nlmsg_type = family;
  h.nlmsg_flags = NLM_F_MULTI;
  genlmsghdr g{};
  g.cmd = cmd;
  g.version = 1;
  std::memcpy(b.data(), &h, sizeof h);
  std::memcpy(b.data() + NLMSG_HDRLEN, &g, sizeof g);
  return b;
}
Bytes done() {
  Bytes b(NLMSG_HDRLEN + 4, 0);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(b.size());
  h.nlmsg_type = NLMSG_DONE;
  h.nlmsg_flags = NLM_F_MULTI;
  std::memcpy(b.data(), &h, sizeof h);
  return b;
}
Bytes error(int err) {
  Bytes b(NLMSG_LENGTH(sizeof(nlmsgerr)), 0);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(b.size());
  h.nlmsg_type = NLMSG_ERROR;
  nlmsgerr e{};
  e.error = -err;
  std::memcpy(b.data(), &h, sizeof h);
  std::memcpy(b.data() + NLMSG_HDRLEN, &e, sizeof e);
  return b;
}
// The first nlattr of `b` at byte `at`, its length rewritten (to make it run past its parent).
void set_attr_len(Bytes& b, size_t at, uint16_t len) {
  std::memcpy(b.data() + at, &len, sizeof len);
}

const Bytes kMac0{0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
const Bytes kMac1{0x02, 0x00, 0x00, 0x00, 0x01, 0x00};

TEST(Genl, FamilyRequest) {
  GenlRequest r = family_request("nl80211");
  auto b = r.bytes();
  ASSERT_EQ(b.size(), NLMSG_HDRLEN + GENL_HDRLEN + NLA_ALIGN(NLA_HDRLEN + 8));
  nlmsghdr h;
  std::memcpy(&h, b.data(), sizeof h);
  EXPECT_EQ(h.nlmsg_len, b.size());
  EXPECT_EQ(h.nlmsg_type, GENL_ID_CTRL);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST);
  EXPECT_EQ(b[NLMSG_HDRLEN], CTRL_CMD_GETFAMILY);
  nlattr a;
  std::memcpy(&a, b.data() + NLMSG_HDRLEN + GENL_HDRLEN, sizeof a);
  EXPECT_EQ(a.nla_type, CTRL_ATTR_FAMILY_NAME);
  EXPECT_EQ(a.nla_len, NLA_HDRLEN + 8);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()) + NLMSG_HDRLEN + GENL_HDRLEN +
                        NLA_HDRLEN),
            "nl80211");
}

TEST(Genl, RequestIsBounded) {
  GenlRequest r(kFamily, NL80211_CMD_GET_STATION, 1, NLM_F_REQUEST | NLM_F_DUMP);
  std::string big(GenlRequest::kCapacity, 'x');
  EXPECT_FALSE(r.put(NL80211_ATTR_MAC, big.data(), big.size()));
  EXPECT_FALSE(r.put_string(NL80211_ATTR_IFNAME, big));
  EXPECT_EQ(r.bytes().size(), NLMSG_HDRLEN + GENL_HDRLEN);
}

TEST(Genl, FamilyReply) {
  Bytes b = msg(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY,
                {str(CTRL_ATTR_FAMILY_NAME, "nl80211"), num<uint16_t>(CTRL_ATTR_FAMILY_ID, kFamily),
                 num<uint32_t>(CTRL_ATTR_VERSION, 1), num<uint32_t>(CTRL_ATTR_HDRSIZE, 0)});
  GenlFamily f;
  DumpState state;
  parse::ParseErrors errors;
  parse_family_reply(b, "nl80211", &f, &state, &errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(state.done);
  ASSERT_TRUE(f.found);
  EXPECT_EQ(f.id, kFamily);
  EXPECT_EQ(f.version, 1);
}

TEST(Genl, FamilyAbsentIsEnoent) {
  Bytes b = error(ENOENT);
  GenlFamily f;
  DumpState state;
  parse::ParseErrors errors;
  parse_family_reply(b, "nl80211", &f, &state, &errors);
  EXPECT_FALSE(f.found);
  EXPECT_TRUE(state.done);
  EXPECT_EQ(state.error, ENOENT);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors.front().message.find("netlink error 2"), std::string::npos);
}

TEST(Genl, FamilyReplyMalformed) {
  // The id as a u32 (the wrong size), and a reply for another family.
  for (const Bytes& b :
       {msg(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY,
            {str(CTRL_ATTR_FAMILY_NAME, "nl80211"), num<uint32_t>(CTRL_ATTR_FAMILY_ID, kFamily)}),
        msg(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY,
            {str(CTRL_ATTR_FAMILY_NAME, "devlink"), num<uint16_t>(CTRL_ATTR_FAMILY_ID, 0x15)})}) {
    GenlFamily f;
    DumpState state;
    parse::ParseErrors errors;
    parse_family_reply(b, "nl80211", &f, &state, &errors);
    EXPECT_FALSE(f.found);
    EXPECT_TRUE(state.done);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors.front().message.find("CTRL_CMD_NEWFAMILY at offset 0"), std::string::npos)
        << errors.front().message;
  }
}

TEST(Nl80211, Requests) {
  GenlFamily f{true, kFamily, 1};
  auto check = [](GenlRequest r, uint8_t cmd, size_t attrs) {
    auto b = r.bytes();
    nlmsghdr h;
    std::memcpy(&h, b.data(), sizeof h);
    EXPECT_EQ(h.nlmsg_type, kFamily);
    EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
    EXPECT_EQ(h.nlmsg_len, b.size());
    EXPECT_EQ(b[NLMSG_HDRLEN], cmd);
    EXPECT_EQ(b[NLMSG_HDRLEN + 1], 1);  // the family's version
    EXPECT_EQ(b.size(), NLMSG_HDRLEN + GENL_HDRLEN + attrs);
    return std::vector<uint8_t>(b.begin() + NLMSG_HDRLEN + GENL_HDRLEN, b.end());
  };
  check(interface_request(f), NL80211_CMD_GET_INTERFACE, 0);
  net::WifiInterface ifi;
  ifi.index = 3;
  ifi.hardware_addr.assign(kMac0.begin(), kMac0.end());
  EXPECT_EQ(check(station_request(f, ifi), NL80211_CMD_GET_STATION, 8 + 12),
            cat({num<uint32_t>(NL80211_ATTR_IFINDEX, 3), raw(NL80211_ATTR_MAC, kMac0)}));
  ifi.hardware_addr.clear();  // no address: only the index
  EXPECT_EQ(check(scan_request(f, ifi), NL80211_CMD_GET_SCAN, 8),
            num<uint32_t>(NL80211_ATTR_IFINDEX, 3));
}

TEST(Nl80211, InterfaceDump) {
  Bytes b = cat({msg(kFamily, NL80211_CMD_NEW_INTERFACE,
                     {num<uint32_t>(NL80211_ATTR_IFINDEX, 3), str(NL80211_ATTR_IFNAME, "wlan0"),
                      num<uint32_t>(NL80211_ATTR_WIPHY, 0),
                      num<uint32_t>(NL80211_ATTR_IFTYPE, NL80211_IFTYPE_STATION),
                      num<uint64_t>(NL80211_ATTR_WDEV, 1), raw(NL80211_ATTR_MAC, kMac0),
                      num<uint32_t>(NL80211_ATTR_WIPHY_FREQ, 2412)}),
                 // malformed: the type as a u16
                 msg(kFamily, NL80211_CMD_NEW_INTERFACE,
                     {num<uint32_t>(NL80211_ATTR_IFINDEX, 4), str(NL80211_ATTR_IFNAME, "wlan9"),
                      num<uint16_t>(NL80211_ATTR_IFTYPE, 2)}),
                 msg(kFamily, NL80211_CMD_NEW_INTERFACE,
                     {num<uint32_t>(NL80211_ATTR_IFINDEX, 5), str(NL80211_ATTR_IFNAME, "wlan1"),
                      num<uint32_t>(NL80211_ATTR_IFTYPE, NL80211_IFTYPE_AP),
                      num<uint32_t>(NL80211_ATTR_WIPHY_FREQ, 5180)}),
                 // a P2P device: no name, no index
                 msg(kFamily, NL80211_CMD_NEW_INTERFACE,
                     {num<uint32_t>(NL80211_ATTR_IFTYPE, NL80211_IFTYPE_P2P_DEVICE)}),
                 done()});
  WifiInterfaceDump d;
  parse_interface_dump(b, kFamily, &d);
  EXPECT_TRUE(d.state.done);
  ASSERT_EQ(d.interfaces.size(), 3u);
  EXPECT_EQ(d.interfaces[0].name, "wlan0");
  EXPECT_EQ(d.interfaces[0].index, 3u);
  EXPECT_EQ(d.interfaces[0].type, 2);
  EXPECT_EQ(d.interfaces[0].frequency_mhz, 2412);
  EXPECT_EQ(d.interfaces[0].hardware_addr, std::string(kMac0.begin(), kMac0.end()));
  EXPECT_EQ(d.interfaces[1].name, "wlan1");
  EXPECT_EQ(d.interfaces[1].type, 3);
  EXPECT_EQ(d.interfaces[1].frequency_mhz, 5180);
  EXPECT_EQ(d.interfaces[2].name, "");
  EXPECT_EQ(d.interfaces[2].type, 10);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_NE(d.errors.front().message.find("NL80211_ATTR_IFTYPE payload is 2 bytes, want 4"),
            std::string::npos)
      << d.errors.front().message;
}

TEST(Nl80211, TruncatedBufferKeepsEarlierMessages) {
  Bytes first = msg(kFamily, NL80211_CMD_NEW_INTERFACE,
                    {num<uint32_t>(NL80211_ATTR_IFINDEX, 3), str(NL80211_ATTR_IFNAME, "wlan0")});
  Bytes second = msg(kFamily, NL80211_CMD_NEW_INTERFACE,
                     {num<uint32_t>(NL80211_ATTR_IFINDEX, 4), str(NL80211_ATTR_IFNAME, "wlan1")});
  Bytes whole = cat({first, second});
  Bytes b(whole.begin(), whole.end() - 6);  // the second message's length runs past the buffer
  WifiInterfaceDump d;
  parse_interface_dump(b, kFamily, &d);
  ASSERT_EQ(d.interfaces.size(), 1u);
  EXPECT_EQ(d.interfaces[0].name, "wlan0");
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_NE(d.errors.front().message.find("truncated netlink message at offset " +
                                          std::to_string(first.size())),
            std::string::npos)
      << d.errors.front().message;
}

Bytes station(const Bytes& mac, std::initializer_list<Bytes> info) {
  return msg(kFamily, NL80211_CMD_NEW_STATION,
             {num<uint32_t>(NL80211_ATTR_IFINDEX, 3), raw(NL80211_ATTR_MAC, mac),
              num<uint32_t>(NL80211_ATTR_GENERATION, 7), nest(NL80211_ATTR_STA_INFO, info)});
}

TEST(Nl80211, StationDump) {
  Bytes b = cat(
      {station(kMac0,
               {num<uint32_t>(NL80211_STA_INFO_INACTIVE_TIME, 400),
                num<uint32_t>(NL80211_STA_INFO_RX_BYTES, 1000),  // 64-bit counter follows: wins
                num<uint64_t>(NL80211_STA_INFO_RX_BYTES64, 5000000000),
                num<uint32_t>(NL80211_STA_INFO_TX_BYTES, 2000),  // no 64-bit one: counts
                num<uint32_t>(NL80211_STA_INFO_RX_PACKETS, 10),
                num<uint8_t>(NL80211_STA_INFO_SIGNAL, static_cast<uint8_t>(-52)),
                nest(NL80211_STA_INFO_TX_BITRATE, {num<uint16_t>(NL80211_RATE_INFO_BITRATE, 1640),
                                                   num<uint8_t>(NL80211_RATE_INFO_MCS, 7)}),
                nest(NL80211_STA_INFO_RX_BITRATE,
                     {num<uint16_t>(NL80211_RATE_INFO_BITRATE, 1),  // the 32-bit one wins
                      num<uint32_t>(NL80211_RATE_INFO_BITRATE32, 1280)}),
                num<uint32_t>(NL80211_STA_INFO_TX_RETRIES, 10),
                num<uint32_t>(NL80211_STA_INFO_TX_FAILED, 2),
                num<uint32_t>(NL80211_STA_INFO_BEACON_LOSS, 1),
                num<uint32_t>(NL80211_STA_INFO_CONNECTED_TIME, 30)}),
       station(kMac1, {num<uint8_t>(NL80211_STA_INFO_SIGNAL, 0xe6),
                       num<uint32_t>(NL80211_STA_INFO_CONNECTED_TIME, 60),
                       num<uint64_t>(NL80211_STA_INFO_TX_BYTES64, 42)}),
       done()});
  WifiStationDump d;
  parse_station_dump(b, kFamily, &d);
  EXPECT_TRUE(d.errors.empty()) << d.errors.message("x");
  EXPECT_TRUE(d.state.done);
  EXPECT_FALSE(d.without_info);
  ASSERT_EQ(d.stations.size(), 2u);
  const net::WifiStation& s = d.stations[0];
  EXPECT_EQ(s.mac, "00:11:22:33:44:55");
  EXPECT_EQ(s.connected_ns, 30000000000);
  EXPECT_EQ(s.inactive_ns, 400000000);
  EXPECT_EQ(s.received_bytes, 5000000000);
  EXPECT_EQ(s.transmitted_bytes, 2000);
  EXPECT_EQ(s.signal, -52);
  EXPECT_EQ(s.receive_bitrate, 128000000);
  EXPECT_EQ(s.transmit_bitrate, 164000000);
  EXPECT_EQ(s.transmit_retries, 10);
  EXPECT_EQ(s.transmit_failed, 2);
  EXPECT_EQ(s.beacon_loss, 1);
  const net::WifiStation& t = d.stations[1];
  EXPECT_EQ(t.mac, "02:00:00:00:01:00");
  EXPECT_EQ(t.signal, -26);
  EXPECT_EQ(t.connected_ns, 60000000000);
  EXPECT_EQ(t.transmitted_bytes, 42);
  EXPECT_EQ(t.received_bytes, 0);
  EXPECT_EQ(t.receive_bitrate, 0);
}

TEST(Nl80211, StationMalformedIsAnItemError) {
  // The rate's nested attribute claims more bytes than its parent holds.
  Bytes bad = station(
      kMac0, {nest(NL80211_STA_INFO_RX_BITRATE, {num<uint32_t>(NL80211_RATE_INFO_BITRATE32, 10)})});
  // nlmsghdr, genlmsghdr, IFINDEX (8), MAC (12), GENERATION (8), STA_INFO header (4), RX_BITRATE
  // header (4): the BITRATE32 attribute.
  set_attr_len(bad, NLMSG_HDRLEN + GENL_HDRLEN + 8 + 12 + 8 + 4 + 4, 40);
  Bytes signal_short = station(kMac0, {attr(NL80211_STA_INFO_SIGNAL, nullptr, 0),
                                       num<uint32_t>(NL80211_STA_INFO_CONNECTED_TIME, 5)});
  Bytes b = cat({bad, signal_short,
                 station(kMac1, {num<uint32_t>(NL80211_STA_INFO_CONNECTED_TIME, 9)}), done()});
  WifiStationDump d;
  parse_station_dump(b, kFamily, &d);
  ASSERT_EQ(d.stations.size(), 1u);
  EXPECT_EQ(d.stations[0].mac, "02:00:00:00:01:00");
  EXPECT_EQ(d.stations[0].connected_ns, 9000000000);
  ASSERT_EQ(d.errors.size(), 2u);
  EXPECT_NE(d.errors[0].message.find(
                "NL80211_CMD_NEW_STATION at offset 0: NL80211_ATTR_STA_INFO: "
                "NL80211_STA_INFO_RX_BITRATE: attribute type 5 at byte 0 has length 40"),
            std::string::npos)
      << d.errors[0].message;
  EXPECT_NE(d.errors[1].message.find("NL80211_STA_INFO_SIGNAL payload is 0 bytes, want 1"),
            std::string::npos)
      << d.errors[1].message;
}

TEST(Nl80211, StationWithoutInfo) {
  Bytes b = cat({station(kMac0, {num<uint32_t>(NL80211_STA_INFO_CONNECTED_TIME, 5)}),
                 msg(kFamily, NL80211_CMD_NEW_STATION, {raw(NL80211_ATTR_MAC, kMac1)}), done()});
  WifiStationDump d;
  parse_station_dump(b, kFamily, &d);
  EXPECT_TRUE(d.without_info);
  EXPECT_TRUE(d.errors.empty());
}

TEST(Nl80211, StationsAreBounded) {
  WifiStationDump d;
  Bytes one = station(kMac0, {num<uint32_t>(NL80211_STA_INFO_CONNECTED_TIME, 1)});
  Bytes buf;
  for (size_t n = 0; n < kMaxWifiStations + 10; ++n) {
    buf.insert(buf.end(), one.begin(), one.end());
    if (buf.size() > 60000) {
      parse_station_dump(buf, kFamily, &d);
      buf.clear();
    }
  }
  Bytes end = done();
  buf.insert(buf.end(), end.begin(), end.end());
  parse_station_dump(buf, kFamily, &d);
  EXPECT_TRUE(d.state.done);
  EXPECT_EQ(d.stations.size(), kMaxWifiStations);
  EXPECT_EQ(d.left_out, 10u);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors.front().message, "more than 8192 stations; the rest are left out");
}

Bytes ies(std::initializer_list<std::pair<uint8_t, std::string>> elements) {
  Bytes b;
  for (const auto& [id, data] : elements) {
    b.push_back(id);
    b.push_back(static_cast<uint8_t>(data.size()));
    b.insert(b.end(), data.begin(), data.end());
  }
  return b;
}

Bytes scan(std::initializer_list<Bytes> bss) {
  return msg(kFamily, NL80211_CMD_NEW_SCAN_RESULTS,
             {num<uint32_t>(NL80211_ATTR_GENERATION, 3), num<uint32_t>(NL80211_ATTR_IFINDEX, 3),
              nest(NL80211_ATTR_BSS, bss)});
}

TEST(Nl80211, ScanDumpTakesTheBssWithAStatus) {
  Bytes b = cat({scan({raw(NL80211_BSS_BSSID, kMac1), num<uint32_t>(NL80211_BSS_FREQUENCY, 2437),
                       raw(NL80211_BSS_INFORMATION_ELEMENTS, ies({{0, "Other"}}))}),
                 scan({raw(NL80211_BSS_BSSID, kMac0), num<uint32_t>(NL80211_BSS_FREQUENCY, 2412),
                       num<uint16_t>(NL80211_BSS_BEACON_INTERVAL, 100),
                       raw(NL80211_BSS_INFORMATION_ELEMENTS,
                           ies({{0, "Example"}, {1, "\x82\x84\x8b\x96"}, {3, "\x01"}})),
                       num<uint32_t>(NL80211_BSS_SEEN_MS_AGO, 20),
                       num<uint32_t>(NL80211_BSS_STATUS, NL80211_BSS_STATUS_ASSOCIATED)}),
                 scan({raw(NL80211_BSS_BSSID, kMac1),
                       num<uint32_t>(NL80211_BSS_STATUS, NL80211_BSS_STATUS_IBSS_JOINED)}),
                 done()});
  WifiScanDump d;
  parse_scan_dump(b, kFamily, &d);
  EXPECT_TRUE(d.errors.empty()) << d.errors.message("x");
  EXPECT_TRUE(d.state.done);
  ASSERT_TRUE(d.bss);
  EXPECT_EQ(d.bss->bssid, "00:11:22:33:44:55");
  EXPECT_EQ(d.bss->ssid, "Example");
  EXPECT_EQ(d.bss->status, 1);
}

TEST(Nl80211, ScanDumpWithoutStatusHasNoBss) {
  Bytes b = cat({scan({raw(NL80211_BSS_BSSID, kMac1)}), done()});
  WifiScanDump d;
  parse_scan_dump(b, kFamily, &d);
  EXPECT_FALSE(d.bss);
  EXPECT_TRUE(d.errors.empty());
}

TEST(Nl80211, ScanMalformedIsAnItemError) {
  Bytes bad_ies = ies({{0, "Example"}});
  bad_ies[1] = 20;  // the SSID element claims more bytes than there are
  Bytes b = cat(
      {scan({raw(NL80211_BSS_INFORMATION_ELEMENTS, bad_ies),
             num<uint32_t>(NL80211_BSS_STATUS, NL80211_BSS_STATUS_ASSOCIATED)}),
       scan({raw(NL80211_BSS_BSSID, kMac0), num<uint16_t>(NL80211_BSS_STATUS, 1)}),
       scan({raw(NL80211_BSS_BSSID, kMac1), raw(NL80211_BSS_INFORMATION_ELEMENTS, ies({{0, "ok"}})),
             num<uint32_t>(NL80211_BSS_STATUS, NL80211_BSS_STATUS_AUTHENTICATED)}),
       done()});
  WifiScanDump d;
  parse_scan_dump(b, kFamily, &d);
  ASSERT_TRUE(d.bss);
  EXPECT_EQ(d.bss->bssid, "02:00:00:00:01:00");
  EXPECT_EQ(d.bss->ssid, "ok");
  EXPECT_EQ(d.bss->status, 0);
  ASSERT_EQ(d.errors.size(), 2u);
  EXPECT_NE(d.errors[0].message.find("NL80211_CMD_NEW_SCAN_RESULTS at offset 0: NL80211_ATTR_BSS: "
                                     "NL80211_BSS_INFORMATION_ELEMENTS: element at byte 0 runs "
                                     "past the attribute"),
            std::string::npos)
      << d.errors[0].message;
  EXPECT_NE(d.errors[1].message.find("NL80211_BSS_STATUS payload is 2 bytes, want 4"),
            std::string::npos)
      << d.errors[1].message;
}

TEST(Nl80211, DumpEndedByAnError) {
  Bytes b = cat({error(EOPNOTSUPP)});
  WifiStationDump d;
  parse_station_dump(b, kFamily, &d);
  EXPECT_TRUE(d.state.done);
  EXPECT_EQ(d.state.error, EOPNOTSUPP);
  ASSERT_EQ(d.errors.size(), 1u);
}

TEST(Nl80211, Text) {
  EXPECT_EQ(hardware_addr_text(""), "");
  EXPECT_EQ(hardware_addr_text(std::string("\x00\xab\x0f", 3)), "00:ab:0f");
  const struct {
    std::string in, want;
  } cases[] = {
      {"Example", "Example"},
      {"caf\xc3\xa9", "caf\xc3\xa9"},
      {"\xf0\x9f\x93\xb6", "\xf0\x9f\x93\xb6"},                  // a 4-byte rune
      {"a\xff!", "a\xef\xbf\xbd!"},                              // a byte that starts nothing
      {"\xc3", "\xef\xbf\xbd"},                                  // cut short
      {"\xe0\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},  // overlong
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},  // a surrogate
      {std::string("a\0b", 3), std::string("a\0b", 3)},
  };
  for (const auto& c : cases) EXPECT_EQ(go_utf8(c.in), c.want) << c.in;
}

}  // namespace
}  // namespace vitals::netlink
