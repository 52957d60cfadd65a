// glibc malloc settings of the agent, applied once at start (agent/main.cpp).
#pragma once

#include <malloc.h>

namespace vitals {

// Few arenas: the agent's threads allocate little, and each arena costs resident memory.
inline constexpr int kMallocArenaMax = 2;

// Blocks of this size and more are mmapped and given back to the kernel when freed. Setting it
// turns off glibc's sliding threshold, which after the first large block is freed serves every
// later block up to that size (a scrape's multi-MB exposition and gzip buffers, of varying sizes)
// from the arenas, where they fragment and stay resident. Found twice in session 6:
// - the one-hour soak (docs/reliability.md, "Soak"): anonymous memory moved between 66 and
//   114 MB after warm-up, half of the arenas free, against 35-51 MB with a fixed threshold (for
//   10-20% more CPU per large scrape: the re-mapped pages fault);
// - the stress run (bench/stress_spans.py): anonymous memory grew from 10 to 80 MB after 11 MB
//   scrape bodies under span load and stayed there; 25.5 MB with a fixed threshold.
// 1 MiB rather than 128 KiB: both gave the same memory in the soak (within 10%), and at 1 MiB the
// ordinary scrape's buffers (~200 KB for node_exporter's collector set) stay in the arenas and
// are reused instead of faulted in again on every scrape.
inline constexpr int kMallocMmapThreshold = 1 << 20;

// Free memory at the top of an arena above this is given back to the kernel. glibc's default,
// 128 KiB, gave back an ordinary scrape's buffers (its text, gzip output and response, ~200 KB
// each for node_exporter's collector set) after every scrape, and the next scrape faulted them
// in again (memset of fresh pages was 5% of the agent's profile). 2 MiB keeps them for the next
// scrape: 9.3-10.6 vs 10.9-11.9 ms CPU per scrape of ~2,400 series, anon +0.1-0.4 MB
// (bench/scrape_cost.py, 300 scrapes, two runs, the same binary with
// GLIBC_TUNABLES=glibc.malloc.trim_threshold=2097152 against without, load ~2). That saving is
// for scrapes that follow each other within 5 s: core/malloc_release.h trims after a collection
// at most every 5 s, so at Prometheus' 15 s interval the buffers are handed back between scrapes
// (less memory held while idle, the faults paid once per scrape).
inline constexpr int kMallocTrimThreshold = 2 << 20;

inline void tune_malloc() {
  mallopt(M_ARENA_MAX, kMallocArenaMax);
  mallopt(M_MMAP_THRESHOLD, kMallocMmapThreshold);
  mallopt(M_TRIM_THRESHOLD, kMallocTrimThreshold);
}

}  // namespace vitals
