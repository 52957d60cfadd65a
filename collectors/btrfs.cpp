// btrfs: node_btrfs_* from /sys/fs/btrfs/<uuid>/ (label, allocation/global_rsv_size,
// devices/<dev>/size, allocation/{data,metadata,system}/bytes_reserved and each profile's
// <profile>/{total_bytes,used_bytes}), node_exporter 1.5.0 names. node_exporter's per-device
// error counters (ioctls on mounted filesystems) are not read.
#include <cstring>

#include "collectors/sysfs/btrfs.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kInfo{"node_btrfs_info", "Filesystem information", MetricType::kGauge};
constexpr Desc kGlobalRsv{"node_btrfs_global_rsv_size_bytes", "Size of global reserve.",
                          MetricType::kGauge};
constexpr Desc kDeviceSize{"node_btrfs_device_size_bytes",
                           "Size of a device that is part of the filesystem.", MetricType::kGauge};
constexpr Desc kReserved{"node_btrfs_reserved_bytes", "Amount of space reserved for a data type",
                         MetricType::kGauge};
constexpr Desc kUsed{"node_btrfs_used_bytes", "Amount of used space by a layout/data type",
                     MetricType::kGauge};
constexpr Desc kSize{"node_btrfs_size_bytes", "Amount of space allocated for a layout/data type",
                     MetricType::kGauge};
constexpr Desc kRatio{"node_btrfs_allocation_ratio", "Data allocation ratio for a layout/data type",
                      MetricType::kGauge};

constexpr const char* kTypes[] = {"data", "metadata", "system"};

class BtrfsCollector final : public Collector {
 public:
  explicit BtrfsCollector(const Paths& p) : dir_(p.sys("fs/btrfs")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &filesystems_, &err)) {
      if (err == ENOENT) return;  // btrfs not loaded
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    errors_.clear();
    Family& info = out.add(kInfo);
    Family& rsv = out.add(kGlobalRsv);
    Family& dev_size = out.add(kDeviceSize);
    Family& reserved = out.add(kReserved);
    Family& used = out.add(kUsed);
    Family& size = out.add(kSize);
    Family& ratio = out.add(kRatio);
    for (const auto& fs : filesystems_) {
      // node_exporter globs "*-*": the filesystem UUIDs, not "features".
      if (!fs.is_dir || fs.name.find('-') == std::string::npos) continue;
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
      for (const auto& d : entries_) {
        // The size file counts 512-byte sectors.
        if (auto v = number(devices_dir + "/" + d.name + "/size")) {
          dev_size.add({{"device", d.name}, {"uuid", uuid}}, *v * 512);
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

  std::string dir_;
  std::string path_;
  std::vector<sysfs::DirEntry> filesystems_, entries_;
  FileReader reader_{4096};
  parse::ParseErrors errors_;
};

}  // namespace

VITALS_COLLECTOR(BtrfsCollector, "btrfs", true, "Exposes btrfs statistics from /sys/fs/btrfs/.");

}  // namespace vitals
