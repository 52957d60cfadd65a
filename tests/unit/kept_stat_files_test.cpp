// KeptStatFiles: per-process stat files kept open between scrapes (the processes collector).
#include "collectors/procfs/kept_stat_files.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "core/fs.h"
#include "gtest/gtest.h"

namespace vitals::procfs {
namespace {

struct LimitGuard {
  int saved = FileReader::keep_open_limit();
  ~LimitGuard() { FileReader::set_keep_open_limit(saved); }
};

// A child that waits until its pipe closes, then exits.
struct Child {
  pid_t pid = -1;
  int to_child = -1;
  Child() {
    int p[2];
    if (pipe(p) != 0) return;
    pid = fork();
    if (pid == 0) {
      char c;
      close(p[1]);
      (void)!read(p[0], &c, 1);
      _exit(0);
    }
    close(p[0]);
    to_child = p[1];
  }
  void end() {
    close(to_child);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  std::string stat_path() const { return "/proc/" + std::to_string(pid) + "/stat"; }
};

TEST(KeptStatFiles, KeptFileShowsFreshTextAndExitedTaskIsGone) {
  LimitGuard g;
  FileReader::set_keep_open_limit(1000);
  Child c;
  ASSERT_GT(c.pid, 0);
  const int before = FileReader::kept_open();
  {
    KeptStatFiles files(true, 4);
    std::string_view text;
    int err = 0;
    files.begin();
    ASSERT_TRUE(files.read(static_cast<uint32_t>(c.pid), c.stat_path(), &text, &err));
    EXPECT_EQ(text.substr(0, std::to_string(c.pid).size()), std::to_string(c.pid));
    EXPECT_EQ(text.back(), '\n');
    files.end();
    EXPECT_EQ(files.kept(), 1u);
    EXPECT_EQ(FileReader::kept_open(), before + 1);
    files.begin();  // read again through the kept descriptor
    ASSERT_TRUE(files.read(static_cast<uint32_t>(c.pid), c.stat_path(), &text, &err));
    EXPECT_EQ(text.substr(0, std::to_string(c.pid).size()), std::to_string(c.pid));
    files.end();
    c.end();
    files.begin();  // the task exited: the kept descriptor answers ESRCH, the path ENOENT
    EXPECT_FALSE(files.read(static_cast<uint32_t>(c.pid), c.stat_path(), &text, &err));
    EXPECT_TRUE(err == ENOENT || err == ESRCH) << err;
    files.end();
    EXPECT_EQ(files.kept(), 0u);
    EXPECT_EQ(FileReader::kept_open(), before);
  }
  EXPECT_EQ(FileReader::kept_open(), before);
}

TEST(KeptStatFiles, BoundsAndPassesCloseUnreadIds) {
  LimitGuard g;
  FileReader::set_keep_open_limit(1000);
  const int before = FileReader::kept_open();
  const std::string self = "/proc/" + std::to_string(getpid()) + "/stat";
  const std::string parent = "/proc/" + std::to_string(getppid()) + "/stat";
  KeptStatFiles files(true, 1);  // keeps one; the second is opened and closed
  std::string_view text;
  int err = 0;
  files.begin();
  ASSERT_TRUE(files.read(static_cast<uint32_t>(getpid()), self, &text, &err));
  ASSERT_TRUE(files.read(static_cast<uint32_t>(getppid()), parent, &text, &err));
  EXPECT_EQ(text.substr(0, std::to_string(getppid()).size()), std::to_string(getppid()));
  files.end();
  EXPECT_EQ(files.kept(), 1u);
  files.begin();  // self not read in this pass: closed at its end
  ASSERT_TRUE(files.read(static_cast<uint32_t>(getppid()), parent, &text, &err));
  files.end();
  EXPECT_EQ(files.kept(), 0u);
  EXPECT_EQ(FileReader::kept_open(), before);

  FileReader::set_keep_open_limit(before);  // the process-wide limit is reached: none kept
  files.begin();
  ASSERT_TRUE(files.read(static_cast<uint32_t>(getpid()), self, &text, &err));
  files.end();
  EXPECT_EQ(files.kept(), 0u);

  FileReader::set_keep_open_limit(1000);
  KeptStatFiles fixture(false, 8);  // not a procfs: nothing kept
  fixture.begin();
  ASSERT_TRUE(fixture.read(static_cast<uint32_t>(getpid()), self, &text, &err));
  fixture.end();
  EXPECT_EQ(fixture.kept(), 0u);
}

}  // namespace
}  // namespace vitals::procfs
