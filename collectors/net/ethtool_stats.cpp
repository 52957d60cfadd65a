#include "collectors/net/ethtool_stats.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "core/fs.h"

namespace vitals::net {
namespace {

std::string c_string(const char* p, size_t cap) {
  return std::string(p, strnlen(p, cap));
}

bool name_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Go's ReplaceAllString(s, "${1}<word>${2}") for the pattern (^|_)<old>(_|$): non-overlapping
// matches, leftmost first.
std::string replace_word(const std::string& s, std::string_view old, std::string_view word) {
  std::string out;
  size_t i = 0;
  size_t copied = 0;
  while (i <= s.size()) {
    // A match starts at i either with "_" + old or (at 0) with old itself.
    size_t at = std::string::npos;
    size_t lead = 0;
    if (i == 0 && s.compare(0, old.size(), old) == 0) {
      at = 0;
    } else if (i < s.size() && s[i] == '_' && s.compare(i + 1, old.size(), old) == 0) {
      at = i;
      lead = 1;
    }
    if (at != std::string::npos) {
      size_t end = at + lead + old.size();
      if (end == s.size() || s[end] == '_') {
        out.append(s, copied, at - copied);
        if (lead) out += '_';
        out += word;
        if (end < s.size()) {
          out += '_';
          ++end;
        }
        copied = end;
        i = end;
        if (i == s.size()) break;
        continue;
      }
    }
    ++i;
  }
  out.append(s, copied, std::string::npos);
  return out;
}

}  // namespace

std::vector<std::pair<std::string, uint32_t>> ethtool_stat_indexes(std::span<const uint8_t> strings,
                                                                   size_t n) {
  std::map<std::string, uint32_t> m;
  n = std::min(n, strings.size() / ETH_GSTRING_LEN);
  for (size_t i = 0; i < n; ++i) {
    std::string key = c_string(reinterpret_cast<const char*>(strings.data() + i * ETH_GSTRING_LEN),
                               ETH_GSTRING_LEN);
    if (!key.empty()) m[std::move(key)] = static_cast<uint32_t>(i);
  }
  return {m.begin(), m.end()};
}

std::string sanitize_metric_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  size_t i = 0;
  while (i < name.size()) {
    if (name_char(name[i]) && name[i] != '_') {
      out += name[i++];
      continue;
    }
    // A run of '_' that reaches an invalid character joins the replaced run (the pattern's
    // leading _*); otherwise it stays as it is.
    size_t j = i;
    while (j < name.size() && name[j] == '_') ++j;
    if (j == name.size() || name_char(name[j])) {
      out.append(name.substr(i, j - i));
      i = j;
      continue;
    }
    while (j < name.size() && !name_char(name[j])) ++j;
    while (j < name.size() && name[j] == '_') ++j;  // the trailing _*
    out += '_';
    i = j;
  }
  return out;
}

std::string ethtool_metric_name(std::string_view stat) {
  std::string s = sanitize_metric_name(stat);
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  s.erase(0, s.find_first_not_of('_') == std::string::npos ? s.size() : s.find_first_not_of('_'));
  s = replace_word(s, "rx", "received");
  s = replace_word(s, "tx", "transmitted");
  return "node_ethtool_" + s;
}

EthtoolIoctl::~EthtoolIoctl() {
  if (sock_ >= 0) ::close(sock_);
}

int EthtoolIoctl::ioctl(const std::string& dev, void* data) {
  if (sock_ < 0) {
    // Any socket carries SIOCETHTOOL to the device layer; AF_UNIX works without IPv4.
    sock_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock_ < 0) throw CollectError(std::string("ethtool socket: ") + std::strerror(errno));
  }
  if (dev.size() >= IFNAMSIZ) return ENODEV;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, dev.data(), dev.size());
  ifr.ifr_data = static_cast<char*>(data);
  return ::ioctl(sock_, SIOCETHTOOL, &ifr) == 0 ? 0 : errno;
}

int EthtoolIoctl::driver_info(const std::string& dev, DriverInfo* out) {
  ethtool_drvinfo d{};
  d.cmd = ETHTOOL_GDRVINFO;
  if (int e = ioctl(dev, &d)) return e;
  out->driver = c_string(d.driver, sizeof d.driver);
  out->version = c_string(d.version, sizeof d.version);
  out->fw_version = c_string(d.fw_version, sizeof d.fw_version);
  out->bus_info = c_string(d.bus_info, sizeof d.bus_info);
  out->erom_version = c_string(d.erom_version, sizeof d.erom_version);
  out->n_stats = d.n_stats;
  return 0;
}

int EthtoolIoctl::link_modes(const std::string& dev, LinkModes* out) {
  ethtool_cmd c{};
  c.cmd = ETHTOOL_GSET;
  if (int e = ioctl(dev, &c)) return e;
  out->supported = c.supported;
  out->advertising = c.advertising;
  out->autoneg = c.autoneg;
  return 0;
}

// The kernel fills as many entries as the driver counts now; like ethtool(8) these trust the
// count GDRVINFO just gave.
int EthtoolIoctl::stat_names(const std::string& dev, uint32_t n,
                             std::vector<std::pair<std::string, uint32_t>>* out) {
  out->clear();
  if (n == 0) return 0;
  strings_.assign(sizeof(ethtool_gstrings) + size_t{n} * ETH_GSTRING_LEN, 0);
  ethtool_gstrings g{};
  g.cmd = ETHTOOL_GSTRINGS;
  g.string_set = ETH_SS_STATS;
  g.len = n;
  std::memcpy(strings_.data(), &g, sizeof g);
  if (int e = ioctl(dev, strings_.data())) return e;
  *out = ethtool_stat_indexes(
      {strings_.data() + sizeof(ethtool_gstrings), size_t{n} * ETH_GSTRING_LEN}, n);
  return 0;
}

int EthtoolIoctl::stat_values(const std::string& dev, uint32_t n, std::vector<uint64_t>* out) {
  out->clear();
  if (n == 0) return 0;
  values_.assign(sizeof(ethtool_stats) + size_t{n} * sizeof(uint64_t), 0);
  ethtool_stats s{};
  s.cmd = ETHTOOL_GSTATS;
  s.n_stats = n;
  std::memcpy(values_.data(), &s, sizeof s);
  if (int e = ioctl(dev, values_.data())) return e;
  out->resize(n);
  std::memcpy(out->data(), values_.data() + sizeof(ethtool_stats), size_t{n} * sizeof(uint64_t));
  return 0;
}

}  // namespace vitals::net
