// tcpstat: node_tcp_connection_states{state} as node_exporter 1.5.0 makes it: the number of TCP
// sockets (IPv4, plus IPv6 when <procfs>/net/tcp6 exists) in each state that has any, plus the
// summed rx_queued_bytes and tx_queued_bytes (for a listener these are, as the kernel reports
// them over netlink, its accept queue length and backlog). One sock_diag dump for both families
// (net::DumpRequest's AF_UNSPEC), no attributes asked for; the /proc/net fallback gives the same
// counts but a listener's tx_queued_bytes there is 0.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include "collectors/net/socket_source.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kStates{"node_tcp_connection_states", "Number of connection states.",
                       MetricType::kGauge};

class TcpstatCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  TcpstatCollector(net::SourceMode mode, const Paths& p)
      : source_(mode, p), tcp6_path_(p.proc("net/tcp6")) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    double rx = 0, tx = 0;
    uint64_t sockets = 0;
    auto count = [&](const net::InetSocket& s) {
      ++counts_[s.state];
      rx += s.rqueue;
      tx += s.wqueue;
      ++sockets;
    };
    // Both families in one dump when IPv6 is there (one walk of the kernel's TCP tables), again
    // from zero when a dump was inconsistent (collectors/netlink/dump_retry.h).
    const bool v6 = ::access(tcp6_path_.c_str(), F_OK) == 0;
    netlink::with_dump_retries("tcpstat", [&] {
      counts_.fill(0);
      rx = tx = 0;
      sockets = 0;
      net::DumpRequest r{.family = static_cast<uint8_t>(v6 ? AF_UNSPEC : AF_INET),
                         .protocol = IPPROTO_TCP,
                         .states = net::kAllStates};
      source_.dump(r, ctx.deadline, count);
    });
    if (sockets == 0) return;  // node_exporter emits nothing then
    Family& f = out.add(kStates);
    uint64_t unknown = 0;
    for (int st = 0; st < 256; ++st) {
      if (counts_[st] == 0) continue;
      std::string_view name = net::tcp_state_name(st);
      if (name == "unknown") {
        unknown += counts_[st];
      } else {
        f.add({{"state", name}}, static_cast<double>(counts_[st]));
      }
    }
    if (unknown > 0) f.add({{"state", "unknown"}}, static_cast<double>(unknown));
    f.add({{"state", "rx_queued_bytes"}}, rx);
    f.add({{"state", "tx_queued_bytes"}}, tx);
    f.sort_samples();
  }

 private:
  net::SocketSource source_;
  std::string tcp6_path_;
  std::array<uint64_t, 256> counts_{};
};

net::SourceMode source_mode(const CollectorOptions& o) {
  net::SourceMode m;
  if (!net::parse_source_mode(o.str("source"), &m)) {
    throw std::invalid_argument("--collector.tcpstat.source: want auto, netlink or procfs, got \"" +
                                o.str("source") + "\"");
  }
  return m;
}

std::unique_ptr<Collector> TcpstatCollector::create(const CollectorOptions& o, const Paths& p) {
  return std::make_unique<TcpstatCollector>(source_mode(o), p);
}

}  // namespace

VITALS_COLLECTOR(TcpstatCollector, "tcpstat", false, "Exposes TCP connection status information.",
                 {{"source", OptionKind::kString, "auto",
                   "Where to read sockets: netlink (sock_diag), procfs (<path.procfs>/net/tcp*) "
                   "or auto (netlink, falling back to procfs when sock_diag is unavailable)."}});

}  // namespace vitals
