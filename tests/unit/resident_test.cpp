// drop_clean_file_pages: unmaps only what can come back unchanged from the file.
#include "core/resident.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace vitals {
namespace {

// Whether the page at `p` is mapped in this process right now (/proc/self/pagemap bit 63).
bool mapped(const void* p) {
  int fd = open("/proc/self/pagemap", O_RDONLY);
  uint64_t entry = 0;
  off_t off = static_cast<off_t>(reinterpret_cast<uintptr_t>(p) / 4096 * 8);
  bool ok = pread(fd, &entry, 8, off) == 8;
  close(fd);
  return ok && (entry >> 63) != 0;
}

// A private file mapping the test wrote to (so one page is a copy-on-write anonymous page)
// and then made read-only, like relocated RELRO data: dropping it would lose the write.
TEST(Resident, KeepsCopiedOnWritePagesAndDropsCleanOnes) {
  char path[] = "/tmp/vitals-resident-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string page(4096, 'f');
  ASSERT_EQ(write(fd, page.data(), page.size()), 4096);
  ASSERT_EQ(write(fd, page.data(), page.size()), 4096);

  auto* written =
      static_cast<char*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
  ASSERT_NE(written, MAP_FAILED);
  written[0] = 'W';  // copy on write: an anonymous page in a file mapping
  ASSERT_EQ(mprotect(written, 4096, PROT_READ), 0);

  auto* clean = static_cast<char*>(mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fd, 4096));
  ASSERT_NE(clean, MAP_FAILED);
  ASSERT_EQ(clean[0], 'f');  // resident now
  ASSERT_TRUE(mapped(clean));

  DroppedPages d = drop_clean_file_pages();
  EXPECT_GT(d.mappings, 0u);
  EXPECT_GT(d.bytes, 0u);

  EXPECT_FALSE(mapped(clean));  // unmapped from this process...
  EXPECT_TRUE(mapped(written));
  // The written page kept its private content; the clean one reads the file again.
  EXPECT_EQ(written[0], 'W');
  EXPECT_EQ(clean[0], 'f');
  // This test's own code and libc ran after the drop: they came back from the page cache.
  EXPECT_EQ(std::strlen("still works"), 11u);

  munmap(written, 4096);
  munmap(clean, 4096);
  close(fd);
  unlink(path);
}

}  // namespace
}  // namespace vitals
