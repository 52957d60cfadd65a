// /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat read through descriptors kept open between
// scrapes, for collectors that read every process's and thread's stat on each scrape
// (processes). A kept procfs file is re-read with pread(2) and the kernel regenerates it: the
// path walk, the open and the close of each file go, the kernel's do_task_stat stays.
//
// Bounds: at most max_kept descriptors in this keeper (the first files read get them; the
// rest are opened and closed each time), each also taking a slot of the process-wide limit
// that FileReader enforces (--collector.keep-open-files), so all kept files together stay
// under it. Files are kept only on a mounted procfs (never in a fixture tree). A pass
// (begin/end, one scrape) closes the descriptors of ids it did not read: the task exited.
// A kept descriptor whose task went away (pread: ESRCH) is closed and its path opened again,
// which finds the pid's successor or fails as a fresh open would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/buffer.h"

namespace vitals::procfs {

class KeptStatFiles {
 public:
  // keep: whether files may be kept at all (false for a fixture tree); max_kept: this
  // keeper's bound.
  KeptStatFiles(bool keep, size_t max_kept);
  ~KeptStatFiles();
  KeptStatFiles(const KeptStatFiles&) = delete;
  KeptStatFiles& operator=(const KeptStatFiles&) = delete;

  void begin() { ++pass_; }
  // Closes the descriptors of ids not read since begin().
  void end();
  // Reads the file `path` that belongs to `id` (a pid, or a tid: one keeper per kind of file).
  // The view is valid until the next read. False with *err set (ENOENT, ESRCH: gone).
  bool read(uint32_t id, const std::string& path, std::string_view* out, int* err);
  size_t kept() const { return fds_.size(); }

 private:
  struct Entry {
    int fd;
    uint32_t pass;
  };
  bool read_fd(int fd, bool from_start, size_t* len);
  void close_entry(int fd);

  bool keep_;
  size_t max_kept_;
  uint32_t pass_ = 0;
  std::unordered_map<uint32_t, Entry> fds_;
  RawBuffer<char> buf_{1024};
};

}  // namespace vitals::procfs
