// udp_queues: bytes queued in UDP sockets, from /proc/net/udp and /proc/net/udp6 (node_exporter
// 1.5.0 names).
#include <cstring>

#include "collectors/procfs/netmisc.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kQueues{"node_udp_queues",
                       "Number of allocated memory in the kernel for UDP datagrams in bytes.",
                       MetricType::kGauge};

class UdpQueuesCollector final : public Collector {
 public:
  explicit UdpQueuesCollector(const Paths& p) : v4_(p.proc("net/udp")), v6_(p.proc("net/udp6")) {}
  void collect(const CollectContext&, MetricSet& out) override {
    Family& f = out.add(kQueues);
    std::string error;
    int missing = 0;
    auto one = [&](const std::string& path, std::string_view ip) {
      std::string_view text;
      int err = 0;
      if (!reader_.try_read(path, &text, &err)) {
        if (err == ENOENT) {
          ++missing;  // no IPv6 (or no IPv4) on this host
        } else if (error.empty()) {
          error = "read " + path + ": " + std::strerror(err);
        }
        return;
      }
      auto q = procfs::parse_udp_queues(text);
      f.add({{"queue", "tx"}, {"ip", ip}}, q.tx);
      f.add({{"queue", "rx"}, {"ip", ip}}, q.rx);
      if (!q.errors.empty() && error.empty()) error = path + ": " + q.errors.front();
    };
    one(v4_, "v4");
    one(v6_, "v6");
    if (missing == 2) throw CollectError(v4_ + ", " + v6_ + ": no such files");
    if (!error.empty()) throw CollectError(error);
  }

 private:
  std::string v4_, v6_;
  FileReader reader_{65536};
};

}  // namespace

VITALS_REGISTER_COLLECTOR(udp_queues, {.name = "udp_queues",
                                       .default_enabled = true,
                                       .help = "Exposes UDP total lengths of the rx_queue and "
                                               "tx_queue from /proc/net/udp and /proc/net/udp6.",
                                       .options = {},
                                       .make = [](const CollectorOptions&, const Paths& p) {
                                         return std::make_unique<UdpQueuesCollector>(p);
                                       }});

}  // namespace vitals
