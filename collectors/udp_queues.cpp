// udp_queues: bytes queued in UDP sockets, summed per IP version (node_exporter 1.5.0 names).
// node_exporter reads /proc/net/udp and /proc/net/udp6; every read(2) of those files makes the
// kernel walk the UDP hash table from its start (and reading to EOF takes at least two reads per
// file). On a live procfs (Paths::live_procfs: /proc, or a host's /proc mounted into a container)
// vitals asks netlink sock_diag instead (one walk per family, the same rqueue/wqueue numbers the
// files print) and reads the files only with --collector.udp_queues.source=procfs, when netlink
// is unavailable, or when --path.procfs is not a procfs showing vitals' network namespace (a
// fixture tree).
//
// The walk covers every slot of the UDP hash table (tens of thousands on a large host) however
// few sockets there are, so on a live procfs the collector first reads the UDP socket count of
// /proc/net/sockstat{,6} ("UDP: inuse N", a per-namespace counter of the same hashed sockets the
// walk would find): for a family with none, the queues are 0 without a walk.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "collectors/net/socket_source.h"
#include "collectors/procfs/netmisc.h"
#include "core/collector.h"
#include "core/log.h"

namespace vitals {
namespace {

constexpr Desc kQueues{"node_udp_queues",
                       "Number of allocated memory in the kernel for UDP datagrams in bytes.",
                       MetricType::kGauge};

class UdpQueuesCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p);
  UdpQueuesCollector(net::SourceMode mode, const Paths& p)
      : UdpQueuesCollector(mode, p, p.live_procfs()) {}
  // netlink answers for the namespace vitals runs in: auto takes it only on a live procfs.
  UdpQueuesCollector(net::SourceMode mode, const Paths& p, bool live)
      : source_(mode == net::SourceMode::kAuto && !live ? net::SourceMode::kProcfs : mode, p),
        v4_(p.proc("net/udp")),
        v6_(p.proc("net/udp6")),
        sockstat_{p.proc("net/sockstat"), p.proc("net/sockstat6")},
        live_(live) {
    const bool files =
        mode == net::SourceMode::kProcfs || (mode == net::SourceMode::kAuto && !live);
    log::debug("udp_queues source", {{"source", files ? "file" : "netlink"}, {"path", v4_}});
  }

  void collect(const CollectContext& ctx, MetricSet& out) override {
    bool have4 = ::access(v4_.c_str(), F_OK) == 0;
    bool have6 = ::access(v6_.c_str(), F_OK) == 0;
    if (!have4 && !have6) throw CollectError(v4_ + ", " + v6_ + ": no such files");
    double q[2][2] = {};  // [v4, v6][tx, rx]
    int idx = 0;
    auto sum = [&](const net::InetSocket& s) {
      q[idx][0] += s.wqueue;
      q[idx][1] += s.rqueue;
    };
    // Both families again from zero when a dump was inconsistent (collectors/netlink/dump_retry.h).
    netlink::with_dump_retries("udp_queues", [&] {
      std::fill(&q[0][0], &q[0][0] + 4, 0.0);
      idx = 0;
      net::DumpRequest r{.family = AF_INET, .protocol = IPPROTO_UDP, .states = net::kAllStates};
      if (have4 && !none_in_use(0)) source_.dump(r, ctx.deadline, sum);
      if (have6 && !none_in_use(1)) {
        idx = 1;
        r.family = AF_INET6;
        source_.dump(r, ctx.deadline, sum);
      }
    });
    Family& f = out.add(kQueues);
    for (int i = 0; i < 2; ++i) {
      if (!(i == 0 ? have4 : have6)) continue;
      std::string_view ip = i == 0 ? "v4" : "v6";
      f.add({{"queue", "tx"}, {"ip", ip}}, q[i][0]);
      f.add({{"queue", "rx"}, {"ip", ip}}, q[i][1]);
    }
  }

 private:
  // True when <procfs>/net/sockstat (family 0) or sockstat6 (1) of a live procfs says no UDP
  // socket is in use. Anything unclear (not a live procfs, unreadable, no such line) is false,
  // and the walk runs.
  bool none_in_use(int family) {
    if (!live_) return false;
    std::string_view text;
    int err = 0;
    if (!reader_.try_read(sockstat_[family], &text, &err)) return false;
    const std::string_view proto = family == 0 ? "UDP" : "UDP6";
    for (const auto& v : procfs::parse_sockstat(text).values) {
      if (v.protocol == proto && v.key == "inuse") return v.value == 0;
    }
    return false;
  }

  net::SocketSource source_;
  std::string v4_, v6_;
  std::string sockstat_[2];
  bool live_;
  FileReader reader_{1024};
};

std::unique_ptr<Collector> UdpQueuesCollector::create(const CollectorOptions& o, const Paths& p) {
  net::SourceMode m;
  if (!net::parse_source_mode(o.str("source"), &m)) {
    throw std::invalid_argument(
        "--collector.udp_queues.source: want auto, netlink or procfs, got \"" + o.str("source") +
        "\"");
  }
  return std::make_unique<UdpQueuesCollector>(m, p);
}

}  // namespace

VITALS_COLLECTOR(
    UdpQueuesCollector, "udp_queues", true,
    "Exposes UDP total lengths of the rx_queue and tx_queue from /proc/net/udp and /proc/net/udp6.",
    {{"source", OptionKind::kString, "auto",
      "auto (netlink sock_diag when --path.procfs is a procfs showing vitals' network "
      "namespace, else the files), netlink or procfs."}});

}  // namespace vitals
