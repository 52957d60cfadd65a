// /proc/<pid>/mounts (fstab(5) format): device, mount point, type, options per line; the mount
// point's \040 (space) and \011 (tab) escapes undone, as node_exporter does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

struct Mount {
  std::string device;
  std::string mount_point;
  std::string fs_type;
  std::string options;
};

struct Mounts {
  std::vector<Mount> mounts;
  parse::ParseErrors errors;  // "line N: ..."
};

Mounts parse_mounts(std::string_view text);

// Whether the comma-separated mount options contain "ro".
bool mount_read_only(std::string_view options);

// node_exporter's mount point relative to --path.rootfs: the rootfs prefix removed ("/" when
// nothing is left); unchanged when rootfs is "/".
std::string strip_rootfs(std::string_view mount_point, std::string_view rootfs);

}  // namespace vitals::procfs
