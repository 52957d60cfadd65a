// btrfs per-device facts from ioctls on mounted filesystems (as node_exporter 1.5.0 reads them):
// the walk over the btrfs mounts and the families built from its results. Pure: the ioctls are
// behind FsHandle (collectors/btrfs/ioctl.h is the kernel's), so everything here runs in tests
// without a kernel.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/metric.h"

namespace vitals::btrfs {

// The error counters of BTRFS_IOC_GET_DEV_STATS, in the kernel's order (BTRFS_DEV_STAT_*),
// named as node_exporter's "type" label values.
inline constexpr size_t kErrorTypes = 5;
inline constexpr const char* kErrorTypeNames[kErrorTypes] = {"write", "read", "flush", "corruption",
                                                             "generation"};

struct Device {
  std::string path;  // BTRFS_IOC_DEV_INFO's path, e.g. "/dev/loop0"
  std::string uuid;  // the device's UUID, 8-4-4-4-12 lowercase hex
  uint64_t bytes_used = 0;
  uint64_t total_bytes = 0;
  std::array<uint64_t, kErrorTypes> errors{};
};

struct Filesystem {
  std::string fsid;  // 32 lowercase hex digits, no dashes (fsid_key of the sysfs directory name)
  std::vector<Device> devices;
};

struct FsInfo {
  std::string fsid;  // as Filesystem::fsid
  uint64_t num_devices = 0;
  uint64_t max_id = 0;
};

// 16 bytes as a UUID ("8-4-4-4-12", lowercase) and as 32 hex digits.
std::string format_uuid(const unsigned char* b);
std::string hex_id(const unsigned char* b);
// The key filesystems are matched by: the sysfs directory name (a UUID) without dashes,
// lowercase.
std::string fsid_key(std::string_view uuid);

// One opened btrfs mount point. Each call returns 0 or an errno.
class FsHandle {
 public:
  virtual ~FsHandle() = default;
  virtual int fs_info(FsInfo* out) = 0;                    // BTRFS_IOC_FS_INFO
  virtual int dev_info(uint64_t devid, Device* out) = 0;   // BTRFS_IOC_DEV_INFO (ENODEV: none)
  virtual int dev_stats(uint64_t devid, Device* out) = 0;  // BTRFS_IOC_GET_DEV_STATS
};
// Opens a mount point: a handle, or null with *err set; null with *err 0 when the path is not
// the root of a btrfs subvolume (a bind mount of a file or subdirectory, another filesystem
// there), which node_exporter skips without an error.
using Opener = std::function<std::unique_ptr<FsHandle>(const std::string& path, int* err)>;

// Reads one filesystem's devices: devids 0..max_id, skipping those the kernel has not
// (ENODEV), stopping once num_devices were found. 0 or the errno of the call that failed
// (*what names it: "BTRFS_IOC_DEV_INFO devid 3").
int read_devices(FsHandle& fs, const FsInfo& info, std::vector<Device>* out, std::string* what);

// node_exporter's walk over the btrfs mounts, one mount at a time: a mount whose device was
// already read, or whose filesystem was already read through another mount, is skipped; a mount
// that fails (cannot be opened, an ioctl fails) or is not a subvolume root is left for another
// mount of the same device.
class Walk {
 public:
  enum class Outcome { kRead, kSkipped, kFailed };
  struct Result {
    Outcome outcome = Outcome::kSkipped;
    int err = 0;       // kFailed: the errno
    std::string what;  // kFailed: "open", "BTRFS_IOC_FS_INFO", "BTRFS_IOC_DEV_INFO devid 3", ...
    const Filesystem* fs = nullptr;  // kRead: the filesystem read (owned by the walk)
  };
  // `device`: the mount's source (the first field of /proc/<pid>/mounts); `path`: the mount
  // point to open (under --path.rootfs).
  Result add(const std::string& device, const std::string& path, const Opener& open);

  // Whether `device` ended up read (a failure on one of its mounts is then no error).
  bool device_done(const std::string& device) const { return devices_done_.count(device) != 0; }
  const std::map<std::string, Filesystem>& filesystems() const { return by_fsid_; }

 private:
  std::set<std::string> devices_done_;
  std::map<std::string, Filesystem> by_fsid_;
};

// The device families of one filesystem from its ioctl results, as node_exporter 1.5.0 writes
// them: node_btrfs_device_size_bytes (total_bytes), node_btrfs_device_unused_bytes
// (total_bytes - bytes_used) and node_btrfs_device_errors_total{type}, each labelled
// {btrfs_dev_uuid, device (basename of the device path), uuid (the sysfs directory name)}.
void add_device_families(const Filesystem& fs, std::string_view uuid, Family& size, Family& unused,
                         Family& errors);

// The device's name in the "device" label: the last component of its path.
std::string_view device_name(std::string_view path);

}  // namespace vitals::btrfs
