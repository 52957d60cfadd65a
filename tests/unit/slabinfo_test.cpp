// /proc/slabinfo parser: version check, the five exported columns, and a short line that
// becomes an item error while the other slabs stay.
#include <gtest/gtest.h>

#include "collectors/procfs/slabinfo.h"

namespace vitals::procfs {
namespace {

TEST(Slabinfo, ParsesSlabsAndReportsBadLines) {
  auto s = parse_slabinfo(
      "slabinfo - version: 2.1\n"
      "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : "
      "tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> "
      "<sharedavail>\n"
      "tw_sock_TCP          704    864    256   32    2 : tunables    0    0    0 : slabdata     "
      "27     27      0\n"
      "broken 1 2 3\n"
      "kmalloc-8192         132    x148   8192    4    8 : tunables    0    0    0 : slabdata  "
      "37     37      0\n"
      "kmem_cache           320    320    256   32    2 : tunables    0    0    0 : slabdata     "
      "10     10      0\n");
  ASSERT_EQ(s.slabs.size(), 2u);
  EXPECT_EQ(s.slabs[0].name, "tw_sock_TCP");
  EXPECT_EQ(s.slabs[0].active_objects, 704);
  EXPECT_EQ(s.slabs[0].objects, 864);
  EXPECT_EQ(s.slabs[0].object_size, 256);
  EXPECT_EQ(s.slabs[0].objects_per_slab, 32);
  EXPECT_EQ(s.slabs[0].pages_per_slab, 2);
  EXPECT_EQ(s.slabs[1].name, "kmem_cache");
  ASSERT_EQ(s.errors.size(), 2u);
  EXPECT_NE(s.errors[0].text().find("line 4: expected 12 fields, got 4"), std::string::npos)
      << s.errors[0].text();
  EXPECT_NE(s.errors[1].text().find("line 5: invalid number \"x148\""), std::string::npos)
      << s.errors[1].text();
}

TEST(Slabinfo, OtherVersionIsAnError) {
  auto s = parse_slabinfo("slabinfo - version: 1.1\nkmem_cache 1 2 3 4 5 : x\n");
  EXPECT_TRUE(s.slabs.empty());
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_NE(s.errors[0].text().find("line 1: unsupported slabinfo version"), std::string::npos);
}

}  // namespace
}  // namespace vitals::procfs
