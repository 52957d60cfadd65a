// XFS statistics (/sys/fs/xfs/<device>/stats/stats, the format of /proc/fs/xfs/stat): the lines
// node_exporter 1.5.0 exports (through prometheus/procfs). A line absent from the file stays
// std::nullopt; one with too few fields is an item error.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/parse.h"

namespace vitals::sysfs {

// The lines read and the fields each must have at least, in the order of XfsStats::lines.
struct XfsLine {
  std::string_view key;
  size_t fields;
};
inline constexpr std::array<XfsLine, 8> kXfsLines = {{
    {"extent_alloc", 4},  // extents allocated, blocks allocated, extents freed, blocks freed
    {"abt", 4},           // allocation B-tree lookups, compares, inserts, deletes
    {"blk_map", 7},       // reads, writes, unmaps, list insertions, deletions, lookups, compares
    {"bmbt", 4},          // block map B-tree lookups, compares, inserts, deletes
    {"dir", 4},           // lookup, create, remove, getdents
    {"ig", 7},      // attempts, found, recycle, missed, duplicate, reclaims, attribute changes
    {"rw", 2},      // write, read
    {"vnodes", 7},  // active, allocate, get, hold, release, reclaim, remove
}};

struct XfsStats {
  std::array<std::optional<std::array<uint64_t, 7>>, kXfsLines.size()> lines{};
  parse::ParseErrors errors;  // "line N: ..."
};

XfsStats parse_xfs_stats(std::string_view text);

}  // namespace vitals::sysfs
