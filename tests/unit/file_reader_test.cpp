// FileReader: whole-file reads, and procfs/sysfs files kept open and re-read with pread.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "collectors/self/process_metrics.h"
#include "core/buffer.h"
#include "core/fs.h"
#include "gtest/gtest.h"

namespace vitals {
namespace {

std::string comm_path() {
  return "/proc/" + std::to_string(::getpid()) + "/comm";
}

// Restores the process-wide limit a test changed.
struct LimitGuard {
  int saved = FileReader::keep_open_limit();
  ~LimitGuard() { FileReader::set_keep_open_limit(saved); }
};

TEST(FileReader, KeptProcFileShowsFreshText) {
  LimitGuard g;
  FileReader::set_keep_open_limit(1000);
  FileReader r;
  const int before = FileReader::kept_open();
  char old_name[32] = {};
  ASSERT_EQ(prctl(PR_GET_NAME, old_name), 0);
  ASSERT_EQ(prctl(PR_SET_NAME, "vitals-one"), 0);
  EXPECT_EQ(r.read(comm_path()), "vitals-one\n");
  EXPECT_EQ(FileReader::kept_open(), before + 1);
  // Same path again: read through the kept descriptor, and the kernel's text is new.
  ASSERT_EQ(prctl(PR_SET_NAME, "vitals-two"), 0);
  EXPECT_EQ(r.read(comm_path()), "vitals-two\n");
  EXPECT_EQ(FileReader::kept_open(), before + 1);
  prctl(PR_SET_NAME, old_name);
}

// A short read of a file that comes whole (a sysfs attribute) ends the read: no second read to
// see 0. Shown on a pipe whose writer stays open, where that second read would block.
TEST(FileReader, ShortReadOfAWholeFileIsAllOfIt) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_EQ(::write(p[1], "abc", 3), 3);
  RawBuffer<char> buf(64);
  size_t len = 0;
  ASSERT_TRUE(read_whole(p[0], false, false, buf, &len, 4096));
  EXPECT_EQ(std::string(buf.data(), len), "abc");
  // A read that fills its room is not short: the rest follows, into a grown buffer.
  std::string big(100, 'x');
  ASSERT_EQ(::write(p[1], big.data(), big.size()), 100);
  ::close(p[1]);
  ASSERT_TRUE(read_whole(p[0], false, false, buf, &len, 4096));
  EXPECT_EQ(len, 100u);
  ::close(p[0]);
}

TEST(FileReader, SysfsAttributeReadsTheSameTextAsAFreshOpen) {
  const std::string path = "/sys/class/net/lo/mtu";
  std::ifstream f(path);
  ASSERT_TRUE(f) << path;
  std::string want((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  FileReader r;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.read(path), want) << "read " << i;
  EXPECT_EQ(r.kept_open() > 0, true);
}

TEST(FileReader, ReleasesKeptFilesOnDestruction) {
  LimitGuard g;
  FileReader::set_keep_open_limit(1000);
  const int before = FileReader::kept_open();
  {
    FileReader r;
    r.read("/proc/loadavg");
    r.read("/proc/uptime");
    EXPECT_EQ(FileReader::kept_open(), before + 2);
  }
  EXPECT_EQ(FileReader::kept_open(), before);
}

TEST(FileReader, CloseUnreadClosesWhatThePassDidNotRead) {
  LimitGuard g;
  FileReader::set_keep_open_limit(1000);
  const int before = FileReader::kept_open();
  FileReader r;
  // Pass 1 reads both; pass 2 only loadavg (uptime's object "went away"): uptime is closed
  // at the end of pass 2, loadavg stays; a pass that reads nothing closes the rest.
  r.read("/proc/loadavg");
  r.read("/proc/uptime");
  r.close_unread();
  EXPECT_EQ(FileReader::kept_open(), before + 2);
  r.read("/proc/loadavg");
  r.close_unread();
  EXPECT_EQ(FileReader::kept_open(), before + 1);
  EXPECT_FALSE(r.read("/proc/loadavg").empty());  // still served (through the kept file)
  r.close_unread();
  EXPECT_EQ(FileReader::kept_open(), before + 1);
  r.close_unread();
  EXPECT_EQ(FileReader::kept_open(), before);
  // Reading again after a close opens and keeps the file anew.
  EXPECT_FALSE(r.read("/proc/uptime").empty());
  EXPECT_EQ(FileReader::kept_open(), before + 1);
}

TEST(FileReader, RegularFilesAreOpenedAfresh) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("vitals-fr-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "value").string();
  std::ofstream(path) << "1\n";
  FileReader r;
  const int before = FileReader::kept_open();
  EXPECT_EQ(r.read(path), "1\n");
  EXPECT_EQ(FileReader::kept_open(), before);
  // Replaced by rename (as textfile writers do): the new file is what is read.
  const std::string tmp = (dir / "value.tmp").string();
  std::ofstream(tmp) << "22\n";
  std::filesystem::rename(tmp, path);
  EXPECT_EQ(r.read(path), "22\n");
  std::filesystem::remove_all(dir);
}

TEST(FileReader, LimitBoundsKeptFiles) {
  LimitGuard g;
  const int before = FileReader::kept_open();
  FileReader::set_keep_open_limit(before + 1);
  FileReader r;
  r.read("/proc/loadavg");
  r.read("/proc/uptime");
  r.read("/proc/version");
  EXPECT_EQ(FileReader::kept_open(), before + 1);
  // Over the limit the reads still work, just with open and close.
  EXPECT_NE(r.read("/proc/version").find("Linux"), std::string_view::npos);
}

TEST(FileReader, ReopenModeKeepsNothing) {
  FileReader r(1024, FileReader::Mode::kReopen);
  const int before = FileReader::kept_open();
  r.read("/proc/loadavg");
  EXPECT_EQ(FileReader::kept_open(), before);
}

TEST(FileReader, KeptFileOfAnExitedProcessFailsLikeAFreshOpen) {
  LimitGuard g;
  FileReader::set_keep_open_limit(1000);
  int to_child[2];
  ASSERT_EQ(pipe(to_child), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    char c;
    close(to_child[1]);
    (void)!read(to_child[0], &c, 1);  // wait until told to exit
    _exit(0);
  }
  close(to_child[0]);
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  FileReader r;
  const int before = FileReader::kept_open();
  std::string_view text;
  int err = 0;
  ASSERT_TRUE(r.try_read(path, &text, &err));
  EXPECT_EQ(FileReader::kept_open(), before + 1);
  close(to_child[1]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_FALSE(r.try_read(path, &text, &err));
  EXPECT_TRUE(err == ENOENT || err == ESRCH) << err;
  EXPECT_EQ(FileReader::kept_open(), before);  // the stale descriptor was closed
}

TEST(FileReader, MissingFileNamesPathAndError) {
  FileReader r;
  try {
    r.read("/proc/does-not-exist");
    FAIL() << "no error";
  } catch (const CollectError& e) {
    EXPECT_STREQ(e.what(), "read /proc/does-not-exist: No such file or directory");
  }
}

TEST(SelfMetrics, OpenFdCountFollowsOpenAndClose) {
  // Whichever way the kernel answers (the size of /proc/self/fd, or a listing), the count moves
  // by exactly the descriptors opened and closed here.
  double before = open_fd_count();
  ASSERT_GT(before, 0);
  std::vector<int> fds;
  for (int i = 0; i < 37; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(open_fd_count(), before + 37);
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(open_fd_count(), before);
}

}  // namespace
}  // namespace vitals
