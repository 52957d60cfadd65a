// xfs: node_xfs_*_total{device} from /sys/fs/xfs/<device>/stats/stats (node_exporter 1.5.0
// names), devices in name order.
#include <cerrno>
#include <cstring>

#include "collectors/sysfs/sysfs.h"
#include "collectors/sysfs/xfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr MetricType C = MetricType::kCounter;

struct Field {
  size_t line;  // index into sysfs::kXfsLines
  size_t index;
  Desc desc;
};

constexpr Field kFields[] = {
    {0,
     0,
     {"node_xfs_extent_allocation_extents_allocated_total",
      "Number of extents allocated for a filesystem.", C}},
    {0,
     1,
     {"node_xfs_extent_allocation_blocks_allocated_total",
      "Number of blocks allocated for a filesystem.", C}},
    {0,
     2,
     {"node_xfs_extent_allocation_extents_freed_total", "Number of extents freed for a filesystem.",
      C}},
    {0,
     3,
     {"node_xfs_extent_allocation_blocks_freed_total", "Number of blocks freed for a filesystem.",
      C}},
    {1,
     0,
     {"node_xfs_allocation_btree_lookups_total",
      "Number of allocation B-tree lookups for a filesystem.", C}},
    {1,
     1,
     {"node_xfs_allocation_btree_compares_total",
      "Number of allocation B-tree compares for a filesystem.", C}},
    {1,
     2,
     {"node_xfs_allocation_btree_records_inserted_total",
      "Number of allocation B-tree records inserted for a filesystem.", C}},
    {1,
     3,
     {"node_xfs_allocation_btree_records_deleted_total",
      "Number of allocation B-tree records deleted for a filesystem.", C}},
    {2,
     0,
     {"node_xfs_block_mapping_reads_total",
      "Number of block map for read operations for a filesystem.", C}},
    {2,
     1,
     {"node_xfs_block_mapping_writes_total",
      "Number of block map for write operations for a filesystem.", C}},
    {2,
     2,
     {"node_xfs_block_mapping_unmaps_total", "Number of block unmaps (deletes) for a filesystem.",
      C}},
    {2,
     3,
     {"node_xfs_block_mapping_extent_list_insertions_total",
      "Number of extent list insertions for a filesystem.", C}},
    {2,
     4,
     {"node_xfs_block_mapping_extent_list_deletions_total",
      "Number of extent list deletions for a filesystem.", C}},
    {2,
     5,
     {"node_xfs_block_mapping_extent_list_lookups_total",
      "Number of extent list lookups for a filesystem.", C}},
    {2,
     6,
     {"node_xfs_block_mapping_extent_list_compares_total",
      "Number of extent list compares for a filesystem.", C}},
    {3,
     0,
     {"node_xfs_block_map_btree_lookups_total",
      "Number of block map B-tree lookups for a filesystem.", C}},
    {3,
     1,
     {"node_xfs_block_map_btree_compares_total",
      "Number of block map B-tree compares for a filesystem.", C}},
    {3,
     2,
     {"node_xfs_block_map_btree_records_inserted_total",
      "Number of block map B-tree records inserted for a filesystem.", C}},
    {3,
     3,
     {"node_xfs_block_map_btree_records_deleted_total",
      "Number of block map B-tree records deleted for a filesystem.", C}},
    {4,
     0,
     {"node_xfs_directory_operation_lookup_total",
      "Number of file name directory lookups which miss the operating systems directory "
      "name lookup cache.",
      C}},
    {4,
     1,
     {"node_xfs_directory_operation_create_total",
      "Number of times a new directory entry was created for a filesystem.", C}},
    {4,
     2,
     {"node_xfs_directory_operation_remove_total",
      "Number of times an existing directory entry was created for a filesystem.", C}},
    {4,
     3,
     {"node_xfs_directory_operation_getdents_total",
      "Number of times the directory getdents operation was performed for a filesystem.", C}},
    {5,
     0,
     {"node_xfs_inode_operation_attempts_total",
      "Number of times the OS looked for an XFS inode in the inode cache.", C}},
    {5,
     1,
     {"node_xfs_inode_operation_found_total",
      "Number of times the OS looked for and found an XFS inode in the inode cache.", C}},
    {5,
     2,
     {"node_xfs_inode_operation_recycled_total",
      "Number of times the OS found an XFS inode in the cache, but could not use it as it "
      "was being recycled.",
      C}},
    {5,
     3,
     {"node_xfs_inode_operation_missed_total",
      "Number of times the OS looked for an XFS inode in the cache, but did not find it.", C}},
    {5,
     4,
     {"node_xfs_inode_operation_duplicates_total",
      "Number of times the OS tried to add a missing XFS inode to the inode cache, but "
      "found it had already been added by another process.",
      C}},
    {5,
     5,
     {"node_xfs_inode_operation_reclaims_total",
      "Number of times the OS reclaimed an XFS inode from the inode cache to free memory "
      "for another purpose.",
      C}},
    {5,
     6,
     {"node_xfs_inode_operation_attribute_changes_total",
      "Number of times the OS explicitly changed the attributes of an XFS inode.", C}},
    {6,
     0,
     {"node_xfs_write_calls_total",
      "Number of write(2) system calls made to files in a filesystem.", C}},
    {6,
     1,
     {"node_xfs_read_calls_total", "Number of read(2) system calls made to files in a filesystem.",
      C}},
    {7,
     0,
     {"node_xfs_vnode_active_total", "Number of vnodes not on free lists for a filesystem.", C}},
    {7,
     1,
     {"node_xfs_vnode_allocate_total", "Number of times vn_alloc called for a filesystem.", C}},
    {7, 2, {"node_xfs_vnode_get_total", "Number of times vn_get called for a filesystem.", C}},
    {7, 3, {"node_xfs_vnode_hold_total", "Number of times vn_hold called for a filesystem.", C}},
    {7, 4, {"node_xfs_vnode_release_total", "Number of times vn_rele called for a filesystem.", C}},
    {7,
     5,
     {"node_xfs_vnode_reclaim_total", "Number of times vn_reclaim called for a filesystem.", C}},
    {7,
     6,
     {"node_xfs_vnode_remove_total", "Number of times vn_remove called for a filesystem.", C}},
};
constexpr size_t kFieldCount = sizeof(kFields) / sizeof(kFields[0]);

class XfsCollector final : public Collector {
 public:
  explicit XfsCollector(const Paths& p) : dir_(p.sys("fs/xfs")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &entries_, &err)) {
      if (err == ENOENT) return;  // no XFS module loaded
      throw CollectError("read " + dir_ + ": " + std::strerror(err));
    }
    parse::ParseErrors errors;
    std::array<Family*, kFieldCount> fams{};
    for (const auto& e : entries_) {
      if (!e.is_dir) continue;
      path_.assign(dir_).append("/").append(e.name).append("/stats/stats");
      std::string_view text;
      if (!reader_.try_read(path_, &text, &err)) {
        // ENOTDIR: the global sys/fs/xfs/stats/stats file (stats/stats/stats is not a path).
        if (err != ENOENT && err != ENOTDIR) errors.add_file(path_, std::strerror(err));
        continue;
      }
      auto s = sysfs::parse_xfs_stats(text);
      for (size_t i = 0; i < kFieldCount; ++i) {
        const auto& line = s.lines[kFields[i].line];
        if (!line) continue;
        if (!fams[i]) fams[i] = &out.add(kFields[i].desc);
        fams[i]->add({{"device", e.name}}, static_cast<double>((*line)[kFields[i].index]));
      }
      if (!s.errors.empty()) errors.append(path_, s.errors);
    }
    throw_if_errors(dir_, errors);
  }

 private:
  std::string dir_;
  std::string path_;
  std::vector<sysfs::DirEntry> entries_;
  FileReader reader_{4096};
};

}  // namespace

VITALS_COLLECTOR(XfsCollector, "xfs", true,
                 "Exposes XFS runtime statistics from /sys/fs/xfs/<device>/stats/stats.");

}  // namespace vitals
