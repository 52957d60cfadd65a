// qdisc: root queueing discipline statistics per interface (node_exporter 1.5.0 names). Only
// node_exporter's test path is implemented: --collector.qdisc.fixtures=DIR reads DIR/results.json.
// The live source (an rtnetlink RTM_GETQDISC dump) is not implemented yet: without the option
// the collector fails with that message.
#include "collectors/net/qdisc_json.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr MetricType C = MetricType::kCounter;
constexpr MetricType G = MetricType::kGauge;
constexpr Desc kBytes{"node_qdisc_bytes_total", "Number of bytes sent.", C};
constexpr Desc kPackets{"node_qdisc_packets_total", "Number of packets sent.", C};
constexpr Desc kDrops{"node_qdisc_drops_total", "Number of packets dropped.", C};
constexpr Desc kRequeues{"node_qdisc_requeues_total",
                         "Number of packets dequeued, not transmitted, and requeued.", C};
constexpr Desc kOverlimits{"node_qdisc_overlimits_total", "Number of overlimit packets.", C};
constexpr Desc kQlen{"node_qdisc_current_queue_length",
                     "Number of packets currently in queue to be sent.", G};
constexpr Desc kBacklog{"node_qdisc_backlog", "Number of bytes currently in queue to be sent.", G};

class QdiscCollector final : public Collector {
 public:
  QdiscCollector(const CollectorOptions& o, const Paths&)
      : fixtures_(o.str("fixtures")), filter_(o.str("device-include"), o.str("device-exclude")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    if (fixtures_.empty()) {
      throw CollectError(
          "qdisc: the netlink source is not implemented yet; only "
          "--collector.qdisc.fixtures (node_exporter's test JSON) is");
    }
    std::string path = Paths::join(fixtures_, "results.json");
    auto list = net::parse_qdisc_json(reader_.read(path));
    Family& bytes = out.add(kBytes);
    Family& packets = out.add(kPackets);
    Family& drops = out.add(kDrops);
    Family& requeues = out.add(kRequeues);
    Family& overlimits = out.add(kOverlimits);
    Family& qlen = out.add(kQlen);
    Family& backlog = out.add(kBacklog);
    for (const auto& q : list.qdiscs) {
      if (q.parent != 0) continue;  // root qdiscs only
      if (filter_.ignored(q.iface)) continue;
      const Label labels[] = {{"device", q.iface}, {"kind", q.kind}};
      bytes.add(labels, static_cast<double>(q.bytes));
      packets.add(labels, static_cast<double>(q.packets));
      drops.add(labels, static_cast<double>(q.drops));
      requeues.add(labels, static_cast<double>(q.requeues));
      overlimits.add(labels, static_cast<double>(q.overlimits));
      qlen.add(labels, static_cast<double>(q.qlen));
      backlog.add(labels, static_cast<double>(q.backlog));
    }
    throw_if_errors(path, list.errors);
  }

 private:
  std::string fixtures_;
  DeviceFilter filter_;
  FileReader reader_{4096, FileReader::Mode::kReopen};
};

}  // namespace

VITALS_COLLECTOR(
    QdiscCollector, "qdisc", false,
    "Exposes queuing discipline statistics (only from node_exporter's test JSON so far).",
    {{"fixtures", OptionKind::kString, "",
      "Test fixtures to use for qdisc collector end-to-end testing."},
     {"device-include", OptionKind::kRegex, "",
      "Regexp of qdisk devices to include (mutually exclusive to device-exclude).",
      "collector.qdisk.device-include"},
     {"device-exclude", OptionKind::kRegex, "",
      "Regexp of qdisk devices to exclude (mutually exclusive to device-include).",
      "collector.qdisk.device-exclude"}});

}  // namespace vitals
