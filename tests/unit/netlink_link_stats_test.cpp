// Tests of the RTM_GETLINK dump parser on hand-built netlink messages.
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <vector>

#include "collectors/netlink/link_stats.h"

namespace vitals::netlink {
namespace {

void put_attr(std::vector<uint8_t>& b, uint16_t type, const void* data, size_t len) {
  rtattr a{static_cast<uint16_t>(RTA_LENGTH(len)), type};
  size_t at = b.size();
  b.resize(at + RTA_SPACE(len));
  std::memcpy(b.data() + at, &a, sizeof a);
  std::memcpy(b.data() + at + RTA_LENGTH(0), data, len);
}

// One RTM_NEWLINK message with the given name and (optionally) stats.
std::vector<uint8_t> link_msg(const char* name, const rtnl_link_stats64* stats,
                              size_t stats_len = sizeof(rtnl_link_stats64)) {
  std::vector<uint8_t> b(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg)));
  put_attr(b, IFLA_IFNAME, name, std::strlen(name) + 1);
  if (stats) put_attr(b, IFLA_STATS64, stats, stats_len);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(b.size());
  h.nlmsg_type = RTM_NEWLINK;
  std::memcpy(b.data(), &h, sizeof h);
  return b;
}

std::vector<uint8_t> done_msg() {
  std::vector<uint8_t> b(NLMSG_SPACE(sizeof(int)));
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_LENGTH(sizeof(int));
  h.nlmsg_type = NLMSG_DONE;
  std::memcpy(b.data(), &h, sizeof h);
  return b;
}

TEST(LinkDump, NamesAndStats) {
  rtnl_link_stats64 s{};
  s.rx_packets = 1;
  s.tx_bytes = 4;
  s.rx_missed_errors = 16;
  s.rx_nohandler = 24;
  auto buf = link_msg("eth0", &s);
  auto lo = link_msg("lo", nullptr);  // no stats: left out
  buf.insert(buf.end(), lo.begin(), lo.end());
  auto d = done_msg();
  buf.insert(buf.end(), d.begin(), d.end());
  LinkDump dump;
  parse_link_dump(buf, &dump);
  EXPECT_TRUE(dump.done);
  EXPECT_TRUE(dump.errors.empty());
  ASSERT_EQ(dump.links.size(), 1u);
  EXPECT_EQ(dump.links[0].name, "eth0");
  EXPECT_EQ(dump.links[0].stats[0], 1u);    // rx_packets
  EXPECT_EQ(dump.links[0].stats[3], 4u);    // tx_bytes
  EXPECT_EQ(dump.links[0].stats[15], 16u);  // rx_missed_errors
  EXPECT_EQ(dump.links[0].stats[23], 24u);  // rx_nohandler
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
  EXPECT_NE(dump.errors[0].find("truncated netlink message at offset"), std::string::npos);

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
  EXPECT_EQ(d2.errors[0], "netlink error " + std::to_string(EPERM));
}

}  // namespace
}  // namespace vitals::netlink
