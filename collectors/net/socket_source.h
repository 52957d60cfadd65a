// Where the sockets and tcpstat collectors get their sockets: netlink sock_diag, or the
// /proc/net/{tcp,tcp6,udp,udp6} files (read in 64 KiB chunks, one reused buffer, so memory does
// not grow with the socket count). Mode "auto" uses netlink and falls back to /proc/net when
// netlink sock_diag is unavailable (no NETLINK_SOCK_DIAG, no inet_diag/udp_diag module, seccomp).
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/net/sock_diag.h"
#include "collectors/procfs/net_sockets.h"
#include "core/buffer.h"
#include "core/fs.h"

namespace vitals::net {

enum class SourceMode { kAuto, kNetlink, kProcfs };

// "auto", "netlink" or "procfs".
bool parse_source_mode(std::string_view s, SourceMode* out);

enum class Source { kNetlink, kProcfs };

class SocketSource {
 public:
  SocketSource(SourceMode mode, const Paths& paths);

  // Calls fn(const InetSocket&) for every socket of r.family/r.protocol in a state of r.states
  // (AF_UNSPEC: IPv4 and IPv6 TCP sockets, in one netlink dump or from both /proc/net files).
  // Throws CollectError naming the source and what went wrong (a netlink::DumpError when netlink
  // failed: the caller repeats interrupted, enobufs and busy dumps with
  // netlink::with_dump_retries); sockets already passed to fn were real but the dump is
  // incomplete, so the caller must not publish counts from it. Returns the
  // source used: only netlink gives a TCP listener's backlog (wqueue) and TCP drops.
  template <class Fn>
  Source dump(const DumpRequest& r, std::chrono::steady_clock::time_point deadline, Fn&& fn) {
    if (mode_ != SourceMode::kProcfs) {
      DiagError err;
      bool any = false;
      auto each = [&](const InetSocket& s) {
        any = true;
        fn(s);
      };
      if (diag_.dump(r, deadline, each, &err)) {
        return Source::kNetlink;
      }
      if (mode_ == SourceMode::kNetlink || !err.unavailable || any) throw_error(r, err);
      note_fallback(err.message);
    }
    if (r.family == AF_UNSPEC) {
      DumpRequest one = r;
      for (uint8_t family : {AF_INET, AF_INET6}) {
        one.family = family;
        read_proc(one, deadline, fn);
      }
    } else {
      read_proc(r, deadline, fn);
    }
    return Source::kProcfs;
  }

 private:
  [[noreturn]] void throw_error(const DumpRequest& r, const DiagError& err) const;
  void note_fallback(const std::string& why);
  std::string proc_path(const DumpRequest& r) const;

  template <class Fn>
  void read_proc(const DumpRequest& r, std::chrono::steady_clock::time_point deadline, Fn& fn) {
    const bool v6 = r.family != AF_INET;
    const bool udp = r.protocol == IPPROTO_UDP;
    const auto kind = udp ? (v6 ? procfs::NetSocketFile::kUdp6 : procfs::NetSocketFile::kUdp)
                          : (v6 ? procfs::NetSocketFile::kTcp6 : procfs::NetSocketFile::kTcp);
    const std::string path = proc_path(r);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT && v6) return;  // IPv6 disabled: no sockets
      throw CollectError("read " + path + ": " + std::strerror(errno));
    }
    InetSocket s;
    std::string why;
    size_t have = 0;  // bytes in buf_ not yet parsed (a partial line)
    int lineno = 0;
    bool eof = false;
    while (!eof) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::close(fd);
        throw CollectError(path + ": stopped at the collector deadline");
      }
      if (have == buf_.size()) {
        ::close(fd);
        throw CollectError(path + ":" + std::to_string(lineno + 1) + ": longer than " +
                           std::to_string(buf_.size()) + " bytes");
      }
      ssize_t n = ::read(fd, buf_.data() + have, buf_.size() - have);
      if (n < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        ::close(fd);
        throw CollectError("read " + path + ": " + std::strerror(e));
      }
      if (n == 0) {
        eof = true;
        if (have > 0) buf_[have++] = '\n';  // a last line without its newline
      }
      have += static_cast<size_t>(n);
      std::string_view text(buf_.data(), have);
      size_t used = 0;
      for (size_t nl; (nl = text.find('\n', used)) != std::string_view::npos; used = nl + 1) {
        std::string_view line = text.substr(used, nl - used);
        ++lineno;
        if (parse::trim(line).empty() || (lineno == 1 && procfs::is_net_socket_header(line))) {
          continue;
        }
        if (!procfs::parse_net_socket_line(line, kind, &s, &why)) {
          ::close(fd);
          throw CollectError(path + ":" + std::to_string(lineno) + ": " + why);
        }
        if (r.states & state_bit(s.state)) fn(static_cast<const InetSocket&>(s));
      }
      std::memmove(buf_.data(), buf_.data() + used, have - used);
      have -= used;
    }
    ::close(fd);
  }

  SourceMode mode_;
  Paths paths_;
  SockDiag diag_;
  RawBuffer<char> buf_;
  bool fallback_logged_ = false;
};

}  // namespace vitals::net
