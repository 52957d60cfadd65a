#include "collectors/netlink/link_dumper.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/fs.h"

namespace vitals::netlink {

LinkDumper::~LinkDumper() {
  reset();
}

void LinkDumper::reset() {
  if (sock_ >= 0) ::close(sock_);
  sock_ = -1;
}

void LinkDumper::dump(std::chrono::steady_clock::time_point deadline, uint32_t ext_mask,
                      LinkDump* out) {
  if (sock_ < 0) {
    sock_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (sock_ < 0) throw CollectError(std::string("netlink socket: ") + std::strerror(errno));
    timeval tv{1, 0};  // a dump never takes this long; bounds a stuck receive
    ::setsockopt(sock_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  struct {
    nlmsghdr h;
    ifinfomsg i;
    rtattr a;
    uint32_t mask;
  } req{};
  req.h.nlmsg_len = ext_mask ? sizeof req : NLMSG_LENGTH(sizeof(ifinfomsg));
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = ++seq_;
  req.i.ifi_family = AF_UNSPEC;
  req.a.rta_type = IFLA_EXT_MASK;
  req.a.rta_len = RTA_LENGTH(sizeof(uint32_t));
  req.mask = ext_mask;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock_, &req, req.h.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    int e = errno;
    reset();
    throw CollectError(std::string("netlink RTM_GETLINK: ") + std::strerror(e));
  }
  out->links.clear();
  out->errors.clear();
  out->done = false;
  out->interrupted = false;
  if (buf_.size() < 65536) buf_.resize(65536, 0);
  while (!out->done) {
    ssize_t n = ::recv(sock_, buf_.data(), buf_.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    const char* why = n < 0    ? std::strerror(errno)
                      : n == 0 ? "socket closed before the end of the dump"
                      : std::chrono::steady_clock::now() > deadline
                          ? "dump not finished by the collector deadline"
                          : nullptr;
    if (why) {
      std::string msg = std::string("netlink RTM_GETLINK: ") + why;
      reset();  // a half-read dump would be answered on the next request; start afresh
      throw CollectError(msg);
    }
    parse_link_dump({buf_.data(), static_cast<size_t>(n)}, out);
  }
}

}  // namespace vitals::netlink
