// Pure parts of the runit, ntp and perf collectors (collectors/services/).
#include <gtest/gtest.h>

#include <string>

#include "collectors/services/ntp_packet.h"
#include "collectors/services/perf_cpus.h"
#include "collectors/services/runit_status.h"

namespace vitals {
namespace {

std::string runit_bytes(uint64_t tai, uint32_t pid, char want, uint8_t state) {
  std::string b(20, '\0');
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(tai >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) b[12 + i] = static_cast<char>(pid >> (8 * i));
  b[17] = want;
  b[19] = static_cast<char>(state);
  return b;
}

TEST(RunitStatus, Parses) {
  const uint64_t base = (uint64_t{1} << 62) + 10;
  struct Case {
    std::string bytes;
    int64_t timestamp;
    uint32_t pid;
    int want, state;
  };
  const Case cases[] = {
      {runit_bytes(base + 1700000000, 4711, 'u', 1), 1700000000, 4711, 1, 1},
      {runit_bytes(base + 1600000000, 0, 'd', 0), 1600000000, 0, 0, 0},
      {runit_bytes(base + 5, 0x01020304, 'x', 2), 5, 0x01020304, 0, 2},
  };
  for (const auto& c : cases) {
    std::string err;
    auto s = runit::parse_status(c.bytes, &err);
    ASSERT_TRUE(s) << err;
    EXPECT_EQ(s->timestamp, c.timestamp);
    EXPECT_EQ(s->pid, c.pid);
    EXPECT_EQ(s->want, c.want);
    EXPECT_EQ(s->state, c.state);
  }
  std::string err;
  EXPECT_FALSE(runit::parse_status(std::string(19, '\0'), &err));
  EXPECT_EQ(err, "status is 19 bytes, want 20");
}

// A server reply built from NTP fields.
std::string reply(uint8_t li_vn_mode, uint8_t stratum, uint32_t delay, uint32_t disp, uint64_t ref,
                  uint64_t org, uint64_t rec, uint64_t xmt) {
  std::string b(48, '\0');
  b[0] = static_cast<char>(li_vn_mode);
  b[1] = static_cast<char>(stratum);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (24 - 8 * i));
  };
  auto put64 = [&](size_t at, uint64_t v) {
    put32(at, static_cast<uint32_t>(v >> 32));
    put32(at + 4, static_cast<uint32_t>(v));
  };
  put32(4, delay);
  put32(8, disp);
  put64(16, ref);
  put64(24, org);
  put64(32, rec);
  put64(40, xmt);
  return b;
}

constexpr uint64_t kNtp1970 = 2208988800;
uint64_t ntp_ts(int64_t unix_sec, uint32_t frac = 0) {
  return (static_cast<uint64_t>(unix_sec) + kNtp1970) << 32 | frac;
}

TEST(Ntp, Request) {
  auto r = ntp::request(4, 0x0102030405060708);
  EXPECT_EQ(r[0], 0x23);  // version 4, mode 3
  EXPECT_EQ(r[40], 1);
  EXPECT_EQ(r[47], 8);
  EXPECT_EQ(ntp::request(2, 0)[0], 0x13);
}

TEST(Ntp, Evaluates) {
  const int64_t t = 1700000000;
  const uint64_t marker = 0xdeadbeefcafef00d;
  // Server 2 ms ahead; 0.5 ms on the server between receive and transmit; the exchange took
  // 1 ms locally. Root delay 1/256 s (0x100 = 256/65536), dispersion 0.5 s.
  std::string b = reply(0x24, 2, 0x100, 0x8000, ntp_ts(t - 10), marker,
                        ntp_ts(t) + (uint64_t{1} << 32) / 400,   // t + 2.5 ms
                        ntp_ts(t) + (uint64_t{1} << 32) / 333);  // ~ t + 3.003 ms
  std::string err;
  auto p = ntp::parse(b, &err);
  ASSERT_TRUE(p) << err;
  EXPECT_EQ(p->mode, 4);
  EXPECT_EQ(p->version, 4);
  EXPECT_EQ(p->stratum, 2);
  int64_t leap = 0;
  const int64_t sent = t * 1000000000 + 1000000, received = sent + 1000000;
  auto r = ntp::evaluate(*p, marker, sent, received, {}, &leap, &err);
  ASSERT_TRUE(r) << err;
  EXPECT_EQ(r->stratum, 2);
  EXPECT_EQ(r->leap, 0);
  EXPECT_NEAR(r->rtt, 0.001 - 0.000503, 2e-6);
  EXPECT_NEAR(r->offset, ((0.0025 - 0.001) + (0.003003 - 0.002)) / 2, 2e-6);
  EXPECT_DOUBLE_EQ(r->reference_time, double(t - 10));
  EXPECT_DOUBLE_EQ(r->root_delay, 1.0 / 256);
  EXPECT_DOUBLE_EQ(r->root_dispersion, 0.5);
  // The server's receive time is after our send and its transmit time after our receive:
  // causality violated by ~1 ms > the 1 ms tolerance? min error = t3 - t4 = 1.003 ms.
  EXPECT_FALSE(r->sane);
  ntp::Options loose;
  loose.offset_tolerance_ns = 2000000;
  EXPECT_TRUE(ntp::evaluate(*p, marker, sent, received, loose, &leap, &err)->sane);
  loose.max_distance_ns = 100000000;  // 0.1 s < 0.5 s dispersion
  EXPECT_FALSE(ntp::evaluate(*p, marker, sent, received, loose, &leap, &err)->sane);
}

TEST(Ntp, BadReplies) {
  const uint64_t marker = 42;
  const int64_t t = 1700000000;
  struct Case {
    std::string bytes;
    std::string error;
  };
  const Case cases[] = {
      {reply(0x23, 2, 0, 0, ntp_ts(t), marker, ntp_ts(t), ntp_ts(t)), "invalid mode in response"},
      {reply(0x24, 2, 0, 0, ntp_ts(t), marker, ntp_ts(t), 0), "invalid transmit time in response"},
      {reply(0x24, 2, 0, 0, ntp_ts(t), marker + 1, ntp_ts(t), ntp_ts(t)),
       "server response mismatch"},
      {reply(0x24, 2, 0, 0, ntp_ts(t), marker, ntp_ts(t + 1), ntp_ts(t)),
       "server clock ticked backwards"},
  };
  for (const auto& c : cases) {
    std::string err;
    auto p = ntp::parse(c.bytes, &err);
    ASSERT_TRUE(p);
    int64_t leap = 0;
    EXPECT_FALSE(ntp::evaluate(*p, marker, t * 1000000000, t * 1000000000, {}, &leap, &err));
    EXPECT_EQ(err, c.error);
  }
  std::string err;
  EXPECT_FALSE(ntp::parse(std::string(47, '\0'), &err));
  EXPECT_EQ(err, "reply is 47 bytes, want 48");
}

TEST(Ntp, InsaneServers) {
  const uint64_t marker = 7;
  const int64_t t = 1700000000;
  const int64_t now = t * 1000000000;
  auto sane = [&](std::string b) {
    std::string err;
    int64_t leap = 0;
    auto r = ntp::evaluate(*ntp::parse(b, &err), marker, now, now, {}, &leap, &err);
    EXPECT_TRUE(r) << err;
    return r && r->sane;
  };
  EXPECT_TRUE(sane(reply(0x24, 10, 0, 0, ntp_ts(t - 1), marker, ntp_ts(t), ntp_ts(t))));
  EXPECT_FALSE(sane(reply(0xe4, 10, 0, 0, ntp_ts(t - 1), marker, ntp_ts(t), ntp_ts(t))));  // leap 3
  EXPECT_FALSE(sane(reply(0x24, 16, 0, 0, ntp_ts(t - 1), marker, ntp_ts(t), ntp_ts(t))));
  EXPECT_FALSE(sane(reply(0x24, 0, 0, 0, ntp_ts(t - 1), marker, ntp_ts(t), ntp_ts(t))));
  EXPECT_FALSE(sane(reply(0x24, 10, 0, 0, ntp_ts(t - 200000), marker, ntp_ts(t), ntp_ts(t))));
  EXPECT_FALSE(sane(reply(0x24, 10, 0, 0, ntp_ts(t + 5), marker, ntp_ts(t), ntp_ts(t))));
  EXPECT_FALSE(sane(reply(0x24, 10, 0, 17u << 16, ntp_ts(t - 1), marker, ntp_ts(t), ntp_ts(t))));
  // A reference time before 1970 reads as 0.
  std::string err;
  int64_t leap = 0;
  auto r = ntp::evaluate(*ntp::parse(reply(0x24, 10, 0, 0, 0, marker, ntp_ts(t), ntp_ts(t)), &err),
                         marker, now, now, {}, &leap, &err);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reference_time, 0);
  EXPECT_FALSE(r->sane);
}

TEST(Perf, Cpus) {
  struct Case {
    std::string flag;
    std::vector<int> want;
  };
  const Case cases[] = {
      {"", {}}, {"3", {3}}, {"0,2", {0, 2}}, {"1-3", {1, 2, 3}}, {"0-6:3,9", {0, 3, 6, 9}},
  };
  for (const auto& c : cases) {
    std::string err;
    auto got = perf::parse_cpus(c.flag, &err);
    ASSERT_TRUE(got) << c.flag << ": " << err;
    EXPECT_EQ(*got, c.want) << c.flag;
  }
  for (const char* bad : {"a", "1-", "3-1", "1,,2", "1-4:0", "-1"}) {
    std::string err;
    EXPECT_FALSE(perf::parse_cpus(bad, &err)) << bad;
    EXPECT_NE(err.find("invalid CPU list entry"), std::string::npos) << err;
  }
}

TEST(Perf, Tracepoints) {
  std::string err;
  auto t = perf::parse_tracepoint("sched:sched_switch", &err);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->subsystem, "sched");
  EXPECT_EQ(t->event, "sched_switch");
  for (const char* bad : {"sched", ":x", "x:", "a:b:c", "../x:y"}) {
    EXPECT_FALSE(perf::parse_tracepoint(bad, &err)) << bad;
  }
}

}  // namespace
}  // namespace vitals
