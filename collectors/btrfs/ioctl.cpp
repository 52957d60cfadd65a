#include "collectors/btrfs/ioctl.h"

#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vitals::btrfs {

namespace {

static_assert(BTRFS_FSID_SIZE == 16 && BTRFS_UUID_SIZE == 16);
static_assert(BTRFS_DEV_STAT_VALUES_MAX >= kErrorTypes);

class KernelFs final : public FsHandle {
 public:
  explicit KernelFs(int fd) : fd_(fd) {}
  ~KernelFs() override { ::close(fd_); }
  KernelFs(const KernelFs&) = delete;
  KernelFs& operator=(const KernelFs&) = delete;

  int fs_info(FsInfo* out) override {
    btrfs_ioctl_fs_info_args a{};
    if (::ioctl(fd_, BTRFS_IOC_FS_INFO, &a) != 0) return errno;
    out->fsid = hex_id(a.fsid);
    out->num_devices = a.num_devices;
    out->max_id = a.max_id;
    return 0;
  }

  int dev_info(uint64_t devid, Device* out) override {
    // 4 KiB: kept off the stack of the walk's thread.
    auto a = std::make_unique<btrfs_ioctl_dev_info_args>();
    a->devid = devid;  // with uuid all zero: look the device up by id
    if (::ioctl(fd_, BTRFS_IOC_DEV_INFO, a.get()) != 0) return errno;
    const char* p = reinterpret_cast<const char*>(a->path);
    out->path.assign(p, ::strnlen(p, sizeof a->path));
    out->uuid = format_uuid(a->uuid);
    out->bytes_used = a->bytes_used;
    out->total_bytes = a->total_bytes;
    return 0;
  }

  int dev_stats(uint64_t devid, Device* out) override {
    btrfs_ioctl_get_dev_stats a{};
    a.devid = devid;
    a.nr_items = BTRFS_DEV_STAT_VALUES_MAX;
    a.flags = 0;  // read, do not reset
    if (::ioctl(fd_, BTRFS_IOC_GET_DEV_STATS, &a) != 0) return errno;
    constexpr int kIndex[kErrorTypes] = {BTRFS_DEV_STAT_WRITE_ERRS, BTRFS_DEV_STAT_READ_ERRS,
                                         BTRFS_DEV_STAT_FLUSH_ERRS, BTRFS_DEV_STAT_CORRUPTION_ERRS,
                                         BTRFS_DEV_STAT_GENERATION_ERRS};
    for (size_t i = 0; i < kErrorTypes; ++i) {
      // An older kernel may answer fewer items than asked for: those count 0.
      auto idx = static_cast<uint64_t>(kIndex[i]);
      out->errors[i] = idx < a.nr_items ? a.values[idx] : 0;
    }
    return 0;
  }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<FsHandle> open_mount(const std::string& path, int* err) {
  // O_DIRECTORY: a bind-mounted file (a container's /etc/hosts from a btrfs /var/lib/docker)
  // is refused before it is opened, so a FIFO cannot block here. O_NOATIME as node_exporter 1.5.0
  // opens it: only the directory's owner (or CAP_FOWNER) may, so an agent running as another
  // user gets EPERM and the sysfs device sizes, as node_exporter does.
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
  if (fd < 0) {
    *err = errno == ENOTDIR ? 0 : errno;
    return nullptr;
  }
  // As node_exporter (through github.com/dennwc/btrfs): only the root directory of a subvolume
  // (inode BTRFS_FIRST_FREE_OBJECTID on a btrfs), not a bind-mounted subdirectory.
  struct stat st {};
  struct statfs sfs {};
  if (::fstat(fd, &st) != 0 || ::fstatfs(fd, &sfs) != 0) {
    *err = errno;
    ::close(fd);
    return nullptr;
  }
  if (st.st_ino != BTRFS_FIRST_FREE_OBJECTID ||
      static_cast<unsigned long>(sfs.f_type) != BTRFS_SUPER_MAGIC) {
    *err = 0;
    ::close(fd);
    return nullptr;
  }
  return std::make_unique<KernelFs>(fd);
}

}  // namespace vitals::btrfs
