// bcache: node_bcache_* from /sys/fs/bcache/<uuid>/ (cache set), its bdev<N>/ (backing devices:
// dirty_data, writeback_rate_debug, stats_total/) and cache<N>/ (cache devices: io_errors,
// metadata_written, written, and priority_stats with the priorityStats option), node_exporter
// 1.5.0 names. Only the files the metrics come from are read (node_exporter's library also
// reads the five-minute, hour and day statistics it then drops).
#include <cstring>

#include "collectors/sysfs/bcache.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr auto kG = MetricType::kGauge;
constexpr auto kC = MetricType::kCounter;

struct ValueFile {
  const char* file;
  Desc desc;
  double scale = 1;
};

// Under <uuid>/, label uuid.
constexpr ValueFile kSetFiles[] = {
    {"average_key_size",
     {"node_bcache_average_key_size_sectors", "Average data per key in the btree (sectors).", kG}},
    {"btree_cache_size",
     {"node_bcache_btree_cache_size_bytes", "Amount of memory currently used by the btree cache.",
      kG}},
    {"cache_available_percent",
     {"node_bcache_cache_available_percent",
      "Percentage of cache device without dirty data, usable for writeback (may contain clean "
      "cached data).",
      kG}},
    {"congested", {"node_bcache_congested", "Congestion.", kG}},
    {"root_usage_percent",
     {"node_bcache_root_usage_percent",
      "Percentage of the root btree node in use (tree depth increases if too high).", kG}},
    {"tree_depth", {"node_bcache_tree_depth", "Depth of the btree.", kG}},
    {"internal/active_journal_entries",
     {"node_bcache_active_journal_entries",
      "Number of journal entries that are newer than the index.", kG}},
    {"internal/btree_nodes", {"node_bcache_btree_nodes", "Total nodes in the btree.", kG}},
    // node_exporter's library takes this microsecond file for nanoseconds (hence 1e-9).
    {"internal/btree_read_average_duration_us",
     {"node_bcache_btree_read_average_duration_seconds", "Average btree read duration.", kG},
     1e-9},
    {"internal/cache_read_races",
     {"node_bcache_cache_read_races_total",
      "Counts instances where while data was being read from the cache, the bucket was reused "
      "and invalidated - i.e. where the pointer was stale after the read completed.",
      kC}},
};

// Under <uuid>/bdev<N>/, labels backing_device and uuid.
constexpr ValueFile kBdevFiles[] = {
    {"dirty_data",
     {"node_bcache_dirty_data_bytes", "Amount of dirty data for this backing device in the cache.",
      kG}},
    {"stats_total/bypassed",
     {"node_bcache_bypassed_bytes_total",
      "Amount of IO (both reads and writes) that has bypassed the cache.", kC}},
    {"stats_total/cache_hits",
     {"node_bcache_cache_hits_total", "Hits counted per individual IO as bcache sees them.", kC}},
    {"stats_total/cache_misses",
     {"node_bcache_cache_misses_total", "Misses counted per individual IO as bcache sees them.",
      kC}},
    {"stats_total/cache_bypass_hits",
     {"node_bcache_cache_bypass_hits_total", "Hits for IO intended to skip the cache.", kC}},
    {"stats_total/cache_bypass_misses",
     {"node_bcache_cache_bypass_misses_total", "Misses for IO intended to skip the cache.", kC}},
    {"stats_total/cache_miss_collisions",
     {"node_bcache_cache_miss_collisions_total",
      "Instances where data insertion from cache miss raced with write (data already present).",
      kC}},
    {"stats_total/cache_readaheads",
     {"node_bcache_cache_readaheads_total", "Count of times readahead occurred.", kC}},
};

constexpr Desc kDirtyTarget{"node_bcache_dirty_target_bytes",
                            "Current dirty data target threshold for this backing device in bytes.",
                            kG};
constexpr Desc kWritebackRate{"node_bcache_writeback_rate",
                              "Current writeback rate for this backing device in bytes.", kG};
constexpr Desc kProportional{"node_bcache_writeback_rate_proportional_term",
                             "Current result of proportional controller, part of writeback rate",
                             kG};
constexpr Desc kIntegral{"node_bcache_writeback_rate_integral_term",
                         "Current result of integral controller, part of writeback rate", kG};
constexpr Desc kChange{"node_bcache_writeback_change",
                       "Last writeback rate change step for this backing device.", kG};

// Under <uuid>/cache<N>/, labels cache_device and uuid.
constexpr ValueFile kCacheFiles[] = {
    {"io_errors",
     {"node_bcache_io_errors", "Number of errors that have occurred, decayed by io_error_halflife.",
      kG}},
    {"metadata_written",
     {"node_bcache_metadata_written_bytes_total",
      "Sum of all non data writes (btree writes and all other metadata).", kC}},
    {"written",
     {"node_bcache_written_bytes_total", "Sum of all data that has been written to the cache.",
      kC}},
};

constexpr Desc kUnused{"node_bcache_priority_stats_unused_percent",
                       "The percentage of the cache that doesn't contain any data.", kG};
constexpr Desc kMetadata{"node_bcache_priority_stats_metadata_percent",
                         "Bcache's metadata overhead.", kG};

// "bdev" + digits... as node_exporter's glob bdev[0-9]* (a digit after the prefix).
bool has_numbered_prefix(std::string_view name, std::string_view prefix) {
  return name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix &&
         name[prefix.size()] >= '0' && name[prefix.size()] <= '9';
}

class BcacheCollector final : public Collector {
 public:
  BcacheCollector(const CollectorOptions& o, const Paths& p)
      : dir_(p.sys("fs/bcache")), priority_stats_(o.boolean("priorityStats")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &sets_, &err)) {
      if (err == ENOENT) return;  // bcache not loaded
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    errors_.clear();
    for (size_t i = 0; i < std::size(kSetFiles); ++i) set_fams_[i] = &out.add(kSetFiles[i].desc);
    for (size_t i = 0; i < std::size(kBdevFiles); ++i) {
      bdev_fams_[i] = &out.add(kBdevFiles[i].desc);
    }
    for (size_t i = 0; i < std::size(kCacheFiles); ++i) {
      cache_fams_[i] = &out.add(kCacheFiles[i].desc);
    }
    Family& target = out.add(kDirtyTarget);
    Family& rate = out.add(kWritebackRate);
    Family& proportional = out.add(kProportional);
    Family& integral = out.add(kIntegral);
    Family& change = out.add(kChange);
    Family* unused = priority_stats_ ? &out.add(kUnused) : nullptr;
    Family* metadata = priority_stats_ ? &out.add(kMetadata) : nullptr;

    for (const auto& set : sets_) {
      // node_exporter globs "*-*" (cache set UUIDs) under fs/bcache.
      if (!set.is_dir || set.name.find('-') == std::string::npos) continue;
      std::string set_dir = dir_ + "/" + set.name;
      const std::string& uuid = set.name;
      for (size_t i = 0; i < std::size(kSetFiles); ++i) {
        if (auto v = value(set_dir, kSetFiles[i].file)) {
          set_fams_[i]->add({{"uuid", uuid}}, static_cast<double>(*v) * kSetFiles[i].scale);
        }
      }
      if (!sysfs::list_dir(set_dir, &members_, &err)) {
        errors_.add_file(set_dir, std::strerror(err));
        continue;
      }
      for (const auto& m : members_) {
        std::string member_dir = set_dir + "/" + m.name;
        if (has_numbered_prefix(m.name, "bdev")) {
          Label labels[] = {{"backing_device", m.name}, {"uuid", uuid}};
          for (size_t i = 0; i < std::size(kBdevFiles); ++i) {
            if (auto v = value(member_dir, kBdevFiles[i].file)) {
              bdev_fams_[i]->add(labels, static_cast<double>(*v));
            }
          }
          std::string path = member_dir + "/writeback_rate_debug";
          std::string_view text;
          if (!reader_.try_read(path, &text, &err)) {
            errors_.add_file(path, std::strerror(err));
            continue;
          }
          auto w = sysfs::parse_writeback_rate_debug(text);
          errors_.append(path, w.errors);
          // node_exporter reports 0 for a line that is missing.
          target.add(labels, static_cast<double>(w.target.value_or(0)));
          rate.add(labels, static_cast<double>(w.rate.value_or(0)));
          proportional.add(labels, static_cast<double>(w.proportional.value_or(0)));
          integral.add(labels, static_cast<double>(w.integral.value_or(0)));
          change.add(labels, static_cast<double>(w.change.value_or(0)));
        } else if (has_numbered_prefix(m.name, "cache")) {
          Label labels[] = {{"cache_device", m.name}, {"uuid", uuid}};
          for (size_t i = 0; i < std::size(kCacheFiles); ++i) {
            if (auto v = value(member_dir, kCacheFiles[i].file)) {
              cache_fams_[i]->add(labels, static_cast<double>(*v));
            }
          }
          if (!priority_stats_) continue;
          std::string path = member_dir + "/priority_stats";
          std::string_view text;
          if (!reader_.try_read(path, &text, &err)) {
            errors_.add_file(path, std::strerror(err));
            continue;
          }
          auto p = sysfs::parse_priority_stats(text);
          errors_.append(path, p.errors);
          unused->add(labels, static_cast<double>(p.unused_percent.value_or(0)));
          metadata->add(labels, static_cast<double>(p.metadata_percent.value_or(0)));
        }
      }
    }
    throw_if_errors(dir_, errors_);
  }

 private:
  // One bcache value file, dehumanized; nullopt (and an item error) when it cannot be read or
  // parsed.
  std::optional<uint64_t> value(const std::string& dir, const char* file) {
    path_.assign(dir).append("/").append(file);
    int err = 0;
    auto text = read_value(reader_, path_, &err);
    if (!text) {
      errors_.add_file(path_, std::strerror(err));
      return std::nullopt;
    }
    auto v = sysfs::bcache_dehumanize(*text);
    if (!v) errors_.add_file(path_, "invalid value \"" + std::string(*text) + "\"");
    return v;
  }

  std::string dir_;
  bool priority_stats_;
  std::string path_;
  std::vector<sysfs::DirEntry> sets_, members_;
  FileReader reader_{4096};
  parse::ParseErrors errors_;
  Family* set_fams_[std::size(kSetFiles)] = {};
  Family* bdev_fams_[std::size(kBdevFiles)] = {};
  Family* cache_fams_[std::size(kCacheFiles)] = {};
};

}  // namespace

VITALS_COLLECTOR(BcacheCollector, "bcache", true, "Exposes bcache statistics from /sys/fs/bcache/.",
                 {{"priorityStats", OptionKind::kBool, "false",
                   "Expose expensive priority stats."}});

}  // namespace vitals
