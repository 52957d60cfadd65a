// Inconsistent netlink dumps (issue 17, "netlink ENOBUFS and truncated dumps"): on hand-built
// messages, every parser (sock_diag's next_diag_message, rtnetlink's walk_messages and
// parse_link_dump) classifies NLM_F_DUMP_INTR, an NLMSG_ERROR mid-dump (ENOBUFS, EBUSY, other)
// and a truncated tail; check_dump turns the end state into a DumpError of that fault; and
// with_dump_retries repeats retryable faults at most kDumpAttempts times, counting each retry
// and each given-up dump in vitals_netlink_dump_{retries,failures}_total.
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>

#include "collectors/net/sock_diag.h"
#include "collectors/netlink/dump_retry.h"
#include "collectors/netlink/link.h"
#include "collectors/netlink/rtnl.h"

namespace vitals::netlink {
namespace {

// One netlink message: header (length filled in) and payload, padded to NLMSG_ALIGN.
std::vector<uint8_t> message(uint16_t type, uint16_t flags, uint32_t seq,
                             const std::vector<uint8_t>& payload) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(sizeof h + payload.size());
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq;
  std::vector<uint8_t> b(NLMSG_ALIGN(h.nlmsg_len));
  std::memcpy(b.data(), &h, sizeof h);
  if (!payload.empty()) std::memcpy(b.data() + sizeof h, payload.data(), payload.size());
  return b;
}

std::vector<uint8_t> inet_diag(uint32_t seq, uint16_t flags = NLM_F_MULTI) {
  inet_diag_msg m{};
  m.idiag_family = AF_INET;
  m.idiag_state = 1;  // established
  m.id.idiag_sport = htons(80);
  std::vector<uint8_t> p(sizeof m);
  std::memcpy(p.data(), &m, sizeof m);
  return message(SOCK_DIAG_BY_FAMILY, flags, seq, p);
}

std::vector<uint8_t> error_msg(uint32_t seq, int code) {
  nlmsgerr e{};
  e.error = code;
  std::vector<uint8_t> p(sizeof e);
  std::memcpy(p.data(), &e, sizeof e);
  return message(NLMSG_ERROR, 0, seq, p);
}

std::vector<uint8_t> done_msg(uint32_t seq, int code = 0) {
  std::vector<uint8_t> p(sizeof code);
  std::memcpy(p.data(), &code, sizeof code);
  return message(NLMSG_DONE, NLM_F_MULTI, seq, p);
}

std::vector<uint8_t> link_msg(int index, uint16_t flags = NLM_F_MULTI) {
  std::vector<uint8_t> p(NLMSG_ALIGN(sizeof(ifinfomsg)));
  ifinfomsg i{};
  i.ifi_index = index;
  std::memcpy(p.data(), &i, sizeof i);
  const char name[] = "eth0";
  rtattr a{static_cast<uint16_t>(RTA_LENGTH(sizeof name)), IFLA_IFNAME};
  size_t at = p.size();
  p.resize(at + RTA_SPACE(sizeof name));
  std::memcpy(p.data() + at, &a, sizeof a);
  std::memcpy(p.data() + at + RTA_LENGTH(0), name, sizeof name);
  return message(RTM_NEWLINK, flags, 0, p);
}

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// ---- sock_diag -------------------------------------------------------------------------------

struct DiagRun {
  int sockets = 0;
  net::DiagItem last = net::DiagItem::kEnd;
  net::DiagError err;
};

DiagRun parse_diag(const std::vector<uint8_t>& bytes, uint32_t seq) {
  DiagRun r;
  std::span<const uint8_t> data(bytes);
  net::InetSocket s;
  for (;;) {
    r.last = net::next_diag_message(data, seq, &s, &r.err);
    if (r.last != net::DiagItem::kSocket) return r;
    ++r.sockets;
  }
}

TEST(NetlinkDumpFaults, SockDiagDumpIntrIsRetryable) {
  DiagRun r = parse_diag(cat({inet_diag(5), inet_diag(5, NLM_F_MULTI | NLM_F_DUMP_INTR)}), 5);
  EXPECT_EQ(r.sockets, 1);
  ASSERT_EQ(r.last, net::DiagItem::kError);
  EXPECT_EQ(r.err.fault, DumpFault::kInterrupted);
  EXPECT_TRUE(retryable(r.err.fault));
  EXPECT_NE(r.err.message.find("NLM_F_DUMP_INTR"), std::string::npos) << r.err.message;
}

TEST(NetlinkDumpFaults, SockDiagErrorMidDumpByErrno) {
  const std::pair<int, DumpFault> cases[] = {
      {ENOBUFS, DumpFault::kNoBuffers}, {EBUSY, DumpFault::kBusy},   {EAGAIN, DumpFault::kBusy},
      {EINTR, DumpFault::kBusy},        {EINVAL, DumpFault::kError}, {ENOMEM, DumpFault::kError}};
  for (const auto& [e, fault] : cases) {
    // An NLMSG_ERROR after two sockets, and a dump ended by NLMSG_DONE carrying the error.
    DiagRun r = parse_diag(cat({inet_diag(7), inet_diag(7), error_msg(7, -e)}), 7);
    EXPECT_EQ(r.sockets, 2);
    ASSERT_EQ(r.last, net::DiagItem::kError) << e;
    EXPECT_EQ(r.err.errnum, e);
    EXPECT_EQ(r.err.fault, fault) << e;
    r = parse_diag(cat({inet_diag(7), done_msg(7, -e)}), 7);
    ASSERT_EQ(r.last, net::DiagItem::kError) << e;
    EXPECT_EQ(r.err.fault, fault) << e;
    EXPECT_NE(r.err.message.find(std::strerror(e)), std::string::npos) << r.err.message;
  }
}

TEST(NetlinkDumpFaults, SockDiagTruncatedTailIsNotRetried) {
  const std::vector<uint8_t> whole = cat({inet_diag(3), inet_diag(3), done_msg(3)});
  const size_t one = inet_diag(3).size();
  // Cut inside the second message's payload, and inside its header.
  for (size_t cut : {one + sizeof(nlmsghdr) + 10, one + 6}) {
    DiagRun r = parse_diag({whole.begin(), whole.begin() + static_cast<long>(cut)}, 3);
    EXPECT_EQ(r.sockets, 1) << cut;
    ASSERT_EQ(r.last, net::DiagItem::kError) << cut;
    EXPECT_EQ(r.err.fault, DumpFault::kTruncated) << cut << ": " << r.err.message;
    EXPECT_FALSE(retryable(r.err.fault));
  }
  // A whole datagram parses to the end.
  DiagRun r = parse_diag(whole, 3);
  EXPECT_EQ(r.sockets, 2);
  EXPECT_EQ(r.last, net::DiagItem::kDone);
}

// ---- rtnetlink -------------------------------------------------------------------------------

DumpState walk(const std::vector<uint8_t>& bytes, int* messages, parse::ParseErrors* errors) {
  DumpState st;
  *messages = 0;
  walk_messages(bytes, RTM_NEWLINK, &st, errors,
                [&](const uint8_t*, size_t, size_t) { ++*messages; });
  return st;
}

DumpFault thrown(const DumpState& st) {
  try {
    check_dump(st, "RTM_GETLINK");
  } catch (const DumpError& e) {
    EXPECT_NE(std::string(e.what()).find("netlink RTM_GETLINK: "), std::string::npos);
    return e.fault();
  }
  ADD_FAILURE() << "check_dump did not throw";
  return DumpFault::kError;
}

TEST(NetlinkDumpFaults, RtnlDumpIntrFlagIsInterrupted) {
  int n = 0;
  parse::ParseErrors errors;
  DumpState st = walk(cat({link_msg(1), link_msg(2, NLM_F_MULTI | NLM_F_DUMP_INTR), done_msg(0)}),
                      &n, &errors);
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(st.done);
  EXPECT_TRUE(st.interrupted);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(thrown(st), DumpFault::kInterrupted);
  // The flag on NLMSG_DONE alone counts too (the kernel may set it on the last message only).
  st = walk(cat({link_msg(1), message(NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, 0, {0, 0, 0, 0})}),
            &n, &errors);
  EXPECT_TRUE(st.interrupted);
  // A consistent dump passes.
  st = walk(cat({link_msg(1), done_msg(0)}), &n, &errors);
  EXPECT_NO_THROW(check_dump(st, "RTM_GETLINK"));
}

TEST(NetlinkDumpFaults, RtnlErrorMidDumpByErrno) {
  const std::pair<int, DumpFault> cases[] = {
      {ENOBUFS, DumpFault::kNoBuffers}, {EBUSY, DumpFault::kBusy}, {EOPNOTSUPP, DumpFault::kError}};
  for (const auto& [e, fault] : cases) {
    int n = 0;
    parse::ParseErrors errors;
    DumpState st = walk(cat({link_msg(1), error_msg(0, -e), link_msg(2)}), &n, &errors);
    EXPECT_EQ(n, 1) << "the walk stops at the error";
    EXPECT_TRUE(st.done);
    EXPECT_EQ(st.error, e);
    EXPECT_EQ(thrown(st), fault) << e;
  }
}

TEST(NetlinkDumpFaults, RtnlTruncatedTail) {
  const std::vector<uint8_t> whole = cat({link_msg(1), link_msg(2), done_msg(0)});
  std::vector<uint8_t> cut(whole.begin(),
                           whole.begin() + static_cast<long>(link_msg(1).size() + 20));
  int n = 0;
  parse::ParseErrors errors;
  DumpState st = walk(cut, &n, &errors);
  EXPECT_EQ(n, 1);
  EXPECT_FALSE(st.done);
  EXPECT_TRUE(st.truncated);
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_EQ(thrown(st), DumpFault::kTruncated);
}

TEST(NetlinkDumpFaults, LinkDumpClassifiesTheSame) {
  LinkDump d;
  parse_link_dump(cat({link_msg(1, NLM_F_MULTI | NLM_F_DUMP_INTR), done_msg(0)}), &d);
  EXPECT_EQ(d.links.size(), 1u);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(thrown(d.state()), DumpFault::kInterrupted);

  d = {};
  parse_link_dump(cat({link_msg(1), error_msg(0, -ENOBUFS)}), &d);
  EXPECT_EQ(d.error, ENOBUFS);
  EXPECT_EQ(thrown(d.state()), DumpFault::kNoBuffers);

  d = {};
  parse_link_dump(cat({link_msg(1), error_msg(0, INT_MIN)}), &d);  // no overflow (UBSan)
  EXPECT_EQ(d.error, EPROTO);
  EXPECT_EQ(thrown(d.state()), DumpFault::kError);

  d = {};
  std::vector<uint8_t> two = cat({link_msg(1), link_msg(2)});
  two.resize(two.size() - 8);
  parse_link_dump(two, &d);
  EXPECT_EQ(d.links.size(), 1u);
  EXPECT_TRUE(d.truncated);
  EXPECT_EQ(thrown(d.state()), DumpFault::kTruncated);
}

// ---- the retry loop and its counters -----------------------------------------------------------

TEST(NetlinkDumpRetries, InterruptedTwiceThenConsistent) {
  const std::string c = "test_retry_ok";
  int attempts = 0;
  with_dump_retries(c, [&] {
    if (++attempts < 3) throw DumpError(DumpFault::kInterrupted, "changed");
  });
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(dump_retries(c, DumpFault::kInterrupted), 2);
  EXPECT_EQ(dump_failures(c, DumpFault::kInterrupted), 0);
}

TEST(NetlinkDumpRetries, StillInconsistentAfterTheLastAttemptFails) {
  const std::string c = "test_retry_fail";
  int attempts = 0;
  try {
    with_dump_retries(c, [&] {
      ++attempts;
      throw DumpError(DumpFault::kNoBuffers, "sock_diag: receive: No buffer space available");
    });
    ADD_FAILURE() << "no error";
  } catch (const DumpError& e) {
    EXPECT_EQ(e.fault(), DumpFault::kNoBuffers);
    EXPECT_EQ(std::string(e.what()),
              "sock_diag: receive: No buffer space available (attempt 3 of 3)");
  }
  EXPECT_EQ(attempts, kDumpAttempts);
  EXPECT_EQ(dump_retries(c, DumpFault::kNoBuffers), 2);
  EXPECT_EQ(dump_failures(c, DumpFault::kNoBuffers), 1);
}

TEST(NetlinkDumpRetries, TruncatedAndOtherErrorsAreNotRetried) {
  const std::string c = "test_retry_truncated";
  for (DumpFault f : {DumpFault::kTruncated, DumpFault::kError, DumpFault::kDeadline}) {
    int attempts = 0;
    EXPECT_THROW(with_dump_retries(c,
                                   [&] {
                                     ++attempts;
                                     throw DumpError(f, "bad");
                                   }),
                 CollectError);
    EXPECT_EQ(attempts, 1) << fault_name(f);
    EXPECT_EQ(dump_failures(c, f), 1) << fault_name(f);
  }
  // A mixed run: interrupted, then truncated: one retry, then the truncation fails it.
  int attempts = 0;
  try {
    with_dump_retries(c, [&] {
      throw DumpError(++attempts == 1 ? DumpFault::kInterrupted : DumpFault::kTruncated, "x");
    });
  } catch (const DumpError& e) {
    EXPECT_EQ(std::string(e.what()), "x (attempt 2 of 3)");
  }
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(dump_retries(c, DumpFault::kInterrupted), 1);
  EXPECT_EQ(dump_failures(c, DumpFault::kTruncated), 2);
  // Not a dump fault (a parse error of the collector's own): passed on, not counted.
  EXPECT_THROW(with_dump_retries(c, [] { throw CollectError("other"); }), CollectError);
}

TEST(NetlinkDumpRetries, SelfMetricsNameCollectorAndReason) {
  const std::string c = "test_retry_metrics";
  count_dump_retry(c, DumpFault::kBusy);
  count_dump_failure(c, DumpFault::kTruncated);
  MetricSet out;
  netlink_dump_metrics()->produce(out);
  std::vector<const Family*> families;
  for (const Family& f : out.families()) families.push_back(&f);
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0]->name(), "vitals_netlink_dump_retries_total");
  EXPECT_EQ(families[1]->name(), "vitals_netlink_dump_failures_total");
  EXPECT_EQ(families[0]->type(), MetricType::kCounter);
  auto value = [&](const Family* f, const std::string& reason) {
    for (const Sample& s : f->samples()) {
      std::string_view col, why;
      if (s.label_count == 2 && f->find_label(s, "collector", &col) && col == c &&
          f->find_label(s, "reason", &why) && why == reason) {
        return s.value;
      }
    }
    return -1.0;
  };
  EXPECT_EQ(value(families[0], "busy"), 1);
  EXPECT_EQ(value(families[0], "interrupted"), 0);
  EXPECT_EQ(value(families[0], "truncated"), -1) << "retries only has the retryable reasons";
  EXPECT_EQ(value(families[1], "truncated"), 1);
  EXPECT_EQ(value(families[1], "deadline"), 0);
}

}  // namespace
}  // namespace vitals::netlink
