// Table-driven tests of the cgroup interface file parsers (collectors/cgroup/files.h).
#include <gtest/gtest.h>

#include "collectors/cgroup/files.h"

namespace vitals::cgroup {
namespace {

TEST(CgroupSingle, Table) {
  struct Case {
    const char* text;
    std::optional<double> want;
  } cases[] = {
      {"1234\n", 1234},
      {"0\n", 0},
      {"-1\n", -1},
      {"  42  ", 42},
      {"9223372036854771712\n", 9223372036854771712.0},
      {"", std::nullopt},
      {"\n", std::nullopt},
      {"max\n", std::nullopt},
      {"12 34\n", std::nullopt},
      {"12x\n", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_single(c.text), c.want) << "\"" << c.text << "\"";
}

TEST(CgroupLimit, Table) {
  struct Case {
    const char* text;
    bool ok;
    bool unlimited;
    double value;
  } cases[] = {
      {"max\n", true, true, 0},
      {"0\n", true, false, 0},
      {"268435456\n", true, false, 268435456},
      {"", false, false, 0},
      {"maximum\n", false, false, 0},
      {"max 100000\n", false, false, 0},
  };
  for (const auto& c : cases) {
    auto l = parse_limit(c.text);
    ASSERT_EQ(l.has_value(), c.ok) << c.text;
    if (!l) continue;
    EXPECT_EQ(l->unlimited, c.unlimited) << c.text;
    EXPECT_EQ(l->value, c.value) << c.text;
  }
}

TEST(CgroupCpuMax, Table) {
  auto m = parse_cpu_max("max 100000\n");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->quota_us);
  EXPECT_EQ(m->period_us, 100000);
  m = parse_cpu_max("50000 100000\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->quota_us, 50000);
  EXPECT_EQ(m->period_us, 100000);
  for (const char* bad : {"", "max\n", "50000\n", "x 100000\n", "50000 y\n", "1 2 3\n"}) {
    EXPECT_FALSE(parse_cpu_max(bad)) << bad;
  }
}

TEST(CgroupFlatKeyed, ParsesAndKeepsZero) {
  parse::KeyValues f;
  parse::parse_key_values(
      "usage_usec 2626547598\nuser_usec 2425053390\nsystem_usec 0\nnr_periods 7\n", f);
  EXPECT_TRUE(f.errors.empty());
  ASSERT_EQ(f.entries.size(), 4u);
  EXPECT_EQ(f.get("usage_usec"), 2626547598.0);
  EXPECT_EQ(f.get("system_usec"), 0.0);              // zero is present
  EXPECT_EQ(f.get("throttled_usec"), std::nullopt);  // absent is absent
}

TEST(CgroupFlatKeyed, BadLinesReportedOthersKept) {
  parse::KeyValues f;
  parse::parse_key_values("cache 10\nrss\nmapped_file x\n\ninactive_file 5\nswap 1 2\n", f);
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.get("cache"), 10.0);
  EXPECT_EQ(f.get("inactive_file"), 5.0);
  ASSERT_EQ(f.errors.size(), 3u);
  EXPECT_NE(f.errors[0].text().find("line 2"), std::string::npos) << f.errors[0].text();
  EXPECT_NE(f.errors[1].text().find("line 3: invalid value for mapped_file"), std::string::npos)
      << f.errors[1].text();
  EXPECT_NE(f.errors[2].text().find("line 6"), std::string::npos) << f.errors[2].text();
}

TEST(CgroupFlatKeyed, ReusesStorage) {
  parse::KeyValues f;
  parse::parse_key_values("a 1\nb 2\n", f);
  parse::parse_key_values("c 3\n", f);
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.get("a"), std::nullopt);
  EXPECT_EQ(f.get("c"), 3.0);
}

TEST(CgroupNestedKeyed, IoStat) {
  NestedKeyed n;
  parse_nested_keyed(
      "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
      "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n",
      n);
  EXPECT_TRUE(n.errors.empty());
  ASSERT_EQ(n.entries.size(), 12u);
  EXPECT_EQ(n.entries[0].key, "8:16");
  EXPECT_EQ(n.entries[0].sub, "rbytes");
  EXPECT_EQ(n.entries[0].value, 1459200);
  EXPECT_EQ(n.entries[9].key, "8:0");
  EXPECT_EQ(n.entries[9].sub, "wios");
  EXPECT_EQ(n.entries[9].value, 1252);
}

TEST(CgroupNestedKeyed, BadPairsSkipped) {
  NestedKeyed n;
  parse_nested_keyed("8:0 rbytes=1 wbytes rios=x =4 wios=2\n\n", n);
  ASSERT_EQ(n.entries.size(), 2u);
  EXPECT_EQ(n.entries[1].sub, "wios");
  ASSERT_EQ(n.errors.size(), 3u);
  EXPECT_NE(n.errors[0].text().find("line 1: invalid pair \"wbytes\""), std::string::npos)
      << n.errors[0].text();
}

TEST(CgroupBlkio, Recursive) {
  Blkio b;
  parse_blkio(
      "8:0 Read 1048576\n8:0 Write 4096\n8:0 Sync 1052672\n8:0 Async 0\n8:0 Discard 0\n"
      "8:0 Total 1052672\nTotal 1052672\n",
      b);
  EXPECT_TRUE(b.errors.empty());
  ASSERT_EQ(b.entries.size(), 6u);
  EXPECT_EQ(b.entries[0].device, "8:0");
  EXPECT_EQ(b.entries[0].op, "Read");
  EXPECT_EQ(b.entries[0].value, 1048576);
  EXPECT_EQ(b.total, 1052672);
  parse_blkio("Total 0\n", b);
  EXPECT_TRUE(b.entries.empty());
  EXPECT_EQ(b.total, 0);
}

TEST(CgroupBlkio, Malformed) {
  Blkio b;
  parse_blkio("8:0 Read x\nRead 5\n8:0 Write 7\nTotal\n", b);
  ASSERT_EQ(b.entries.size(), 1u);
  EXPECT_EQ(b.entries[0].op, "Write");
  EXPECT_FALSE(b.total);
  EXPECT_EQ(b.errors.size(), 3u);
}

TEST(CgroupProcs, CountsAndFirst) {
  auto p = parse_procs("812\n813\n1000\n");
  EXPECT_EQ(p.count, 3u);
  EXPECT_EQ(p.first_pid, 812);
  p = parse_procs("");
  EXPECT_EQ(p.count, 0u);
  EXPECT_FALSE(p.first_pid);
  p = parse_procs("x\n5\n");
  EXPECT_EQ(p.count, 1u);
  EXPECT_EQ(p.first_pid, 5);
  EXPECT_EQ(p.errors.size(), 1u);
}

}  // namespace
}  // namespace vitals::cgroup
