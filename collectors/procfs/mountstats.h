// /proc/self/mountstats and the "addr" super option of /proc/self/mountinfo: the NFS mount
// statistics node_exporter 1.5.0's mountstats collector exports (read as prometheus/procfs
// does). Both parsers make one pass over the text, keep views into it and reuse their output's
// storage, so a host with many NFS mounts costs one read and one scan of each file per scrape.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/parse.h"

namespace vitals::procfs {

struct NfsOperation {
  std::string_view name;  // "READ"
  // requests, transmissions, major timeouts, bytes sent, bytes received, queue ms, response
  // ms, request ms
  std::array<uint64_t, 8> v{};
};

struct NfsMount {
  size_t index = 0;         // position among all "device" lines (mountinfo has the same order)
  std::string_view device;  // "192.168.1.1:/srv/test"
  std::string_view mount_point;
  std::string_view fstype;        // nfs, nfs4
  std::string_view stat_version;  // "1.1"
  double age_seconds = 0;
  // read, write, direct read, direct write, read total, write total, read pages, write pages
  std::array<uint64_t, 8> bytes{};
  std::array<uint64_t, 27> events{};
  std::string_view protocol;  // tcp, udp, rdma
  // port, bind, connect, connect idle time, idle time, sends, receives, bad xids, cumulative
  // active requests, cumulative backlog, max slots, cumulative sending queue, cumulative
  // pending queue (udp: no connect, connect idle time and idle time; 1.0: no last three)
  std::array<uint64_t, 13> transport{};
  uint32_t op_begin = 0;  // into Mountstats::operations
  uint32_t op_count = 0;
};

struct Mountstats {
  std::vector<NfsMount> nfs;  // only NFS mounts with statistics
  std::vector<NfsOperation> operations;
  size_t devices = 0;         // "device" lines seen
  parse::ParseErrors errors;  // "line N: ..."; a mount with a bad line is left out
};

void parse_mountstats(std::string_view text, Mountstats& out);

// The value of the super option "addr" of each line of mountinfo (empty when it has none), in
// line order; `out` is reused. A line without the " - " separator is an item error (and "").
void parse_mountinfo_addrs(std::string_view text, std::vector<std::string_view>& out,
                           parse::ParseErrors& errors);

}  // namespace vitals::procfs
