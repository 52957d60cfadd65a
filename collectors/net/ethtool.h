// A link's speed and duplex from one SIOCETHTOOL ETHTOOL_GLINKSETTINGS ioctl on a datagram
// socket kept open across calls: what /sys/class/net/<iface>/{speed,duplex} print, without the
// two file reads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vitals::net {

// sysfs' duplex text for ethtool's duplex byte: DUPLEX_HALF "half", DUPLEX_FULL "full", anything
// else (DUPLEX_UNKNOWN) "unknown".
std::string_view duplex_name(uint8_t duplex);

class EthtoolLinkSettings {
 public:
  EthtoolLinkSettings() = default;
  EthtoolLinkSettings(const EthtoolLinkSettings&) = delete;
  EthtoolLinkSettings& operator=(const EthtoolLinkSettings&) = delete;
  ~EthtoolLinkSettings();

  // Speed in Mbit/s as sysfs prints it (%d of the u32: SPEED_UNKNOWN is -1) and the duplex
  // text of the interface `name`. False when the kernel gives none: the driver has no
  // get_link_ksettings (EOPNOTSUPP), the device is not present or gone (ENODEV) or the driver
  // failed; sysfs refuses speed and duplex with EINVAL in all those cases. The caller asks only
  // for running (IFF_UP) interfaces, as sysfs answers only for those. Throws CollectError when no
  // socket can be opened.
  bool get(const std::string& name, int64_t* speed, std::string* duplex);

 private:
  int sock_ = -1;
  // Words per link-mode bitmap the kernel wants (learnt from its handshake reply, then reused
  // so that each call is one ioctl).
  int nwords_ = 0;
};

}  // namespace vitals::net
