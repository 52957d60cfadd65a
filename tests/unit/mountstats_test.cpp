// /proc/self/mountstats and mountinfo parsers: NFS mounts with their counters, transport
// lines of both protocols and stat versions, per-op sections, non-NFS mounts counted for the
// mountinfo index, and a bad line that drops its mount (an item error) while others stay.
#include <gtest/gtest.h>

#include "collectors/procfs/mountstats.h"

namespace vitals::procfs {
namespace {

constexpr std::string_view kText =
    "device rootfs mounted on / with fstype rootfs\n"
    "device srv:/a mounted on /mnt/a with fstype nfs4 statvers=1.1\n"
    "\topts:\trw,vers=4.0\n"
    "\tage:\t13968\n"
    "\tevents:\t52 226 0 0 1 13 398 0 0 331 0 47 0 0 77 0 0 77 0 0 0 0 0 0 0 0 0\n"
    "\tbytes:\t1207640230 0 0 0 1210214218 0 295483 0\n"
    "\tRPC iostats version: 1.0  p/v: 100003/4 (nfs)\n"
    "\txprt:\ttcp 832 0 1 0 11 6428 6428 0 12154 0 24 26 5726\n"
    "\tper-op statistics\n"
    "\t        NULL: 0 0 0 0 0 0 0 0\n"
    "\t        READ: 1298 1298 0 207680 1210292152 6 79386 79407 3\n"
    "\n"
    "device srv:/b mounted on /mnt/b with fstype nfs statvers=1.0\n"
    "\tage:\t5\n"
    "\txprt:\tudp 832 0 6428 6428 0 12154 0\n"
    "\tper-op statistics\n"
    "\t        GETATTR: 7 7 0 1 2 3 4 5\n"
    "\n"
    "device srv:/c mounted on /mnt/c with fstype nfs statvers=1.1\n"
    "\tage:\t5\n"
    "\tbytes:\t1 2 3\n"
    "\n"
    "device srv:/d mounted on /mnt/d with fstype nfs statvers=1.1\n"
    "\txprt:\tudp 1 2 3 4 5 6 7 8 9 10\n";

TEST(Mountstats, ParsesNfsMounts) {
  Mountstats s;
  parse_mountstats(kText, s);
  EXPECT_EQ(s.devices, 5u);
  ASSERT_EQ(s.nfs.size(), 3u);  // srv:/c has a short bytes line
  const auto& a = s.nfs[0];
  EXPECT_EQ(a.index, 1u);
  EXPECT_EQ(a.device, "srv:/a");
  EXPECT_EQ(a.fstype, "nfs4");
  EXPECT_EQ(a.stat_version, "1.1");
  EXPECT_EQ(a.age_seconds, 13968);
  EXPECT_EQ(a.bytes[0], 1207640230u);
  EXPECT_EQ(a.bytes[6], 295483u);
  EXPECT_EQ(a.events[6], 398u);
  EXPECT_EQ(a.protocol, "tcp");
  EXPECT_EQ(a.transport[2], 1u);   // connect
  EXPECT_EQ(a.transport[4], 11u);  // idle time
  EXPECT_EQ(a.transport[12], 5726u);
  ASSERT_EQ(a.op_count, 2u);
  EXPECT_EQ(s.operations[a.op_begin + 1].name, "READ");
  EXPECT_EQ(s.operations[a.op_begin + 1].v[7], 79407u);

  const auto& b = s.nfs[1];
  EXPECT_EQ(b.index, 2u);
  EXPECT_EQ(b.protocol, "udp");
  EXPECT_EQ(b.transport[2], 0u);  // udp has no connect count
  EXPECT_EQ(b.transport[5], 6428u);
  EXPECT_EQ(b.transport[10], 0u);  // 1.0 has no max slots
  ASSERT_EQ(b.op_count, 1u);
  EXPECT_EQ(s.operations[b.op_begin].name, "GETATTR");

  const auto& d = s.nfs[2];
  EXPECT_EQ(d.index, 4u);
  EXPECT_EQ(d.transport[0], 1u);
  EXPECT_EQ(d.transport[5], 3u);
  EXPECT_EQ(d.transport[12], 10u);

  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_NE(s.errors[0].text().find("line 21: expected 8 byte counters"), std::string::npos)
      << s.errors[0].text();
}

TEST(Mountstats, ReusesStorage) {
  Mountstats s;
  parse_mountstats(kText, s);
  parse_mountstats("device x mounted on / with fstype ext4\n", s);
  EXPECT_TRUE(s.nfs.empty());
  EXPECT_TRUE(s.operations.empty());
  EXPECT_EQ(s.devices, 1u);
  EXPECT_TRUE(s.errors.empty());
}

TEST(Mountinfo, Addrs) {
  std::vector<std::string_view> addrs;
  parse::ParseErrors errors;
  parse_mountinfo_addrs(
      "1 1 0:5 /  /root rw,nosuid shared:8 - rootfs rootfs rw\n"
      "194 21 0:42 / /mnt/a rw shared:144 - nfs4 srv:/a rw,vers=4.0,clientaddr=10.0.0.5,"
      "addr=10.0.0.1,local_lock=none\n"
      "broken line\n"
      "1398 798 0:44 / /mnt/b rw - nfs srv:/b rw,mountaddr=10.0.0.2,addr=10.0.0.2\n",
      addrs, errors);
  EXPECT_EQ(addrs, (std::vector<std::string_view>{"", "10.0.0.1", "", "10.0.0.2"}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].text().find("line 3: no \" - \" separator"), std::string::npos);
}

}  // namespace
}  // namespace vitals::procfs
