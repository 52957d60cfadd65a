// Table-driven tests of the pure /proc parsers.
#include <gtest/gtest.h>

#include "collectors/procfs/loadavg.h"
#include "collectors/procfs/meminfo.h"
#include "collectors/procfs/stat.h"

namespace vitals::procfs {
namespace {

TEST(Loadavg, Parses) {
  std::string err;
  auto la = parse_loadavg("0.21 0.37 0.39 1/719 19737\n", &err);
  ASSERT_TRUE(la) << err;
  EXPECT_DOUBLE_EQ(la->load1, 0.21);
  EXPECT_DOUBLE_EQ(la->load5, 0.37);
  EXPECT_DOUBLE_EQ(la->load15, 0.39);
}

TEST(Loadavg, Malformed) {
  struct Case {
    const char* text;
    const char* error_part;
  } cases[] = {
      {"", "expected 3 load averages, got 0"},
      {"0.1 0.2", "got 2"},
      {"0.1 x 0.3 1/2 3", "field 2: invalid number \"x\""},
      {"0.1 0.2 0.3junk 1/1 1", "field 3"},
  };
  for (const auto& c : cases) {
    std::string err;
    EXPECT_FALSE(parse_loadavg(c.text, &err)) << c.text;
    EXPECT_NE(err.find(c.error_part), std::string::npos) << c.text << " -> " << err;
  }
}

TEST(Meminfo, ParsesUnitsAndPlainValues) {
  auto m = parse_meminfo(
      "MemTotal:        3742148 kB\n"
      "Active(anon):    2020004 kB\n"
      "HugePages_Total:       0\n"
      "\n");
  ASSERT_TRUE(m.errors.empty());
  ASSERT_EQ(m.entries.size(), 3u);
  EXPECT_EQ(m.entries[0].key, "MemTotal");
  EXPECT_DOUBLE_EQ(m.entries[0].value, 3742148);
  EXPECT_TRUE(m.entries[0].kb);
  EXPECT_EQ(m.entries[1].key, "Active(anon)");
  EXPECT_EQ(m.entries[2].key, "HugePages_Total");
  EXPECT_FALSE(m.entries[2].kb);
}

TEST(Meminfo, ZeroIsNotAbsent) {
  auto m = parse_meminfo("SwapTotal: 0 kB\n");
  ASSERT_EQ(m.entries.size(), 1u);
  EXPECT_EQ(m.entries[0].value, 0);
}

TEST(Meminfo, BadLineIsReportedAndOthersKept) {
  auto m = parse_meminfo(
      "MemTotal: 100 kB\n"
      "Broken line without colon\n"
      "MemFree: abc kB\n"
      "Cached: 5 MB\n"
      "Buffers: 7 kB\n");
  ASSERT_EQ(m.entries.size(), 2u);
  EXPECT_EQ(m.entries[0].key, "MemTotal");
  EXPECT_EQ(m.entries[1].key, "Buffers");
  ASSERT_EQ(m.errors.size(), 3u);
  EXPECT_NE(m.errors[0].text().find("line 2"), std::string::npos) << m.errors[0].text();
  EXPECT_NE(m.errors[1].text().find("line 3: invalid value \"abc\" for MemFree"), std::string::npos)
      << m.errors[1].text();
  EXPECT_NE(m.errors[2].text().find("line 4: unexpected unit \"MB\""), std::string::npos)
      << m.errors[2].text();
}

TEST(Stat, ParsesKnownLines) {
  auto s = parse_stat(
      "cpu  301854 612 111922 8979004 3552 2 3944 0 44 36\n"
      "cpu0 44490 19 21045 1087069 220 1 3410 0 2 1\n"
      "cpu1 47869 23 16474 1110787\n"
      "intr 8885917 17 0 0\n"
      "ctxt 38014093\n"
      "btime 1418183276\n"
      "processes 26442\n"
      "procs_running 2\n"
      "procs_blocked 0\n"
      "softirq 5057579 250191 1481983 1647 211099 186066 0 1783454 622196 12499 508444\n");
  EXPECT_TRUE(s.errors.empty());
  ASSERT_TRUE(s.total);
  EXPECT_EQ(s.total->fields, 10);
  EXPECT_DOUBLE_EQ(s.total->ticks[0], 301854);
  ASSERT_EQ(s.cpus.size(), 2u);
  EXPECT_EQ(s.cpus[1].cpu, 1);
  EXPECT_EQ(s.cpus[1].fields, 4);
  EXPECT_EQ(*s.intr_total, 8885917);
  EXPECT_EQ(*s.context_switches, 38014093);
  EXPECT_EQ(*s.boot_time, 1418183276);
  EXPECT_EQ(*s.forks, 26442);
  EXPECT_EQ(*s.procs_running, 2);
  ASSERT_TRUE(s.procs_blocked);
  EXPECT_EQ(*s.procs_blocked, 0);
  EXPECT_EQ(*s.softirq_total, 5057579);
  ASSERT_EQ(s.softirqs.size(), 10u);
  EXPECT_EQ(s.softirqs[1], 1481983);  // timer
}

TEST(Stat, AbsentLinesStayAbsent) {
  auto s = parse_stat("ctxt 5\n");
  EXPECT_TRUE(s.context_switches);
  EXPECT_FALSE(s.procs_blocked);
  EXPECT_FALSE(s.boot_time);
  EXPECT_FALSE(s.total);
  EXPECT_TRUE(s.softirqs.empty());
}

TEST(Stat, MalformedLinesAreErrorsWithLineNumbers) {
  auto s = parse_stat(
      "cpu  1 2 x 4\n"
      "ctxt notanumber\n"
      "btime 77\n"
      "cpuX 1 2 3 4\n");
  EXPECT_EQ(*s.boot_time, 77);
  ASSERT_EQ(s.errors.size(), 3u);
  EXPECT_NE(s.errors[0].text().find("line 1: invalid cpu times"), std::string::npos)
      << s.errors[0].text();
  EXPECT_NE(s.errors[1].text().find("line 2: invalid value"), std::string::npos)
      << s.errors[1].text();
  EXPECT_NE(s.errors[2].text().find("line 4: invalid cpu name"), std::string::npos)
      << s.errors[2].text();
}

}  // namespace
}  // namespace vitals::procfs
