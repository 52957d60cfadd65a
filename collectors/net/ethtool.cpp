#include "collectors/net/ethtool.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/fs.h"

namespace vitals::net {

std::string_view duplex_name(uint8_t duplex) {
  switch (duplex) {
    case DUPLEX_HALF:
      return "half";
    case DUPLEX_FULL:
      return "full";
    default:
      return "unknown";
  }
}

EthtoolLinkSettings::~EthtoolLinkSettings() {
  if (sock_ >= 0) ::close(sock_);
}

bool EthtoolLinkSettings::get(const std::string& name, int64_t* speed, std::string* duplex) {
  if (sock_ < 0) {
    // Any socket carries SIOCETHTOOL to the device layer; AF_UNIX works without IPv4.
    sock_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock_ < 0) throw CollectError(std::string("ethtool socket: ") + std::strerror(errno));
  }
  if (name.size() >= IFNAMSIZ) return false;
  // ethtool_link_settings and its three link-mode bitmaps (at most 127 words each).
  alignas(ethtool_link_settings) uint8_t buf[sizeof(ethtool_link_settings) + 3 * 127 * 4];
  ethtool_link_settings s;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_data = reinterpret_cast<char*>(buf);
  // At most two rounds: the first call (or a kernel with another bitmap size) answers only the
  // size handshake with -nwords.
  for (int round = 0; round < 2; ++round) {
    std::memset(&s, 0, sizeof s);
    s.cmd = ETHTOOL_GLINKSETTINGS;
    s.link_mode_masks_nwords = static_cast<int8_t>(nwords_);
    std::memcpy(buf, &s, sizeof s);
    if (::ioctl(sock_, SIOCETHTOOL, &ifr) != 0) return false;
    std::memcpy(&s, buf, sizeof s);
    if (s.link_mode_masks_nwords > 0) {
      *speed = static_cast<int32_t>(s.speed);
      *duplex = duplex_name(s.duplex);
      return true;
    }
    nwords_ = -s.link_mode_masks_nwords;
    if (nwords_ <= 0) return false;
  }
  return false;
}

}  // namespace vitals::net
