// File access through the configured roots. Nothing in the agent opens "/proc" or "/sys"
// directly: paths are built from Paths, so the whole agent runs on a fixture tree.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/buffer.h"

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

  // Whether a live source (netlink, a shortcut through another procfs file) reports what the
  // files under these roots would show, decided by what the path is, not how it is spelled:
  // /host/proc (a host's /proc bind-mounted into a container) is as live as /proc, a fixture
  // tree is not. Each call costs a few system calls: decide when a collector is built.
  //
  // live_procfs: `procfs` is a mounted procfs (statfs PROC_SUPER_MAGIC) in which this process
  // is visible (<procfs>/self resolves: a procfs of a pid namespace vitals is not in has no
  // self, and its net/ files, links through self, cannot be read either), and the network
  // namespace its net/ files show (<procfs>/self/ns/net) is the calling thread's
  // (<procfs>/thread-self/ns/net), the one netlink sockets answer for.
  bool live_procfs() const;
  // live_sysfs: `sysfs` is a mounted sysfs (SYSFS_MAGIC) whose class/net lists the network
  // namespace vitals runs in (sysfs shows the namespace of whoever mounted it): the same
  // interface names with the same ifindex as a netlink link dump (getifaddrs). Interfaces
  // coming and going during the comparison make it try again once; still in doubt, false.
  bool live_sysfs() const;
};

// An error reading or parsing one input: says what and where.
class CollectError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The facility a collector reads does not exist on this host (no RAPL, no NVMe, a kernel
// without schedstats, a module not loaded): node_exporter's ErrNoData. The scrape reports the
// collector unsuccessful (node_scrape_collector_success 0) as node_exporter does, but it is
// not an error: logged once at info, then at debug (core/scraper.cpp).
class NoDataError : public CollectError {
 public:
  using CollectError::CollectError;
};

// Reads whole files into one reused buffer. The returned view is valid until the next read.
//
// procfs and sysfs regenerate a file's text on every read from offset 0, so a reader in
// kKeepOpen mode keeps the files it reads there open and reads them again with pread(2):
// measured on a 6.x kernel, 0.5-0.9 us per small file instead of 3.5-6.6 us for
// open+read+close (the path walk, the open and the close are most of the cost). Other file
// systems (fixture trees, textfiles, /etc) are always opened afresh, so a file replaced there
// is seen at once. Kept files are bounded per reader (kMaxKeptPerReader; one not read for a
// long while, such as a removed device's, makes room for a new one) and process-wide
// (set_keep_open_limit, --collector.keep-open-files); over the bound a reader just opens and
// closes. A kept file whose object went away (ENODEV for a removed device, ESRCH, ENOENT) is closed
// and opened again by path once.
class FileReader {
 public:
  // kReopen for readers of paths that come and go by the thousand (/proc/<pid>/..., cgroups).
  enum class Mode { kKeepOpen, kReopen };
  explicit FileReader(size_t initial_capacity = 8192, Mode mode = Mode::kKeepOpen);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Throws CollectError naming the path and the errno text.
  std::string_view read(const std::string& path);
  // Returns false and sets errno_out on failure.
  bool try_read(const std::string& path, std::string_view* out, int* errno_out);
  // Upper bound on a file's size; a larger file is an error rather than unbounded memory.
  static constexpr size_t kMaxFileSize = 64 << 20;
  static constexpr size_t kMaxKeptPerReader = 64;

  // Process-wide bound on kept-open files (0: keep none). Files already kept stay until their
  // reader drops them.
  static void set_keep_open_limit(int limit);
  static int keep_open_limit();
  // Files kept open right now, all readers together.
  static int kept_open();
  // A slot of the process-wide limit for a file kept open outside FileReader (a collector's
  // own kept descriptors, collectors/procfs/kept_stat_files.h); false when the limit is
  // reached. Each slot taken is given back with release_kept_slot when its file is closed.
  static bool acquire_kept_slot();
  static void release_kept_slot();

  // Closes the kept files not read since the previous call. A collector whose files follow
  // objects that come and go without successors (a btrfs filesystem unmounted for good) calls
  // it at the end of each collection, so their descriptors do not stay open until the reader
  // needs the room.
  void close_unread();

 private:
  struct Kept {
    std::string path;
    int fd;
    uint64_t last_use;
    size_t whole_below;  // a read shorter than this (and than its room) is the whole file
  };
  // Reads fd to EOF into buf_ (from offset 0 with pread when from_start). False with errno
  // set on failure.
  bool read_all(int fd, bool from_start, size_t whole_below, size_t* len);
  void maybe_keep(const std::string& path, int fd, bool* kept);
  void drop(size_t index);

  RawBuffer<char> buf_;
  Mode mode_;
  std::vector<Kept> kept_;
  uint64_t tick_ = 0;
  uint64_t swept_ = 0;  // tick_ at the last close_unread()
};

// Reads what is left of `fd` (from offset 0 with pread when `from_start`, else with read) into
// `buf`, growing it up to FileReader::kMaxFileSize (EFBIG past it). `line_file`: stop at a short
// read that ends a line (a /proc stat file); `whole_below`: stop at a read shorter than this
// that left room in the buffer. False with errno set on failure.
bool read_whole(int fd, bool from_start, bool line_file, RawBuffer<char>& buf, size_t* len,
                size_t whole_below = 0);

}  // namespace vitals
