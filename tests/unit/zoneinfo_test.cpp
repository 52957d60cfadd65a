// /proc/zoneinfo parser: node and zone blocks, per-node stats in the first zone only, the
// protection array, and a bad value that becomes an item error while the rest stays.
#include <gtest/gtest.h>

#include "collectors/procfs/zoneinfo.h"

namespace vitals::procfs {
namespace {

size_t key(std::string_view k) {
  for (size_t i = 0; i < kZoneinfoKeys.size(); ++i) {
    if (kZoneinfoKeys[i] == k) return i;
  }
  ADD_FAILURE() << "no key " << k;
  return 0;
}

TEST(Zoneinfo, ParsesZonesAndProtection) {
  auto z = parse_zoneinfo(
      "Node 0, zone      DMA\n"
      "  per-node stats\n"
      "      nr_inactive_anon 95612\n"
      "      nr_dirtied   1189097\n"
      "  pages free     2949\n"
      "        min      8\n"
      "        managed  3973\n"
      "        protection: (0, 2039, 31932)\n"
      "      nr_free_pages 2949\n"
      "      numa_hit     1\n"
      "  pagesets\n"
      "    cpu: 0\n"
      "              count: 0\n"
      "Node 1, zone    DMA32\n"
      "  pages free     528427\n"
      "        min      x1078\n"
      "        high     2122\n"
      "      nr_kernel_stack 7\n");
  ASSERT_EQ(z.zones.size(), 2u);
  EXPECT_EQ(z.zones[0].node, "0");
  EXPECT_EQ(z.zones[0].zone, "DMA");
  EXPECT_EQ(z.zones[0].values[key("nr_inactive_anon")], 95612);
  EXPECT_EQ(z.zones[0].values[key("nr_dirtied")], 1189097);
  EXPECT_EQ(z.zones[0].values[key("min")], 8);
  EXPECT_EQ(z.zones[0].values[key("managed")], 3973);
  EXPECT_EQ(z.zones[0].values[key("nr_free_pages")], 2949);
  EXPECT_EQ(z.zones[0].values[key("numa_hit")], 1);
  EXPECT_FALSE(z.zones[0].values[key("high")]);
  EXPECT_EQ(z.zones[0].protection, (std::vector<int64_t>{0, 2039, 31932}));
  EXPECT_EQ(z.zones[1].node, "1");
  EXPECT_EQ(z.zones[1].zone, "DMA32");
  EXPECT_FALSE(z.zones[1].values[key("nr_inactive_anon")]);
  EXPECT_FALSE(z.zones[1].values[key("min")]);  // the bad line
  EXPECT_EQ(z.zones[1].values[key("high")], 2122);
  EXPECT_EQ(z.zones[1].values[key("nr_kernel_stack")], 7);
  EXPECT_TRUE(z.zones[1].protection.empty());
  ASSERT_EQ(z.errors.size(), 1u);
  EXPECT_NE(z.errors[0].text().find("line 16: invalid value for min"), std::string::npos)
      << z.errors[0].text();
}

TEST(Zoneinfo, BadProtectionIsAnItemError) {
  auto z = parse_zoneinfo(
      "Node 0, zone   Normal\n"
      "        protection: (0, a, 0)\n"
      "        spanned  4095\n");
  ASSERT_EQ(z.zones.size(), 1u);
  EXPECT_TRUE(z.zones[0].protection.empty());
  EXPECT_EQ(z.zones[0].values[key("spanned")], 4095);
  ASSERT_EQ(z.errors.size(), 1u);
  EXPECT_NE(z.errors[0].text().find("line 2: invalid protection array"), std::string::npos);
}

}  // namespace
}  // namespace vitals::procfs
