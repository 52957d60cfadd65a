// The floor for the sockets/tcpstat benchmark: a minimal program that does nothing but the same
// netlink sock_diag dump tcpstat does (TCP, IPv4 then IPv6, every state, no attributes asked for)
// and counts sockets per state. Prints the CPU time (user + system, getrusage) per dump.
//
//   sock_diag_floor [iterations]
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

unsigned long counts[256];

bool dump(int fd, unsigned char family, unsigned seq) {
  struct {
    nlmsghdr h;
    inet_diag_req_v2 r;
  } req;
  std::memset(&req, 0, sizeof req);
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = seq;
  req.r.sdiag_family = family;
  req.r.sdiag_protocol = IPPROTO_TCP;
  req.r.idiag_states = 0xFFF;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    return false;
  }
  alignas(8) static char buf[32768];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    int len = static_cast<int>(n);
    for (nlmsghdr* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) return true;
      if (h->nlmsg_type == NLMSG_ERROR) return false;
      const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      ++counts[m->idiag_state];
    }
  }
}

double cpu_seconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 20;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    std::perror("socket");
    return 1;
  }
  unsigned long sockets = 0;
  double start = cpu_seconds();
  for (int i = 0; i < iterations; ++i) {
    std::memset(counts, 0, sizeof counts);
    if (!dump(fd, AF_INET, 2 * i + 1) || !dump(fd, AF_INET6, 2 * i + 2)) {
      std::fprintf(stderr, "dump failed\n");
      return 1;
    }
  }
  double cpu = cpu_seconds() - start;
  for (unsigned long c : counts) sockets += c;
  std::printf("iterations=%d sockets=%lu established=%lu cpu_per_dump_us=%.1f\n", iterations,
              sockets, counts[1], cpu / iterations * 1e6);
  return 0;
}
