// fibrechannel: node_fibrechannel_* from /sys/class/fc_host/<host>/ (node_exporter 1.5.0 names):
// the statistics/ counters and node_fibrechannel_info with the host's descriptive attributes.
#include <cstring>

#include "collectors/sysfs/fibrechannel.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr Desc kInfo{"node_fibrechannel_info",
                     "Non-numeric data from /sys/class/fc_host/<host>, value is always 1.",
                     MetricType::kGauge};

struct Counter {
  const char* file;
  Desc desc;
};

constexpr auto kC = MetricType::kCounter;
constexpr Counter kCounters[] = {
    {"dumped_frames", {"node_fibrechannel_dumped_frames_total", "Number of dumped frames", kC}},
    {"error_frames", {"node_fibrechannel_error_frames_total", "Number of errors in frames", kC}},
    {"invalid_crc_count",
     {"node_fibrechannel_invalid_crc_total", "Invalid Cyclic Redundancy Check count", kC}},
    {"rx_frames", {"node_fibrechannel_rx_frames_total", "Number of frames received", kC}},
    {"rx_words", {"node_fibrechannel_rx_words_total", "Number of words received by host port", kC}},
    {"tx_frames",
     {"node_fibrechannel_tx_frames_total", "Number of frames transmitted by host port", kC}},
    {"tx_words",
     {"node_fibrechannel_tx_words_total", "Number of words transmitted by host port", kC}},
    {"seconds_since_last_reset",
     {"node_fibrechannel_seconds_since_last_reset_total",
      "Number of seconds since last host port reset", kC}},
    {"invalid_tx_word_count",
     {"node_fibrechannel_invalid_tx_words_total",
      "Number of invalid words transmitted by host port", kC}},
    {"link_failure_count",
     {"node_fibrechannel_link_failure_total", "Number of times the host port link has failed", kC}},
    {"loss_of_sync_count",
     {"node_fibrechannel_loss_of_sync_total",
      "Number of failures on either bit or transmission word boundaries", kC}},
    {"loss_of_signal_count",
     {"node_fibrechannel_loss_of_signal_total", "Number of times signal has been lost", kC}},
    {"nos_count",
     {"node_fibrechannel_nos_total",
      "Number Not_Operational Primitive Sequence received by host port", kC}},
    {"fcp_packet_aborts",
     {"node_fibrechannel_fcp_packet_aborts_total", "Number of aborted packets", kC}},
};

// file -> info label (sorted by label); hex ones lose their "0x".
struct InfoField {
  const char* file;
  bool hex;
};
constexpr InfoField kInfoFields[] = {
    {"dev_loss_tmo", false},  {"fabric_name", true},        {"port_id", true},
    {"port_name", true},      {"port_state", false},        {"port_type", false},
    {"speed", false},         {"supported_classes", false}, {"supported_speeds", false},
    {"symbolic_name", false},
};

class FibrechannelCollector final : public Collector {
 public:
  explicit FibrechannelCollector(const Paths& p) : dir_(p.sys("class/fc_host")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &hosts_, &err)) {
      if (err == ENOENT) throw NoDataError(dir_ + " not found: no Fibre Channel hosts");
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    parse::ParseErrors errors;
    Family& info = out.add(kInfo);
    Family* fams[std::size(kCounters)] = {};
    for (const auto& h : hosts_) {
      if (!h.is_dir) continue;
      std::string host_dir = dir_ + "/" + h.name;
      Label labels[std::size(kInfoFields) + 1];
      labels[0] = {"fc_host", h.name};
      for (size_t i = 0; i < std::size(kInfoFields); ++i) {
        std::string path = host_dir + "/" + kInfoFields[i].file;
        int e = 0;
        auto v = read_value(reader_, path, &e);
        std::string_view value;
        if (v) {
          value = kInfoFields[i].hex ? sysfs::fc_strip_hex_prefix(*v) : *v;
        } else if (e != ENOENT) {
          errors.add_file(path, std::strerror(e));
        }
        info_values_[i].assign(value);  // a view into reader_ would not survive the next read
        labels[i + 1] = {kInfoFields[i].file, info_values_[i]};
      }
      info.add(labels, 1);
      for (size_t i = 0; i < std::size(kCounters); ++i) {
        std::string path = host_dir + "/statistics/" + kCounters[i].file;
        int e = 0;
        auto v = read_value(reader_, path, &e);
        if (!v) {
          if (e != ENOENT) errors.add_file(path, std::strerror(e));
          continue;
        }
        auto n = sysfs::parse_fc_counter(*v);
        if (!n) {
          errors.add_file(path, "invalid counter \"" + std::string(*v) + "\"");
          continue;
        }
        if (*n == sysfs::kFcNotKept) continue;  // the driver does not keep this counter
        if (!fams[i]) fams[i] = &out.add(kCounters[i].desc);
        fams[i]->add({{"fc_host", h.name}}, static_cast<double>(*n));
      }
    }
    throw_if_errors(dir_, errors);
  }

 private:
  std::string dir_;
  std::vector<sysfs::DirEntry> hosts_;
  std::string info_values_[std::size(kInfoFields)];
  FileReader reader_{4096};
};

}  // namespace

VITALS_COLLECTOR(FibrechannelCollector, "fibrechannel", true,
                 "Exposes Fibre Channel statistics from /sys/class/fc_host/.");

}  // namespace vitals
