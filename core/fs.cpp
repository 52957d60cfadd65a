#include "core/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

bool FileReader::try_read(const std::string& path, std::string_view* out, int* errno_out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *errno_out = errno;
    return false;
  }
  size_t len = 0;
  for (;;) {
    if (len == buf_.size()) {
      if (buf_.size() >= kMaxFileSize) {
        ::close(fd);
        *errno_out = EFBIG;
        return false;
      }
      buf_.resize(buf_.size() * 2);
    }
    ssize_t n = ::read(fd, buf_.data() + len, buf_.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      *errno_out = errno;
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
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
