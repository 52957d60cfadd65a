// ntp: node_ntp_* from one SNTP query (UDP, client mode, --collector.ntp.protocol-version) to
// --collector.ntp.server, as node_exporter 1.5.0 does. The query waits at most one second (as
// node_exporter, "the default ntpdate timeout") or until the scrape's deadline, whichever is
// sooner.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "collectors/services/ntp_packet.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kStratum{"node_ntp_stratum", "NTPD stratum.", MetricType::kGauge};
constexpr Desc kLeap{"node_ntp_leap", "NTPD leap second indicator, 2 bits.", MetricType::kGauge};
constexpr Desc kRtt{"node_ntp_rtt_seconds", "RTT to NTPD.", MetricType::kGauge};
constexpr Desc kOffset{"node_ntp_offset_seconds", "ClockOffset between NTP and local clock.",
                       MetricType::kGauge};
constexpr Desc kRefTime{"node_ntp_reference_timestamp_seconds",
                        "NTPD ReferenceTime, UNIX timestamp.", MetricType::kGauge};
constexpr Desc kRootDelay{"node_ntp_root_delay_seconds", "NTPD RootDelay.", MetricType::kGauge};
constexpr Desc kRootDispersion{"node_ntp_root_dispersion_seconds", "NTPD RootDispersion.",
                               MetricType::kGauge};
constexpr Desc kSanity{"node_ntp_sanity",
                       "NTPD sanity according to RFC5905 heuristics and configured limits.",
                       MetricType::kGauge};

constexpr auto kTimeout = std::chrono::seconds(1);

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool is_loopback_ip(const std::string& s) {
  in_addr a4;
  in6_addr a6;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
    // An IPv4-mapped loopback address (::ffff:127.x.y.z), which Go's IsLoopback accepts.
    return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
  }
  return false;
}

int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class NtpCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths&) {
    auto c = std::make_unique<NtpCollector>();
    c->server_ = o.str("server");
    c->port_ = o.integer("server-port");
    c->version_ = static_cast<int>(o.integer("protocol-version"));
    c->ttl_ = static_cast<int>(o.integer("ip-ttl"));
    c->opts_.max_distance_ns = o.duration("max-distance").count();
    c->opts_.offset_tolerance_ns = o.duration("local-offset-tolerance").count();
    // node_exporter's checks, with its messages.
    if (!o.boolean("server-is-local") && !is_loopback_ip(c->server_)) {
      throw std::invalid_argument(
          "only IP address of local NTP server is valid for --collector.ntp.server");
    }
    if (c->version_ < 2 || c->version_ > 4) {
      throw std::invalid_argument("invalid NTP protocol version " + std::to_string(c->version_) +
                                  "; must be 2, 3, or 4");
    }
    if (c->opts_.offset_tolerance_ns < 0) {
      throw std::invalid_argument("offset tolerance must be non-negative");
    }
    if (c->port_ < 1 || c->port_ > 65535) {
      throw std::invalid_argument("invalid NTP port number " + std::to_string(c->port_) +
                                  "; must be between 1 and 65535 inclusive");
    }
    return c;
  }

  void collect(const CollectContext& ctx, MetricSet& out) override {
    auto r = query(ctx);
    out.add(kStratum).add(r.stratum);
    out.add(kLeap).add(r.leap);
    out.add(kRtt).add(r.rtt);
    out.add(kOffset).add(r.offset);
    out.add(kRefTime).add(r.reference_time);
    out.add(kRootDelay).add(r.root_delay);
    out.add(kRootDispersion).add(r.root_dispersion);
    out.add(kSanity).add(r.sane ? 1 : 0);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw CollectError("couldn't get SNTP reply from " + server_ + ":" + std::to_string(port_) +
                       ": " + what);
  }

  ntp::Result query(const CollectContext& ctx) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string port = std::to_string(port_);
    if (int rc = getaddrinfo(server_.c_str(), port.c_str(), &hints, &res); rc != 0) {
      fail(gai_strerror(rc));
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, &freeaddrinfo);
    Fd s;
    s.fd = ::socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s.fd < 0) fail(std::strerror(errno));
    if (res->ai_family == AF_INET6) {
      ::setsockopt(s.fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl_, sizeof ttl_);
    } else {
      ::setsockopt(s.fd, IPPROTO_IP, IP_TTL, &ttl_, sizeof ttl_);
    }
    // Connected: an ICMP port-unreachable ends the wait at once (ECONNREFUSED).
    if (::connect(s.fd, res->ai_addr, res->ai_addrlen) != 0) fail(std::strerror(errno));

    uint64_t marker = 0;
    if (getrandom(&marker, sizeof marker, GRND_NONBLOCK) != sizeof marker) {
      marker = static_cast<uint64_t>(unix_now_ns());
    }
    auto req = ntp::request(version_, marker);
    auto start = std::chrono::steady_clock::now();
    int64_t sent = unix_now_ns();
    if (::send(s.fd, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) {
      fail(std::strerror(errno));
    }
    auto until = std::min(start + kTimeout, ctx.deadline);
    char buf[256];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      until - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) fail("i/o timeout");
      pollfd p{s.fd, POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(left));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(std::strerror(errno));
      if (n == 0) fail("i/o timeout");
      ssize_t got = ::recv(s.fd, buf, sizeof buf, 0);
      if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        fail(std::strerror(errno));
      }
      int64_t received = sent + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now() - start)
                                    .count();
      std::string error;
      auto pkt = ntp::parse(std::string_view(buf, static_cast<size_t>(got)), &error);
      if (!pkt) fail(error);
      auto r = ntp::evaluate(*pkt, marker, sent, received, opts_, &leap_midnight_, &error);
      if (!r) fail(error);
      return *r;
    }
  }

  std::string server_;
  int64_t port_ = 123;
  int version_ = 4;
  int ttl_ = 1;
  ntp::Options opts_;
  int64_t leap_midnight_ = 0;
};

}  // namespace

VITALS_COLLECTOR(
    NtpCollector, "ntp", false, "Exposes the local NTP server's state (one SNTP query).",
    {{"server", OptionKind::kString, "127.0.0.1", "NTP server to use for ntp collector."},
     {"server-port", OptionKind::kInt, "123", "UDP port number to connect to on NTP server."},
     {"protocol-version", OptionKind::kInt, "4", "NTP protocol version."},
     {"server-is-local", OptionKind::kBool, "false", "Certify that the server is local."},
     {"ip-ttl", OptionKind::kInt, "1", "IP TTL to use while sending NTP query."},
     {"max-distance", OptionKind::kDuration, "3.46608s", "Max accumulated distance to the root."},
     {"local-offset-tolerance", OptionKind::kDuration, "1ms",
      "Offset between local clock and local ntpd time to tolerate."}});

}  // namespace vitals
