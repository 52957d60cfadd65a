// The sockets/tcpstat building blocks on hand-made input: netlink sock_diag datagrams (valid,
// truncated, malformed), /proc/net/{tcp,udp}* lines, port filters, per-port counting with the
// cardinality cap, the inode -> process cache, and both collectors on a bad /proc/net/tcp.
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "collectors/net/port_counts.h"
#include "collectors/net/port_filter.h"
#include "collectors/net/process_map.h"
#include "collectors/net/sock_diag.h"
#include "collectors/procfs/net_sockets.h"
#include "core/collector.h"

namespace vitals::net {
namespace {

// ---- netlink datagrams -------------------------------------------------------------------------

class Datagram {
 public:
  // Appends one SOCK_DIAG_BY_FAMILY message; `attrs` are appended raw after the inet_diag_msg.
  Datagram& sock(uint32_t seq, uint8_t family, uint8_t state, uint16_t sport, uint16_t dport,
                 uint32_t rq, uint32_t wq, uint32_t inode, const std::vector<uint8_t>& attrs = {}) {
    inet_diag_msg m{};
    m.idiag_family = family;
    m.idiag_state = state;
    m.id.idiag_sport = htons(sport);
    m.id.idiag_dport = htons(dport);
    m.id.idiag_src[0] = htonl(0x7F000001);
    m.id.idiag_dst[0] = htonl(0x7F000002);
    m.idiag_rqueue = rq;
    m.idiag_wqueue = wq;
    m.idiag_uid = 1000;
    m.idiag_inode = inode;
    std::vector<uint8_t> payload(sizeof m);
    std::memcpy(payload.data(), &m, sizeof m);
    payload.insert(payload.end(), attrs.begin(), attrs.end());
    return msg(SOCK_DIAG_BY_FAMILY, seq, payload);
  }
  Datagram& done(uint32_t seq, int code = 0) {
    std::vector<uint8_t> p(sizeof code);
    std::memcpy(p.data(), &code, sizeof code);
    return msg(NLMSG_DONE, seq, p);
  }
  Datagram& error(uint32_t seq, int code) {
    nlmsgerr e{};
    e.error = code;
    std::vector<uint8_t> p(sizeof e);
    std::memcpy(p.data(), &e, sizeof e);
    return msg(NLMSG_ERROR, seq, p);
  }
  Datagram& msg(uint16_t type, uint32_t seq, const std::vector<uint8_t>& payload) {
    nlmsghdr h{};
    h.nlmsg_len = static_cast<uint32_t>(sizeof h + payload.size());
    h.nlmsg_type = type;
    h.nlmsg_flags = NLM_F_MULTI;
    h.nlmsg_seq = seq;
    size_t at = bytes.size();
    bytes.resize(at + NLMSG_ALIGN(h.nlmsg_len));
    std::memcpy(bytes.data() + at, &h, sizeof h);
    std::memcpy(bytes.data() + at + sizeof h, payload.data(), payload.size());
    return *this;
  }
  std::vector<uint8_t> bytes;
};

std::vector<uint8_t> skmeminfo(uint32_t drops, size_t words = SK_MEMINFO_VARS) {
  std::vector<uint32_t> v(words, 7);
  if (words > SK_MEMINFO_DROPS) v[SK_MEMINFO_DROPS] = drops;
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(sizeof a + words * 4);
  a.nla_type = INET_DIAG_SKMEMINFO;
  std::vector<uint8_t> out(NLA_ALIGN(a.nla_len));
  std::memcpy(out.data(), &a, sizeof a);
  std::memcpy(out.data() + sizeof a, v.data(), words * 4);
  return out;
}

struct Parsed {
  std::vector<InetSocket> sockets;
  DiagItem last = DiagItem::kEnd;
  DiagError err;
};

Parsed parse_all(const std::vector<uint8_t>& bytes, uint32_t seq) {
  Parsed p;
  std::span<const uint8_t> data(bytes);
  InetSocket s;
  for (;;) {
    p.last = next_diag_message(data, seq, &s, &p.err);
    if (p.last != DiagItem::kSocket) return p;
    p.sockets.push_back(s);
  }
}

TEST(SockDiag, ParsesSocketsAttributesAndDone) {
  Datagram d;
  d.sock(5, AF_INET, kListen, 8080, 0, 3, 128, 4242, skmeminfo(17))
      .sock(5, AF_INET, kEstablished, 41000, 3306, 0, 10, 4243)
      .done(5);
  Parsed p = parse_all(d.bytes, 5);
  ASSERT_EQ(p.last, DiagItem::kDone) << p.err.message;
  ASSERT_EQ(p.sockets.size(), 2u);
  const InetSocket& l = p.sockets[0];
  EXPECT_EQ(l.family, AF_INET);
  EXPECT_EQ(l.state, kListen);
  EXPECT_EQ(l.local_port, 8080);
  EXPECT_EQ(l.rqueue, 3u);
  EXPECT_EQ(l.wqueue, 128u);
  EXPECT_EQ(l.inode, 4242u);
  EXPECT_EQ(l.uid, 1000u);
  ASSERT_TRUE(l.drops.has_value());
  EXPECT_EQ(*l.drops, 17u);
  char buf[kAddrBufSize];
  EXPECT_EQ(format_address(AF_INET, l.local_addr, buf), "127.0.0.1");
  const InetSocket& c = p.sockets[1];
  EXPECT_EQ(c.remote_port, 3306);
  EXPECT_FALSE(c.drops.has_value()) << "drops must not leak from the previous socket";
  EXPECT_EQ(format_address(AF_INET, c.remote_addr, buf), "127.0.0.2");
}

TEST(SockDiag, DatagramWithoutDoneAsksForMore) {
  Datagram d;
  d.sock(1, AF_INET6, kTimeWait, 1, 2, 0, 0, 0);
  Parsed p = parse_all(d.bytes, 1);
  EXPECT_EQ(p.last, DiagItem::kEnd);
  EXPECT_EQ(p.sockets.size(), 1u);
}

TEST(SockDiag, TruncatedAndMalformedAreErrors) {
  Datagram good;
  good.sock(9, AF_INET, kEstablished, 1, 2, 0, 0, 1, skmeminfo(1)).done(9);
  const size_t first_len = NLMSG_ALIGN(sizeof(nlmsghdr) + sizeof(inet_diag_msg) + 4 + 36);

  struct Case {
    const char* name;
    std::vector<uint8_t> bytes;
    const char* error_part;
  };
  std::vector<Case> cases;
  // Cut inside the first header, inside the first message, and inside the DONE message.
  cases.push_back({"cut header",
                   {good.bytes.begin(), good.bytes.begin() + 10},
                   "truncated netlink header (10 bytes left"});
  cases.push_back(
      {"cut message", {good.bytes.begin(), good.bytes.begin() + 60}, "netlink message length"});
  cases.push_back({"cut done",
                   {good.bytes.begin(), good.bytes.begin() + first_len + 8},
                   "truncated netlink header"});
  {
    std::vector<uint8_t> short_payload(sizeof(inet_diag_msg) - 8, 0);
    cases.push_back({"short inet_diag_msg",
                     Datagram().msg(SOCK_DIAG_BY_FAMILY, 9, short_payload).bytes,
                     "truncated inet_diag_msg (64 of 72 bytes)"});
  }
  {
    std::vector<uint8_t> attr = skmeminfo(1);
    attr[0] = 200;  // nla_len past the end of the message
    attr[1] = 0;
    cases.push_back({"attribute too long",
                     Datagram().sock(9, AF_INET, 1, 1, 2, 0, 0, 1, attr).bytes,
                     "attribute length 200"});
  }
  {
    std::vector<uint8_t> attr = skmeminfo(1);
    attr[0] = 2;  // shorter than an attribute header
    cases.push_back({"attribute too short",
                     Datagram().sock(9, AF_INET, 1, 1, 2, 0, 0, 1, attr).bytes,
                     "attribute length 2"});
  }
  cases.push_back({"attribute header cut",
                   Datagram().sock(9, AF_INET, 1, 1, 2, 0, 0, 1, {8, 0}).bytes,
                   "truncated attribute header"});
  cases.push_back({"short SK_MEMINFO",
                   Datagram().sock(9, AF_INET, 1, 1, 2, 0, 0, 1, skmeminfo(1, 4)).bytes,
                   "SK_MEMINFO attribute of 16 bytes, need 36"});
  cases.push_back({"wrong sequence", Datagram().sock(8, AF_INET, 1, 1, 2, 0, 0, 1).bytes,
                   "reply for sequence 8, expected 9"});
  cases.push_back({"unknown type", Datagram().msg(99, 9, {0, 0, 0, 0}).bytes,
                   "unexpected netlink message type 99"});
  cases.push_back(
      {"short error", Datagram().msg(NLMSG_ERROR, 9, {1, 2}).bytes, "truncated NLMSG_ERROR"});
  cases.push_back({"failed done", Datagram().done(9, -EINTR).bytes, "dump failed"});
  {
    Datagram d;
    d.sock(9, AF_INET, 1, 1, 2, 0, 0, 1);
    nlmsghdr h;
    std::memcpy(&h, d.bytes.data(), sizeof h);
    h.nlmsg_len = 8;  // smaller than the header itself
    std::memcpy(d.bytes.data(), &h, sizeof h);
    cases.push_back({"length below header", d.bytes, "netlink message length 8"});
  }
  for (const auto& c : cases) {
    Parsed p = parse_all(c.bytes, 9);
    EXPECT_EQ(p.last, DiagItem::kError) << c.name;
    EXPECT_FALSE(p.err.unavailable) << c.name;
    EXPECT_NE(p.err.message.find(c.error_part), std::string::npos)
        << c.name << " -> " << p.err.message;
  }
}

TEST(SockDiag, KernelErrorsSayWhetherToFallBack) {
  Parsed p = parse_all(Datagram().error(3, -ENOENT).bytes, 3);
  EXPECT_EQ(p.last, DiagItem::kError);
  EXPECT_TRUE(p.err.unavailable);
  EXPECT_EQ(p.err.errnum, ENOENT);
  p = parse_all(Datagram().error(3, -EINVAL).bytes, 3);
  EXPECT_FALSE(p.err.unavailable);
  EXPECT_NE(p.err.message.find("refused"), std::string::npos) << p.err.message;
}

// Found by the sock_diag fuzz target (docs/fuzzing.md): an error code of INT_MIN was negated
// (undefined behaviour). Codes outside -4095..-1 (MAX_ERRNO) are malformed replies.
TEST(SockDiag, ErrorCodesOutsideErrnoAreMalformed) {
  for (int code : {INT_MIN, -4096}) {
    Parsed p = parse_all(Datagram().done(3, code).bytes, 3);
    EXPECT_EQ(p.last, DiagItem::kError);
    EXPECT_EQ(p.err.errnum, 0);
    EXPECT_NE(p.err.message.find("NLMSG_DONE with error code"), std::string::npos);
    p = parse_all(Datagram().error(3, code).bytes, 3);
    EXPECT_EQ(p.last, DiagItem::kError);
    EXPECT_EQ(p.err.errnum, 0);
    EXPECT_FALSE(p.err.unavailable);
    EXPECT_NE(p.err.message.find("NLMSG_ERROR with error code"), std::string::npos);
  }
  Parsed p = parse_all(Datagram().done(3, -4095).bytes, 3);
  EXPECT_EQ(p.err.errnum, 4095);
}

TEST(SockDiag, BuildsTheRequest) {
  uint8_t buf[128];
  DumpRequest r{.family = AF_INET6, .protocol = IPPROTO_UDP, .states = 0x80, .drops = true};
  size_t n = build_diag_request(r, 77, buf);
  ASSERT_EQ(n, sizeof(nlmsghdr) + sizeof(inet_diag_req_v2));
  nlmsghdr h;
  inet_diag_req_v2 req;
  std::memcpy(&h, buf, sizeof h);
  std::memcpy(&req, buf + sizeof h, sizeof req);
  EXPECT_EQ(h.nlmsg_len, n);
  EXPECT_EQ(h.nlmsg_type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(h.nlmsg_seq, 77u);
  EXPECT_EQ(req.sdiag_family, AF_INET6);
  EXPECT_EQ(req.sdiag_protocol, IPPROTO_UDP);
  EXPECT_EQ(req.idiag_states, 0x80u);
  EXPECT_EQ(req.idiag_ext, 1 << (INET_DIAG_SKMEMINFO - 1));
  r.drops = false;
  build_diag_request(r, 78, buf);
  std::memcpy(&req, buf + sizeof h, sizeof req);
  EXPECT_EQ(req.idiag_ext, 0);
  EXPECT_EQ(build_diag_request(r, 1, std::span<uint8_t>(buf, 10)), 0u);
}

TEST(SockDiag, BuildsTheEveryFamilyRequest) {
  uint8_t buf[128];
  DumpRequest r{.family = AF_UNSPEC, .protocol = IPPROTO_TCP, .states = 0x0e, .drops = true};
  size_t n = build_diag_request(r, 5, buf);
  ASSERT_EQ(n, sizeof(nlmsghdr) + sizeof(inet_diag_req));
  nlmsghdr h;
  inet_diag_req req;
  std::memcpy(&h, buf, sizeof h);
  std::memcpy(&req, buf + sizeof h, sizeof req);
  EXPECT_EQ(h.nlmsg_len, n);
  EXPECT_EQ(h.nlmsg_type, TCPDIAG_GETSOCK);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(h.nlmsg_seq, 5u);
  EXPECT_EQ(req.idiag_states, 0x0eu);
  EXPECT_EQ(req.idiag_ext, 1 << (INET_DIAG_SKMEMINFO - 1));
  // TCP only: the compatibility request has no protocol field.
  r.protocol = IPPROTO_UDP;
  EXPECT_EQ(build_diag_request(r, 6, buf), 0u);
}

TEST(SockDiag, EveryFamilyRepliesAreSockets) {
  // The kernel answers TCPDIAG_GETSOCK with messages of that type; any other type stays an error.
  Datagram d;
  inet_diag_msg m{};
  m.idiag_family = AF_INET6;
  m.idiag_state = 1;
  m.id.idiag_sport = htons(443);
  std::vector<uint8_t> payload(sizeof m);
  std::memcpy(payload.data(), &m, sizeof m);
  d.msg(TCPDIAG_GETSOCK, 3, payload).msg(DCCPDIAG_GETSOCK, 3, payload);
  std::span<const uint8_t> data(d.bytes);
  InetSocket s;
  DiagError err;
  ASSERT_EQ(next_diag_message(data, 3, &s, &err), DiagItem::kSocket) << err.message;
  EXPECT_EQ(s.family, AF_INET6);
  EXPECT_EQ(s.local_port, 443);
  EXPECT_EQ(next_diag_message(data, 3, &s, &err), DiagItem::kError);
  EXPECT_NE(err.message.find("unexpected netlink message type"), std::string::npos);
}

TEST(SockDiag, OneDumpGivesBothFamilies) {
  // A connected pair on 127.0.0.1 and one on ::1 (when this host has IPv6), then a dump of every
  // family: both pairs' sockets come back, each with its own family.
  struct Pair {
    int listener = -1, client = -1, server = -1;
    uint16_t port = 0;
  };
  auto make = [](int family) {
    Pair p;
    p.listener = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage a{};
    socklen_t len;
    if (family == AF_INET) {
      auto* a4 = reinterpret_cast<sockaddr_in*>(&a);
      a4->sin_family = AF_INET;
      a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a4;
    } else {
      auto* a6 = reinterpret_cast<sockaddr_in6*>(&a);
      a6->sin6_family = AF_INET6;
      a6->sin6_addr = in6addr_loopback;
      len = sizeof *a6;
    }
    if (p.listener < 0 || ::bind(p.listener, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(p.listener, 4) != 0 ||
        ::getsockname(p.listener, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      if (p.listener >= 0) ::close(p.listener);
      return Pair{};
    }
    p.port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&a)->sin_port
                                     : reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
    p.client = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(p.client, reinterpret_cast<sockaddr*>(&a), len) == 0) {
      p.server = ::accept4(p.listener, nullptr, nullptr, SOCK_CLOEXEC);
    }
    return p;
  };
  Pair v4 = make(AF_INET);
  Pair v6 = make(AF_INET6);
  ASSERT_GT(v4.port, 0);
  ASSERT_GE(v4.server, 0);
  const bool have_v6 = v6.port > 0 && v6.server >= 0;
  int seen4 = 0, seen6 = 0;
  SockDiag diag;
  DiagError err;
  bool ok = diag.dump(
      {.family = AF_UNSPEC, .protocol = IPPROTO_TCP, .states = kAllStates & ~state_bit(kListen)},
      std::chrono::steady_clock::now() + std::chrono::seconds(10),
      [&](const InetSocket& s) {
        if (s.local_port != v4.port && s.remote_port != v4.port &&
            (!have_v6 || (s.local_port != v6.port && s.remote_port != v6.port))) {
          return;
        }
        EXPECT_NE(s.state, kListen);
        if (s.family == AF_INET && (s.local_port == v4.port || s.remote_port == v4.port)) ++seen4;
        if (s.family == AF_INET6 && (s.local_port == v6.port || s.remote_port == v6.port)) ++seen6;
      },
      &err);
  for (const Pair& p : {v4, v6}) {
    for (int fd : {p.listener, p.client, p.server}) {
      if (fd >= 0) ::close(fd);
    }
  }
  ASSERT_TRUE(ok) << err.message;
  EXPECT_EQ(seen4, 2);  // the client's and the accepted socket
  EXPECT_EQ(seen6, have_v6 ? 2 : 0);
}

TEST(SockDiag, StateNamesAreNodeExporters) {
  EXPECT_EQ(tcp_state_name(1), "established");
  EXPECT_EQ(tcp_state_name(3), "syn_recv");
  EXPECT_EQ(tcp_state_name(4), "fin_wait1");
  EXPECT_EQ(tcp_state_name(6), "time_wait");
  EXPECT_EQ(tcp_state_name(8), "close_wait");
  EXPECT_EQ(tcp_state_name(10), "listen");
  EXPECT_EQ(tcp_state_name(11), "closing");
  EXPECT_EQ(tcp_state_name(0), "unknown");
  EXPECT_EQ(tcp_state_name(12), "unknown");
}

}  // namespace
}  // namespace vitals::net

namespace vitals::procfs {
namespace {

using net::InetSocket;

TEST(ProcNetSockets, ParsesTcpTcp6AndUdpLines) {
  InetSocket s;
  std::string err;
  ASSERT_TRUE(parse_net_socket_line(
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 "
      "12345 1 0000000000000000 100 0 0 10 0",
      NetSocketFile::kTcp, &s, &err))
      << err;
  EXPECT_EQ(s.family, AF_INET);
  EXPECT_EQ(s.state, net::kListen);
  EXPECT_EQ(s.local_port, 8080);
  EXPECT_EQ(s.rqueue, 5u);
  EXPECT_EQ(s.wqueue, 0u);
  EXPECT_EQ(s.inode, 12345u);
  EXPECT_FALSE(s.drops);
  char buf[net::kAddrBufSize];
  EXPECT_EQ(net::format_address(AF_INET, s.local_addr, buf), "127.0.0.1");

  // TIME_WAIT lines are shorter.
  ASSERT_TRUE(parse_net_socket_line(
      "  12: 0100007F:A0F2 0100007F:1B58 06 00000000:00000000 03:00001770 00000000     0        0 "
      "0 3 0000000000000000",
      NetSocketFile::kTcp, &s, &err))
      << err;
  EXPECT_EQ(s.state, net::kTimeWait);
  EXPECT_EQ(s.remote_port, 7000);

  // ::1 port 8443, uid 1000.
  ASSERT_TRUE(parse_net_socket_line(
      "   1: 00000000000000000000000001000000:20FB 00000000000000000000000000000000:0000 0A "
      "00000000:00000002 00:00000000 00000000  1000        0 777 1 0000000000000000 100 0 0 10 0",
      NetSocketFile::kTcp6, &s, &err))
      << err;
  EXPECT_EQ(s.family, AF_INET6);
  EXPECT_EQ(net::format_address(AF_INET6, s.local_addr, buf), "::1");
  EXPECT_EQ(s.local_port, 8443);
  EXPECT_EQ(s.uid, 1000u);

  ASSERT_TRUE(parse_net_socket_line(
      " 1234: 0100007F:14E9 00000000:0000 07 00000000:00000D00 00:00000000 00000000     0        0 "
      "555 2 0000000000000000 42",
      NetSocketFile::kUdp, &s, &err))
      << err;
  EXPECT_EQ(s.state, net::kClose);
  EXPECT_EQ(s.rqueue, 0xD00u);
  ASSERT_TRUE(s.drops);
  EXPECT_EQ(*s.drops, 42u);
}

TEST(ProcNetSockets, MalformedLines) {
  const std::string tail =
      " 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0";
  struct Case {
    std::string line;
    NetSocketFile kind;
    const char* error_part;
  } cases[] = {
      {"", NetSocketFile::kTcp, "expected at least 10 fields, got 0"},
      {"   0: 0100007F:1F90 00000000:0000 0A", NetSocketFile::kTcp, "got 4"},
      {"   0 0100007F:1F90 00000000:0000 0A 00000000:00000000" + tail, NetSocketFile::kTcp,
       "invalid slot"},
      {"   0: 0100007F1F90 00000000:0000 0A 00000000:00000000" + tail, NetSocketFile::kTcp,
       "invalid local address \"0100007F1F90\""},
      {"   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000" + tail, NetSocketFile::kTcp,
       "invalid local address"},
      {"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000" + tail, NetSocketFile::kTcp6,
       "invalid local address"},
      {"   0: 0100007F:1F90 00000000:00000 0A 00000000:00000000" + tail, NetSocketFile::kTcp,
       "invalid remote address"},
      {"   0: 0100007F:1F90 00000000:0000 XY 00000000:00000000" + tail, NetSocketFile::kTcp,
       "invalid state \"XY\""},
      {"   0: 0100007F:1F90 00000000:0000 0A 00000000-00000000" + tail, NetSocketFile::kTcp,
       "invalid tx_queue:rx_queue"},
      {"   0: 0100007F:1F90 00000000:0000 0A 00000000:" + tail, NetSocketFile::kTcp,
       "invalid tx_queue:rx_queue"},
      {"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 root 0 1",
       NetSocketFile::kTcp, "invalid uid \"root\""},
      {"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 -1",
       NetSocketFile::kTcp, "invalid inode \"-1\""},
      {"   0: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 2 0",
       NetSocketFile::kUdp, "expected at least 13 fields, got 12"},
      {"   0: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 2 0 x",
       NetSocketFile::kUdp, "invalid drops \"x\""},
  };
  for (const auto& c : cases) {
    InetSocket s;
    std::string err;
    EXPECT_FALSE(parse_net_socket_line(c.line, c.kind, &s, &err)) << c.line;
    EXPECT_NE(err.find(c.error_part), std::string::npos) << c.line << " -> " << err;
  }
}

TEST(ProcNetSockets, WholeFileStopsAtTheFirstBadLine) {
  const std::string header =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
      "inode\n";
  const std::string line =
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
      "1 1 0000000000000000 100 0 0 10 0\n";
  int n = 0;
  std::string err;
  EXPECT_TRUE(parse_net_sockets(
      header + line + "\n" + line, NetSocketFile::kTcp, [&](const InetSocket&) { ++n; }, &err))
      << err;
  EXPECT_EQ(n, 2);
  n = 0;
  EXPECT_FALSE(parse_net_sockets(
      header + line + "   1: garbage\n" + line, NetSocketFile::kTcp,
      [&](const InetSocket&) { ++n; }, &err));
  EXPECT_EQ(n, 1);
  EXPECT_NE(err.find("line 3: expected at least 10 fields"), std::string::npos) << err;
}

}  // namespace
}  // namespace vitals::procfs

namespace vitals::net {
namespace {

TEST(PortFilter, ListsAndRanges) {
  PortSet s;
  std::string err;
  ASSERT_TRUE(s.parse("22, 443,8000-8002", &err)) << err;
  EXPECT_EQ(s.count(), 5u);
  EXPECT_TRUE(s.contains(22));
  EXPECT_TRUE(s.contains(8001));
  EXPECT_FALSE(s.contains(8003));
  ASSERT_TRUE(s.parse("", &err));
  EXPECT_EQ(s.count(), 0u);
  for (const char* bad : {"x", "80,", "70000", "9-3", "1-2-3", "-5", "80;443"}) {
    EXPECT_FALSE(s.parse(bad, &err)) << bad;
    EXPECT_NE(err.find("invalid port or range"), std::string::npos) << bad << " -> " << err;
  }

  PortFilter f;
  ASSERT_TRUE(f.init("", "", &err));
  EXPECT_TRUE(f.allowed(1));
  EXPECT_TRUE(f.allowed(65535));
  ASSERT_TRUE(f.init("80,443", "", &err));
  EXPECT_TRUE(f.allowed(443));
  EXPECT_FALSE(f.allowed(8080));
  ASSERT_TRUE(f.init("", "9100,32768-60999", &err));
  EXPECT_FALSE(f.allowed(9100));
  EXPECT_FALSE(f.allowed(40000));
  EXPECT_TRUE(f.allowed(443));
  EXPECT_FALSE(f.init("80", "81", &err));
  EXPECT_NE(err.find("mutually exclusive"), std::string::npos);
}

TEST(PortCounts, CountsFoldsAndReuses) {
  PortCounts c;
  for (int i = 0; i < 5; ++i) c.add(3306, kEstablished);
  for (int i = 0; i < 3; ++i) c.add(443, kTimeWait);
  c.add(443, kEstablished);
  c.add(80, kEstablished);
  c.add(80, kSynSent);
  c.add(6379, kCloseWait);
  c.add(6379, 200);  // not a state: counted as unknown
  c.touch(9999);
  std::vector<PortCounts::Row> rows;
  c.top(0, &rows);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].port, 3306);
  EXPECT_EQ(rows[0].states[kEstablished], 5u);
  EXPECT_EQ(rows[1].port, 443);  // 4 connections
  EXPECT_EQ(rows[1].states[kTimeWait], 3u);
  EXPECT_EQ(rows[2].port, 80);  // 2, tie with 6379 broken by port
  EXPECT_EQ(rows[3].port, 6379);
  EXPECT_EQ(rows[3].states[0], 1u);
  EXPECT_EQ(rows[4].port, 9999);
  EXPECT_EQ(rows[4].total(), 0u);

  c.top(2, &rows);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].port, PortCounts::kOther);
  EXPECT_EQ(rows[2].states[kEstablished], 1u);
  EXPECT_EQ(rows[2].states[kSynSent], 1u);
  EXPECT_EQ(rows[2].states[kCloseWait], 1u);
  EXPECT_EQ(rows[2].states[0], 1u);
  EXPECT_EQ(rows[2].total(), 4u);

  c.clear();
  EXPECT_EQ(c.ports(), 0u);
  c.add(3306, kEstablished);
  c.top(0, &rows);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].states[kEstablished], 1u) << "cleared rows must start from zero";
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vitals-sockets-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  void write(const std::string& rel, const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(path_ + "/" + rel).parent_path());
    std::ofstream(path_ + "/" + rel) << text;
  }

 private:
  std::string path_;
};

TEST(SocketProcessMap, ScansOnlyForNewInodes) {
  TempDir proc;
  proc.write("123/comm", "nginx\n");
  proc.write("456/comm", "sshd\n");
  proc.write("self/comm", "nope\n");
  std::filesystem::create_directories(proc.path() + "/123/fd");
  std::filesystem::create_directories(proc.path() + "/456/fd");
  std::filesystem::create_symlink("socket:[1001]", proc.path() + "/123/fd/3");
  std::filesystem::create_symlink("/dev/null", proc.path() + "/123/fd/0");
  std::filesystem::create_symlink("socket:[1002]", proc.path() + "/456/fd/4");
  std::filesystem::create_symlink("pipe:[1003]", proc.path() + "/456/fd/5");

  SocketProcessMap m(proc.path());
  std::vector<uint32_t> inodes = {1001, 1002, 1003};
  m.resolve(inodes);
  EXPECT_EQ(m.scans(), 1u);
  EXPECT_EQ(m.comm(1001), "nginx");
  EXPECT_EQ(m.comm(1002), "sshd");
  EXPECT_EQ(m.comm(1003), "");  // a pipe, not a socket
  m.resolve(inodes);
  EXPECT_EQ(m.scans(), 1u) << "all cached: no scan";

  // A new inode scans once more (and retries 1003, which now shows up).
  std::filesystem::create_symlink("socket:[1003]", proc.path() + "/456/fd/6");
  std::filesystem::create_symlink("socket:[1004]", proc.path() + "/456/fd/7");
  inodes = {1001, 1003, 1004};
  m.resolve(inodes);
  EXPECT_EQ(m.scans(), 2u);
  EXPECT_EQ(m.comm(1003), "sshd");
  EXPECT_EQ(m.comm(1004), "sshd");
  EXPECT_EQ(m.comm(1002), "") << "forgotten once no longer listed";
}

// Both collectors on a /proc tree whose net/tcp has a bad line: an error naming the file and
// line, and no family (a count missing one socket would be a wrong count).
TEST(SocketsCollectors, BadProcNetLineFailsWithoutCounts) {
  TempDir proc;
  const std::string header =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
      "inode\n";
  proc.write("net/tcp",
             header +
                 "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 "
                 "1 1 0000000000000000 100 0 0 10 0\n"
                 "   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000\n");
  proc.write("net/tcp6", header);
  proc.write("net/udp", header);
  proc.write("net/udp6", header);
  Paths paths;
  paths.procfs = proc.path();
  for (const char* name : {"sockets", "tcpstat"}) {
    const CollectorSpec* spec = CollectorRegistry::find(name);
    ASSERT_NE(spec, nullptr) << name;
    CollectorOptions opts;
    for (const auto& o : spec->options) {
      opts.set(o.name, {o.name == "source" ? std::string("procfs") : o.default_value}, false);
    }
    auto c = spec->make(opts, paths);
    MetricSet out;
    CollectContext ctx{paths, std::chrono::steady_clock::now() + std::chrono::seconds(10)};
    try {
      c->collect(ctx, out);
      ADD_FAILURE() << name << ": no error";
    } catch (const CollectError& e) {
      EXPECT_NE(std::string(e.what()).find("net/tcp:3: expected at least 10 fields, got 7"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(out.families().size(), 0u) << name;
  }
}

}  // namespace
}  // namespace vitals::net

namespace vitals::net {
namespace {

// A real dump: 600 listeners of this process (more than one reply datagram) are all reported,
// each with its backlog, and the state mask keeps connections out.
TEST(SockDiag, DumpsRealListenersAcrossDatagrams) {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  for (int i = 0; i < 600; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(fd, 7 + i % 3), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    fds.push_back(fd);
    ports.push_back(ntohs(a.sin_port));
  }
  std::sort(ports.begin(), ports.end());
  SockDiag diag;
  DiagError err;
  size_t ours = 0, backlog_sum = 0, not_listen = 0;
  bool ok = diag.dump(
      {.family = AF_INET, .protocol = IPPROTO_TCP, .states = state_bit(kListen), .drops = true},
      std::chrono::steady_clock::now() + std::chrono::seconds(10),
      [&](const InetSocket& s) {
        if (s.state != kListen) ++not_listen;
        if (!std::binary_search(ports.begin(), ports.end(), s.local_port)) return;
        ++ours;
        backlog_sum += s.wqueue;
        EXPECT_TRUE(s.drops.has_value());
      },
      &err);
  for (int fd : fds) ::close(fd);
  ASSERT_TRUE(ok) << err.message;
  EXPECT_EQ(ours, 600u);
  EXPECT_EQ(backlog_sum, 200u * (7 + 8 + 9));
  EXPECT_EQ(not_listen, 0u);
  EXPECT_GT(diag.datagrams(), 1u);
}

}  // namespace
}  // namespace vitals::net
