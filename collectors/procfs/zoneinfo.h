// /proc/zoneinfo: per node and zone, the counters node_exporter 1.5.0 reads (through
// prometheus/procfs): the "pages" watermarks and sizes, the per-node and per-zone nr_* and
// numa_* counters, and the protection array. A key absent from a zone stays std::nullopt.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

// The kernel keys read, in the order of ZoneinfoZone::values.
inline constexpr std::array<std::string_view, 34> kZoneinfoKeys = {
    "nr_free_pages",
    "min",
    "low",
    "high",
    "scanned",
    "spanned",
    "present",
    "managed",
    "nr_active_anon",
    "nr_inactive_anon",
    "nr_isolated_anon",
    "nr_anon_pages",
    "nr_anon_transparent_hugepages",
    "nr_active_file",
    "nr_inactive_file",
    "nr_isolated_file",
    "nr_file_pages",
    "nr_slab_reclaimable",
    "nr_slab_unreclaimable",
    "nr_mlock",
    "nr_kernel_stack",
    "nr_mapped",
    "nr_dirty",
    "nr_writeback",
    "nr_unevictable",
    "nr_shmem",
    "nr_dirtied",
    "nr_written",
    "numa_hit",
    "numa_miss",
    "numa_foreign",
    "numa_interleave",
    "numa_local",
    "numa_other",
};

struct ZoneinfoZone {
  std::string node;  // "0"
  std::string zone;  // "DMA32"
  std::array<std::optional<int64_t>, kZoneinfoKeys.size()> values{};
  std::vector<int64_t> protection;  // empty when absent or unparsable
};

struct Zoneinfo {
  std::vector<ZoneinfoZone> zones;
  parse::ParseErrors errors;  // "line N: ..."
};

// Blocks start at lines beginning with "Node" ("Node 0, zone   Normal").
Zoneinfo parse_zoneinfo(std::string_view text);

}  // namespace vitals::procfs
