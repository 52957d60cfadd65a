// Tests of the RTM_GETLINK dump parser on hand-built netlink messages, and of the netclass facts
// taken from a parsed link.
#include <gtest/gtest.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <vector>

#include "collectors/net/ethtool.h"
#include "collectors/netlink/link.h"
#include "collectors/netlink/netclass_link.h"

namespace vitals::netlink {
namespace {

// Builds one RTM_NEWLINK message attribute by attribute.
class Msg {
 public:
  explicit Msg(int32_t index = 0, uint32_t flags = 0, uint16_t type = ARPHRD_ETHER)
      : b_(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg))) {
    ifinfomsg i{};
    i.ifi_index = index;
    i.ifi_flags = flags;
    i.ifi_type = type;
    std::memcpy(b_.data() + NLMSG_HDRLEN, &i, sizeof i);
  }
  Msg& attr(uint16_t type, const void* data, size_t len) {
    rtattr a{static_cast<uint16_t>(RTA_LENGTH(len)), type};
    size_t at = b_.size();
    b_.resize(at + RTA_SPACE(len));
    std::memcpy(b_.data() + at, &a, sizeof a);
    if (len) std::memcpy(b_.data() + at + RTA_LENGTH(0), data, len);
    return *this;
  }
  Msg& str(uint16_t type, const char* s) { return attr(type, s, std::strlen(s) + 1); }
  Msg& u32(uint16_t type, uint32_t v) { return attr(type, &v, sizeof v); }
  Msg& u8(uint16_t type, uint8_t v) { return attr(type, &v, sizeof v); }
  // Raw bytes appended to the message (a hand-made broken attribute).
  Msg& raw(const std::vector<uint8_t>& bytes) {
    b_.insert(b_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  std::vector<uint8_t> bytes(uint16_t flags = NLM_F_MULTI) const {
    std::vector<uint8_t> b = b_;
    nlmsghdr h{};
    h.nlmsg_len = static_cast<uint32_t>(b.size());
    h.nlmsg_type = RTM_NEWLINK;
    h.nlmsg_flags = flags;
    std::memcpy(b.data(), &h, sizeof h);
    return b;
  }

 private:
  std::vector<uint8_t> b_;
};

// One RTM_NEWLINK message with the given name and (optionally) stats.
std::vector<uint8_t> link_msg(const char* name, const rtnl_link_stats64* stats,
                              size_t stats_len = sizeof(rtnl_link_stats64)) {
  Msg m(1);
  m.str(IFLA_IFNAME, name);
  if (stats) m.attr(IFLA_STATS64, stats, stats_len);
  return m.bytes();
}

std::vector<uint8_t> done_msg() {
  std::vector<uint8_t> b(NLMSG_SPACE(sizeof(int)));
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_LENGTH(sizeof(int));
  h.nlmsg_type = NLMSG_DONE;
  std::memcpy(b.data(), &h, sizeof h);
  return b;
}

void append(std::vector<uint8_t>& to, const std::vector<uint8_t>& b) {
  to.insert(to.end(), b.begin(), b.end());
}

TEST(LinkDump, NamesAndStats) {
  rtnl_link_stats64 s{};
  s.rx_packets = 1;
  s.tx_bytes = 4;
  s.rx_missed_errors = 16;
  s.rx_nohandler = 24;
  auto buf = link_msg("eth0", &s);
  append(buf, link_msg("lo", nullptr));  // no stats: kept, marked
  append(buf, done_msg());
  LinkDump dump;
  parse_link_dump(buf, &dump);
  EXPECT_TRUE(dump.done);
  EXPECT_TRUE(dump.errors.empty());
  ASSERT_EQ(dump.links.size(), 2u);
  EXPECT_EQ(dump.links[0].name, "eth0");
  EXPECT_TRUE(dump.links[0].has_stats);
  EXPECT_EQ(dump.links[0].stats[0], 1u);    // rx_packets
  EXPECT_EQ(dump.links[0].stats[3], 4u);    // tx_bytes
  EXPECT_EQ(dump.links[0].stats[15], 16u);  // rx_missed_errors
  EXPECT_EQ(dump.links[0].stats[23], 24u);  // rx_nohandler
  EXPECT_EQ(dump.links[1].name, "lo");
  EXPECT_FALSE(dump.links[1].has_stats);
}

TEST(LinkDump, OldKernelShortStatsAreZeroFilled) {
  rtnl_link_stats64 s{};
  s.rx_bytes = 7;
  auto buf = link_msg("eth1", &s, 23 * sizeof(uint64_t));  // before rx_nohandler existed
  LinkDump dump;
  parse_link_dump(buf, &dump);
  EXPECT_FALSE(dump.done);  // more messages follow in the next recv()
  ASSERT_EQ(dump.links.size(), 1u);
  EXPECT_EQ(dump.links[0].stats[2], 7u);
  EXPECT_EQ(dump.links[0].stats[23], 0u);
}

TEST(LinkDump, TruncatedAndErrorMessages) {
  rtnl_link_stats64 s{};
  auto good = link_msg("eth0", &s);
  auto buf = good;
  buf.insert(buf.end(), good.begin(), good.begin() + 20);  // a cut-off second message
  LinkDump dump;
  parse_link_dump(buf, &dump);
  ASSERT_EQ(dump.links.size(), 1u);  // the whole first message is kept
  ASSERT_EQ(dump.errors.size(), 1u);
  EXPECT_EQ(dump.errors[0].text(), "truncated netlink message at offset " +
                                       std::to_string(good.size()) + " (length " +
                                       std::to_string(good.size()) + ", 20 bytes left)");

  std::vector<uint8_t> err(NLMSG_SPACE(sizeof(nlmsgerr)));
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_LENGTH(sizeof(nlmsgerr));
  h.nlmsg_type = NLMSG_ERROR;
  std::memcpy(err.data(), &h, sizeof h);
  int code = -EPERM;
  std::memcpy(err.data() + NLMSG_HDRLEN, &code, sizeof code);
  LinkDump d2;
  parse_link_dump(err, &d2);
  EXPECT_TRUE(d2.done);
  ASSERT_EQ(d2.errors.size(), 1u);
  EXPECT_EQ(d2.errors[0].text(), "netlink error " + std::to_string(EPERM));
}

TEST(LinkDump, AllLinkAttributes) {
  const uint8_t mac[] = {0x02, 0xAB, 0x00, 0x0c, 0xff, 0x10};
  const uint8_t bcast[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  auto buf = Msg(7, IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_LOWER_UP, ARPHRD_ETHER)
                 .str(IFLA_IFNAME, "veth-a")
                 .u32(IFLA_TXQLEN, 1234)
                 .u8(IFLA_OPERSTATE, IF_OPER_UP)
                 .u8(IFLA_LINKMODE, 1)
                 .u32(IFLA_MTU, 9000)
                 .u32(IFLA_GROUP, 42)
                 .u32(IFLA_PROMISCUITY, 2)
                 .u32(IFLA_ALLMULTI, 1)
                 .u8(IFLA_CARRIER, 1)
                 .u32(IFLA_CARRIER_CHANGES, 5)
                 .u32(IFLA_CARRIER_UP_COUNT, 3)
                 .u32(IFLA_CARRIER_DOWN_COUNT, 2)
                 .attr(IFLA_ADDRESS, mac, sizeof mac)
                 .attr(IFLA_BROADCAST, bcast, sizeof bcast)
                 .u32(IFLA_LINK, 8)
                 .str(IFLA_IFALIAS, "uplink")
                 .u32(IFLA_NUM_TX_QUEUES, 4)  // not read: skipped
                 .bytes();
  LinkDump dump;
  parse_link_dump(buf, &dump);
  ASSERT_TRUE(dump.errors.empty()) << dump.errors[0].text();
  ASSERT_EQ(dump.links.size(), 1u);
  const Link& l = dump.links[0];
  EXPECT_EQ(l.index, 7);
  EXPECT_EQ(l.type, ARPHRD_ETHER);
  EXPECT_EQ(l.flags, unsigned(IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_LOWER_UP));
  EXPECT_EQ(l.name, "veth-a");
  EXPECT_EQ(l.ifalias, "uplink");
  EXPECT_EQ(l.tx_queue_len, 1234u);
  EXPECT_EQ(l.operstate, IF_OPER_UP);
  EXPECT_EQ(l.link_mode, 1);
  EXPECT_EQ(l.mtu, 9000u);
  EXPECT_EQ(l.group, 42u);
  EXPECT_EQ(l.promiscuity, 2u);
  EXPECT_EQ(l.allmulti, 1u);
  EXPECT_EQ(l.carrier, 1);
  EXPECT_EQ(l.carrier_changes, 5u);
  EXPECT_EQ(l.carrier_up_count, 3u);
  EXPECT_EQ(l.carrier_down_count, 2u);
  EXPECT_EQ(l.link, 8u);
  EXPECT_EQ(format_hwaddr(l.address), "02:ab:00:0c:ff:10");
  EXPECT_EQ(format_hwaddr(l.broadcast), "ff:ff:ff:ff:ff:ff");
  EXPECT_FALSE(l.has_stats);
  EXPECT_FALSE(dump.interrupted);
}

TEST(LinkDump, AbsentAttributes) {
  auto buf = Msg(1, IFF_LOOPBACK, ARPHRD_NONE).str(IFLA_IFNAME, "tun0").bytes();
  LinkDump dump;
  parse_link_dump(buf, &dump);
  ASSERT_TRUE(dump.errors.empty()) << dump.errors[0].text();
  ASSERT_EQ(dump.links.size(), 1u);
  const Link& l = dump.links[0];
  EXPECT_EQ(l.name, "tun0");
  EXPECT_EQ(l.type, ARPHRD_NONE);
  EXPECT_EQ(l.address.len, 0);
  EXPECT_EQ(format_hwaddr(l.address), "");
  EXPECT_EQ(l.ifalias, "");
  EXPECT_FALSE(l.mtu || l.tx_queue_len || l.group || l.link || l.promiscuity || l.allmulti ||
               l.carrier_changes || l.carrier_up_count || l.carrier_down_count);
  EXPECT_FALSE(l.operstate || l.link_mode || l.carrier);
}

TEST(LinkDump, BadAttributeLengthIsReportedAndSkipped) {
  const uint16_t short_mtu = 1500;
  auto buf = Msg(3)
                 .str(IFLA_IFNAME, "eth0")
                 .attr(IFLA_MTU, &short_mtu, sizeof short_mtu)  // 2 bytes for a u32
                 .u32(IFLA_CARRIER, 1)                          // 4 bytes for a u8
                 .u32(IFLA_TXQLEN, 1000)
                 .bytes();
  append(buf, Msg(4).str(IFLA_IFNAME, "eth1").u32(IFLA_MTU, 1500).bytes());
  LinkDump dump;
  parse_link_dump(buf, &dump);
  ASSERT_EQ(dump.errors.size(), 2u);
  EXPECT_EQ(dump.errors[0].text(),
            "RTM_NEWLINK at offset 0 (ifindex 3): IFLA_MTU payload is 2 bytes, want 4");
  EXPECT_EQ(dump.errors[1].text(),
            "RTM_NEWLINK at offset 0 (ifindex 3): IFLA_CARRIER payload is 4 bytes, want 1");
  ASSERT_EQ(dump.links.size(), 2u);
  EXPECT_FALSE(dump.links[0].mtu);
  EXPECT_FALSE(dump.links[0].carrier);
  EXPECT_EQ(dump.links[0].tx_queue_len, 1000u);  // the attributes after the bad one are read
  EXPECT_EQ(dump.links[1].name, "eth1");
  EXPECT_EQ(dump.links[1].mtu, 1500u);

  // An address longer than MAX_ADDR_LEN.
  std::vector<uint8_t> big(33, 0xAA);
  LinkDump d2;
  parse_link_dump(Msg(5).str(IFLA_IFNAME, "ib0").attr(IFLA_ADDRESS, big.data(), 33).bytes(), &d2);
  ASSERT_EQ(d2.errors.size(), 1u);
  EXPECT_EQ(d2.errors[0].text(),
            "RTM_NEWLINK at offset 0 (ifindex 5): IFLA_ADDRESS payload is 33 bytes, more than "
            "MAX_ADDR_LEN (32)");
  ASSERT_EQ(d2.links.size(), 1u);
  EXPECT_EQ(d2.links[0].address.len, 0);
}

TEST(LinkDump, BrokenAttributeChainKeepsWhatCameBefore) {
  // An attribute header claiming 200 bytes in a message that has 8 left.
  rtattr bad{200, IFLA_MTU};
  std::vector<uint8_t> raw(sizeof bad + 4);
  std::memcpy(raw.data(), &bad, sizeof bad);
  auto first = Msg(9).str(IFLA_IFNAME, "br0").u32(IFLA_GROUP, 7).raw(raw).bytes();
  auto buf = first;
  append(buf, Msg(10).str(IFLA_IFNAME, "br1").bytes());
  append(buf, done_msg());
  LinkDump dump;
  parse_link_dump(buf, &dump);
  ASSERT_EQ(dump.errors.size(), 1u);
  const size_t at = first.size() - raw.size();  // byte of the bad attribute in its message
  EXPECT_EQ(dump.errors[0].text(), "RTM_NEWLINK at offset 0 (ifindex 9): attribute type " +
                                       std::to_string(IFLA_MTU) + " at byte " + std::to_string(at) +
                                       " has length 200, 8 bytes left in the message");
  ASSERT_EQ(dump.links.size(), 2u);
  EXPECT_EQ(dump.links[0].name, "br0");
  EXPECT_EQ(dump.links[0].group, 7u);
  EXPECT_FALSE(dump.links[0].mtu);
  EXPECT_EQ(dump.links[1].name, "br1");
  EXPECT_TRUE(dump.done);
}

TEST(LinkDump, ShortMessageAndMissingName) {
  // A RTM_NEWLINK without room for its ifinfomsg, then one without IFLA_IFNAME.
  std::vector<uint8_t> shortmsg(NLMSG_HDRLEN + 8);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(shortmsg.size());
  h.nlmsg_type = RTM_NEWLINK;
  std::memcpy(shortmsg.data(), &h, sizeof h);
  auto buf = shortmsg;
  append(buf, Msg(12).u32(IFLA_MTU, 1500).bytes());
  append(buf, Msg(13).str(IFLA_IFNAME, "ok0").bytes());
  LinkDump dump;
  parse_link_dump(buf, &dump);
  ASSERT_EQ(dump.errors.size(), 2u);
  EXPECT_EQ(dump.errors[0].text(),
            "RTM_NEWLINK at offset 0: 24 bytes, shorter than its header and "
            "ifinfomsg");
  EXPECT_EQ(dump.errors[1].text(), "RTM_NEWLINK at offset 24 (ifindex 12): no IFLA_IFNAME");
  ASSERT_EQ(dump.links.size(), 1u);
  EXPECT_EQ(dump.links[0].name, "ok0");
}

TEST(LinkDump, InterruptedDumpIsFlagged) {
  LinkDump dump;
  parse_link_dump(Msg(1).str(IFLA_IFNAME, "lo").bytes(NLM_F_MULTI | NLM_F_DUMP_INTR), &dump);
  EXPECT_TRUE(dump.interrupted);
  ASSERT_EQ(dump.links.size(), 1u);
}

Link parse_one(const std::vector<uint8_t>& b) {
  LinkDump dump;
  parse_link_dump(b, &dump);
  EXPECT_TRUE(dump.errors.empty()) << dump.errors[0].text();
  EXPECT_EQ(dump.links.size(), 1u);
  return dump.links.empty() ? Link{} : dump.links[0];
}

TEST(NetclassFromLink, RunningLinkAsSysfsShowsIt) {
  const uint8_t mac[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
  const uint8_t bcast[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  // ifi_flags as dev_get_flags() reports them: RUNNING and LOWER_UP computed, no PROMISC (the
  // user did not ask for it) although the promiscuity count is 1, and the same for ALLMULTI.
  Link l = parse_one(
      Msg(4, IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP, ARPHRD_ETHER)
          .str(IFLA_IFNAME, "eth0")
          .str(IFLA_IFALIAS, "  uplink \xff ")
          .attr(IFLA_ADDRESS, mac, 6)
          .attr(IFLA_BROADCAST, bcast, 6)
          .u32(IFLA_MTU, 9000)
          .u32(IFLA_TXQLEN, 0xFFFFFFFFu)  // sysfs prints "%d": -1
          .u32(IFLA_GROUP, 0x80000000u)
          .u8(IFLA_OPERSTATE, IF_OPER_UP)
          .u8(IFLA_LINKMODE, 1)
          .u8(IFLA_CARRIER, 1)
          .u32(IFLA_CARRIER_CHANGES, 3)
          .u32(IFLA_CARRIER_UP_COUNT, 2)
          .u32(IFLA_CARRIER_DOWN_COUNT, 1)
          .u32(IFLA_PROMISCUITY, 1)  // e.g. a bridge port: dev->flags has PROMISC
          .u32(IFLA_ALLMULTI, 2)     // e.g. multicast routing: dev->flags has ALLMULTI
          .u32(IFLA_LINK, 2)
          .bytes());
  sysfs::NetClassIface n;
  n.dev_id = 5;  // not the link's: left alone
  netclass_from_link(l, &n);
  EXPECT_EQ(n.name, "eth0");
  EXPECT_EQ(n.address, "de:ad:be:ef:00:01");
  EXPECT_EQ(n.broadcast, "ff:ff:ff:ff:ff:ff");
  EXPECT_EQ(n.ifalias, "uplink \xEF\xBF\xBD");  // trimmed, invalid UTF-8 replaced
  EXPECT_EQ(n.operstate, "up");
  EXPECT_EQ(n.carrier, 1);
  EXPECT_EQ(n.dormant, 0);
  EXPECT_EQ(n.carrier_changes, 3);
  EXPECT_EQ(n.carrier_up_count, 2);
  EXPECT_EQ(n.carrier_down_count, 1);
  EXPECT_EQ(n.flags, IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_PROMISC | IFF_ALLMULTI);
  EXPECT_EQ(n.ifindex, 4);
  EXPECT_EQ(n.iflink, 2);
  EXPECT_EQ(n.link_mode, 1);
  EXPECT_EQ(n.mtu, 9000);
  EXPECT_EQ(n.netdev_group, -2147483648LL);
  EXPECT_EQ(n.tx_queue_len, -1);
  EXPECT_EQ(n.type, ARPHRD_ETHER);
  EXPECT_EQ(n.dev_id, 5);
  EXPECT_FALSE(n.speed);
  EXPECT_EQ(n.duplex, "");
}

TEST(NetclassFromLink, DownLinkHasNoCarrierNorDormant) {
  // A down link with gflags' ALLMULTI (ip link set allmulti on) and no IFLA_ALLMULTI (older
  // kernel): the bit stays. ifi_flags PROMISC without promiscuity count: cleared.
  Link l = parse_one(Msg(6, IFF_BROADCAST | IFF_ALLMULTI | IFF_PROMISC, ARPHRD_ETHER)
                         .str(IFLA_IFNAME, "eth1")
                         .u8(IFLA_OPERSTATE, IF_OPER_DOWN)
                         .u8(IFLA_CARRIER, 1)
                         .u32(IFLA_PROMISCUITY, 0)
                         .bytes());
  sysfs::NetClassIface n;
  n.carrier = 1;
  n.operstate = "up";
  netclass_from_link(l, &n);
  EXPECT_FALSE(n.carrier);
  EXPECT_FALSE(n.dormant);
  EXPECT_EQ(n.operstate, "down");
  EXPECT_EQ(n.flags, IFF_BROADCAST | IFF_ALLMULTI);
  EXPECT_EQ(n.iflink, 6);  // no IFLA_LINK: the device itself
  EXPECT_EQ(n.address, "");
  EXPECT_EQ(n.broadcast, "");
  EXPECT_FALSE(n.mtu);
  EXPECT_FALSE(n.link_mode);
  EXPECT_FALSE(n.carrier_changes);
}

TEST(NetclassFromLink, CarrierFromLowerUpAndDormantAndOperstates) {
  // Without IFLA_CARRIER the carrier is IFF_LOWER_UP; IFF_DORMANT shows as dormant 1.
  Link l = parse_one(Msg(2, IFF_UP | IFF_DORMANT, ARPHRD_ETHER)
                         .str(IFLA_IFNAME, "wlan0")
                         .u8(IFLA_OPERSTATE, IF_OPER_DORMANT)
                         .bytes());
  sysfs::NetClassIface n;
  netclass_from_link(l, &n);
  EXPECT_EQ(n.carrier, 0);
  EXPECT_EQ(n.dormant, 1);
  EXPECT_EQ(n.operstate, "dormant");
  EXPECT_EQ(n.flags, IFF_UP);  // DORMANT is a computed bit, not in dev->flags

  const char* names[] = {"unknown", "notpresent", "down", "lowerlayerdown",
                         "testing", "dormant",    "up",   ""};
  for (uint8_t s = 0; s < 8; ++s) {
    Link o = parse_one(
        Msg(2, IFF_UP | IFF_LOWER_UP).str(IFLA_IFNAME, "x").u8(IFLA_OPERSTATE, s).bytes());
    sysfs::NetClassIface m;
    netclass_from_link(o, &m);
    EXPECT_EQ(m.operstate, names[s]) << int(s);
    EXPECT_EQ(m.carrier, 1);
  }
}

TEST(Ethtool, DuplexNames) {
  EXPECT_EQ(net::duplex_name(DUPLEX_HALF), "half");
  EXPECT_EQ(net::duplex_name(DUPLEX_FULL), "full");
  EXPECT_EQ(net::duplex_name(DUPLEX_UNKNOWN), "unknown");
  EXPECT_EQ(net::duplex_name(7), "unknown");
}

}  // namespace
}  // namespace vitals::netlink
