// core/malloc_tune.h: after tune_malloc(), a large block is mmapped (and returned to the kernel
// when freed) even after a larger one was freed, which without it raises glibc's mmap threshold
// so that later large blocks come from the arenas and stay there.
#include "core/malloc_tune.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#define VITALS_OWN_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define VITALS_OWN_ALLOCATOR 1
#endif
#endif

namespace {

[[maybe_unused]] void* touch(size_t n) {
  void* p = std::malloc(n);
  std::memset(p, 1, n);
  asm volatile("" : : "r"(p) : "memory");  // keep the block (no malloc/free elision)
  return p;
}

TEST(MallocTune, LargeBlocksStayMmappedAfterALargerOneIsFreed) {
#ifdef VITALS_OWN_ALLOCATOR
  GTEST_SKIP() << "the sanitizer's allocator replaces glibc malloc";
#else
  vitals::tune_malloc();
  std::free(touch(8 << 20));  // glibc's default would now raise its mmap threshold to 8 MiB

  const struct mallinfo2 before = mallinfo2();
  void* p = touch(3 << 20);
  const struct mallinfo2 during = mallinfo2();
  EXPECT_EQ(during.hblks, before.hblks + 1);
  EXPECT_GE(during.hblkhd - before.hblkhd, size_t{3} << 20);
  EXPECT_LT(during.arena - before.arena, size_t{1} << 20);  // not taken from the heap
  std::free(p);
  const struct mallinfo2 after = mallinfo2();
  EXPECT_EQ(after.hblks, before.hblks);
  EXPECT_EQ(after.hblkhd, before.hblkhd);  // given back
  // Small blocks still come from the arena.
  void* s = touch(1000);
  EXPECT_EQ(mallinfo2().hblks, before.hblks);
  std::free(s);
#endif
}

}  // namespace
