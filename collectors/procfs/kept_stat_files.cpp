#include "collectors/procfs/kept_stat_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/fs.h"

namespace vitals::procfs {

KeptStatFiles::KeptStatFiles(bool keep, size_t max_kept) : keep_(keep), max_kept_(max_kept) {}

KeptStatFiles::~KeptStatFiles() {
  for (const auto& [id, e] : fds_) close_entry(e.fd);
}

void KeptStatFiles::close_entry(int fd) {
  ::close(fd);
  FileReader::release_kept_slot();
}

void KeptStatFiles::end() {
  for (auto it = fds_.begin(); it != fds_.end();) {
    if (it->second.pass != pass_) {
      close_entry(it->second.fd);
      it = fds_.erase(it);
    } else {
      ++it;
    }
  }
}

bool KeptStatFiles::read_fd(int fd, bool from_start, size_t* len_out) {
  return read_whole(fd, from_start, true, buf_, len_out);
}

bool KeptStatFiles::read(uint32_t id, const std::string& path, std::string_view* out, int* err) {
  size_t len = 0;
  auto it = fds_.find(id);
  if (it != fds_.end()) {
    if (read_fd(it->second.fd, true, &len)) {
      it->second.pass = pass_;
      *out = std::string_view(buf_.data(), len);
      return true;
    }
    int e = errno;
    close_entry(it->second.fd);
    fds_.erase(it);
    if (e != ESRCH && e != ENOENT) {
      *err = e;
      return false;
    }
    // The task exited (and its id may have a successor): look the path up again.
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  if (!read_fd(fd, false, &len)) {
    *err = errno;
    ::close(fd);
    return false;
  }
  if (keep_ && fds_.size() < max_kept_ && FileReader::acquire_kept_slot()) {
    fds_.emplace(id, Entry{fd, pass_});
  } else {
    ::close(fd);
  }
  *out = std::string_view(buf_.data(), len);
  return true;
}

}  // namespace vitals::procfs
