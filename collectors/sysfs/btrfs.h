// btrfs facts from /sys/fs/btrfs/<uuid>/ that need more than reading a number.
#pragma once

#include <cstddef>
#include <string_view>

namespace vitals::sysfs {

// Bytes written per byte of data for a block group profile on `devices` devices, as
// node_exporter 1.5.0 (through prometheus/procfs) computes it: single, raid0 1; dup, raid1,
// raid10 2; raid5 n/(n-1); raid6 n/(n-2); anything else 0.
double btrfs_allocation_ratio(std::string_view layout, size_t devices);

}  // namespace vitals::sysfs
