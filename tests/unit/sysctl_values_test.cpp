// sysctl value parsing: dotted names to paths, whitespace splitting, integers as Go's Atoi
// takes them, and a non-integer field that makes the sysctl an error.
#include <gtest/gtest.h>

#include "collectors/procfs/sysctl_values.h"

namespace vitals::procfs {
namespace {

TEST(Sysctl, Path) {
  EXPECT_EQ(sysctl_path("kernel.seccomp.actions_avail"), "sys/kernel/seccomp/actions_avail");
  EXPECT_EQ(sysctl_path("fs.file-nr"), "sys/fs/file-nr");
}

TEST(Sysctl, Strings) {
  std::vector<std::string_view> v;
  split_sysctl("kill_process kill_thread\ttrap\n", v);
  EXPECT_EQ(v, (std::vector<std::string_view>{"kill_process", "kill_thread", "trap"}));
  split_sysctl("\n", v);
  EXPECT_TRUE(v.empty());
}

TEST(Sysctl, Ints) {
  struct Case {
    std::string_view text;
    bool ok;
    std::vector<int64_t> want;
  };
  for (const Case& c : std::vector<Case>{
           {"1024\t0\t1631329\n", true, {1024, 0, 1631329}},
           {"7801", true, {7801}},
           {"-1 +2\n", true, {-1, 2}},
           {"4096 x 3\n", false, {}},
           {"+-1\n", false, {}},
           {"1.5\n", false, {}},
       }) {
    std::vector<int64_t> v;
    std::string error;
    EXPECT_EQ(sysctl_ints(c.text, v, &error), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(v, c.want) << c.text;
    } else {
      EXPECT_NE(error.find("invalid integer"), std::string::npos) << error;
    }
  }
}

}  // namespace
}  // namespace vitals::procfs
