// btrfs: node_btrfs_* from /sys/fs/btrfs/<uuid>/ (label, allocation/global_rsv_size,
// devices/<dev>/size, allocation/{data,metadata,system}/bytes_reserved and each profile's
// <profile>/{total_bytes,used_bytes}), and, as node_exporter 1.5.0, per-device sizes and error
// counters from ioctls on the mounted filesystems (collectors/btrfs/dev_stats.h): for each btrfs
// mount in /proc/1/mounts (else /proc/mounts) under --path.procfs, the mount point under
// --path.rootfs is opened (as node_exporter: with O_NOATIME, so only as its owner or with
// CAP_FOWNER, and only a subvolume root) and asked BTRFS_IOC_FS_INFO, BTRFS_IOC_DEV_INFO and
// BTRFS_IOC_GET_DEV_STATS. A filesystem read that way gets node_btrfs_device_size_bytes
// {btrfs_dev_uuid,device,uuid} (DEV_INFO's total_bytes), node_btrfs_device_unused_bytes and
// node_btrfs_device_errors_total instead of the sysfs node_btrfs_device_size_bytes{device,uuid}.
//
// Opening a mount point walks the path (through other mounts, maybe a hung NFS one) and the
// GET_DEV_STATS ioctl takes the filesystem's device list mutex, so either may block. The walk runs
// on one helper thread (started with the first scrape that finds a btrfs mount) and the
// collector waits for it at most kIoctlTimeout or until shortly before its deadline; filesystems
// the walk has not reached by then get the sysfs device sizes, with one warning. While a walk is
// still blocked, later scrapes start none (sysfs only, logged at debug): a stuck mount holds one
// thread, never more.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>

#include "collectors/btrfs/dev_stats.h"
#include "collectors/btrfs/ioctl.h"
#include "collectors/btrfs/walker.h"
#include "collectors/procfs/mounts.h"
#include "collectors/sysfs/btrfs.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"
#include "core/log.h"

namespace vitals {
namespace {

constexpr Desc kInfo{"node_btrfs_info", "Filesystem information", MetricType::kGauge};
constexpr Desc kGlobalRsv{"node_btrfs_global_rsv_size_bytes", "Size of global reserve.",
                          MetricType::kGauge};
constexpr Desc kDeviceSize{"node_btrfs_device_size_bytes",
                           "Size of a device that is part of the filesystem.", MetricType::kGauge};
constexpr Desc kDeviceUnused{"node_btrfs_device_unused_bytes",
                             "Unused bytes unused on a device that is part of the filesystem.",
                             MetricType::kGauge};
constexpr Desc kDeviceErrors{"node_btrfs_device_errors_total", "Errors reported for the device",
                             MetricType::kCounter};
constexpr Desc kReserved{"node_btrfs_reserved_bytes", "Amount of space reserved for a data type",
                         MetricType::kGauge};
constexpr Desc kUsed{"node_btrfs_used_bytes", "Amount of used space by a layout/data type",
                     MetricType::kGauge};
constexpr Desc kSize{"node_btrfs_size_bytes", "Amount of space allocated for a layout/data type",
                     MetricType::kGauge};
constexpr Desc kRatio{"node_btrfs_allocation_ratio", "Data allocation ratio for a layout/data type",
                      MetricType::kGauge};

constexpr const char* kTypes[] = {"data", "metadata", "system"};

// How long a scrape waits for the ioctl walk (node_exporter has no bound; the filesystem
// collector's --collector.filesystem.mount-timeout defaults to the same 5 s).
constexpr std::chrono::seconds kIoctlTimeout{5};

class BtrfsCollector final : public Collector {
 public:
  explicit BtrfsCollector(const Paths& p)
      : dir_(p.sys("fs/btrfs")),
        mounts_path_(p.proc("1/mounts")),
        fallback_mounts_path_(p.proc("mounts")),
        paths_(p),
        walker_(btrfs::open_mount) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    // The files of a filesystem that was unmounted are closed at the end of the next collection.
    struct Sweep {
      FileReader& r;
      ~Sweep() { r.close_unread(); }
    } sweep{reader_};
    int err = 0;
    if (!sysfs::list_dir(dir_, &filesystems_, &err)) {
      if (err == ENOENT) return;  // btrfs not loaded
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    errors_.clear();
    // node_exporter globs "*-*": the filesystem UUIDs, not "features".
    std::erase_if(filesystems_, [](const sysfs::DirEntry& fs) {
      return !fs.is_dir || fs.name.find('-') == std::string::npos;
    });
    std::map<std::string, btrfs::Filesystem> by_fsid;
    if (!filesystems_.empty()) by_fsid = read_ioctl_stats(ctx);

    Family& info = out.add(kInfo);
    Family& rsv = out.add(kGlobalRsv);
    Family& dev_size = out.add(kDeviceSize);
    Family& dev_unused = out.add(kDeviceUnused);
    Family& dev_errors = out.add(kDeviceErrors);
    Family& reserved = out.add(kReserved);
    Family& used = out.add(kUsed);
    Family& size = out.add(kSize);
    Family& ratio = out.add(kRatio);
    for (const auto& fs : filesystems_) {
      const std::string& uuid = fs.name;
      std::string base = dir_ + "/" + uuid;
      path_.assign(base).append("/label");
      int e = 0;
      auto label = read_value(reader_, path_, &e);
      if (!label) {
        errors_.add_file(path_, std::strerror(e));
        continue;
      }
      info.add({{"label", *label}, {"uuid", uuid}}, 1);
      if (auto v = number(base + "/allocation/global_rsv_size")) rsv.add({{"uuid", uuid}}, *v);

      std::string devices_dir = base + "/devices";
      if (!sysfs::list_dir(devices_dir, &entries_, &e)) {
        errors_.add_file(devices_dir, std::strerror(e));
        continue;
      }
      size_t devices = entries_.size();
      if (auto it = by_fsid.find(btrfs::fsid_key(uuid)); it != by_fsid.end()) {
        btrfs::add_device_families(it->second, uuid, dev_size, dev_unused, dev_errors);
      } else {
        for (const auto& d : entries_) {
          // The size file counts 512-byte sectors.
          if (auto v = number(devices_dir + "/" + d.name + "/size")) {
            dev_size.add({{"device", d.name}, {"uuid", uuid}}, *v * 512);
          }
        }
      }
      for (const char* type : kTypes) {
        std::string type_dir = base + "/allocation/" + type;
        if (auto v = number(type_dir + "/bytes_reserved")) {
          reserved.add({{"block_group_type", type}, {"uuid", uuid}}, *v);
        }
        if (!sysfs::list_dir(type_dir, &entries_, &e)) {
          errors_.add_file(type_dir, std::strerror(e));
          continue;
        }
        for (const auto& l : entries_) {
          if (!l.is_dir) continue;  // each profile in use (raid1, single, ...) is a directory
          Label labels[] = {{"block_group_type", type}, {"mode", l.name}, {"uuid", uuid}};
          std::string layout_dir = type_dir + "/" + l.name;
          if (auto v = number(layout_dir + "/used_bytes")) used.add(labels, *v);
          if (auto v = number(layout_dir + "/total_bytes")) size.add(labels, *v);
          ratio.add(labels, sysfs::btrfs_allocation_ratio(l.name, devices));
        }
      }
    }
    throw_if_errors(dir_, errors_);
  }

 private:
  // The ioctl results of the mounted btrfs filesystems, by fsid (fsid_key form). What cannot be
  // read is left out (its sysfs device sizes stand in): a denied open or ioctl counts as
  // permission denied, a mount point gone since the mount table was read is skipped, any other
  // failure is an item error.
  std::map<std::string, btrfs::Filesystem> read_ioctl_stats(const CollectContext& ctx) {
    std::string_view text;
    int err = 0;
    const std::string* path = &mounts_path_;
    if (!mounts_reader_.try_read(*path, &text, &err) && err == ENOENT) {
      path = &fallback_mounts_path_;
      err = 0;
      mounts_reader_.try_read(*path, &text, &err);
    }
    if (err != 0) {
      if (denied(err)) {
        ctx.permission_denied(*path);
      } else {
        errors_.add_file(*path, std::strerror(err));
      }
      return {};
    }
    auto parsed = procfs::parse_mounts(text);
    errors_.append(*path, parsed.errors);
    std::vector<btrfs::Mount> mounts;
    for (auto& m : parsed.mounts) {
      if (m.fs_type != "btrfs") continue;
      std::string mp = procfs::strip_rootfs(m.mount_point, paths_.rootfs);
      std::string root = paths_.root(mp);
      mounts.push_back({std::move(m.device), std::move(mp), std::move(root)});
    }
    if (mounts.empty()) return {};

    auto now = std::chrono::steady_clock::now();
    auto until =
        now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(kIoctlTimeout);
    // Leave a little of the collector's time for the sysfs files.
    auto margin = std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(100),
                                                                (ctx.deadline - now) / 10);
    if (ctx.deadline - margin < until) until = ctx.deadline - margin;
    auto r = walker_.run(std::move(mounts), until);
    if (!r.started) {
      log::debug("btrfs ioctls still blocked from an earlier scrape, reading sysfs only",
                 {{"mountpoint", r.blocked_at}});
    } else if (!r.finished) {
      log::warn(
          "btrfs mount point did not answer in time; its filesystems get sysfs device sizes "
          "until it does",
          {{"mountpoint", r.blocked_at}});
    }
    for (const auto& f : r.failures) {
      if (denied(f.err)) {
        ctx.permission_denied(f.mount_point);
      } else if (!vanished(f.err)) {
        errors_.add_file(f.mount_point, f.what + ": " + std::strerror(f.err));
      }
      log::debug("btrfs ioctls failed, reading sysfs device sizes",
                 {{"mountpoint", f.mount_point}, {"call", f.what}, {"err", std::strerror(f.err)}});
    }
    return std::move(r.filesystems);
  }

  // An unsigned integer file; nullopt (and an item error) when it cannot be read or parsed.
  std::optional<double> number(const std::string& path) {
    int err = 0;
    auto text = read_value(reader_, path, &err);
    if (!text) {
      errors_.add_file(path, std::strerror(err));
      return std::nullopt;
    }
    auto v = parse::to_u64(*text);
    if (!v) {
      errors_.add_file(path, "invalid number \"" + std::string(*text) + "\"");
      return std::nullopt;
    }
    return static_cast<double>(*v);
  }

  std::string dir_, mounts_path_, fallback_mounts_path_;
  Paths paths_;
  std::string path_;
  std::vector<sysfs::DirEntry> filesystems_, entries_;
  FileReader reader_{4096}, mounts_reader_{8192};
  parse::ParseErrors errors_;
  btrfs::IoctlWalker walker_;
};

}  // namespace

VITALS_COLLECTOR(BtrfsCollector, "btrfs", true, "Exposes btrfs statistics from /sys/fs/btrfs/.");

}  // namespace vitals
