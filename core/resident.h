// Start-up code out of the resident set. The kernel maps a file's pages into a process 64 KiB
// at a time and leaves them mapped, so code that ran once at start-up (option parsing, regex
// compilation, the dynamic linker's symbol lookups through every library's symbol tables)
// stays resident for the life of the agent. drop_clean_file_pages() unmaps the pages of
// read-only file mappings that hold no private data; the code a scrape runs faults straight
// back in from the page cache (no disk I/O: the pages are still there), so what stays resident
// afterwards is what the agent actually uses.
#pragma once

#include <cstddef>

namespace vitals {

struct DroppedPages {
  size_t mappings = 0;  // mappings advised
  size_t bytes = 0;     // bytes resident in them before
};

// For every mapping of /proc/self/smaps that has a file path, no write permission and no
// anonymous pages (nothing there was copied on write, so every page is the file's): madvise
// MADV_DONTNEED. Anything else (data, relocated RELRO, heap, stacks) is left alone.
DroppedPages drop_clean_file_pages();

}  // namespace vitals
