// zfs: ZFS kstats from /proc/spl/kstat/zfs (node_exporter 1.5.0 names): node_zfs_<subsystem>_<name>
// for the module-wide tables, node_zfs_zpool_<name>{zpool} from each pool's io table,
// node_zfs_zpool_dataset_<name>{zpool,dataset} from its objset-* tables and
// node_zfs_zpool_state{zpool,state}. All untyped (the state gauge), HELP is the kstat's name.
#include <cerrno>
#include <cstring>
#include <map>

#include "collectors/procfs/zfs_kstat.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

struct Subsystem {
  std::string_view subsystem;  // node_zfs_<subsystem>_...
  std::string_view file;
};
constexpr Subsystem kSubsystems[] = {
    {"zfs_abd", "abdstats"},
    {"zfs_arc", "arcstats"},
    {"zfs_dbuf", "dbuf_stats"},
    {"zfs_dmu_tx", "dmu_tx"},
    {"zfs_dnode", "dnodestats"},
    {"zfs_fm", "fm"},
    {"zfs_vdev_cache", "vdev_cache_stats"},
    {"zfs_vdev_mirror", "vdev_mirror_stats"},
    {"zfs_xuio", "xuio_stats"},
    {"zfs_zfetch", "zfetchstats"},
    {"zfs_zil", "zil"},
};
constexpr std::string_view kStates[] = {"online",  "degraded", "faulted",
                                        "offline", "removed",  "unavail"};
constexpr Desc kState{"node_zfs_zpool_state", "kstat.zfs.misc.state", MetricType::kGauge};

// The metric name part of a kstat name: '-' becomes '_'.
void append_name(std::string& s, std::string_view kstat) {
  for (char c : kstat) s.push_back(c == '-' ? '_' : c);
}

class ZfsCollector final : public Collector {
 public:
  explicit ZfsCollector(const Paths& p) : dir_(p.proc("spl/kstat/zfs")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &entries_, &err)) {
      if (err == ENOENT) throw NoDataError(dir_ + " not found: ZFS module not loaded");
      throw CollectError("read " + dir_ + ": " + std::strerror(err));
    }
    parse::ParseErrors errors;
    for (const auto& s : kSubsystems) {
      path_.assign(dir_).append("/").append(s.file);
      std::string_view text;
      if (!reader_.try_read(path_, &text, &err)) {
        // Tables come and go with ZFS versions and features.
        if (err != ENOENT) errors.add_file(path_, std::strerror(err));
        continue;
      }
      procfs::parse_kstat(text, kstat_);
      if (!kstat_.header_seen) {
        errors.add_file(path_, "no \"name type data\" header");
        continue;
      }
      for (const auto& v : kstat_.values) {
        name_.assign("node_").append(s.subsystem).append("_");
        append_name(name_, v.name);
        help_.assign("kstat.zfs.misc.").append(s.file).append(".").append(v.name);
        out.add(name_, help_, MetricType::kUntyped).add(v.value);
      }
      if (!kstat_.errors.empty()) errors.append(path_, kstat_.errors);
    }
    pools(out, errors);
    throw_if_errors(dir_, errors);
  }

 private:
  Family& family(MetricSet& out, std::string_view prefix, std::string_view name,
                 std::string_view help_prefix) {
    name_.assign(prefix);
    append_name(name_, name);
    auto it = fams_.find(name_);
    if (it != fams_.end()) return *it->second;
    help_.assign(help_prefix).append(name);
    Family& f = out.add(name_, help_, MetricType::kUntyped);
    fams_.emplace(name_, &f);
    return f;
  }

  void pools(MetricSet& out, parse::ParseErrors& errors) {
    fams_.clear();
    Family* state = nullptr;
    int err = 0;
    for (const auto& pool : entries_) {
      if (!pool.is_dir) continue;
      std::string base = dir_ + "/" + pool.name;
      // io: node_zfs_zpool_<field>{zpool}
      path_.assign(base).append("/io");
      std::string_view text;
      if (reader_.try_read(path_, &text, &err)) {
        procfs::parse_zpool_io(text, kstat_);
        for (const auto& v : kstat_.values) {
          family(out, "node_zfs_zpool_", v.name, "kstat.zfs.misc.io.")
              .add({{"zpool", pool.name}}, v.value);
        }
        if (!kstat_.errors.empty()) errors.append(path_, kstat_.errors);
      } else if (err != ENOENT) {
        errors.add_file(path_, std::strerror(err));
      }
      // objset-*: node_zfs_zpool_dataset_<name>{zpool,dataset}
      if (sysfs::list_dir(base, &pool_entries_)) {
        for (const auto& f : pool_entries_) {
          if (f.name.rfind("objset-", 0) != 0) continue;
          path_.assign(base).append("/").append(f.name);
          if (!reader_.try_read(path_, &text, &err)) {
            if (err != ENOENT) errors.add_file(path_, std::strerror(err));
            continue;
          }
          procfs::parse_kstat(text, kstat_);
          dataset_.assign(kstat_.dataset);
          for (const auto& v : kstat_.values) {
            family(out, "node_zfs_zpool_dataset_", v.name, "kstat.zfs.misc.objset.")
                .add({{"zpool", pool.name}, {"dataset", dataset_}}, v.value);
          }
          if (!kstat_.errors.empty()) errors.append(path_, kstat_.errors);
        }
      }
      // state: node_zfs_zpool_state{zpool,state}
      path_.assign(base).append("/state");
      if (reader_.try_read(path_, &text, &err)) {
        std::string s = procfs::zpool_state(text);
        if (!state) state = &out.add(kState);
        for (std::string_view name : kStates) {
          state->add({{"zpool", pool.name}, {"state", name}}, s == name ? 1 : 0);
        }
      } else if (err != ENOENT) {
        errors.add_file(path_, std::strerror(err));
      }
    }
  }

  std::string dir_;
  std::string path_, name_, help_, dataset_;
  std::vector<sysfs::DirEntry> entries_, pool_entries_;
  std::map<std::string, Family*, std::less<>> fams_;
  FileReader reader_{16384};
  procfs::Kstat kstat_;
};

}  // namespace

VITALS_COLLECTOR(ZfsCollector, "zfs", true,
                 "Exposes ZFS kstats from /proc/spl/kstat/zfs (module tables and per pool).");

}  // namespace vitals
