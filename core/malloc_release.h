// Returning memory that glibc's malloc holds free to the kernel.
//
// glibc gives back by itself only the free top of an arena's heap (past M_TRIM_THRESHOLD); freed
// chunks below a live one stay resident. After a burst (span requests decoded on several
// threads, a large scrape) the agent therefore kept megabytes it no longer used (RSS 46 MB after
// docs/reliability.md's mixed load). malloc_trim(0) releases the free pages inside every arena
// (madvise MADV_DONTNEED); the scraper calls release_free_malloc_memory() after each collection.
#pragma once

#include <chrono>
#include <cstddef>

namespace vitals {

// Bytes in malloc's free chunks, all arenas (mallinfo2's fordblks); 0 where unknown.
size_t malloc_free_bytes();

// Calls malloc_trim(0) when malloc holds at least `min_free` bytes free and the last call (of
// this function, process-wide) is at least `min_interval` ago. Returns whether it trimmed.
bool release_free_malloc_memory(
    size_t min_free = size_t{1} << 20,
    std::chrono::steady_clock::duration min_interval = std::chrono::seconds(5));

}  // namespace vitals
