// Table-driven tests of the parsers behind buddyinfo, meminfo_numa, bcache, drbd, ipvs and
// lnstat: good input, absent fields, and a malformed line that becomes an item error (with its
// line number) while the good values stay.
#include <gtest/gtest.h>

#include "collectors/procfs/buddyinfo.h"
#include "collectors/procfs/drbd.h"
#include "collectors/procfs/ipvs.h"
#include "collectors/procfs/lnstat.h"
#include "collectors/sysfs/bcache.h"
#include "collectors/sysfs/btrfs.h"
#include "collectors/sysfs/fibrechannel.h"
#include "collectors/sysfs/infiniband.h"
#include "collectors/sysfs/node_meminfo.h"

namespace vitals {
namespace {

bool has(const parse::ParseErrors& errors, size_t i, std::string_view part) {
  return i < errors.size() && errors[i].text().find(part) != std::string::npos;
}

TEST(Buddyinfo, ParsesZonesAndReportsBadLines) {
  procfs::BuddyInfo b;
  procfs::parse_buddyinfo(
      "Node 0, zone      DMA      1      0      1\n"
      "Node 0, zone    DMA32    759    572    791\n"
      "Node 0, zone   Normal   4381   x    185\n"
      "Node 1, zone   Normal   1   2\n"
      "garbage\n"
      "Node 1, zone   Movable   7   8  9\n",
      b);
  ASSERT_EQ(b.zones.size(), 3u);
  EXPECT_EQ(b.zones[0].node, "0");
  EXPECT_EQ(b.zones[0].zone, "DMA");
  EXPECT_EQ(b.zones[1].sizes, (std::vector<double>{759, 572, 791}));
  EXPECT_EQ(b.zones[2].node, "1");
  EXPECT_EQ(b.zones[2].zone, "Movable");
  ASSERT_EQ(b.errors.size(), 3u);
  EXPECT_TRUE(has(b.errors, 0, "line 3: invalid number")) << b.errors[0].text();
  EXPECT_TRUE(has(b.errors, 1, "line 4: expected 3 orders, got 2")) << b.errors[1].text();
  EXPECT_TRUE(has(b.errors, 2, "line 5:")) << b.errors[2].text();
}

TEST(NodeMeminfo, ScalesKilobytesAndReportsBadLines) {
  sysfs::NodeMemFile f;
  sysfs::parse_node_meminfo(
      "Node 0 MemTotal:       134182340 kB\n"
      "Node 0 Active(anon):     691324 kB\n"
      "Node 0 HugePages_Total:     0\n"
      "Node 0 Dirty:\n"
      "Node 0 Bounce:   x kB\n"
      "Node 0 Other:   1 MB\n"
      "\n"
      "Node 1 HugePages_Free:     3\n",
      f);
  ASSERT_EQ(f.values.size(), 4u);
  EXPECT_EQ(f.values[0].name, "MemTotal");
  EXPECT_EQ(f.values[0].node, "0");
  EXPECT_EQ(f.values[0].value, 134182340.0 * 1024);
  EXPECT_EQ(f.values[1].name, "Active(anon)");
  EXPECT_EQ(f.values[2].value, 0);
  EXPECT_EQ(f.values[3].node, "1");
  EXPECT_EQ(f.values[3].value, 3);
  ASSERT_EQ(f.errors.size(), 3u);
  EXPECT_TRUE(has(f.errors, 0, "line 4:")) << f.errors[0].text();
  EXPECT_TRUE(has(f.errors, 1, "line 5: invalid number")) << f.errors[1].text();
  EXPECT_TRUE(has(f.errors, 2, "line 6:")) << f.errors[2].text();
}

TEST(NodeMeminfo, NumastatAndMetricNames) {
  sysfs::NodeMemFile f;
  sysfs::parse_node_numastat("numa_hit 193460335812\nnuma_miss\nlocal_node 7\n", f);
  ASSERT_EQ(f.values.size(), 2u);
  EXPECT_EQ(f.values[0].name, "numa_hit");
  EXPECT_EQ(f.values[0].value, 193460335812.0);
  EXPECT_EQ(f.values[1].name, "local_node");
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_TRUE(has(f.errors, 0, "line 2:")) << f.errors[0].text();
  std::string name;
  for (auto [in, want] : {std::pair{"Active(anon)", "Active_anon"},
                          {"MemTotal", "MemTotal"},
                          {"Inactive(file)", "Inactive_file"}}) {
    sysfs::numa_metric_name(in, &name);
    EXPECT_EQ(name, want);
  }
}

TEST(Bcache, Dehumanize) {
  struct {
    const char* in;
    std::optional<uint64_t> want;
  } cases[] = {
      {"0", 0},
      {"546", 546},
      {"1.1M", 1150976},  // the digit after the point counts 1024ths in tenths
      {"20.4G", 21894266880},
      {"790.0k", 808960},
      {"512k", 524288},
      {"1.5", 1},
      {"", std::nullopt},
      {"x", std::nullopt},
      {"1.1Q", std::nullopt},
      {"-1", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(sysfs::bcache_dehumanize(c.in), c.want) << c.in;
  EXPECT_EQ(sysfs::bcache_dehumanize_signed("-321.5k"), -329204);
}

TEST(Bcache, WritebackRateDebug) {
  auto w = sysfs::parse_writeback_rate_debug(
      "rate:           1.1M/sec\n"
      "dirty:          20.4G\n"
      "target:         bad\n"
      "proportional:   -427.5k\n"
      "integral:       790.0k\n"
      "change:         321.5k/sec\n"
      "next io:        17ms\n");
  EXPECT_EQ(w.rate, 1150976u);
  EXPECT_EQ(w.dirty, 21894266880u);
  EXPECT_FALSE(w.target.has_value());
  EXPECT_EQ(w.proportional, -437748);
  EXPECT_EQ(w.integral, 808960);
  EXPECT_EQ(w.change, 329204);
  ASSERT_EQ(w.errors.size(), 1u);
  EXPECT_TRUE(has(w.errors, 0, "line 3: invalid value")) << w.errors[0].text();
}

TEST(Bcache, PriorityStats) {
  auto p = sysfs::parse_priority_stats(
      "Unused:\t\t99%\nMetadata:\t0%\nAverage:\t10473\nQuantiles:\t[0 0 20946]\n");
  EXPECT_EQ(p.unused_percent, 99u);
  EXPECT_EQ(p.metadata_percent, 0u);
  EXPECT_TRUE(p.errors.empty());
  auto bad = sysfs::parse_priority_stats("Unused:\tmany%\nMetadata:\t3%\n");
  EXPECT_FALSE(bad.unused_percent.has_value());
  EXPECT_EQ(bad.metadata_percent, 3u);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_TRUE(has(bad.errors, 0, "line 1: invalid percentage")) << bad.errors[0].text();
}

TEST(Btrfs, AllocationRatio) {
  struct {
    const char* layout;
    size_t devices;
    double want;
  } cases[] = {{"single", 1, 1}, {"raid0", 2, 1},       {"dup", 1, 2},   {"raid1", 2, 2},
               {"raid10", 4, 2}, {"raid5", 4, 4.0 / 3}, {"raid6", 4, 2}, {"raid1c3", 3, 0}};
  for (const auto& c : cases) {
    EXPECT_EQ(sysfs::btrfs_allocation_ratio(c.layout, c.devices), c.want) << c.layout;
  }
}

TEST(Drbd, KeyValueWordsPerDevice) {
  auto s = procfs::parse_drbd(
      "version: 8.4.3 (api:1/proto:86-101)\n"
      "srcversion: 1A9F77B1CA5FF92235C2213\n"
      "\n"
      " 1: cs:Connected ro:Primary/Secondary ds:UpToDate/Diskless C r-----\n"
      "    ns:17324442 nr:x dw:28263521 wo:d oos:12349\n"
      " 2: cs:StandAlone ro:Secondary\n");
  using K = procfs::DrbdValue::Kind;
  ASSERT_EQ(s.values.size(), 7u);
  EXPECT_EQ(s.values[0].device, "drbd1");
  EXPECT_EQ(s.values[0].kind, K::kConnection);
  EXPECT_EQ(s.values[0].local, "Connected");
  EXPECT_EQ(s.values[1].kind, K::kPair);
  EXPECT_EQ(s.values[1].key, "ro");
  EXPECT_EQ(s.values[1].local, "Primary");
  EXPECT_EQ(s.values[1].remote, "Secondary");
  EXPECT_EQ(s.values[2].remote, "Diskless");
  EXPECT_EQ(s.values[3].key, "ns");
  EXPECT_EQ(s.values[3].number, 17324442);
  EXPECT_EQ(s.values[4].key, "dw");
  EXPECT_EQ(s.values[5].key, "oos");
  EXPECT_EQ(s.values[6].device, "drbd2");
  EXPECT_EQ(s.values[6].local, "StandAlone");
  ASSERT_EQ(s.errors.size(), 2u);
  EXPECT_TRUE(has(s.errors, 0, "line 5: invalid number")) << s.errors[0].text();
  EXPECT_TRUE(has(s.errors, 1, "line 6: expected LOCAL/REMOTE")) << s.errors[1].text();
}

TEST(Fibrechannel, CountersAndHexNames) {
  EXPECT_EQ(sysfs::parse_fc_counter("0x13"), 19u);
  EXPECT_EQ(sysfs::parse_fc_counter("0x0"), 0u);
  EXPECT_EQ(sysfs::parse_fc_counter("42"), 42u);
  EXPECT_EQ(sysfs::parse_fc_counter("0xffffffffffffffff"), sysfs::kFcNotKept);
  EXPECT_FALSE(sysfs::parse_fc_counter("0x").has_value());
  EXPECT_FALSE(sysfs::parse_fc_counter("0xzz").has_value());
  EXPECT_FALSE(sysfs::parse_fc_counter("").has_value());
  EXPECT_EQ(sysfs::fc_strip_hex_prefix("0x1000e0071bce95f2"), "1000e0071bce95f2");
  EXPECT_EQ(sysfs::fc_strip_hex_prefix("Online"), "Online");
}

TEST(Infiniband, RateStateAndCounters) {
  EXPECT_EQ(sysfs::parse_ib_rate("40 Gb/sec (4X QDR)"), 5000000000u);
  EXPECT_EQ(sysfs::parse_ib_rate("10 Gb/sec (4X)"), 1250000000u);
  EXPECT_EQ(sysfs::parse_ib_rate("2.5 Gb/sec (1X SDR)"), 312500000u);
  EXPECT_FALSE(sysfs::parse_ib_rate("fast").has_value());
  EXPECT_FALSE(sysfs::parse_ib_rate("40 Mb/sec").has_value());
  EXPECT_EQ(sysfs::parse_ib_state("4: ACTIVE"), 4u);
  EXPECT_EQ(sysfs::parse_ib_state("5: LinkUp"), 5u);
  EXPECT_FALSE(sysfs::parse_ib_state("ACTIVE").has_value());
  uint64_t v = 0;
  EXPECT_EQ(sysfs::parse_ib_counter("6825908347", &v), sysfs::IbCounter::kValue);
  EXPECT_EQ(v, 6825908347u);
  EXPECT_EQ(sysfs::parse_ib_counter("N/A (no PMA)", &v), sysfs::IbCounter::kNotAvailable);
  EXPECT_EQ(sysfs::parse_ib_counter("-1", &v), sysfs::IbCounter::kInvalid);
}

TEST(Ipvs, StatsTotals) {
  auto s = procfs::parse_ip_vs_stats(
      "   Total Incoming Outgoing         Incoming         Outgoing\n"
      "   Conns  Packets  Packets            Bytes            Bytes\n"
      " 16AA370 E33656E5        0     51D8C8883AB3                0\n"
      "\n");
  EXPECT_TRUE(s.errors.empty());
  EXPECT_EQ(s.connections, 23765872u);
  EXPECT_EQ(s.incoming_packets, 3811989221u);
  EXPECT_EQ(s.incoming_bytes, 89991519156915u);
  EXPECT_EQ(s.outgoing_bytes, 0u);
  auto bad = procfs::parse_ip_vs_stats("a\nb\n 16AA370 XYZ 0 0 0\n");
  EXPECT_EQ(bad.connections, 23765872u);
  EXPECT_FALSE(bad.incoming_packets.has_value());
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_TRUE(has(bad.errors, 0, "line 3: invalid hexadecimal")) << bad.errors[0].text();
}

TEST(Ipvs, BackendsPerVirtualServer) {
  auto b = procfs::parse_ip_vs(
      "IP Virtual Server version 1.2.1 (size=4096)\n"
      "Prot LocalAddress:Port Scheduler Flags\n"
      "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"
      "TCP  C0A80016:0CEA wlc\n"
      "  -> C0A85216:0CEA      Tunnel  100    248        2\n"
      "  -> C0A85318:0CEA      Tunnel  100    x          2\n"
      "UDP  [2620:0000:0000:0000:0000:0000:0000:0001]:0035 rr\n"
      "  -> [0000:0000:0000:0000:0000:ffff:0a00:0001]:0035 Route 1 0 0\n"
      "FWM  10001000 wlc\n"
      "  -> C0A8321A:0CEA      Tunnel  20     64         1\n");
  ASSERT_EQ(b.backends.size(), 3u);
  EXPECT_EQ(b.backends[0].proto, "TCP");
  EXPECT_EQ(b.backends[0].local_address, "192.168.0.22");
  EXPECT_EQ(b.backends[0].local_port, 3306);
  EXPECT_EQ(b.backends[0].remote_address, "192.168.82.22");
  EXPECT_EQ(b.backends[0].active, 248u);
  EXPECT_EQ(b.backends[0].inactive, 2u);
  EXPECT_EQ(b.backends[1].local_address, "2620::1");
  EXPECT_EQ(b.backends[1].local_port, 53);
  EXPECT_EQ(b.backends[1].remote_address, "10.0.0.1");
  EXPECT_EQ(b.backends[2].proto, "FWM");
  EXPECT_EQ(b.backends[2].local_mark, "10001000");
  EXPECT_EQ(b.backends[2].local_address, "");
  EXPECT_EQ(b.backends[2].weight, 20u);
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_TRUE(has(b.errors, 0, "line 6: invalid real server")) << b.errors[0].text();
}

TEST(Lnstat, ColumnsPerCpuAndBadLines) {
  procfs::LnstatFile f;
  procfs::parse_lnstat(
      "entries  allocs destroys\n"
      "00000014  00000001 00000002\n"
      "00000014  0000000d zz\n"
      "00000014  0000000d\n"
      "00000024  000000f0 000000f1\n",
      f);
  ASSERT_EQ(f.headers.size(), 3u);
  EXPECT_EQ(f.headers[1], "allocs");
  ASSERT_EQ(f.rows.size(), 2u);
  EXPECT_EQ(f.rows[0].cpu, 0);
  EXPECT_EQ(f.rows[0].values, (std::vector<uint64_t>{0x14, 1, 2}));
  EXPECT_EQ(f.rows[1].cpu, 3);  // the bad lines keep their CPU numbers
  EXPECT_EQ(f.rows[1].values[2], 0xf1u);
  ASSERT_EQ(f.errors.size(), 2u);
  EXPECT_TRUE(has(f.errors, 0, "line 3: invalid hexadecimal")) << f.errors[0].text();
  EXPECT_TRUE(has(f.errors, 1, "line 4: expected 3 values, got 2")) << f.errors[1].text();
}

}  // namespace
}  // namespace vitals
