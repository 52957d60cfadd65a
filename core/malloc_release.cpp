#include "core/malloc_release.h"

#include <malloc.h>

#include <atomic>

namespace vitals {

size_t malloc_free_bytes() {
#if defined(__GLIBC__)
  return mallinfo2().fordblks;
#else
  return 0;
#endif
}

bool release_free_malloc_memory(size_t min_free, std::chrono::steady_clock::duration min_interval) {
  static std::atomic<std::chrono::steady_clock::rep> last{0};
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto prev = last.load(std::memory_order_relaxed);
  if (prev != 0 && now - prev < min_interval.count()) return false;
  // mallinfo2 walks the free lists of every arena, as malloc_trim does; both take microseconds
  // on the agent's few-MB heap.
  if (malloc_free_bytes() < min_free) return false;
  // One caller at a time: a concurrent one finds `last` changed and leaves.
  if (!last.compare_exchange_strong(prev, now, std::memory_order_relaxed)) return false;
#if defined(__GLIBC__)
  malloc_trim(0);
  return true;
#else
  return false;
#endif
}

}  // namespace vitals
