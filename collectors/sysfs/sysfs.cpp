#include "collectors/sysfs/sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace vitals::sysfs {

bool list_dir(const std::string& path, std::vector<DirEntry>* out, int* err, bool follow_links) {
  out->clear();
  DIR* d = ::opendir(path.c_str());
  if (!d) {
    if (err) *err = errno;
    return false;
  }
  const int dfd = ::dirfd(d);
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    DirEntry de;
    de.name.assign(n);
    unsigned char t = e->d_type;
    if (t == DT_LNK || t == DT_UNKNOWN) {
      de.is_symlink = t == DT_LNK;
      // Relative to the open directory: one path component to look up, not the whole path.
      struct stat st;
      if (t == DT_UNKNOWN) {
        struct stat lst;
        if (::fstatat(dfd, e->d_name, &lst, AT_SYMLINK_NOFOLLOW) == 0) {
          de.is_symlink = S_ISLNK(lst.st_mode);
        }
      }
      if ((follow_links || !de.is_symlink) && ::fstatat(dfd, e->d_name, &st, 0) == 0) {
        de.is_dir = S_ISDIR(st.st_mode);
        de.is_regular = S_ISREG(st.st_mode);
      }
    } else {
      de.is_dir = t == DT_DIR;
      de.is_regular = t == DT_REG;
    }
    out->push_back(std::move(de));
  }
  ::closedir(d);
  std::sort(out->begin(), out->end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return true;
}

bool read_attr_at(int dir_fd, const char* name, std::string* buf, std::string_view* out, int* err) {
  int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  if (buf->size() < 4096) buf->resize(4096);
  ssize_t n;
  do {
    n = ::read(fd, buf->data(), buf->size());
  } while (n < 0 && errno == EINTR);
  int e = errno;
  ::close(fd);
  if (n < 0) {
    *err = e;
    return false;
  }
  *out = std::string_view(buf->data(), static_cast<size_t>(n));
  return true;
}

std::optional<int64_t> parse_int_base0(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s.front() == '+' || s.front() == '-') {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (p == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int dv;
    if (c >= '0' && c <= '9')
      dv = c - '0';
    else if (c >= 'a' && c <= 'z')
      dv = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z')
      dv = c - 'A' + 10;
    else
      return std::nullopt;
    if (dv >= base) return std::nullopt;
    if (v > (UINT64_MAX - static_cast<uint64_t>(dv)) / static_cast<uint64_t>(base))
      return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(dv);
  }
  if (neg) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return std::nullopt;
    return static_cast<int64_t>(0 - v);
  }
  if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(v);
}

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when it is invalid.
size_t valid_seq(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_bad_run = false;
  while (!s.empty()) {
    size_t n = valid_seq(s);
    if (n == 0) {
      if (!in_bad_run) out.append("\xEF\xBF\xBD");
      in_bad_run = true;
      s.remove_prefix(1);
      continue;
    }
    in_bad_run = false;
    out.append(s.substr(0, n));
    s.remove_prefix(n);
  }
  return out;
}

std::string_view trim_space(std::string_view s) {
  auto sp = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && sp(s.front())) s.remove_prefix(1);
  while (!s.empty() && sp(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::string_view> numeric_suffix(std::string_view name, std::string_view prefix) {
  if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view rest = name.substr(prefix.size());
  for (char c : rest) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return rest;
}

}  // namespace vitals::sysfs
