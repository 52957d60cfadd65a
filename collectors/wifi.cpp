// wifi: WiFi interface and station statistics (node_exporter 1.5.0 names). Only node_exporter's
// test path is implemented: --collector.wifi.fixtures=DIR reads DIR/interfaces.json and, per
// interface, DIR/<name>/bss.json and DIR/<name>/stationinfo.json (a missing file means the
// interface has no such statistics). The live source (nl80211 over generic netlink) is not
// implemented yet: without the option the collector fails with that message.
#include <cerrno>
#include <cstring>

#include "collectors/net/wifi_json.h"
#include "collectors/util.h"
#include "core/collector.h"

namespace vitals {
namespace {

constexpr MetricType C = MetricType::kCounter;
constexpr MetricType G = MetricType::kGauge;
constexpr Desc kFrequency{"node_wifi_interface_frequency_hertz",
                          "The current frequency a WiFi interface is operating at, in hertz.", G};
constexpr Desc kInfo{
    "node_wifi_station_info",
    "Labeled WiFi interface station information as provided by the operating system.", G};
constexpr Desc kConnected{
    "node_wifi_station_connected_seconds_total",
    "The total number of seconds a station has been connected to an access point.", C};
constexpr Desc kInactive{"node_wifi_station_inactive_seconds",
                         "The number of seconds since any wireless activity has occurred on a "
                         "station.",
                         G};
constexpr Desc kRxBitrate{"node_wifi_station_receive_bits_per_second",
                          "The current WiFi receive bitrate of a station, in bits per second.", G};
constexpr Desc kTxBitrate{"node_wifi_station_transmit_bits_per_second",
                          "The current WiFi transmit bitrate of a station, in bits per second.", G};
constexpr Desc kRxBytes{"node_wifi_station_receive_bytes_total",
                        "The total number of bytes received by a WiFi station.", C};
constexpr Desc kTxBytes{"node_wifi_station_transmit_bytes_total",
                        "The total number of bytes transmitted by a WiFi station.", C};
constexpr Desc kSignal{"node_wifi_station_signal_dbm",
                       "The current WiFi signal strength, in decibel-milliwatts (dBm).", G};
constexpr Desc kRetries{"node_wifi_station_transmit_retries_total",
                        "The total number of times a station has had to retry while sending a "
                        "packet.",
                        C};
constexpr Desc kFailed{"node_wifi_station_transmit_failed_total",
                       "The total number of times a station has failed to send a packet.", C};
constexpr Desc kBeaconLoss{"node_wifi_station_beacon_loss_total",
                           "The total number of times a station has detected a beacon loss.", C};

// Go's time.Duration.Seconds().
double seconds(int64_t ns) {
  return static_cast<double>(ns / 1000000000) + static_cast<double>(ns % 1000000000) / 1e9;
}

std::string_view bss_mode(int64_t status) {
  switch (status) {
    case 0:  // authenticated
    case 1:  // associated
      return "client";
    case 2:  // IBSS joined
      return "ad-hoc";
    default:
      return "unknown";
  }
}

class WifiCollector final : public Collector {
 public:
  WifiCollector(const CollectorOptions& o, const Paths&) : fixtures_(o.str("fixtures")) {}

  void collect(const CollectContext&, MetricSet& out) override {
    if (fixtures_.empty()) {
      throw CollectError(
          "wifi: the nl80211 (generic netlink) source is not implemented yet; only "
          "--collector.wifi.fixtures (node_exporter's test JSON) is");
    }
    parse::ParseErrors errors, scratch;
    std::string path = Paths::join(fixtures_, "interfaces.json");
    auto ifaces = net::parse_wifi_interfaces(reader_.read(path), scratch);
    errors.append(path, scratch);
    Family* frequency = nullptr;
    Family* info = nullptr;
    std::array<Family*, 10> station{};
    for (const auto& i : ifaces) {
      if (i.name.empty()) continue;  // virtual devices without a name
      if (!frequency) frequency = &out.add(kFrequency);
      frequency->add({{"device", i.name}}, static_cast<double>(i.frequency_mhz) * 1000 * 1000);
      std::string_view text;
      int err = 0;
      path = Paths::join(fixtures_, i.name + "/bss.json");
      if (reader_.try_read(path, &text, &err)) {
        net::WifiBss bss;
        scratch.clear();
        if (net::parse_wifi_bss(text, &bss, scratch)) {
          if (!info) info = &out.add(kInfo);
          info->add({{"device", i.name},
                     {"bssid", bss.bssid},
                     {"ssid", bss.ssid},
                     {"mode", bss_mode(bss.status)}},
                    1);
        }
        errors.append(path, scratch);
      } else if (err != ENOENT) {
        errors.add_file(path, std::strerror(err));
      }
      path = Paths::join(fixtures_, i.name + "/stationinfo.json");
      if (reader_.try_read(path, &text, &err)) {
        scratch.clear();
        auto stations = net::parse_wifi_stations(text, scratch);
        errors.append(path, scratch);
        if (!stations.empty() && !station[0]) {
          const Desc* descs[] = {&kConnected, &kInactive, &kRxBitrate, &kTxBitrate, &kRxBytes,
                                 &kTxBytes,   &kSignal,   &kRetries,   &kFailed,    &kBeaconLoss};
          for (size_t k = 0; k < station.size(); ++k) station[k] = &out.add(*descs[k]);
        }
        for (const auto& s : stations) {
          const Label labels[] = {{"device", i.name}, {"mac_address", s.mac}};
          const double values[] = {seconds(s.connected_ns),
                                   seconds(s.inactive_ns),
                                   static_cast<double>(s.receive_bitrate),
                                   static_cast<double>(s.transmit_bitrate),
                                   static_cast<double>(s.received_bytes),
                                   static_cast<double>(s.transmitted_bytes),
                                   static_cast<double>(s.signal),
                                   static_cast<double>(s.transmit_retries),
                                   static_cast<double>(s.transmit_failed),
                                   static_cast<double>(s.beacon_loss)};
          for (size_t k = 0; k < station.size(); ++k) station[k]->add(labels, values[k]);
        }
      } else if (err != ENOENT) {
        errors.add_file(path, std::strerror(err));
      }
    }
    throw_if_errors(fixtures_, errors);
  }

 private:
  std::string fixtures_;
  FileReader reader_{4096, FileReader::Mode::kReopen};
};

}  // namespace

VITALS_COLLECTOR(WifiCollector, "wifi", false,
                 "Exposes WiFi interface and station statistics (only from node_exporter's test "
                 "JSON so far).",
                 {{"fixtures", OptionKind::kString, "",
                   "Test fixtures to use for wifi collector metrics."}});

}  // namespace vitals
