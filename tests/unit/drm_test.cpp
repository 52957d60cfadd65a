// The drm collector's reading of /sys/class/drm/card<N>/device files, as prometheus/procfs does.
#include <gtest/gtest.h>

#include <string>

#include "collectors/sysfs/drm.h"

namespace vitals::sysfs {
namespace {

TEST(Drm, FieldsAndCards) {
  EXPECT_EQ(drm_field("  manual\n"), "manual");
  // Only the first 128 bytes count (one read of that size).
  std::string uevent = std::string(130, 'x') + "\nDRIVER=amdgpu\n";
  EXPECT_FALSE(drm_is_amdgpu(uevent));
  EXPECT_TRUE(drm_is_amdgpu("PCI_CLASS=30000\nDRIVER=amdgpu\n"));
  EXPECT_FALSE(drm_is_amdgpu("DRIVER=i915\n"));
  EXPECT_EQ(drm_uint("4"), 4u);
  EXPECT_EQ(drm_uint("0x10"), 16u);
  EXPECT_EQ(drm_uint("017"), 15u);  // Go's ParseUint(s, 0, 64): a leading 0 is octal
  EXPECT_FALSE(drm_uint("-1"));
  EXPECT_FALSE(drm_uint("+1"));
  EXPECT_FALSE(drm_uint("12 MB"));
  EXPECT_FALSE(drm_uint(""));
  EXPECT_TRUE(drm_is_card("card0"));
  EXPECT_TRUE(drm_is_card("card9"));
  EXPECT_FALSE(drm_is_card("card10"));
  EXPECT_FALSE(drm_is_card("card0-DP-1"));
  EXPECT_FALSE(drm_is_card("renderD128"));
}

}  // namespace
}  // namespace vitals::sysfs
