#include "core/malloc_release.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

// RssAnon of this process in KiB.
[[maybe_unused]] long rss_anon_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  }
  return -1;
}

TEST(MallocRelease, FreedChunksBelowALiveOneGoBackToTheKernel) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces malloc";
#else
  // 16 MiB in 64 KiB blocks (under the mmap threshold: from the arena), every page written,
  // then all freed but the last one, which keeps them below the top of the heap where glibc
  // does not return them by itself.
  std::vector<void*> blocks;
  for (int i = 0; i < 257; ++i) {
    void* p = std::malloc(64 << 10);
    ASSERT_NE(p, nullptr);
    std::memset(p, 0x5a, 64 << 10);
    blocks.push_back(p);
  }
  void* pin = blocks.back();
  blocks.pop_back();
  for (void* p : blocks) std::free(p);
  ASSERT_GE(vitals::malloc_free_bytes(), size_t{15} << 20);
  long before = rss_anon_kib();
  ASSERT_GT(before, 0);

  EXPECT_TRUE(vitals::release_free_malloc_memory(size_t{1} << 20, std::chrono::seconds(0)));
  long after = rss_anon_kib();
  EXPECT_LE(after, before - 12 * 1024) << "before " << before << " KiB, after " << after << " KiB";
  // The pages are released, not the chunks: malloc still counts them free.
  EXPECT_GE(vitals::malloc_free_bytes(), size_t{15} << 20);
  std::free(pin);
#endif
}

TEST(MallocRelease, NotMoreOftenThanTheIntervalNorBelowTheFreeFloor) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces malloc";
#else
  void* p = std::malloc(4 << 20);  // over the mmap threshold: freed straight back to the kernel
  std::free(p);
  EXPECT_FALSE(vitals::release_free_malloc_memory(size_t{1} << 40, std::chrono::seconds(0)));
  std::vector<void*> blocks;
  for (int i = 0; i < 65; ++i) blocks.push_back(std::malloc(64 << 10));
  void* pin = blocks.back();
  blocks.pop_back();
  for (void* b : blocks) std::free(b);
  EXPECT_TRUE(vitals::release_free_malloc_memory(size_t{1} << 20, std::chrono::seconds(0)));
  EXPECT_FALSE(vitals::release_free_malloc_memory(size_t{1} << 20, std::chrono::hours(1)));
  std::free(pin);
#endif
}

}  // namespace
