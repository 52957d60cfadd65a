// The per-driver facts node_exporter 1.5.0's ethtool collector reads, with the SIOCETHTOOL
// ioctls it uses (through safchain/ethtool): ETHTOOL_GDRVINFO (driver, versions, bus, and the
// statistics count), ETHTOOL_GSTRINGS(ETH_SS_STATS) + ETHTOOL_GSTATS (the driver's named
// counters) and the legacy ETHTOOL_GSET (the low 32 link-mode bits supported/advertised and
// autoneg). The ioctl wrapper is thin; the byte handling (names out of the 32-byte string
// table) and node_exporter's metric-name rules are pure functions tested on bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitals::net {

// safchain/ethtool's limit on statistics per device (MAX_GSTRINGS); a driver reporting more is
// an item error.
inline constexpr uint32_t kMaxEthtoolStats = 32768;

struct DriverInfo {
  std::string driver, version, fw_version, bus_info, erom_version;
  uint32_t n_stats = 0;
};

struct LinkModes {
  uint32_t supported = 0, advertising = 0;
  uint8_t autoneg = 0;
};

// The names of a driver's counters (ETH_GSTRING_LEN-byte slots, NUL-terminated or filling the
// slot) as safchain/ethtool reduces them: empty names are dropped and of a name given twice the
// later slot is kept. Each kept name with the index of its value among the first `n` slots (a
// GSTATS answer has one value per slot), sorted by name.
std::vector<std::pair<std::string, uint32_t>> ethtool_stat_indexes(std::span<const uint8_t> strings,
                                                                   size_t n);

// node_exporter's SanitizeMetricName: every run of characters outside [0-9A-Za-z_], with the
// underscores around it, becomes one "_".
std::string sanitize_metric_name(std::string_view name);

// node_exporter's buildEthtoolFQName: sanitised, lowercased, leading "_" trimmed, "rx"/"tx"
// words spelt "received"/"transmitted", under "node_ethtool_".
std::string ethtool_metric_name(std::string_view stat);

class EthtoolIoctl {
 public:
  EthtoolIoctl() = default;
  EthtoolIoctl(const EthtoolIoctl&) = delete;
  EthtoolIoctl& operator=(const EthtoolIoctl&) = delete;
  ~EthtoolIoctl();

  // Each returns 0 or the errno of the failed ioctl (EOPNOTSUPP: the driver lacks it; ENODEV:
  // the device is gone). Throws CollectError when no socket can be opened.
  int driver_info(const std::string& dev, DriverInfo* out);
  int link_modes(const std::string& dev, LinkModes* out);
  // The statistics of a device whose driver info gave `n` of them (at most kMaxEthtoolStats):
  // their names (ETHTOOL_GSTRINGS) as ethtool_stat_indexes makes them, read only when they may
  // have changed, and their values (ETHTOOL_GSTATS), read every scrape.
  int stat_names(const std::string& dev, uint32_t n,
                 std::vector<std::pair<std::string, uint32_t>>* out);
  int stat_values(const std::string& dev, uint32_t n, std::vector<uint64_t>* out);

 private:
  int ioctl(const std::string& dev, void* data);

  int sock_ = -1;
  std::vector<uint8_t> strings_;  // reused across devices and scrapes
  std::vector<uint8_t> values_;
};

}  // namespace vitals::net
