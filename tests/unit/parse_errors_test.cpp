// The one shape of bad input (core/parse.h): every parser keeps its good values and records
// each malformed line as an ItemError{line, message}; ParseErrors::message turns the list into
// the collector's failure message "PATH:LINE: message (and N more)".
#include <gtest/gtest.h>

#include <functional>

#include "collectors/cgroup/files.h"
#include "collectors/procfs/diskstats.h"
#include "collectors/procfs/mdstat.h"
#include "collectors/procfs/meminfo.h"
#include "collectors/procfs/pid_files.h"
#include "collectors/procfs/pressure.h"
#include "collectors/procfs/stat.h"
#include "collectors/util.h"
#include "core/parse.h"

namespace vitals {
namespace {

using parse::ParseErrors;

TEST(ParseErrors, MessageNamesPathLineAndCount) {
  ParseErrors e;
  EXPECT_EQ(e.message("/proc/stat"), "");
  e.add(3, "invalid value", "intr x");
  EXPECT_EQ(e.message("/proc/stat"), "/proc/stat:3: invalid value in \"intr x\"");
  e.add(7, "second");
  e.add(0, "third, not about a line");
  EXPECT_EQ(e.message("/proc/stat"), "/proc/stat:3: invalid value in \"intr x\" (and 2 more)");
  EXPECT_EQ(e[1].text(), "line 7: second");
  EXPECT_EQ(e[2].text(), "third, not about a line");
}

TEST(ParseErrors, FileOfTheItemWinsAndAppendSetsIt) {
  ParseErrors e;
  e.add_file("/sys/class/thermal/thermal_zone0/temp", "invalid value \"x\"");
  EXPECT_EQ(e.message("/sys/class/thermal"),
            "/sys/class/thermal/thermal_zone0/temp: invalid value \"x\"");
  ParseErrors parsed, all;
  parsed.add(2, "bad");
  all.append("/proc/net/snmp", parsed);
  all.append("/proc/net/snmp6", parsed);
  EXPECT_EQ(all.message("/proc/net/netstat"), "/proc/net/snmp:2: bad (and 1 more)");
  EXPECT_EQ(all[1].file, "/proc/net/snmp6");
  EXPECT_THROW(throw_if_errors("/x", all), CollectError);
  EXPECT_NO_THROW(throw_if_errors("/x", ParseErrors{}));
  // A long line is quoted up to 100 bytes.
  ParseErrors l;
  l.add(1, "what", std::string(300, 'a'));
  EXPECT_EQ(l[0].message.size(), std::string("what in \"\"").size() + 100);
}

// One malformed line in each kernel file: the good values stay, one error names the line.
struct Case {
  const char* file;
  std::string text;
  int bad_line;
  const char* message_part;
  // The parse, returning the number of good items and its errors.
  std::function<std::pair<size_t, ParseErrors>(std::string_view)> parse;
  size_t good;
};

TEST(ParseErrors, EveryParserKeepsGoodValuesAndNamesTheBadLine) {
  auto stat = [](std::string_view t) {
    auto s = procfs::parse_stat(t);
    size_t n = s.cpus.size() + (s.total ? 1 : 0) + (s.context_switches ? 1 : 0) +
               (s.boot_time ? 1 : 0) + (s.forks ? 1 : 0);
    return std::pair{n, s.errors};
  };
  auto meminfo = [](std::string_view t) {
    auto m = procfs::parse_meminfo(t);
    return std::pair{m.entries.size(), m.errors};
  };
  auto diskstats = [](std::string_view t) {
    auto d = procfs::parse_diskstats(t);
    return std::pair{d.disks.size(), d.errors};
  };
  auto mdstat = [](std::string_view t) {
    auto m = procfs::parse_mdstat(t);
    return std::pair{m.devices.size(), m.errors};
  };
  auto pressure = [](std::string_view t) {
    auto p = procfs::parse_pressure(t);
    return std::pair{size_t(p.some_total_us ? 1 : 0) + (p.full_total_us ? 1 : 0), p.errors};
  };
  auto keyvalues = [](std::string_view t) {
    parse::KeyValues kv;
    parse::parse_key_values(t, kv);
    return std::pair{kv.entries.size(), kv.errors};
  };
  auto blkio = [](std::string_view t) {
    cgroup::Blkio b;
    cgroup::parse_blkio(t, b);
    return std::pair{b.entries.size() + (b.total ? 1 : 0), b.errors};
  };
  auto pid_stat = [](std::string_view t) {
    ParseErrors e;
    auto s = procfs::parse_pid_stat(t, e);
    return std::pair{size_t(s ? 1 : 0), e};
  };
  const Case cases[] = {
      {"/proc/stat",
       "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nctxt lots\nbtime 1700000000\n"
       "processes 42\n",
       3, "invalid value in \"ctxt lots\"", stat, 4},
      {"/proc/meminfo", "MemTotal: 100 kB\nMemFree: abc kB\nCached: 5 kB\n", 2,
       "invalid value \"abc\" for MemFree", meminfo, 2},
      {"/proc/diskstats",
       "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n   8 x sdb 1 2 3 4 5 6 7 8 9 10 11\n"
       "   8      16 sdc 1 2 3 4 5 6 7 8 9 10 11\n",
       2, "invalid device number", diskstats, 2},
      {"/proc/mdstat",
       "Personalities : [raid1]\nmd0 : active raid1 sdb1[1] sda1[0]\n"
       "      notanumber blocks [2/2] [UU]\n\nmd1 : active raid1 sdd1[1] sdc1[0]\n"
       "      1024 blocks [2/2] [UU]\n\nunused devices: <none>\n",
       2, "invalid block count \"notanumber\" for md0", mdstat, 1},
      {"/proc/pressure/io", "some avg10=0.00 total=12\nfull avg10=0.00 total=x\n", 2,
       "missing or invalid total=", pressure, 1},
      {"/proc/vmstat", "nr_free_pages 12\npgfault many\npgmajfault 3\n", 2,
       "invalid value for pgfault", keyvalues, 2},
      {"cpu.stat", "usage_usec 1\nuser_usec\nsystem_usec 0\n", 2, "expected \"KEY VALUE\"",
       keyvalues, 2},
      {"blkio.throttle.io_serviced_recursive", "8:0 Read 10\n8:0 Write x\nTotal 10\n", 2,
       "invalid value", blkio, 2},
      {"/proc/42/stat", "42 (a) R 1 x\n", 1, "expected at least 24 fields", pid_stat, 0},
  };
  for (const auto& c : cases) {
    auto [good, errors] = c.parse(c.text);
    EXPECT_EQ(good, c.good) << c.file;
    ASSERT_EQ(errors.size(), 1u) << c.file << ": " << errors.message(c.file);
    EXPECT_EQ(errors[0].line, c.bad_line) << c.file;
    EXPECT_NE(errors[0].message.find(c.message_part), std::string::npos)
        << c.file << ": " << errors[0].message;
    std::string want = std::string(c.file) + ":" + std::to_string(c.bad_line) + ": ";
    EXPECT_EQ(errors.message(c.file).substr(0, want.size()), want);
  }
}

}  // namespace
}  // namespace vitals
