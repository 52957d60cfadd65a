// XFS stats parser: the exported lines, lines it does not read, and a short line that becomes
// an item error while the others stay.
#include <gtest/gtest.h>

#include "collectors/sysfs/xfs.h"

namespace vitals::sysfs {
namespace {

TEST(Xfs, ParsesLinesAndReportsBadOnes) {
  auto s = parse_xfs_stats(
      "extent_alloc 1 872 0 0\n"
      "abt 0 0 0\n"
      "blk_map 61 29 1 1 1 91 0\n"
      "dir 3 2 1 x52\n"
      "ig 5 1 0 4 0 0 1\n"
      "rw 28 0\n"
      "vnodes 4 0 0 0 1 1 1 0\n"
      "xpc 3571712 3568056 0\n");
  ASSERT_TRUE(s.lines[0]);
  EXPECT_EQ((*s.lines[0])[1], 872u);
  EXPECT_FALSE(s.lines[1]);  // abt: 3 of 4 fields
  ASSERT_TRUE(s.lines[2]);
  EXPECT_EQ((*s.lines[2])[5], 91u);
  EXPECT_FALSE(s.lines[3]);  // bmbt: absent
  EXPECT_FALSE(s.lines[4]);  // dir: bad number
  ASSERT_TRUE(s.lines[5]);
  EXPECT_EQ((*s.lines[5])[3], 4u);
  ASSERT_TRUE(s.lines[6]);
  EXPECT_EQ((*s.lines[6])[0], 28u);
  ASSERT_TRUE(s.lines[7]);
  EXPECT_EQ((*s.lines[7])[6], 1u);
  ASSERT_EQ(s.errors.size(), 2u);
  EXPECT_NE(s.errors[0].text().find("line 2: expected 4 values for abt, got 3"), std::string::npos)
      << s.errors[0].text();
  EXPECT_NE(s.errors[1].text().find("line 4: invalid number \"x52\""), std::string::npos)
      << s.errors[1].text();
}

}  // namespace
}  // namespace vitals::sysfs
