// ipvs: node_ipvs_* from /proc/net/ip_vs_stats (totals) and /proc/net/ip_vs (per real server,
// summed over the labels chosen with backend-labels), node_exporter 1.5.0 names.
#include <cstring>
#include <map>
#include <stdexcept>

#include "collectors/procfs/ipvs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr auto kC = MetricType::kCounter;
constexpr auto kG = MetricType::kGauge;
constexpr Desc kConnections{"node_ipvs_connections_total", "The total number of connections made.",
                            kC};
constexpr Desc kInPackets{"node_ipvs_incoming_packets_total",
                          "The total number of incoming packets.", kC};
constexpr Desc kOutPackets{"node_ipvs_outgoing_packets_total",
                           "The total number of outgoing packets.", kC};
constexpr Desc kInBytes{"node_ipvs_incoming_bytes_total", "The total amount of incoming data.", kC};
constexpr Desc kOutBytes{"node_ipvs_outgoing_bytes_total", "The total amount of outgoing data.",
                         kC};
constexpr Desc kActive{"node_ipvs_backend_connections_active",
                       "The current active connections by local and remote address.", kG};
constexpr Desc kInactive{"node_ipvs_backend_connections_inactive",
                         "The current inactive connections by local and remote address.", kG};
constexpr Desc kWeight{"node_ipvs_backend_weight",
                       "The current backend weight by local and remote address.", kG};

enum LabelId { kLocalAddress, kLocalPort, kRemoteAddress, kRemotePort, kProto, kLocalMark };
constexpr const char* kAllLabels[] = {"local_address", "local_port", "remote_address",
                                      "remote_port",   "proto",      "local_mark"};

class IpvsCollector final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths& p) {
    return std::make_unique<IpvsCollector>(p, parse_labels(o.str("backend-labels")));
  }

  // node_exporter's rule: the listed labels in their canonical order; an unknown one is an error.
  static std::vector<LabelId> parse_labels(const std::string& text) {
    std::vector<bool> want(std::size(kAllLabels), false);
    std::string unknown;
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      if (comma == std::string::npos) comma = text.size();
      std::string_view l(text.data() + start, comma - start);
      if (!l.empty()) {
        bool found = false;
        for (size_t i = 0; i < std::size(kAllLabels); ++i) {
          if (l == kAllLabels[i]) want[i] = found = true;
        }
        if (!found) unknown += (unknown.empty() ? "" : ", ") + std::string(l);
      }
      start = comma + 1;
    }
    if (!unknown.empty()) {
      throw std::invalid_argument(
          "--collector.ipvs.backend-labels: unknown IPVS backend labels: \"" + unknown + "\"");
    }
    std::vector<LabelId> out;
    for (size_t i = 0; i < want.size(); ++i) {
      if (want[i]) out.push_back(static_cast<LabelId>(i));
    }
    return out;
  }

  IpvsCollector(const Paths& p, std::vector<LabelId> labels)
      : stats_path_(p.proc("net/ip_vs_stats")),
        backends_path_(p.proc("net/ip_vs")),
        labels_(std::move(labels)) {}

  void collect(const CollectContext&, MetricSet& out) override {
    auto file = read_if_present(reader_, stats_path_);
    if (!file) throw NoDataError(stats_path_ + " not found: IPVS not loaded");
    std::string_view text = *file;
    auto s = procfs::parse_ip_vs_stats(text);
    auto put = [&](const Desc& d, const std::optional<uint64_t>& v) {
      if (v) out.add(d).add(static_cast<double>(*v));
    };
    put(kConnections, s.connections);
    put(kInPackets, s.incoming_packets);
    put(kOutPackets, s.outgoing_packets);
    put(kInBytes, s.incoming_bytes);
    put(kOutBytes, s.outgoing_bytes);
    parse::ParseErrors errors;
    errors.append(stats_path_, s.errors);

    int err = 0;
    if (!reader_.try_read(backends_path_, &text, &err)) {
      errors.add_file(backends_path_, std::strerror(err));
      throw_if_errors(stats_path_, errors);
      return;
    }
    auto b = procfs::parse_ip_vs(text);
    errors.append(backends_path_, b.errors);
    // Real servers with the same chosen label values are summed, as node_exporter does.
    struct Sum {
      std::vector<std::string> values;
      double active = 0, inactive = 0, weight = 0;
    };
    std::map<std::string, Sum> sums;
    std::vector<std::string> values(labels_.size());
    std::string key;
    for (const auto& be : b.backends) {
      key.clear();
      for (size_t i = 0; i < labels_.size(); ++i) {
        switch (labels_[i]) {
          case kLocalAddress:
            values[i] = be.local_address;
            break;
          case kLocalPort:
            values[i] = std::to_string(be.local_port);
            break;
          case kRemoteAddress:
            values[i] = be.remote_address;
            break;
          case kRemotePort:
            values[i] = std::to_string(be.remote_port);
            break;
          case kProto:
            values[i] = be.proto;
            break;
          case kLocalMark:
            values[i] = be.local_mark;
            break;
        }
        if (i) key += '-';
        key += values[i];
      }
      Sum& sum = sums[key];
      sum.values = values;
      sum.active += static_cast<double>(be.active);
      sum.inactive += static_cast<double>(be.inactive);
      sum.weight += static_cast<double>(be.weight);
    }
    if (!sums.empty()) {
      Family& active = out.add(kActive);
      Family& inactive = out.add(kInactive);
      Family& weight = out.add(kWeight);
      std::vector<Label> labels(labels_.size());
      for (const auto& [k, sum] : sums) {
        for (size_t i = 0; i < labels_.size(); ++i)
          labels[i] = {kAllLabels[labels_[i]], sum.values[i]};
        active.add(labels, sum.active);
        inactive.add(labels, sum.inactive);
        weight.add(labels, sum.weight);
      }
    }
    throw_if_errors(stats_path_, errors);
  }

 private:
  std::string stats_path_, backends_path_;
  std::vector<LabelId> labels_;
  FileReader reader_{16384};
};

}  // namespace

VITALS_COLLECTOR(IpvsCollector, "ipvs", true,
                 "Exposes IPVS status from /proc/net/ip_vs and stats from /proc/net/ip_vs_stats.",
                 {{"backend-labels", OptionKind::kString,
                   "local_address,local_port,remote_address,remote_port,proto,local_mark",
                   "Comma separated list for IPVS backend stats labels."}});

}  // namespace vitals
