// Paths::live_procfs / live_sysfs decide by what a path is, not how it is spelled. (The bind
// mount case, /proc mounted elsewhere, is tests/integration/test_live_source.py.)
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include <cstdlib>
#include <string>

#include "core/fs.h"

namespace vitals {
namespace {

bool mounted(const char* path, long magic) {
  struct statfs st {};
  return ::statfs(path, &st) == 0 && st.f_type == magic;
}

TEST(LiveSource, ProcAndSysAreLive) {
  if (!mounted("/proc", PROC_SUPER_MAGIC)) GTEST_SKIP() << "no procfs at /proc";
  Paths p;
  EXPECT_TRUE(p.live_procfs());
  p.procfs = "/proc/";  // spelled differently, same file system
  EXPECT_TRUE(p.live_procfs());
  if (!mounted("/sys", SYSFS_MAGIC)) GTEST_SKIP() << "no sysfs at /sys";
  EXPECT_TRUE(p.live_sysfs());
}

TEST(LiveSource, TreesAndPartsAreNot) {
  Paths p;
  p.procfs = VITALS_SHARED_DIR "/fixtures/node_exporter-1.5.0/proc";
  p.sysfs = VITALS_SHARED_DIR "/fixtures/node_exporter-1.5.0/sys";
  EXPECT_FALSE(p.live_procfs());
  EXPECT_FALSE(p.live_sysfs());
  p.procfs = "/nonexistent";
  p.sysfs = "/nonexistent";
  EXPECT_FALSE(p.live_procfs());
  EXPECT_FALSE(p.live_sysfs());
  if (!mounted("/proc", PROC_SUPER_MAGIC)) return;
  // Inside procfs but not its root: no self there.
  p.procfs = "/proc/1";
  EXPECT_FALSE(p.live_procfs());
  p.procfs = "/proc/sys";
  EXPECT_FALSE(p.live_procfs());
  if (!mounted("/sys", SYSFS_MAGIC)) return;
  // A sysfs directory whose class/net is not the interface list.
  p.sysfs = "/sys/kernel";
  EXPECT_FALSE(p.live_sysfs());
}

}  // namespace
}  // namespace vitals
