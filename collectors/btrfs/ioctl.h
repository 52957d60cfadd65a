// The kernel side of collectors/btrfs/dev_stats.h: btrfs ioctls (linux/btrfs.h) on an opened
// mount point. Thin on purpose; the walk and the families are in dev_stats.h.
#pragma once

#include <memory>
#include <string>

#include "collectors/btrfs/dev_stats.h"

namespace vitals::btrfs {

// Opens `path` (a btrfs mount point) read-only with O_NOATIME (as node_exporter: EPERM unless
// the agent owns the directory or has CAP_FOWNER): a handle whose calls are the ioctls
// BTRFS_IOC_FS_INFO, BTRFS_IOC_DEV_INFO and BTRFS_IOC_GET_DEV_STATS (none needs a capability),
// or null with *err set. Matches the Opener signature.
std::unique_ptr<FsHandle> open_mount(const std::string& path, int* err);

}  // namespace vitals::btrfs
