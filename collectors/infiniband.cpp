// infiniband: node_infiniband_* from /sys/class/infiniband/<device>/ (board_id, fw_ver,
// hca_type) and its ports/<port>/ (state, phys_state, rate, counters/, counters_ext/),
// node_exporter 1.5.0 names. A counter the device cannot report ("N/A (no PMA)") is left out.
#include <cstring>

#include "collectors/sysfs/infiniband.h"
#include "collectors/sysfs/sysfs.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr auto kG = MetricType::kGauge;
constexpr auto kC = MetricType::kCounter;

constexpr Desc kInfo{"node_infiniband_info",
                     "Non-numeric data from /sys/class/infiniband/<device>, value is always 1.",
                     kG};
constexpr Desc kState{
    "node_infiniband_state_id",
    "State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act "
    "defer)",
    kG};
constexpr Desc kPhysState{
    "node_infiniband_physical_state_id",
    "Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, 4: "
    "shift, 5: link up, 6: link error recover, 7: phytest)",
    kG};
constexpr Desc kRate{"node_infiniband_rate_bytes_per_second", "Maximum signal transfer rate", kG};

struct CounterFile {
  std::string_view file;
  Desc desc;
  double scale = 1;  // *_data files count 32-bit words
};

// ports/<port>/counters/
constexpr CounterFile kCounters[] = {
    {"excessive_buffer_overrun_errors",
     {"node_infiniband_excessive_buffer_overrun_errors_total",
      "Number of times that OverrunErrors consecutive flow control update periods occurred, each "
      "having at least one overrun error.",
      kC}},
    {"link_downed",
     {"node_infiniband_link_downed_total",
      "Number of times the link failed to recover from an error state and went down", kC}},
    {"link_error_recovery",
     {"node_infiniband_link_error_recovery_total",
      "Number of times the link successfully recovered from an error state", kC}},
    {"local_link_integrity_errors",
     {"node_infiniband_local_link_integrity_errors_total",
      "Number of times that the count of local physical errors exceeded the threshold specified "
      "by LocalPhyErrors.",
      kC}},
    {"multicast_rcv_packets",
     {"node_infiniband_multicast_packets_received_total",
      "Number of multicast packets received (including errors)", kC}},
    {"multicast_xmit_packets",
     {"node_infiniband_multicast_packets_transmitted_total",
      "Number of multicast packets transmitted (including errors)", kC}},
    {"port_rcv_constraint_errors",
     {"node_infiniband_port_constraint_errors_received_total",
      "Number of packets received on the switch physical port that are discarded", kC}},
    {"port_rcv_data",
     {"node_infiniband_port_data_received_bytes_total",
      "Number of data octets received on all links", kC},
     4},
    {"port_rcv_discards",
     {"node_infiniband_port_discards_received_total",
      "Number of inbound packets discarded by the port because the port is down or congested", kC}},
    {"port_rcv_errors",
     {"node_infiniband_port_errors_received_total",
      "Number of packets containing an error that were received on this port", kC}},
    {"port_rcv_packets",
     {"node_infiniband_port_packets_received_total",
      "Number of packets received on all VLs by this port (including errors)", kC}},
    {"port_rcv_remote_physical_errors",
     {"node_infiniband_port_receive_remote_physical_errors_total",
      "Number of packets marked with the EBP (End of Bad Packet) delimiter received on the port.",
      kC}},
    {"port_rcv_switch_relay_errors",
     {"node_infiniband_port_receive_switch_relay_errors_total",
      "Number of packets that could not be forwarded by the switch.", kC}},
    {"port_xmit_constraint_errors",
     {"node_infiniband_port_constraint_errors_transmitted_total",
      "Number of packets not transmitted from the switch physical port", kC}},
    {"port_xmit_data",
     {"node_infiniband_port_data_transmitted_bytes_total",
      "Number of data octets transmitted on all links", kC},
     4},
    {"port_xmit_discards",
     {"node_infiniband_port_discards_transmitted_total",
      "Number of outbound packets discarded by the port because the port is down or congested",
      kC}},
    {"port_xmit_packets",
     {"node_infiniband_port_packets_transmitted_total",
      "Number of packets transmitted on all VLs from this port (including errors)", kC}},
    {"port_xmit_wait",
     {"node_infiniband_port_transmit_wait_total",
      "Number of ticks during which the port had data to transmit but no data was sent during the "
      "entire tick",
      kC}},
    {"symbol_error",
     {"node_infiniband_symbol_error_total",
      "Number of minor link errors detected on one or more physical lanes.", kC}},
    {"unicast_rcv_packets",
     {"node_infiniband_unicast_packets_received_total",
      "Number of unicast packets received (including errors)", kC}},
    {"unicast_xmit_packets",
     {"node_infiniband_unicast_packets_transmitted_total",
      "Number of unicast packets transmitted (including errors)", kC}},
    {"VL15_dropped",
     {"node_infiniband_vl15_dropped_total",
      "Number of incoming VL15 packets dropped due to resource limitations.", kC}},
};

// ports/<port>/counters_ext/
constexpr CounterFile kExtCounters[] = {
    {"port_multicast_rcv_packets",
     {"node_infiniband_legacy_multicast_packets_received_total",
      "Number of multicast packets received", kC}},
    {"port_multicast_xmit_packets",
     {"node_infiniband_legacy_multicast_packets_transmitted_total",
      "Number of multicast packets transmitted", kC}},
    {"port_rcv_data_64",
     {"node_infiniband_legacy_data_received_bytes_total",
      "Number of data octets received on all links", kC},
     4},
    {"port_rcv_packets_64",
     {"node_infiniband_legacy_packets_received_total",
      "Number of data packets received on all links", kC}},
    {"port_unicast_rcv_packets",
     {"node_infiniband_legacy_unicast_packets_received_total", "Number of unicast packets received",
      kC}},
    {"port_unicast_xmit_packets",
     {"node_infiniband_legacy_unicast_packets_transmitted_total",
      "Number of unicast packets transmitted", kC}},
    {"port_xmit_data_64",
     {"node_infiniband_legacy_data_transmitted_bytes_total",
      "Number of data octets transmitted on all links", kC},
     4},
    {"port_xmit_packets_64",
     {"node_infiniband_legacy_packets_transmitted_total",
      "Number of data packets received on all links", kC}},
};

class InfinibandCollector final : public Collector {
 public:
  explicit InfinibandCollector(const Paths& p) : dir_(p.sys("class/infiniband")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    int err = 0;
    if (!sysfs::list_dir(dir_, &devices_, &err)) {
      if (err == ENOENT) throw NoDataError(dir_ + " not found: no InfiniBand devices");
      throw CollectError("list " + dir_ + ": " + std::strerror(err));
    }
    errors_.clear();
    std::fill(std::begin(fams_), std::end(fams_), nullptr);
    std::fill(std::begin(ext_fams_), std::end(ext_fams_), nullptr);
    Family& info = out.add(kInfo);
    Family& state = out.add(kState);
    Family& phys = out.add(kPhysState);
    Family& rate = out.add(kRate);
    for (const auto& d : devices_) {
      if (!d.is_dir) continue;
      std::string dev_dir = dir_ + "/" + d.name;
      std::string board = text(dev_dir + "/board_id");
      std::string fw = text(dev_dir + "/fw_ver");
      std::string hca = text(dev_dir + "/hca_type");
      info.add(
          {{"board_id", board}, {"device", d.name}, {"firmware_version", fw}, {"hca_type", hca}},
          1);
      std::string ports_dir = dev_dir + "/ports";
      if (!sysfs::list_dir(ports_dir, &ports_, &err)) {
        errors_.add_file(ports_dir, std::strerror(err));
        continue;
      }
      for (const auto& p : ports_) {
        if (!p.is_dir) continue;
        std::string port_dir = ports_dir + "/" + p.name;
        Label labels[] = {{"device", d.name}, {"port", p.name}};
        parsed(port_dir + "/state", sysfs::parse_ib_state, state, labels);
        parsed(port_dir + "/phys_state", sysfs::parse_ib_state, phys, labels);
        parsed(port_dir + "/rate", sysfs::parse_ib_rate, rate, labels);
        counters(out, port_dir + "/counters", kCounters, fams_, labels);
        counters(out, port_dir + "/counters_ext", kExtCounters, ext_fams_, labels);
      }
    }
    throw_if_errors(dir_, errors_);
  }

 private:
  std::string text(const std::string& path) {
    int e = 0;
    auto v = read_value(reader_, path, &e);
    if (!v) {
      if (e != ENOENT) errors_.add_file(path, std::strerror(e));
      return {};
    }
    return std::string(*v);
  }

  template <class Parse>
  void parsed(const std::string& path, Parse parse, Family& f, std::span<const Label> labels) {
    int e = 0;
    auto v = read_value(reader_, path, &e);
    if (!v) {
      errors_.add_file(path, std::strerror(e));
      return;
    }
    auto n = parse(*v);
    if (!n) {
      errors_.add_file(path, "unexpected value \"" + std::string(*v) + "\"");
      return;
    }
    f.add(labels, static_cast<double>(*n));
  }

  template <size_t N>
  void counters(MetricSet& out, const std::string& dir, const CounterFile (&table)[N],
                Family* (&fams)[N], std::span<const Label> labels) {
    int e = 0;
    if (!sysfs::list_dir(dir, &files_, &e)) {
      if (e != ENOENT) errors_.add_file(dir, std::strerror(e));
      return;
    }
    for (const auto& f : files_) {
      for (size_t i = 0; i < N; ++i) {
        if (table[i].file != f.name) continue;
        std::string path = dir + "/" + f.name;
        auto v = read_value(reader_, path, &e);
        if (!v) {
          errors_.add_file(path, std::strerror(e));
          break;
        }
        uint64_t n = 0;
        auto r = sysfs::parse_ib_counter(*v, &n);
        if (r == sysfs::IbCounter::kInvalid) {
          errors_.add_file(path, "invalid counter \"" + std::string(*v) + "\"");
        } else if (r == sysfs::IbCounter::kValue) {
          if (!fams[i]) fams[i] = &out.add(table[i].desc);
          fams[i]->add(labels, static_cast<double>(n) * table[i].scale);
        }
        break;
      }
    }
  }

  std::string dir_;
  std::vector<sysfs::DirEntry> devices_, ports_, files_;
  FileReader reader_{4096};
  parse::ParseErrors errors_;
  Family* fams_[std::size(kCounters)] = {};
  Family* ext_fams_[std::size(kExtCounters)] = {};
};

}  // namespace

VITALS_COLLECTOR(InfinibandCollector, "infiniband", true,
                 "Exposes network statistics specific to InfiniBand and Intel OmniPath "
                 "configurations from /sys/class/infiniband/.");

}  // namespace vitals
