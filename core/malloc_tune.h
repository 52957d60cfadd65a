// glibc malloc settings of the agent, applied once at start (agent/main.cpp).
#pragma once

#include <malloc.h>

namespace vitals {

// Few arenas: the agent's threads allocate little, and each arena costs resident memory.
inline constexpr int kMallocArenaMax = 2;

// Blocks of this size and more are mmapped and given back to the kernel when freed. Setting it
// turns off glibc's sliding threshold, which after the first large block is freed serves every
// later block up to that size (a scrape's multi-MB exposition and gzip buffers, of varying sizes)
// from the arenas, where they fragment: in the one-hour soak (docs/reliability.md, "Soak")
// anonymous memory moved between 66 and 114 MB after warm-up, half of the arenas free, against
// 35-51 MB with this setting (for 10-20% more CPU per large scrape: the re-mapped pages fault).
inline constexpr int kMallocMmapThreshold = 128 * 1024;

inline void tune_malloc() {
  mallopt(M_ARENA_MAX, kMallocArenaMax);
  mallopt(M_MMAP_THRESHOLD, kMallocMmapThreshold);
}

}  // namespace vitals
