// The pure /proc parsers (collectors/procfs/), one target for the family: the first byte picks
// the parser ('A' + index in kParsers below), the rest is the file's text. One binary rather than
// one per file kind: there are 26 kinds, each small; one binary keeps the build and the test run
// short, libFuzzer's coverage feedback is shared (the parsers share core/parse.h), and a seed's
// first byte (and its file name in corpus/procfs/) still says which file it is.
// Checks: no exception (the parsers report bad lines in their errors); views point into the
// text; error messages are not empty and the "line N" they carry is a line of the text; values
// the parser promises (counts, lengths) hold.
#include <algorithm>
#include <cmath>
#include <string>

#include "collectors/net/inet_socket.h"
#include "collectors/procfs/arp.h"
#include "collectors/procfs/cgroups.h"
#include "collectors/procfs/conntrack_stat.h"
#include "collectors/procfs/cpuinfo.h"
#include "collectors/procfs/diskstats.h"
#include "collectors/procfs/interrupts.h"
#include "collectors/procfs/keyvalue.h"
#include "collectors/procfs/loadavg.h"
#include "collectors/procfs/mdstat.h"
#include "collectors/procfs/meminfo.h"
#include "collectors/procfs/mounts.h"
#include "collectors/procfs/net_sockets.h"
#include "collectors/procfs/netdev.h"
#include "collectors/procfs/netmisc.h"
#include "collectors/procfs/netstat.h"
#include "collectors/procfs/pid_files.h"
#include "collectors/procfs/pressure.h"
#include "collectors/procfs/schedstat.h"
#include "collectors/procfs/stat.h"
#include "core/parse.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace vitals;
using fuzz::inside;

size_t count_lines(std::string_view t) {
  return static_cast<size_t>(std::count(t.begin(), t.end(), '\n')) + 1;
}

void check_errors(const parse::ParseErrors& errors, std::string_view text) {
  for (const parse::ItemError& e : errors) {
    VITALS_FUZZ_CHECK(!e.message.empty());
    VITALS_FUZZ_CHECK(e.line >= 0 && static_cast<size_t>(e.line) <= count_lines(text));
  }
  if (!errors.empty()) VITALS_FUZZ_CHECK(!errors.message("/proc/x").empty());
}

void net_sockets(std::string_view t, procfs::NetSocketFile kind) {
  std::string error;
  size_t n = 0;
  bool ok = procfs::parse_net_sockets(
      t, kind,
      [&](const net::InetSocket& s) {
        ++n;
        char buf[net::kAddrBufSize];
        std::string_view a = net::format_address(s.family, s.local_addr, buf);
        VITALS_FUZZ_CHECK(!a.empty() && a.size() < sizeof buf);
        VITALS_FUZZ_CHECK(!net::tcp_state_name(s.state).empty());
      },
      &error);
  VITALS_FUZZ_CHECK(ok || !error.empty());
  VITALS_FUZZ_CHECK(n <= count_lines(t));
}

using Parser = void (*)(std::string_view);

const Parser kParsers[] = {
    // A: /proc/net/arp
    [](std::string_view t) {
      auto r = procfs::parse_arp(t);
      for (const auto& d : r.devices) VITALS_FUZZ_CHECK(inside(d.device, t) && d.entries >= 1);
      check_errors(r.errors, t);
    },
    // B: /proc/cgroups
    [](std::string_view t) {
      auto r = procfs::parse_cgroups(t);
      for (const auto& s : r.subsystems) VITALS_FUZZ_CHECK(inside(s.subsys_name, t));
      check_errors(r.errors, t);
    },
    // C: /proc/net/stat/nf_conntrack
    [](std::string_view t) { check_errors(procfs::parse_conntrack_stat(t).errors, t); },
    // D: /proc/cpuinfo
    [](std::string_view t) { check_errors(procfs::parse_cpuinfo(t).errors, t); },
    // E: /proc/diskstats
    [](std::string_view t) {
      auto r = procfs::parse_diskstats(t);
      for (const auto& d : r.disks) VITALS_FUZZ_CHECK(d.count >= 0 && d.count <= 17);
      check_errors(r.errors, t);
    },
    // F: /run/udev/data/b<major>:<minor>
    [](std::string_view t) { (void)procfs::parse_udev_properties(t); },
    // G: /proc/interrupts
    [](std::string_view t) {
      auto r = procfs::parse_interrupts(t);
      for (const auto& l : r.lines) VITALS_FUZZ_CHECK(inside(l.type, t));
      check_errors(r.errors, t);
    },
    // H: /proc/sys/fs/file-nr
    [](std::string_view t) {
      procfs::FileNr nr;
      std::string error;
      if (!procfs::parse_file_nr(t, &nr, &error)) VITALS_FUZZ_CHECK(!error.empty());
    },
    // I: /proc/vmstat (the shared KEY VALUE parser)
    [](std::string_view t) {
      parse::KeyValues kv;
      parse::parse_key_values(t, kv);
      for (const auto& e : kv.entries) VITALS_FUZZ_CHECK(inside(e.key, t) && !e.key.empty());
      check_errors(kv.errors, t);
    },
    // J: /proc/loadavg
    [](std::string_view t) {
      std::string error;
      if (!procfs::parse_loadavg(t, &error)) VITALS_FUZZ_CHECK(!error.empty());
    },
    // K: /proc/mdstat
    [](std::string_view t) {
      auto r = procfs::parse_mdstat(t);
      for (const auto& d : r.devices) VITALS_FUZZ_CHECK(!d.name.empty());
      check_errors(r.errors, t);
    },
    // L: /proc/meminfo
    [](std::string_view t) {
      auto r = procfs::parse_meminfo(t);
      for (const auto& e : r.entries) VITALS_FUZZ_CHECK(inside(e.key, t));
      check_errors(r.errors, t);
    },
    // M: /proc/<pid>/mounts, with the helpers the filesystem collector applies to each mount
    [](std::string_view t) {
      auto r = procfs::parse_mounts(t);
      for (const auto& m : r.mounts) {
        (void)procfs::mount_read_only(m.options);
        std::string rel = procfs::strip_rootfs(m.mount_point, "/rootfs");
        VITALS_FUZZ_CHECK(rel.size() <= std::max<size_t>(m.mount_point.size(), 1));
      }
      check_errors(r.errors, t);
    },
    // N-Q: /proc/net/{tcp,tcp6,udp,udp6}
    [](std::string_view t) { net_sockets(t, procfs::NetSocketFile::kTcp); },
    [](std::string_view t) { net_sockets(t, procfs::NetSocketFile::kTcp6); },
    [](std::string_view t) { net_sockets(t, procfs::NetSocketFile::kUdp); },
    [](std::string_view t) { net_sockets(t, procfs::NetSocketFile::kUdp6); },
    // R: /proc/net/dev (and /proc/<pid>/net/dev)
    [](std::string_view t) {
      procfs::NetDev r;
      procfs::parse_net_dev(t, &r);
      for (const auto& d : r.devices) VITALS_FUZZ_CHECK(inside(d.device, t));
      check_errors(r.errors, t);
    },
    // S: /proc/net/sockstat{,6}
    [](std::string_view t) {
      auto r = procfs::parse_sockstat(t);
      for (const auto& v : r.values) VITALS_FUZZ_CHECK(inside(v.protocol, t) && inside(v.key, t));
      check_errors(r.errors, t);
    },
    // T: /proc/net/softnet_stat
    [](std::string_view t) { check_errors(procfs::parse_softnet(t).errors, t); },
    // U: /proc/net/netstat, /proc/net/snmp
    [](std::string_view t) {
      procfs::NetStats r;
      procfs::parse_netstat(t, &r);
      for (const auto& v : r.values) VITALS_FUZZ_CHECK(inside(v.protocol, t) && inside(v.name, t));
      check_errors(r.errors, t);
    },
    // V: /proc/net/snmp6
    [](std::string_view t) {
      procfs::NetStats r;
      procfs::parse_snmp6(t, &r);
      for (const auto& v : r.values) VITALS_FUZZ_CHECK(inside(v.protocol, t) && inside(v.name, t));
      check_errors(r.errors, t);
    },
    // W: /proc/<pid>/stat, through both entry points
    [](std::string_view t) {
      parse::ParseErrors errors;
      auto a = procfs::parse_pid_stat(t, errors);
      std::string error;
      auto b = procfs::parse_pid_stat(t, &error);
      VITALS_FUZZ_CHECK(a.has_value() == b.has_value());
      VITALS_FUZZ_CHECK(a.has_value() == errors.empty());
      VITALS_FUZZ_CHECK(b.has_value() || !error.empty());
      if (a) VITALS_FUZZ_CHECK(inside(a->comm, t));
      check_errors(errors, t);
    },
    // X: /proc/<pid>/status
    [](std::string_view t) { (void)procfs::parse_pid_status(t); },
    // Y: /proc/<pid>/io
    [](std::string_view t) { (void)procfs::parse_pid_io(t); },
    // Z: /proc/<pid>/limits
    [](std::string_view t) { (void)procfs::parse_max_open_files(t); },
    // [: /proc/pressure/{cpu,memory,io}
    [](std::string_view t) { check_errors(procfs::parse_pressure(t).errors, t); },
    // \: /proc/schedstat
    [](std::string_view t) {
      auto r = procfs::parse_schedstat(t);
      for (const auto& c : r.cpus) VITALS_FUZZ_CHECK(inside(c.cpu, t));
      check_errors(r.errors, t);
    },
    // ]: /proc/stat
    [](std::string_view t) {
      auto r = procfs::parse_stat(t);
      for (const auto& c : r.cpus) VITALS_FUZZ_CHECK(c.fields >= 0 && c.fields <= 10);
      check_errors(r.errors, t);
    },
};
constexpr size_t kCount = sizeof kParsers / sizeof kParsers[0];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  kParsers[vitals::fuzz::selector(data[0], kCount)](vitals::fuzz::as_text(data + 1, size - 1));
  return 0;
}
