#include "core/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

namespace vitals {

std::string Paths::join(std::string_view base, std::string_view rel) {
  std::string out;
  out.reserve(base.size() + rel.size() + 1);
  out.append(base);
  while (!out.empty() && out.back() == '/') out.pop_back();
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  out.push_back('/');
  out.append(rel);
  return out;
}

namespace {

bool has_magic(const std::string& path, decltype(statfs::f_type) magic) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == magic;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

using Links = std::vector<std::pair<std::string, int>>;  // (name, ifindex), sorted

// The links of the calling thread's network namespace, from glibc's netlink RTM_GETLINK dump.
bool netlink_links(Links* out) {
  out->clear();
  struct ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) return false;
  for (const struct ifaddrs* a = all; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_PACKET || !a->ifa_name) continue;
    const auto* ll = reinterpret_cast<const struct sockaddr_ll*>(a->ifa_addr);
    out->emplace_back(a->ifa_name, ll->sll_ifindex);
  }
  ::freeifaddrs(all);
  std::sort(out->begin(), out->end());
  return true;
}

// The links <class_net> lists: its subdirectories (bonding_masters is a plain file) with the
// ifindex each one's file says.
bool sysfs_links(const std::string& class_net, Links* out) {
  out->clear();
  DIR* d = ::opendir(class_net.c_str());
  if (!d) return false;
  bool ok = true;
  char buf[32];
  while (const struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    int fd =
        ::openat(::dirfd(d), (std::string(e->d_name) + "/ifindex").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOTDIR) continue;
      ok = false;
      break;
    }
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) {
      ok = false;
      break;
    }
    buf[n] = '\0';
    out->emplace_back(e->d_name, std::atoi(buf));
  }
  ::closedir(d);
  std::sort(out->begin(), out->end());
  return ok;
}

}  // namespace

bool Paths::live_procfs() const {
  if (!has_magic(procfs, PROC_SUPER_MAGIC)) return false;
  const std::string self = proc("self/ns/net");
  if (::access(self.c_str(), F_OK) != 0) return false;
  // Kernels before 3.17 have no thread-self; there every thread shares the process' namespace.
  if (::access(proc("thread-self").c_str(), F_OK) != 0) return true;
  return same_file(self, proc("thread-self/ns/net"));
}

bool Paths::live_sysfs() const {
  if (!has_magic(sysfs, SYSFS_MAGIC)) return false;
  Links mine, shown;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!netlink_links(&mine) || !sysfs_links(sys("class/net"), &shown)) continue;
    if (mine == shown) return true;
  }
  return false;
}

namespace {

std::atomic<int> g_kept{0};
std::atomic<int> g_limit{256};

// Takes one process-wide kept-open slot when the limit allows.
bool acquire_slot() {
  int n = g_kept.load(std::memory_order_relaxed);
  while (n < g_limit.load(std::memory_order_relaxed)) {
    if (g_kept.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) return true;
  }
  return false;
}

// Whether a file is regenerated on every read (procfs, sysfs: to be kept open), and what a short
// read of it means (`whole_below`, 0: it may not be all of it). A sysfs attribute is made whole by
// one show() into a page (4 KiB at least) and the first read returns all of it that fits; binary
// attributes come a page at a time, so only a read below 4 KiB that left room in the buffer is
// the whole file. procfs files are mostly seq_files of many records that fill a page per read,
// so a short read there can be followed by more: they are read until read() returns 0.
bool regenerated_on_read(int fd, size_t* whole_below) {
  struct statfs st {};
  if (::fstatfs(fd, &st) != 0) return false;
  *whole_below = st.f_type == SYSFS_MAGIC ? 4096 : 0;
  return st.f_type == PROC_SUPER_MAGIC || st.f_type == SYSFS_MAGIC;
}

}  // namespace

void FileReader::set_keep_open_limit(int limit) {
  g_limit.store(limit < 0 ? 0 : limit);
}
int FileReader::keep_open_limit() {
  return g_limit.load();
}
int FileReader::kept_open() {
  return g_kept.load();
}
bool FileReader::acquire_kept_slot() {
  return acquire_slot();
}
void FileReader::release_kept_slot() {
  g_kept.fetch_sub(1, std::memory_order_relaxed);
}

FileReader::FileReader(size_t initial_capacity, Mode mode)
    : buf_(initial_capacity < 64 ? 64 : initial_capacity), mode_(mode) {}

FileReader::~FileReader() {
  while (!kept_.empty()) drop(kept_.size() - 1);
}

void FileReader::drop(size_t index) {
  ::close(kept_[index].fd);
  kept_[index] = std::move(kept_.back());
  kept_.pop_back();
  g_kept.fetch_sub(1, std::memory_order_relaxed);
}

void FileReader::close_unread() {
  for (size_t i = kept_.size(); i-- > 0;) {
    if (kept_[i].last_use <= swept_) drop(i);
  }
  swept_ = tick_;
}

bool FileReader::read_all(int fd, bool from_start, size_t whole_below, size_t* len_out) {
  return read_whole(fd, from_start, false, buf_, len_out, whole_below);
}

bool read_whole(int fd, bool from_start, bool line_file, RawBuffer<char>& buf_, size_t* len_out,
                size_t whole_below) {
  size_t len = 0;
  for (;;) {
    if (len == buf_.size()) {
      if (buf_.size() >= FileReader::kMaxFileSize) {
        errno = EFBIG;
        return false;
      }
      buf_.resize(buf_.size() * 2, len);
    }
    // A kept file is re-read from offset 0 with pread; a fresh one with read, which also
    // works for what cannot seek (a FIFO among the textfiles).
    ssize_t n = from_start
                    ? ::pread(fd, buf_.data() + len, buf_.size() - len, static_cast<off_t>(len))
                    : ::read(fd, buf_.data() + len, buf_.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) break;
    const size_t room = buf_.size() - len;
    len += static_cast<size_t>(n);
    // A short read of a file known to come whole (FileReader::Kept::whole_below) is all of it:
    // no second read to see 0.
    if (static_cast<size_t>(n) < room && static_cast<size_t>(n) < whole_below) break;
    // A one-line file (a /proc stat file) comes whole from seq_file when it fits the buffer:
    // a short read that ends the line is all of it (saves the read that would return 0).
    if (line_file && len < buf_.size() && buf_.data()[len - 1] == '\n') break;
  }
  *len_out = len;
  return true;
}

void FileReader::maybe_keep(const std::string& path, int fd, bool* kept) {
  *kept = false;
  size_t whole_below = 0;
  if (mode_ != Mode::kKeepOpen || !regenerated_on_read(fd, &whole_below)) return;
  if (kept_.size() >= kMaxKeptPerReader) {
    // Make room only from entries not read for a long while (a device that went away), so a
    // reader cycling through more files than it may keep does not churn its kept set.
    size_t oldest = 0;
    for (size_t i = 1; i < kept_.size(); ++i) {
      if (kept_[i].last_use < kept_[oldest].last_use) oldest = i;
    }
    if (tick_ - kept_[oldest].last_use < 16 * kMaxKeptPerReader) return;
    drop(oldest);
  }
  if (!acquire_slot()) return;
  kept_.push_back({path, fd, tick_, whole_below});
  *kept = true;
}

bool FileReader::try_read(const std::string& path, std::string_view* out, int* errno_out) {
  ++tick_;
  size_t len = 0;
  for (size_t i = 0; i < kept_.size(); ++i) {
    if (kept_[i].path != path) continue;
    if (read_all(kept_[i].fd, true, kept_[i].whole_below, &len)) {
      kept_[i].last_use = tick_;
      *out = std::string_view(buf_.data(), len);
      return true;
    }
    int e = errno;
    drop(i);
    // The object behind the kept file is gone (a removed device, an exited task): look the
    // path up again, which finds its successor or fails as a fresh open would.
    if (e != ENODEV && e != ESRCH && e != ENOENT && e != ESTALE) {
      *errno_out = e;
      return false;
    }
    break;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *errno_out = errno;
    return false;
  }
  if (!read_all(fd, false, 0, &len)) {
    *errno_out = errno;
    ::close(fd);
    return false;
  }
  bool kept = false;
  maybe_keep(path, fd, &kept);
  if (!kept) ::close(fd);
  *out = std::string_view(buf_.data(), len);
  return true;
}

std::string_view FileReader::read(const std::string& path) {
  std::string_view out;
  int err = 0;
  if (!try_read(path, &out, &err)) {
    throw CollectError("read " + path + ": " + std::strerror(err));
  }
  return out;
}

}  // namespace vitals
