#include "collectors/netlink/rtnl.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/fs.h"

namespace vitals::netlink {

void walk_messages(std::span<const uint8_t> buf, uint16_t type, DumpState* state,
                   parse::ParseErrors* errors,
                   const std::function<void(const uint8_t*, size_t, size_t)>& on_msg) {
  size_t off = 0;
  while (off + sizeof(nlmsghdr) <= buf.size()) {
    nlmsghdr h;
    std::memcpy(&h, buf.data() + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > buf.size() - off) {
      errors->add(0, "truncated netlink message at offset " + std::to_string(off) + " (length " +
                         std::to_string(h.nlmsg_len) + ", " + std::to_string(buf.size() - off) +
                         " bytes left)");
      state->truncated = true;
      return;
    }
    const size_t msg_off = off;
    const uint8_t* msg = buf.data() + off;
    off += NLMSG_ALIGN(h.nlmsg_len);
    if (h.nlmsg_flags & NLM_F_DUMP_INTR) state->interrupted = true;
    if (h.nlmsg_type == NLMSG_DONE) {
      state->done = true;
      return;
    }
    if (h.nlmsg_type == NLMSG_ERROR) {
      int err = 0;
      if (h.nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr))) {
        std::memcpy(&err, msg + NLMSG_HDRLEN, sizeof err);
      }
      // A broken or hostile reply can carry any value, INT_MIN included: negate without overflow.
      long long code = -static_cast<long long>(err);
      bool in_range = code >= 0 && code < 4096;
      errors->add(0, "netlink error " + std::to_string(code) +
                         (in_range ? std::string(" (") + std::strerror(static_cast<int>(code)) + ")"
                                   : std::string()));
      state->error = in_range ? static_cast<int>(code) : EPROTO;
      state->done = true;
      return;
    }
    if (h.nlmsg_type == type) on_msg(msg, h.nlmsg_len, msg_off);
  }
}

bool walk_attrs(const uint8_t* begin, const uint8_t* end, std::string* why,
                const std::function<void(uint16_t, const uint8_t*, size_t)>& on_attr) {
  const uint8_t* p = begin;
  while (p + sizeof(rtattr) <= end) {
    rtattr a;
    std::memcpy(&a, p, sizeof a);
    const size_t left = static_cast<size_t>(end - p);
    if (a.rta_len < sizeof(rtattr) || a.rta_len > left) {
      *why = "attribute type " + std::to_string(a.rta_type & NLA_TYPE_MASK) + " at byte " +
             std::to_string(p - begin) + " has length " + std::to_string(a.rta_len) + ", " +
             std::to_string(left) + " bytes left";
      return false;
    }
    on_attr(a.rta_type & NLA_TYPE_MASK, p + RTA_LENGTH(0), a.rta_len - RTA_LENGTH(0));
    const size_t step = RTA_ALIGN(a.rta_len);
    if (step >= left) break;
    p += step;
  }
  return true;
}

void check_dump(const DumpState& state, const char* what) {
  const std::string where = std::string("netlink ") + what + ": ";
  if (state.truncated) {
    throw DumpError(DumpFault::kTruncated, where + "a message runs past the end of its datagram");
  }
  if (state.error != 0) {
    throw DumpError(fault_of_errno(state.error), where + "the kernel ended the dump with error " +
                                                     std::to_string(state.error) + " (" +
                                                     std::strerror(state.error) + ")");
  }
  if (state.interrupted) {
    throw DumpError(DumpFault::kInterrupted,
                    where + "dump interrupted by concurrent changes (NLM_F_DUMP_INTR)");
  }
}

RtnlSocket::~RtnlSocket() {
  reset();
}

void RtnlSocket::reset() {
  if (sock_ >= 0) ::close(sock_);
  sock_ = -1;
}

void RtnlSocket::dump(std::span<uint8_t> req, const char* what,
                      std::chrono::steady_clock::time_point deadline,
                      const std::function<bool(std::span<const uint8_t>)>& on_buffer) {
  if (sock_ < 0) {
    sock_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol_);
    if (sock_ < 0) {
      throw DumpError(DumpFault::kError, std::string("netlink socket: ") + std::strerror(errno));
    }
    timeval tv{1, 0};  // a dump never takes this long; bounds a stuck receive
    ::setsockopt(sock_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  nlmsghdr h;
  std::memcpy(&h, req.data(), sizeof h);
  h.nlmsg_seq = ++seq_;
  std::memcpy(req.data(), &h, sizeof h);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock_, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    int e = errno;
    reset();
    throw DumpError(e == ENOBUFS ? DumpFault::kNoBuffers : DumpFault::kError,
                    std::string("netlink ") + what + ": " + std::strerror(e));
  }
  if (buf_.size() < 65536) buf_.resize(65536, 0);
  for (;;) {
    ssize_t n = ::recv(sock_, buf_.data(), buf_.size(), MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    const int e = n < 0 ? errno : 0;
    // ENOBUFS: the socket overran and the kernel dropped messages; the dump is repeated.
    DumpFault fault = e == ENOBUFS ? DumpFault::kNoBuffers : DumpFault::kError;
    const char* why = nullptr;
    if (n < 0) {
      why = std::strerror(e);
    } else if (n == 0) {
      why = "socket closed before the end of the dump";
    } else if (static_cast<size_t>(n) > buf_.size()) {
      why = "a message larger than the 64 KiB receive buffer (MSG_TRUNC)";
      fault = DumpFault::kTruncated;
    } else if (std::chrono::steady_clock::now() > deadline) {
      why = "dump not finished by the collector deadline";
      fault = DumpFault::kDeadline;
    }
    if (why) {
      std::string msg = std::string("netlink ") + what + ": " + why;
      reset();  // a half-read dump would be answered on the next request; start afresh
      throw DumpError(fault, msg);
    }
    if (on_buffer({buf_.data(), static_cast<size_t>(n)})) return;
  }
}

}  // namespace vitals::netlink
