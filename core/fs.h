// File access through the configured roots. Nothing in the agent opens "/proc" or "/sys"
// directly: paths are built from Paths, so the whole agent runs on a fixture tree.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace vitals {

struct Paths {
  std::string procfs = "/proc";
  std::string sysfs = "/sys";
  std::string rootfs = "/";
  std::string udev_data = "/run/udev/data";

  std::string proc(std::string_view rel) const { return join(procfs, rel); }
  std::string sys(std::string_view rel) const { return join(sysfs, rel); }
  std::string root(std::string_view rel) const { return join(rootfs, rel); }
  std::string udev(std::string_view rel) const { return join(udev_data, rel); }
  static std::string join(std::string_view base, std::string_view rel);
};

// An error reading or parsing one input: says what and where.
class CollectError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads whole files into one reused buffer: open, read until EOF, close. The returned view is
// valid until the next read.
class FileReader {
 public:
  explicit FileReader(size_t initial_capacity = 8192) { buf_.resize(initial_capacity); }
  // Throws CollectError naming the path and the errno text.
  std::string_view read(const std::string& path);
  // Returns false and sets errno_out on failure.
  bool try_read(const std::string& path, std::string_view* out, int* errno_out);
  // Upper bound on a file's size; a larger file is an error rather than unbounded memory.
  static constexpr size_t kMaxFileSize = 64 << 20;

 private:
  std::string buf_;
};

}  // namespace vitals
