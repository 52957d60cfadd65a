// Socket inode -> process name (comm), as `netstat -p` finds it: by reading the links in
// /proc/<pid>/fd ("socket:[<inode>]"). Bounded in cost: results are cached by inode, and /proc is
// scanned (at most once per resolve()) only when an inode is not in the cache. Finding other
// users' processes needs CAP_DAC_READ_SEARCH (to list /proc/<pid>/fd, mode 0500) and
// CAP_SYS_PTRACE (to read its links: a ptrace read-access check); sockets of processes that
// cannot be read, or live in another PID namespace, get an empty name.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vitals::net {

class SocketProcessMap {
 public:
  explicit SocketProcessMap(std::string procfs) : procfs_(std::move(procfs)) {}

  // Makes comm() answer for exactly these inodes: forgets the others, and scans /proc once if
  // some are not cached yet. An inode a scan did not find is cached with an empty name and only
  // looked for again when a later scan happens for another new inode.
  void resolve(std::span<const uint32_t> inodes);

  // The comm of the first process found holding the socket (usually the lowest PID, e.g. the
  // parent of a pre-forking server); empty when unknown.
  std::string_view comm(uint32_t inode) const;

  uint64_t scans() const { return scans_; }
  // Processes the last scan could not look into (another user's /proc/<pid>/fd without
  // CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE), and the first one's fd directory.
  uint64_t denied() const { return denied_; }
  const std::string& denied_first() const { return denied_first_; }

 private:
  void scan(std::vector<uint32_t>& missing);

  std::string procfs_;
  std::unordered_map<uint32_t, std::string> cache_;
  std::vector<uint32_t> missing_;
  std::vector<uint32_t> retry_;  // cached as not found; looked for again with the next scan
  uint64_t scans_ = 0;
  uint64_t denied_ = 0;
  std::string denied_first_;
};

}  // namespace vitals::net
