#include "collectors/net/process_map.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>

#include "core/parse.h"

namespace vitals::net {
namespace {

// "socket:[12345]" -> 12345.
bool socket_inode(std::string_view link, uint32_t* inode) {
  constexpr std::string_view kPrefix = "socket:[";
  if (link.size() < kPrefix.size() + 2 || link.substr(0, kPrefix.size()) != kPrefix ||
      link.back() != ']') {
    return false;
  }
  auto v = parse::to_u64(link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1));
  if (!v || *v > 0xFFFFFFFFu) return false;
  *inode = static_cast<uint32_t>(*v);
  return true;
}

std::string read_comm(int proc_fd, std::string_view pid) {
  std::string path = std::string(pid) + "/comm";
  int fd = ::openat(proc_fd, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n <= 0) return {};
  return std::string(parse::trim(std::string_view(buf, static_cast<size_t>(n))));
}

}  // namespace

void SocketProcessMap::resolve(std::span<const uint32_t> inodes) {
  // Forget sockets that are gone, so the cache stays as large as the listener set.
  if (!cache_.empty()) {
    std::vector<uint32_t> keep(inodes.begin(), inodes.end());
    std::sort(keep.begin(), keep.end());
    for (auto it = cache_.begin(); it != cache_.end();) {
      if (std::binary_search(keep.begin(), keep.end(), it->first)) {
        ++it;
      } else {
        it = cache_.erase(it);
      }
    }
    std::erase_if(retry_,
                  [&](uint32_t i) { return !std::binary_search(keep.begin(), keep.end(), i); });
  }
  missing_.clear();
  for (uint32_t i : inodes) {
    if (i != 0 && !cache_.contains(i)) missing_.push_back(i);
  }
  if (missing_.empty()) return;
  missing_.insert(missing_.end(), retry_.begin(), retry_.end());
  std::sort(missing_.begin(), missing_.end());
  missing_.erase(std::unique(missing_.begin(), missing_.end()), missing_.end());
  scan(missing_);
}

void SocketProcessMap::scan(std::vector<uint32_t>& missing) {
  ++scans_;
  denied_ = 0;
  denied_first_.clear();
  auto note_denied = [&](std::string_view pid) {
    if (denied_++ == 0) denied_first_ = procfs_ + "/" + std::string(pid) + "/fd";
  };
  size_t left = missing.size();
  std::vector<bool> found(missing.size(), false);
  int proc_fd = ::open(procfs_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* proc = proc_fd >= 0 ? ::fdopendir(proc_fd) : nullptr;
  if (proc) {
    char link[64];
    while (left > 0) {
      dirent* pe = ::readdir(proc);
      if (!pe) break;
      std::string_view pid = pe->d_name;
      if (!parse::to_u64(pid)) continue;
      std::string fd_dir = std::string(pid) + "/fd";
      int dfd = ::openat(proc_fd, fd_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0) {  // gone, or not ours to read
        if (errno == EACCES || errno == EPERM) note_denied(pid);
        continue;
      }
      DIR* fds = ::fdopendir(dfd);
      if (!fds) {
        ::close(dfd);
        continue;
      }
      std::string comm;
      bool have_comm = false;
      while (left > 0) {
        dirent* fe = ::readdir(fds);
        if (!fe) break;
        if (fe->d_name[0] == '.') continue;
        ssize_t n = ::readlinkat(dfd, fe->d_name, link, sizeof link);
        if (n < 0 && (errno == EACCES || errno == EPERM)) {
          note_denied(pid);  // listable (CAP_DAC_READ_SEARCH) but not readable (ptrace)
          break;
        }
        uint32_t inode;
        if (n <= 0 || !socket_inode(std::string_view(link, static_cast<size_t>(n)), &inode)) {
          continue;
        }
        auto it = std::lower_bound(missing.begin(), missing.end(), inode);
        if (it == missing.end() || *it != inode) continue;
        size_t idx = static_cast<size_t>(it - missing.begin());
        if (found[idx]) continue;
        if (!have_comm) {
          comm = read_comm(proc_fd, pid);
          have_comm = true;
        }
        found[idx] = true;
        --left;
        cache_[inode] = comm;
      }
      ::closedir(fds);
    }
    ::closedir(proc);
  } else if (proc_fd >= 0) {
    ::close(proc_fd);
  }
  retry_.clear();
  for (size_t i = 0; i < missing.size(); ++i) {
    if (!found[i]) {
      cache_[missing[i]] = std::string();
      retry_.push_back(missing[i]);
    }
  }
}

std::string_view SocketProcessMap::comm(uint32_t inode) const {
  auto it = cache_.find(inode);
  return it == cache_.end() ? std::string_view{} : std::string_view(it->second);
}

}  // namespace vitals::net
