// ZFS kstat parsers: named tables (integer types only, dataset_name), the pool io table and
// the state line; a bad value is an item error while the rest stays.
#include <gtest/gtest.h>

#include "collectors/procfs/zfs_kstat.h"

namespace vitals::procfs {
namespace {

TEST(ZfsKstat, NamedTable) {
  Kstat k;
  parse_kstat(
      "6 1 0x01 91 4368 5266997922 97951858082072\n"
      "name                            type data\n"
      "hits                            4    8772612\n"
      "delta                           3    -5\n"
      "label                           7    text\n"
      "misses                          4    x12\n"
      "l2_size                         4    0\n",
      k);
  EXPECT_TRUE(k.header_seen);
  ASSERT_EQ(k.values.size(), 3u);
  EXPECT_EQ(k.values[0].name, "hits");
  EXPECT_EQ(k.values[0].value, 8772612);
  EXPECT_EQ(k.values[1].value, -5);
  EXPECT_EQ(k.values[2].name, "l2_size");
  ASSERT_EQ(k.errors.size(), 1u);
  EXPECT_NE(k.errors[0].text().find("line 6: invalid integer for misses"), std::string::npos)
      << k.errors[0].text();
}

TEST(ZfsKstat, Objset) {
  Kstat k;
  parse_kstat(
      "23 1 0x01 7 2160 221578688875 6665999035587\n"
      "name                            type data\n"
      "dataset_name                    7    pool1/dataset1\n"
      "writes                          4    4\n",
      k);
  EXPECT_EQ(k.dataset, "pool1/dataset1");
  ASSERT_EQ(k.values.size(), 1u);
  EXPECT_EQ(k.values[0].name, "writes");
}

TEST(ZfsKstat, NoHeader) {
  Kstat k;
  parse_kstat("hits 4 1\n", k);
  EXPECT_FALSE(k.header_seen);
  EXPECT_TRUE(k.values.empty());
}

TEST(ZfsKstat, PoolIo) {
  Kstat k;
  parse_zpool_io(
      "12 3 0x00 1 80 79205351707403 395818011156865\n"
      "nread    nwritten reads    writes   wtime    wlentime wupdate  rtime    rlentime rupdate  "
      "wcnt     rcnt\n"
      "1884160  3206144  22       132      7155162  104112268 79210489694949 24168078 x 1 0 0\n",
      k);
  EXPECT_TRUE(k.header_seen);
  ASSERT_EQ(k.values.size(), 11u);  // rlentime is bad
  EXPECT_EQ(k.values[0].name, "nread");
  EXPECT_EQ(k.values[0].value, 1884160);
  EXPECT_EQ(k.values[8].name, "rupdate");
  ASSERT_EQ(k.errors.size(), 1u);
  EXPECT_NE(k.errors[0].text().find("line 3: invalid integer for rlentime"), std::string::npos);
}

TEST(ZfsKstat, State) {
  EXPECT_EQ(zpool_state("DEGRADED\n"), "degraded");
  EXPECT_EQ(zpool_state("ONLINE"), "online");
}

}  // namespace
}  // namespace vitals::procfs
