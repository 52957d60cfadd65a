// Tests of the RTM_GETROUTE and RTM_GETQDISC dump parsers and of node_exporter's label texts
// for addresses, on hand-built netlink messages.
#include <gtest/gtest.h>
#include <linux/gen_stats.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "collectors/netlink/qdisc.h"
#include "collectors/netlink/route.h"

namespace vitals::netlink {
namespace {

class RouteMsg {
 public:
  explicit RouteMsg(uint8_t family, uint8_t dst_len, uint8_t type = RTN_UNICAST,
                    uint8_t proto = RTPROT_STATIC)
      : b_(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rtmsg))) {
    rtmsg r{};
    r.rtm_family = family;
    r.rtm_dst_len = dst_len;
    r.rtm_type = type;
    r.rtm_protocol = proto;
    r.rtm_table = RT_TABLE_MAIN;
    std::memcpy(b_.data() + NLMSG_HDRLEN, &r, sizeof r);
  }
  RouteMsg& attr(uint16_t type, const void* data, size_t len) {
    rtattr a{static_cast<uint16_t>(RTA_LENGTH(len)), type};
    size_t at = b_.size();
    b_.resize(at + RTA_SPACE(len));
    std::memcpy(b_.data() + at, &a, sizeof a);
    if (len) std::memcpy(b_.data() + at + RTA_LENGTH(0), data, len);
    return *this;
  }
  RouteMsg& ip(uint16_t type, std::vector<uint8_t> a) { return attr(type, a.data(), a.size()); }
  RouteMsg& u32(uint16_t type, uint32_t v) { return attr(type, &v, sizeof v); }
  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> b = b_;
    nlmsghdr h{};
    h.nlmsg_len = static_cast<uint32_t>(b.size());
    h.nlmsg_type = RTM_NEWROUTE;
    h.nlmsg_flags = NLM_F_MULTI;
    std::memcpy(b.data(), &h, sizeof h);
    return b;
  }

 private:
  std::vector<uint8_t> b_;
};

std::vector<uint8_t> next_hop(int ifindex, uint8_t hops, std::vector<uint8_t> gw) {
  std::vector<uint8_t> b(sizeof(rtnexthop) + RTA_SPACE(gw.size()));
  rtnexthop nh{};
  nh.rtnh_len = static_cast<unsigned short>(b.size());
  nh.rtnh_hops = hops;
  nh.rtnh_ifindex = ifindex;
  std::memcpy(b.data(), &nh, sizeof nh);
  rtattr a{static_cast<uint16_t>(RTA_LENGTH(gw.size())), RTA_GATEWAY};
  std::memcpy(b.data() + sizeof nh, &a, sizeof a);
  std::memcpy(b.data() + sizeof nh + RTA_LENGTH(0), gw.data(), gw.size());
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

void append(std::vector<uint8_t>& to, const std::vector<uint8_t>& b) {
  to.insert(to.end(), b.begin(), b.end());
}

TEST(NetlinkRoute, ParsesRoutesAndMultipath) {
  std::vector<uint8_t> buf;
  append(buf, RouteMsg(AF_INET, 24)
                  .ip(RTA_DST, {10, 1, 2, 0})
                  .ip(RTA_PREFSRC, {10, 1, 2, 3})
                  .u32(RTA_OIF, 4)
                  .u32(RTA_PRIORITY, 100)
                  .bytes());
  std::vector<uint8_t> mp = next_hop(5, 0, {192, 168, 0, 1});
  append(mp, next_hop(6, 2, {192, 168, 1, 1}));
  append(buf, RouteMsg(AF_INET, 0).attr(RTA_MULTIPATH, mp.data(), mp.size()).bytes());
  append(buf, RouteMsg(AF_INET6, 64, RTN_UNICAST, RTPROT_KERNEL)
                  .ip(RTA_DST, {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
                  .u32(RTA_OIF, 2)
                  .bytes());
  append(buf, done_msg());
  RouteDump d;
  parse_route_dump(buf, &d);
  EXPECT_TRUE(d.state.done);
  EXPECT_TRUE(d.errors.empty());
  ASSERT_EQ(d.routes.size(), 3u);
  EXPECT_EQ(format_prefix(d.routes[0].dst, d.routes[0].dst_len), "10.1.2.0/24");
  EXPECT_EQ(format_ip(d.routes[0].prefsrc), "10.1.2.3");
  EXPECT_EQ(d.routes[0].oif, 4u);
  EXPECT_EQ(d.routes[0].priority, 100u);
  EXPECT_EQ(d.routes[0].protocol, RTPROT_STATIC);
  EXPECT_EQ(format_prefix(d.routes[1].dst, d.routes[1].dst_len), "default");
  ASSERT_EQ(d.routes[1].multipath.size(), 2u);
  EXPECT_EQ(d.routes[1].multipath[1].ifindex, 6);
  EXPECT_EQ(d.routes[1].multipath[1].hops, 2);
  EXPECT_EQ(format_ip(d.routes[1].multipath[1].gateway), "192.168.1.1");
  EXPECT_EQ(format_ip(d.routes[1].gateway), "");
  EXPECT_EQ(format_prefix(d.routes[2].dst, d.routes[2].dst_len), "fe80::/64");
}

TEST(NetlinkRoute, BadMessageIsAnItemErrorAndTheRestIsKept) {
  std::vector<uint8_t> buf;
  append(buf, RouteMsg(AF_INET, 32).ip(RTA_DST, {1, 2, 3}).bytes());  // 3-byte address
  append(buf, RouteMsg(AF_INET, 32).ip(RTA_DST, {1, 2, 3, 4}).u32(RTA_OIF, 1).bytes());
  std::vector<uint8_t> cut = RouteMsg(AF_INET, 8).ip(RTA_DST, {10, 0, 0, 0}).bytes();
  cut.resize(cut.size() - 2);  // a truncated last message
  append(buf, cut);
  RouteDump d;
  parse_route_dump(buf, &d);
  ASSERT_EQ(d.routes.size(), 1u);
  EXPECT_EQ(format_prefix(d.routes[0].dst, 32), "1.2.3.4/32");
  ASSERT_EQ(d.errors.size(), 2u);
  EXPECT_NE(d.errors.message("x").find("RTA_DST payload is 3 bytes"), std::string::npos)
      << d.errors.message("x");
  EXPECT_FALSE(d.state.done);
}

TEST(NetlinkRoute, BrokenMultipathIsAnItemError) {
  std::vector<uint8_t> mp = next_hop(5, 0, {192, 168, 0, 1});
  mp.resize(mp.size() + 4, 0);  // a rtnexthop of length 0 after the good one
  std::vector<uint8_t> buf = RouteMsg(AF_INET, 0).attr(RTA_MULTIPATH, mp.data(), mp.size()).bytes();
  RouteDump d;
  parse_route_dump(buf, &d);
  EXPECT_TRUE(d.routes.empty());
  EXPECT_EQ(d.errors.size(), 1u);
}

TEST(NetlinkRoute, GoAddressTexts) {
  auto v6 = [](std::vector<uint8_t> b) {
    IpAddr a;
    std::memcpy(a.bytes.data(), b.data(), 16);
    a.len = 16;
    return a;
  };
  EXPECT_EQ(format_ip(v6({0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1})),
            "2001:db8::1:0:0:1");
  EXPECT_EQ(format_ip(v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})), "::1");
  EXPECT_EQ(format_ip(v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), "::");
  EXPECT_EQ(format_ip(v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1})), "10.0.0.1");
  EXPECT_EQ(format_ip(v6({0x20, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0})), "2001:0:1::1:0:0");
  EXPECT_EQ(format_ip(v6({0x20, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1})),
            "2001:1:0:1:1:1:1:1");
  EXPECT_EQ(format_prefix(v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0}), 96), "<nil>");
}

// One RTM_NEWQDISC message: tcmsg, TCA_KIND and TCA_STATS2 { BASIC, QUEUE } built from `basic`
// and `queue` payloads (their lengths are the test's to choose).
std::vector<uint8_t> qdisc_msg(int ifindex, uint32_t parent, const char* kind,
                               std::vector<uint8_t> basic, std::vector<uint8_t> queue) {
  std::vector<uint8_t> b(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(tcmsg)));
  tcmsg t{};
  t.tcm_ifindex = ifindex;
  t.tcm_parent = parent;
  t.tcm_handle = 0x10000;
  std::memcpy(b.data() + NLMSG_HDRLEN, &t, sizeof t);
  auto put = [](std::vector<uint8_t>& to, uint16_t type, const void* d, size_t n) {
    rtattr a{static_cast<uint16_t>(RTA_LENGTH(n)), type};
    size_t at = to.size();
    to.resize(at + RTA_SPACE(n));
    std::memcpy(to.data() + at, &a, sizeof a);
    if (n) std::memcpy(to.data() + at + RTA_LENGTH(0), d, n);
  };
  put(b, TCA_KIND, kind, std::strlen(kind) + 1);
  std::vector<uint8_t> nested;
  put(nested, TCA_STATS_BASIC, basic.data(), basic.size());
  put(nested, TCA_STATS_QUEUE, queue.data(), queue.size());
  put(b, TCA_STATS2, nested.data(), nested.size());
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(b.size());
  h.nlmsg_type = RTM_NEWQDISC;
  std::memcpy(b.data(), &h, sizeof h);
  return b;
}

std::vector<uint8_t> basic(uint64_t bytes, uint32_t packets) {
  gnet_stats_basic s{};
  s.bytes = bytes;
  s.packets = packets;
  std::vector<uint8_t> b(sizeof s);
  std::memcpy(b.data(), &s, sizeof s);
  return b;
}

std::vector<uint8_t> queue(uint32_t qlen, uint32_t backlog, uint32_t drops, uint32_t requeues,
                           uint32_t overlimits) {
  gnet_stats_queue q{qlen, backlog, drops, requeues, overlimits};
  std::vector<uint8_t> b(sizeof q);
  std::memcpy(b.data(), &q, sizeof q);
  return b;
}

TEST(NetlinkQdisc, ParsesStats2) {
  std::vector<uint8_t> buf =
      qdisc_msg(2, TC_H_ROOT, "fq_codel", basic(1000, 10), queue(1, 2, 3, 4, 5));
  append(buf, qdisc_msg(3, 0x10001, "htb", basic(7, 1), queue(0, 0, 0, 0, 0)));
  append(buf, done_msg());
  QdiscDump d;
  parse_qdisc_dump(buf, &d);
  EXPECT_TRUE(d.state.done);
  EXPECT_TRUE(d.errors.empty()) << d.errors.message("x");
  ASSERT_EQ(d.qdiscs.size(), 2u);
  const Qdisc& q = d.qdiscs[0];
  EXPECT_EQ(q.ifindex, 2);
  EXPECT_EQ(q.parent, 0u);  // TC_H_ROOT
  EXPECT_EQ(q.kind, "fq_codel");
  EXPECT_EQ(q.bytes, 1000u);
  EXPECT_EQ(q.packets, 10u);
  EXPECT_EQ(q.qlen, 1u);
  EXPECT_EQ(q.backlog, 2u);
  EXPECT_EQ(q.drops, 3u);
  EXPECT_EQ(q.requeues, 4u);
  EXPECT_EQ(q.overlimits, 5u);
  EXPECT_EQ(d.qdiscs[1].parent, 0x10001u);
}

TEST(NetlinkQdisc, ShortStatsAndTruncatedMessageAreItemErrors) {
  std::vector<uint8_t> buf = qdisc_msg(2, TC_H_ROOT, "noqueue", basic(1, 1), {1, 2, 3});
  append(buf, qdisc_msg(4, TC_H_ROOT, "pfifo_fast", basic(99, 9), queue(0, 0, 1, 0, 0)));
  std::vector<uint8_t> cut = qdisc_msg(5, TC_H_ROOT, "fq", basic(1, 1), queue(0, 0, 0, 0, 0));
  cut.resize(cut.size() / 2);
  append(buf, cut);
  QdiscDump d;
  parse_qdisc_dump(buf, &d);
  ASSERT_EQ(d.qdiscs.size(), 1u);
  EXPECT_EQ(d.qdiscs[0].kind, "pfifo_fast");
  EXPECT_EQ(d.qdiscs[0].bytes, 99u);
  ASSERT_EQ(d.errors.size(), 2u);
  EXPECT_NE(d.errors.message("x").find("TCA_STATS_QUEUE payload is 3 bytes"), std::string::npos)
      << d.errors.message("x");
}

}  // namespace
}  // namespace vitals::netlink
