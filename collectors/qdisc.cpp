// qdisc: root queueing discipline statistics per interface (node_exporter 1.5.0 names), from
// one rtnetlink RTM_GETQDISC dump per scrape (the request ema/qdisc sends: all qdiscs of all
// interfaces). node_exporter's test path is kept: --collector.qdisc.fixtures=DIR reads
// DIR/results.json (that library's QdiscInfo list) instead.
#include <net/if.h>

#include <unordered_map>

#include "collectors/net/qdisc_json.h"
#include "collectors/netlink/qdisc.h"
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

  void collect(const CollectContext& ctx, MetricSet& out) override {
    std::string path;
    net::QdiscList list;
    if (fixtures_.empty()) {
      path = "netlink RTM_GETQDISC";
      read_netlink(ctx, &list);
    } else {
      path = Paths::join(fixtures_, "results.json");
      list = net::parse_qdisc_json(reader_.read(path));
    }
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
  void read_netlink(const CollectContext& ctx, net::QdiscList* list) {
    struct {
      nlmsghdr h;
      tcmsg t;
    } req{};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = RTM_GETQDISC;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    // Again when the dump was inconsistent (collectors/netlink/dump_retry.h).
    netlink::with_dump_retries("qdisc", [&] {
      dump_.qdiscs.clear();
      dump_.errors.clear();
      dump_.state = {};
      sock_.dump({reinterpret_cast<uint8_t*>(&req), sizeof req}, "RTM_GETQDISC", ctx.deadline,
                 [this](std::span<const uint8_t> buf) {
                   netlink::parse_qdisc_dump(buf, &dump_);
                   return dump_.state.done;
                 });
      netlink::check_dump(dump_.state, "RTM_GETQDISC");
    });
    list->errors = std::move(dump_.errors);
    std::unordered_map<int32_t, std::string> names;
    for (const netlink::Qdisc& q : dump_.qdiscs) {
      auto [it, fresh] = names.try_emplace(q.ifindex);
      if (fresh) {
        char buf[IF_NAMESIZE] = {};
        if (q.ifindex > 0 && ::if_indextoname(static_cast<unsigned>(q.ifindex), buf)) {
          it->second = buf;
        }
      }
      if (it->second.empty()) {
        // ema/qdisc fails the whole list here; only this qdisc is left out.
        list->errors.add(
            0, "no interface with index " + std::to_string(q.ifindex) + " (gone since the dump?)");
        continue;
      }
      net::QdiscInfo& i = list->qdiscs.emplace_back();
      i.iface = it->second;
      i.kind = q.kind;
      i.parent = q.parent;
      i.handle = q.handle;
      i.bytes = q.bytes;
      i.packets = q.packets;
      i.drops = q.drops;
      i.requeues = q.requeues;
      i.overlimits = q.overlimits;
      i.qlen = q.qlen;
      i.backlog = q.backlog;
    }
  }

  std::string fixtures_;
  DeviceFilter filter_;
  FileReader reader_{4096, FileReader::Mode::kReopen};
  netlink::RtnlSocket sock_;
  netlink::QdiscDump dump_;
};

}  // namespace

VITALS_COLLECTOR(QdiscCollector, "qdisc", false,
                 "Exposes queuing discipline statistics (rtnetlink RTM_GETQDISC dump).",
                 {{"fixtures", OptionKind::kString, "",
                   "Test fixtures to use for qdisc collector end-to-end testing."},
                  {"device-include", OptionKind::kRegex, "",
                   "Regexp of qdisk devices to include (mutually exclusive to device-exclude).",
                   "collector.qdisk.device-include"},
                  {"device-exclude", OptionKind::kRegex, "",
                   "Regexp of qdisk devices to exclude (mutually exclusive to device-include).",
                   "collector.qdisk.device-exclude"}});

}  // namespace vitals
