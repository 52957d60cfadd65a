#include "collectors/net/sock_diag.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace vitals::net {
namespace {

constexpr size_t kBufferSize = 64 << 10;  // the kernel fills at most ~32 KiB per dump datagram

using netlink::DumpFault;

DiagItem malformed(DiagError* err, std::string msg, DumpFault fault = DumpFault::kError) {
  err->errnum = 0;
  err->unavailable = false;
  err->fault = fault;
  err->message = "sock_diag: " + std::move(msg);
  return DiagItem::kError;
}

// The kernel's error codes are -errno, -4095..-1 (MAX_ERRNO); anything below is malformed
// (and -INT_MIN cannot be negated).
constexpr int kMaxErrno = 4095;

bool means_unavailable(int e) {
  return e == ENOENT || e == EOPNOTSUPP || e == EPROTONOSUPPORT || e == EAFNOSUPPORT ||
         e == EACCES || e == EPERM;
}

}  // namespace

std::string_view tcp_state_name(int state) {
  switch (state) {
    case kEstablished:
      return "established";
    case kSynSent:
      return "syn_sent";
    case kSynRecv:
      return "syn_recv";
    case kFinWait1:
      return "fin_wait1";
    case kFinWait2:
      return "fin_wait2";
    case kTimeWait:
      return "time_wait";
    case kClose:
      return "close";
    case kCloseWait:
      return "close_wait";
    case kLastAck:
      return "last_ack";
    case kListen:
      return "listen";
    case kClosing:
      return "closing";
    default:
      return "unknown";
  }
}

std::string_view format_address(int family, const std::array<uint8_t, 16>& addr,
                                char (&buf)[kAddrBufSize]) {
  if (!inet_ntop(family, addr.data(), buf, sizeof buf)) return "?";
  return buf;
}

DiagItem next_diag_message(std::span<const uint8_t>& data, uint32_t seq, InetSocket* out,
                           DiagError* err) {
  if (data.empty()) return DiagItem::kEnd;
  nlmsghdr h;
  if (data.size() < sizeof h) {
    return malformed(err,
                     "truncated netlink header (" + std::to_string(data.size()) +
                         " bytes left, need " + std::to_string(sizeof h) + ")",
                     DumpFault::kTruncated);
  }
  std::memcpy(&h, data.data(), sizeof h);
  if (h.nlmsg_len < sizeof h || h.nlmsg_len > data.size()) {
    return malformed(err,
                     "netlink message length " + std::to_string(h.nlmsg_len) + " but " +
                         std::to_string(data.size()) + " bytes left in the datagram",
                     h.nlmsg_len < sizeof h ? DumpFault::kError : DumpFault::kTruncated);
  }
  std::span<const uint8_t> payload = data.subspan(sizeof h, h.nlmsg_len - sizeof h);
  size_t advance = NLMSG_ALIGN(h.nlmsg_len);
  data = advance >= data.size() ? std::span<const uint8_t>{} : data.subspan(advance);
  if (h.nlmsg_seq != seq) {
    return malformed(err, "reply for sequence " + std::to_string(h.nlmsg_seq) + ", expected " +
                              std::to_string(seq));
  }
  if (h.nlmsg_type == NLMSG_DONE) {
    int code = 0;
    if (payload.size() >= sizeof code) std::memcpy(&code, payload.data(), sizeof code);
    if (code < -kMaxErrno)
      return malformed(err, "NLMSG_DONE with error code " + std::to_string(code));
    if (code < 0) {
      err->errnum = -code;
      err->unavailable = false;
      err->fault = netlink::fault_of_errno(-code);
      err->message = std::string("sock_diag: dump failed: ") + std::strerror(-code);
      return DiagItem::kError;
    }
    return DiagItem::kDone;
  }
  if (h.nlmsg_type == NLMSG_ERROR) {
    int code = 0;
    if (payload.size() < sizeof code) {
      return malformed(err, "truncated NLMSG_ERROR (" + std::to_string(payload.size()) + " bytes)");
    }
    std::memcpy(&code, payload.data(), sizeof code);
    if (code < -kMaxErrno || code > 0) {
      return malformed(err, "NLMSG_ERROR with error code " + std::to_string(code));
    }
    err->errnum = -code;
    err->unavailable = code < 0 && means_unavailable(-code);
    err->fault = code < 0 ? netlink::fault_of_errno(-code) : DumpFault::kError;
    err->message = code < 0
                       ? std::string("sock_diag: kernel refused the dump: ") + std::strerror(-code)
                       : std::string("sock_diag: unexpected acknowledgement");
    return DiagItem::kError;
  }
  // Replies carry the request's type: SOCK_DIAG_BY_FAMILY, or TCPDIAG_GETSOCK for AF_UNSPEC.
  if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY && h.nlmsg_type != TCPDIAG_GETSOCK) {
    return malformed(err, "unexpected netlink message type " + std::to_string(h.nlmsg_type));
  }
  if (h.nlmsg_flags & NLM_F_DUMP_INTR) {
    return malformed(err, "dump interrupted by concurrent changes (NLM_F_DUMP_INTR)",
                     DumpFault::kInterrupted);
  }
  inet_diag_msg m;
  if (payload.size() < sizeof m) {
    return malformed(err,
                     "truncated inet_diag_msg (" + std::to_string(payload.size()) + " of " +
                         std::to_string(sizeof m) + " bytes)",
                     DumpFault::kTruncated);
  }
  std::memcpy(&m, payload.data(), sizeof m);
  out->family = m.idiag_family;
  out->state = m.idiag_state;
  out->local_port = ntohs(m.id.idiag_sport);
  out->remote_port = ntohs(m.id.idiag_dport);
  std::memcpy(out->local_addr.data(), m.id.idiag_src, 16);
  std::memcpy(out->remote_addr.data(), m.id.idiag_dst, 16);
  out->rqueue = m.idiag_rqueue;
  out->wqueue = m.idiag_wqueue;
  out->uid = m.idiag_uid;
  out->inode = m.idiag_inode;
  out->drops.reset();
  // Attributes (struct nlattr, 4-byte aligned) follow the message; check every length.
  size_t off = NLMSG_ALIGN(sizeof m);
  while (off < payload.size()) {
    nlattr a;
    if (payload.size() - off < sizeof a) {
      return malformed(err, "truncated attribute header in inet_diag_msg", DumpFault::kTruncated);
    }
    std::memcpy(&a, payload.data() + off, sizeof a);
    if (a.nla_len < sizeof a || a.nla_len > payload.size() - off) {
      return malformed(err,
                       "attribute length " + std::to_string(a.nla_len) + " but " +
                           std::to_string(payload.size() - off) + " bytes left",
                       a.nla_len < sizeof a ? DumpFault::kError : DumpFault::kTruncated);
    }
    if ((a.nla_type & NLA_TYPE_MASK) == INET_DIAG_SKMEMINFO) {
      constexpr size_t need = sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1);
      if (a.nla_len - sizeof a < need) {
        return malformed(err, "SK_MEMINFO attribute of " + std::to_string(a.nla_len - sizeof a) +
                                  " bytes, need " + std::to_string(need));
      }
      uint32_t drops;
      std::memcpy(&drops, payload.data() + off + sizeof a + SK_MEMINFO_DROPS * sizeof(uint32_t),
                  sizeof drops);
      out->drops = drops;
    }
    off += NLA_ALIGN(a.nla_len);
  }
  return DiagItem::kSocket;
}

size_t build_diag_request(const DumpRequest& r, uint32_t seq, std::span<uint8_t> buf) {
  const uint8_t ext = r.drops ? static_cast<uint8_t>(1u << (INET_DIAG_SKMEMINFO - 1)) : 0;
  if (r.family == AF_UNSPEC) {
    if (r.protocol != IPPROTO_TCP) return 0;
    struct {
      nlmsghdr h;
      inet_diag_req req;
    } compat;
    static_assert(sizeof compat == sizeof(nlmsghdr) + sizeof(inet_diag_req));
    std::memset(&compat, 0, sizeof compat);
    compat.h.nlmsg_len = sizeof compat;
    compat.h.nlmsg_type = TCPDIAG_GETSOCK;
    compat.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    compat.h.nlmsg_seq = seq;
    compat.req.idiag_family = AF_INET;  // the kernel dumps every family for this request type
    compat.req.idiag_states = r.states;
    compat.req.idiag_ext = ext;
    if (buf.size() < sizeof compat) return 0;
    std::memcpy(buf.data(), &compat, sizeof compat);
    return sizeof compat;
  }
  struct {
    nlmsghdr h;
    inet_diag_req_v2 req;
  } msg;
  static_assert(sizeof msg == sizeof(nlmsghdr) + sizeof(inet_diag_req_v2));
  std::memset(&msg, 0, sizeof msg);
  msg.h.nlmsg_len = sizeof msg;
  msg.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.h.nlmsg_seq = seq;
  msg.req.sdiag_family = r.family;
  msg.req.sdiag_protocol = r.protocol;
  msg.req.idiag_states = r.states;
  msg.req.idiag_ext = ext;
  if (buf.size() < sizeof msg) return 0;
  std::memcpy(buf.data(), &msg, sizeof msg);
  return sizeof msg;
}

bool overrun_for_tests() {
  static const bool on = [] {
    const char* e = std::getenv("VITALS_TEST_NETLINK_OVERRUN");
    return e && std::string_view(e) == "1";
  }();
  return on;
}

SockDiag::SockDiag() : buf_(kBufferSize) {}

SockDiag::~SockDiag() {
  if (fd_ >= 0) ::close(fd_);
}

bool SockDiag::fail() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return false;
}

bool SockDiag::send_request(const DumpRequest& r, DiagError* err) {
  if (fd_ < 0) {
    fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd_ < 0) {
      err->errnum = errno;
      err->unavailable = true;
      err->fault = DumpFault::kError;
      err->message = std::string("sock_diag: netlink socket: ") + std::strerror(errno);
      return false;
    }
    // A safety net only: the kernel answers a dump from inside recvmsg, so it never waits.
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (overrun_for_tests()) {
      // The smallest receive buffer, and the TCP-destroy notifications on top of the dump:
      // while sockets close, the notifications overrun the socket and the kernel reports
      // ENOBUFS mid-dump, which a dump alone never provokes (the kernel fills a dump's next
      // datagram only when the last one was read).
      int one = 1;
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &one, sizeof one);
      sockaddr_nl me{};
      me.nl_family = AF_NETLINK;
      me.nl_groups = 1u << (SKNLGRP_INET_TCP_DESTROY - 1);
      ::bind(fd_, reinterpret_cast<sockaddr*>(&me), sizeof me);
    }
  }
  uint8_t req[128];
  size_t n = build_diag_request(r, ++seq_, req);
  if (n == 0) {
    err->errnum = EINVAL;
    err->unavailable = false;
    err->message = "sock_diag: a dump of every family is for TCP only";
    return false;
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    ssize_t w = ::sendto(fd_, req, n, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    if (w == static_cast<ssize_t>(n)) return true;
    if (w < 0 && errno == EINTR) continue;
    err->errnum = w < 0 ? errno : EIO;
    err->unavailable = false;
    err->fault = err->errnum == ENOBUFS ? DumpFault::kNoBuffers : DumpFault::kError;
    err->message = std::string("sock_diag: send: ") + std::strerror(err->errnum);
    return fail();
  }
}

bool SockDiag::receive(std::chrono::steady_clock::time_point deadline,
                       std::span<const uint8_t>* data, DiagError* err) {
  for (;;) {
    if (std::chrono::steady_clock::now() > deadline) {
      err->errnum = ETIMEDOUT;
      err->unavailable = false;
      err->fault = DumpFault::kDeadline;
      err->message = "sock_diag: dump stopped at the collector deadline";
      return false;
    }
    iovec iov{buf_.data(), buf_.size()};
    sockaddr_nl from{};
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd_, &mh, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err->errnum = n < 0 ? errno : EIO;
      err->unavailable = false;
      // ENOBUFS: the socket overran and the kernel dropped messages of this dump. Anything else
      // (a receive timeout included) is not cured by asking again at once.
      err->fault = err->errnum == ENOBUFS ? DumpFault::kNoBuffers : DumpFault::kError;
      err->message = n < 0 ? std::string("sock_diag: receive: ") + std::strerror(err->errnum)
                           : std::string("sock_diag: receive: end of stream");
      if (err->errnum == ENOBUFS)
        err->message += " (the socket overran: the kernel dropped part of the dump)";
      return false;
    }
    // Only the kernel's unicast answer is the dump; a multicast notification (the test hook's
    // subscription above) or a message from another process is not.
    if (from.nl_groups != 0 || from.nl_pid != 0) continue;
    if (mh.msg_flags & MSG_TRUNC) {
      err->errnum = EMSGSIZE;
      err->unavailable = false;
      err->fault = DumpFault::kTruncated;
      err->message =
          "sock_diag: datagram larger than the " + std::to_string(buf_.size()) + "-byte buffer";
      return false;
    }
    ++datagrams_;
    *data = std::span<const uint8_t>(buf_.data(), static_cast<size_t>(n));
    return true;
  }
}

}  // namespace vitals::net
