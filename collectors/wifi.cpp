// wifi: WiFi interface and station statistics (node_exporter 1.5.0 names), from nl80211 over
// generic netlink as node_exporter reads them through mdlayher/wifi: per scrape the family is
// resolved by name ("nl80211"), then one NL80211_CMD_GET_INTERFACE dump, and per named interface
// an NL80211_CMD_GET_SCAN dump (the BSS it is in) and an NL80211_CMD_GET_STATION dump
// (collectors/netlink/nl80211.h). Every named interface is reported, whatever its type (an
// access point's too), as node_exporter 1.5.0 does. A kernel without the nl80211 family (no
// cfg80211) or a lookup denied is node_exporter's ErrNoData: NoDataError. node_exporter's test
// path is kept: --collector.wifi.fixtures=DIR reads DIR/interfaces.json and, per interface,
// DIR/<name>/bss.json and DIR/<name>/stationinfo.json (a missing file means the interface has
// no such statistics); both sources feed the same family-writing code.
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "collectors/net/wifi_json.h"
#include "collectors/netlink/nl80211.h"
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

// Writes the families from either source; a family is added with its first sample.
class Writer {
 public:
  explicit Writer(MetricSet& out) : out_(out) {}

  void interface(const net::WifiInterface& i) {
    if (!frequency_) frequency_ = &out_.add(kFrequency);
    frequency_->add({{"device", i.name}}, static_cast<double>(i.frequency_mhz) * 1000 * 1000);
  }

  void bss(const std::string& device, const net::WifiBss& bss) {
    if (!info_) info_ = &out_.add(kInfo);
    info_->add({{"device", device},
                {"bssid", bss.bssid},
                {"ssid", bss.ssid},
                {"mode", bss_mode(bss.status)}},
               1);
  }

  void stations(const std::string& device, const std::vector<net::WifiStation>& stations) {
    if (!stations.empty() && !station_[0]) {
      const Desc* descs[] = {&kConnected, &kInactive, &kRxBitrate, &kTxBitrate, &kRxBytes,
                             &kTxBytes,   &kSignal,   &kRetries,   &kFailed,    &kBeaconLoss};
      for (size_t k = 0; k < station_.size(); ++k) station_[k] = &out_.add(*descs[k]);
    }
    for (const auto& s : stations) {
      const Label labels[] = {{"device", device}, {"mac_address", s.mac}};
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
      for (size_t k = 0; k < station_.size(); ++k) station_[k]->add(labels, values[k]);
    }
  }

 private:
  MetricSet& out_;
  Family* frequency_ = nullptr;
  Family* info_ = nullptr;
  std::array<Family*, 10> station_{};
};

// Takes a dump's item errors, naming `where`; an NLMSG_ERROR ENOENT that ended the dump (the
// last item) is mdlayher/wifi's os.ErrNotExist, "no such statistics", not an error.
void take_errors(parse::ParseErrors& errors, const std::string& where,
                 const parse::ParseErrors& from, const netlink::DumpState& state) {
  const size_t n = from.size() - (state.error == ENOENT && !from.empty() ? 1 : 0);
  parse::ParseErrors kept;
  for (size_t k = 0; k < n; ++k) kept.add(from[k].line, from[k].message);
  errors.append(where, kept);
}

class WifiCollector final : public Collector {
 public:
  WifiCollector(const CollectorOptions& o, const Paths&) : fixtures_(o.str("fixtures")) {}

  void collect(const CollectContext& ctx, MetricSet& out) override {
    Writer w(out);
    parse::ParseErrors errors;
    if (fixtures_.empty()) {
      read_netlink(ctx, w, errors);
      throw_if_errors("netlink nl80211", errors);
    } else {
      read_fixtures(w, errors);
      throw_if_errors(fixtures_, errors);
    }
  }

 private:
  void read_fixtures(Writer& w, parse::ParseErrors& errors) {
    parse::ParseErrors scratch;
    std::string path = Paths::join(fixtures_, "interfaces.json");
    auto ifaces = net::parse_wifi_interfaces(reader_.read(path), scratch);
    errors.append(path, scratch);
    for (const auto& i : ifaces) {
      if (i.name.empty()) continue;  // virtual devices without a name
      w.interface(i);
      std::string_view text;
      int err = 0;
      path = Paths::join(fixtures_, i.name + "/bss.json");
      if (reader_.try_read(path, &text, &err)) {
        net::WifiBss bss;
        scratch.clear();
        if (net::parse_wifi_bss(text, &bss, scratch)) w.bss(i.name, bss);
        errors.append(path, scratch);
      } else if (err != ENOENT) {
        errors.add_file(path, std::strerror(err));
      }
      path = Paths::join(fixtures_, i.name + "/stationinfo.json");
      if (reader_.try_read(path, &text, &err)) {
        scratch.clear();
        auto stations = net::parse_wifi_stations(text, scratch);
        errors.append(path, scratch);
        w.stations(i.name, stations);
      } else if (err != ENOENT) {
        errors.add_file(path, std::strerror(err));
      }
    }
  }

  void read_netlink(const CollectContext& ctx, Writer& w, parse::ParseErrors& errors) {
    // The family is looked up on every scrape, as node_exporter does: cfg80211 may be loaded
    // (or reloaded with another id) while vitals runs.
    netlink::GenlFamily family;
    netlink::DumpState state;
    parse::ParseErrors scratch;
    auto req = netlink::family_request("nl80211");
    sock_.dump(req.bytes(), "CTRL_CMD_GETFAMILY nl80211", ctx.deadline,
               [&](std::span<const uint8_t> buf) {
                 netlink::parse_family_reply(buf, "nl80211", &family, &state, &scratch);
                 return state.done;
               });
    if (!family.found) {
      if (state.error == ENOENT) {
        throw NoDataError(
            "wifi: the kernel has no nl80211 generic netlink family (cfg80211 not loaded)");
      }
      if (denied(state.error)) {
        throw NoDataError("wifi: nl80211 family lookup: " +
                          std::string(std::strerror(state.error)));
      }
      throw CollectError(scratch.message("netlink CTRL_CMD_GETFAMILY nl80211"));
    }

    // Each dump again when it was inconsistent (collectors/netlink/dump_retry.h); an error
    // reply the collector expects (ENOENT: no scan results) stays an item error as before.
    auto check = [](netlink::DumpState st, const char* what) {
      if (st.error != 0 && !netlink::retryable(netlink::fault_of_errno(st.error))) st.error = 0;
      netlink::check_dump(st, what);
    };
    netlink::with_dump_retries("wifi", [&] {
      ifaces_.interfaces.clear();
      ifaces_.errors.clear();
      ifaces_.state = {};
      ifaces_.left_out = 0;
      sock_.dump(netlink::interface_request(family).bytes(), "NL80211_CMD_GET_INTERFACE",
                 ctx.deadline, [&](std::span<const uint8_t> buf) {
                   netlink::parse_interface_dump(buf, family.id, &ifaces_);
                   return ifaces_.state.done;
                 });
      check(ifaces_.state, "NL80211_CMD_GET_INTERFACE");
    });
    take_errors(errors, "netlink NL80211_CMD_GET_INTERFACE", ifaces_.errors, ifaces_.state);

    for (const auto& i : ifaces_.interfaces) {
      if (i.name.empty()) continue;  // virtual devices (P2P device) without a name
      w.interface(i);

      netlink::with_dump_retries("wifi", [&] {
        scan_.bss.reset();
        scan_.errors.clear();
        scan_.state = {};
        sock_.dump(netlink::scan_request(family, i).bytes(), "NL80211_CMD_GET_SCAN", ctx.deadline,
                   [&](std::span<const uint8_t> buf) {
                     netlink::parse_scan_dump(buf, family.id, &scan_);
                     return scan_.state.done;
                   });
        check(scan_.state, "NL80211_CMD_GET_SCAN");
      });
      take_errors(errors, "netlink NL80211_CMD_GET_SCAN " + i.name, scan_.errors, scan_.state);
      if (scan_.bss) w.bss(i.name, *scan_.bss);

      netlink::with_dump_retries("wifi", [&] {
        stations_.stations.clear();
        stations_.errors.clear();
        stations_.state = {};
        stations_.without_info = false;
        stations_.left_out = 0;
        sock_.dump(netlink::station_request(family, i).bytes(), "NL80211_CMD_GET_STATION",
                   ctx.deadline, [&](std::span<const uint8_t> buf) {
                     netlink::parse_station_dump(buf, family.id, &stations_);
                     return stations_.state.done;
                   });
        check(stations_.state, "NL80211_CMD_GET_STATION");
      });
      take_errors(errors, "netlink NL80211_CMD_GET_STATION " + i.name, stations_.errors,
                  stations_.state);
      if (!stations_.without_info) w.stations(i.name, stations_.stations);
    }
  }

  std::string fixtures_;
  FileReader reader_{4096, FileReader::Mode::kReopen};
  netlink::RtnlSocket sock_{NETLINK_GENERIC};
  netlink::WifiInterfaceDump ifaces_;
  netlink::WifiScanDump scan_;
  netlink::WifiStationDump stations_;
};

}  // namespace

VITALS_COLLECTOR(WifiCollector, "wifi", false, "Exposes WiFi interface and station statistics.",
                 {{"fixtures", OptionKind::kString, "",
                   "Test fixtures to use for wifi collector metrics."}});

}  // namespace vitals
