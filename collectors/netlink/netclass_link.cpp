#include "collectors/netlink/netclass_link.h"

#include <linux/if.h>

#include "collectors/sysfs/sysfs.h"

namespace vitals::netlink {
namespace {

// sysfs prints these with "%d": the kernel's u32 (or int) shows as a signed 32-bit number.
std::optional<int64_t> as_int32(const std::optional<uint32_t>& v) {
  if (!v) return std::nullopt;
  return static_cast<int32_t>(*v);
}

}  // namespace

void netclass_from_link(const Link& l, sysfs::NetClassIface* out) {
  static constexpr const char* kOperstates[] = {"unknown", "notpresent", "down", "lowerlayerdown",
                                                "testing", "dormant",    "up"};
  out->name = l.name;
  out->address = format_hwaddr(l.address);
  out->broadcast = format_hwaddr(l.broadcast);
  // dev_get_flags() sets IFF_LOWER_UP and IFF_DORMANT only for a running (IFF_UP) device, and
  // sysfs' carrier and dormant answer only then.
  const bool running = l.flags & IFF_UP;
  out->carrier.reset();
  out->dormant.reset();
  if (running) {
    out->carrier = l.carrier ? (*l.carrier != 0) : ((l.flags & IFF_LOWER_UP) != 0);
    out->dormant = (l.flags & IFF_DORMANT) != 0;
  }
  out->carrier_changes = as_int32(l.carrier_changes);
  out->carrier_up_count = as_int32(l.carrier_up_count);
  out->carrier_down_count = as_int32(l.carrier_down_count);
  // sysfs shows dev->flags. ifi_flags is dev_get_flags(): the state bits RUNNING, LOWER_UP and
  // DORMANT are computed (drivers do not keep them in dev->flags), and PROMISC and ALLMULTI
  // come from the user's requests (gflags), while dev->flags has them whenever the
  // promiscuity/allmulti counts are above zero (a bridge port, tcpdump, multicast routing).
  uint32_t flags = l.flags & ~static_cast<uint32_t>(IFF_RUNNING | IFF_LOWER_UP | IFF_DORMANT);
  if (l.promiscuity) {
    flags = *l.promiscuity > 0 ? flags | IFF_PROMISC : flags & ~static_cast<uint32_t>(IFF_PROMISC);
  }
  if (l.allmulti) {  // IFLA_ALLMULTI is new (Linux 6.1); without it keep ifi_flags' bit
    flags = *l.allmulti > 0 ? flags | IFF_ALLMULTI : flags & ~static_cast<uint32_t>(IFF_ALLMULTI);
  }
  out->flags = flags;
  // sysfs' strings are read like every attribute: surrounding space trimmed, invalid UTF-8
  // replaced.
  out->ifalias = sysfs::to_valid_utf8(sysfs::trim_space(l.ifalias));
  out->ifindex = l.index;
  // The kernel omits IFLA_LINK when dev_get_iflink() is the device's own ifindex.
  out->iflink = l.link ? static_cast<int64_t>(static_cast<int32_t>(*l.link)) : l.index;
  out->link_mode = l.link_mode ? std::optional<int64_t>(*l.link_mode) : std::nullopt;
  out->mtu = as_int32(l.mtu);
  out->netdev_group = as_int32(l.group);
  out->tx_queue_len = as_int32(l.tx_queue_len);
  // IFLA_OPERSTATE is already IF_OPER_DOWN for a device that is not running, as sysfs shows it;
  // sysfs refuses a state beyond its table (EINVAL), which leaves the label empty.
  out->operstate.clear();
  if (l.operstate && *l.operstate < std::size(kOperstates)) {
    out->operstate = kOperstates[*l.operstate];
  }
  out->type = l.type;
}

}  // namespace vitals::netlink
