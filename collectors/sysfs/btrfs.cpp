#include "collectors/sysfs/btrfs.h"

namespace vitals::sysfs {

double btrfs_allocation_ratio(std::string_view layout, size_t devices) {
  double n = static_cast<double>(devices);
  if (layout == "single" || layout == "raid0") return 1;
  if (layout == "dup" || layout == "raid1" || layout == "raid10") return 2;
  if (layout == "raid5") return n / (n - 1);
  if (layout == "raid6") return n / (n - 2);
  return 0;
}

}  // namespace vitals::sysfs
